"""A single layer of random multi-scale filters: texture features without downloaded weights.

Ustyuzhaninov, Brendel, Gatys, Bethge, "What does it take to generate natural
textures?", ICLR 2017 (https://openreview.net/forum?id=BJhZeLsxx; workshop
version arXiv:1606.00021): one convolutional layer with random filters, a ReLU,
no pooling, and Gram matrices of its feature maps suffice for natural textures.
Their multi-scale model has filters of 3, 5, 7, 11, 15, 23, 37 and 55 pixels with
128 feature maps each, concatenated into one layer of 1,024 maps whose single
Gram matrix (cross-scale correlations included) is matched.

What this port does, checked against the authors' code
(github.com/ivust/random-texture-synthesis, synthesise.py at commit 1107736):

* filters drawn from Glorot's uniform distribution, ``U(-a, a)`` with
  ``a = sqrt(6 / (fan_in + fan_out))``, ``fan_in = 3 k^2``, ``fan_out = filters k^2``
  (the code's Lasagne ``Conv2DLayer`` default), zero biases (also the default;
  here no bias at all), zero padding to the input size (``pad = k // 2``);
* the input preprocessed as for VGG (BGR, 0..255, ImageNet mean subtracted);
* one output layer, ``conv1_1``, the concatenation of all scales after the ReLU.

Choices: the filters are drawn with NumPy from ``seed`` (identical under every
Keras backend and in every run). They are neither zero-mean nor whitened by
default, as in the authors' code; ``zero_mean=True`` removes each filter's mean
over its ``k x k x 3`` taps, making the features blind to the local mean
colour. No input whitening is offered.

Quality (from the paper, not measured here): the full model
(:data:`PAPER_FILTERS` x :data:`PAPER_SCALES`) gives textures of high perceptual
quality that can rival VGG19-based synthesis, with less variability between
samples; it costs about 2.1 M multiply-adds per pixel (134 G for a 256 x 256
forward pass), a GPU job. The cheap default (:data:`DEFAULT_FILTERS` maps at each
of :data:`DEFAULT_SCALES`, about 92 k multiply-adds per pixel, 192 maps) is for
2 CPU cores (a 128 x 128 forward pass took 0.14 s under TensorFlow on 2 shared
cores): expect coarser textures with fewer constraints and no direct
control of structures beyond about 23 pixels. A pretrained, rescaled VGG19 with
average pooling (:func:`~zoo.models.perceptual.VGG19`) remains the reference
quality of Gatys et al.
"""

from __future__ import annotations

import numpy as np
import keras

from zoo.models.perceptual.preprocessing import CaffePreprocessing

PAPER_SCALES = (3, 5, 7, 11, 15, 23, 37, 55)
"""Filter sizes of the multi-scale model (Ustyuzhaninov et al. 2017; the default
``--scales`` of the authors' synthesise.py)."""

PAPER_FILTERS = 128
"""Feature maps per scale in the multi-scale model (the default ``-c`` of the
authors' synthesise.py): 8 x 128 = 1,024 maps."""

DEFAULT_SCALES = (3, 5, 7, 11, 15, 23)
"""The cheap default: the six smallest paper scales (the two largest alone cost
4.6 times the other six together)."""

DEFAULT_FILTERS = 32
"""The cheap default: 32 maps per scale, 192 in all."""

OUTPUT_NAME = "conv1_1"
"""The output key, the authors' name for the concatenated layer."""


def random_filters(filters: int = DEFAULT_FILTERS, scales=DEFAULT_SCALES, seed: int = 0,
                   zero_mean: bool = False) -> list[np.ndarray]:
    """The kernels ``(k, k, 3, filters)``, one per scale, Glorot-uniform from ``seed``."""
    rng = np.random.default_rng(seed)
    kernels = []
    for k in scales:
        limit = np.sqrt(6.0 / (3 * k * k + filters * k * k))
        kernel = rng.uniform(-limit, limit, size=(k, k, 3, filters))
        if zero_mean:
            kernel -= kernel.mean(axis=(0, 1, 2), keepdims=True)
        kernels.append(kernel.astype("float32"))
    return kernels


def RandomMultiscale(filters: int = DEFAULT_FILTERS, scales=DEFAULT_SCALES, seed: int = 0,
                     zero_mean: bool = False, split_scales: bool = False,
                     name: str = "random_multiscale"):
    """Random multi-scale features: a Keras model from [0, 1] RGB images to ``{layer: features}``.

    ``filters`` maps at each filter size in ``scales`` (odd sizes), ReLU, no
    pooling. The output is ``{"conv1_1": all maps concatenated}`` (the paper's
    single layer), or with ``split_scales=True`` one entry per scale,
    ``{"scale_3": ..., "scale_5": ...}`` (no cross-scale correlations then).
    ``RandomMultiscale(PAPER_FILTERS, PAPER_SCALES)`` is the paper's model.
    Frozen (``trainable=False``); same ``seed``, same filters.
    """
    scales = tuple(int(k) for k in scales)
    if not scales or any(k < 1 or k % 2 == 0 for k in scales) or len(set(scales)) < len(scales):
        raise ValueError(f"scales must be distinct odd filter sizes, got {scales}")
    if filters < 1:
        raise ValueError(f"filters must be positive, got {filters}")
    images = keras.Input(shape=(None, None, 3), name="images")
    x = CaffePreprocessing(name="caffe_preprocessing")(images)
    convs = [keras.layers.Conv2D(filters, k, padding="same", activation="relu", use_bias=False,
                                 kernel_initializer="zeros", name=f"scale_{k}")
             for k in scales]
    maps = [conv(x) for conv in convs]
    if split_scales:
        outputs = {conv.name: m for conv, m in zip(convs, maps)}
    elif len(maps) == 1:
        outputs = {OUTPUT_NAME: maps[0]}
    else:
        outputs = {OUTPUT_NAME: keras.layers.Concatenate(name=OUTPUT_NAME)(maps)}
    model = keras.Model(images, outputs, name=name)
    for conv, kernel in zip(convs, random_filters(filters, scales, seed, zero_mean)):
        conv.set_weights([kernel])
    model.trainable = False
    return model
