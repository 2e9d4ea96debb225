"""Gatys' normalised network: every filter's mean activation rescaled to 1.

Gatys, Ecker, Bethge, NIPS 2015, Sec. 2 (and the README of their code,
github.com/leongatys/DeepTextures at commit 289dfe6): "The weights in the
normalised network are scaled such that the mean activation of each filter over
images and positions is equal to one. Such re-scaling can always be done without
changing the output of a neural network as long as the non-linearities in the
network are rectifying linear."

Scheme (per filter, layer by layer). Let ``m_l[c]`` be the mean of filter ``c``
of convolution ``l`` over the given images and all positions, in the original
network. Dividing the kernel and bias of filter ``c`` by ``m_l[c]`` divides its
rectified output by ``m_l[c]`` (ReLU and max/average pooling are positively
homogeneous), so its mean becomes 1. The next convolution then sees inputs
divided by ``m_l``; multiplying its kernel along the input channels by ``m_l``
undoes that, which is the "without changing the output" of the quote. Done for
every layer, the rescaled network's layer ``l`` computes exactly the original
features divided by ``m_l``: all factors come from one forward pass of the
original network, and each layer's mean is 1 on the images used.

Filters whose mean is 0 on those images (never active) are left unscaled.
"""

from __future__ import annotations

import numpy as np
import keras

from zoo.models.perceptual.preprocessing import CaffePreprocessing

_HOMOGENEOUS = (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D, keras.layers.ReLU)
"""Layers that commute with a positive per-channel scaling: a rescaling may pass them."""


def mean_activations(extractor: keras.Model, images, batch_size: int = 8) -> dict:
    """``{conv layer name: mean of each filter over images and positions}`` (NumPy, float64).

    ``images``: an array ``(B, H, W, 3)`` in [0, 1], or a list of such arrays
    (sizes may differ; every position counts once).
    """
    convs = _convolutions(extractor)
    probe = keras.Model(extractor.input, {conv.name: conv.output for conv in convs})
    sums = {conv.name: np.zeros(conv.filters) for conv in convs}
    count = 0
    for batch in _batches(images, batch_size):
        for name, output in probe(batch, training=False).items():
            sums[name] += keras.ops.convert_to_numpy(output).astype("float64").sum(axis=(0, 1, 2))
        count += batch.shape[0] * batch.shape[1] * batch.shape[2]
    if count == 0:
        raise ValueError("no images given")
    return {name: total / count for name, total in sums.items()}


def rescale_to_unit_mean(extractor: keras.Model, images, batch_size: int = 8) -> keras.Model:
    """A copy of ``extractor`` whose every filter has mean activation 1 on ``images``.

    Gatys' normalised network (module docstring): per filter, with the next
    layer compensating, so each layer's features are the original ones divided
    by their means. Works for the extractors of this package (convolutions with
    ReLU or linear activation, joined by pooling); the original is unchanged.
    """
    means = {name: _safe(m) for name, m in mean_activations(extractor, images, batch_size).items()}
    rescaled = keras.models.clone_model(extractor)
    rescaled.set_weights(extractor.get_weights())
    for conv in _convolutions(extractor):
        source = _source_convolution(conv)
        inputs = means[source.name] if source is not None else np.ones(conv.kernel.shape[2])
        kernel, *bias = conv.get_weights()
        kernel = kernel * inputs[None, None, :, None] / means[conv.name][None, None, None, :]
        bias = [b / means[conv.name] for b in bias]
        rescaled.get_layer(conv.name).set_weights([kernel.astype(conv.kernel.dtype), *bias])
    rescaled.trainable = False
    return rescaled


def _safe(mean: np.ndarray) -> np.ndarray:
    return np.where(mean > 0, mean, 1.0)


def _convolutions(model: keras.Model) -> list:
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    for conv in convs:
        if conv.get_config()["activation"] not in ("relu", "linear"):
            raise ValueError(f"{conv.name}: rescaling needs a ReLU or linear activation, "
                             f"not {conv.get_config()['activation']!r}")
    if not convs:
        raise ValueError(f"{model.name} has no convolutions to rescale")
    return convs


def _source_convolution(conv):
    """The convolution whose filters feed ``conv``'s input channels, or None for the image."""
    producer = conv.input._keras_history.operation  # the layer that made this tensor
    while isinstance(producer, _HOMOGENEOUS):
        producer = producer.input._keras_history.operation
    if isinstance(producer, keras.layers.Conv2D):
        return producer
    if isinstance(producer, (keras.layers.InputLayer, CaffePreprocessing)):
        return None
    raise ValueError(f"{conv.name}: cannot rescale through {producer.name} "
                     f"({type(producer).__name__})")


def _batches(images, batch_size):
    if isinstance(images, np.ndarray) and images.ndim == 4:
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size].astype("float32")
    else:
        for image in images:
            image = np.asarray(image, dtype="float32")
            yield image[None] if image.ndim == 3 else image
