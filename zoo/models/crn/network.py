"""The cascaded refinement network of Chen and Koltun (ICCV 2017).

Chen and Koltun, "Photographic Image Synthesis with Cascaded Refinement Networks", ICCV
2017 (arXiv:1707.09405), Sec. 3 (the network and its losses). Official code (TensorFlow 1, tf.contrib.slim):
github.com/CQFIO/PhotographicImageSynthesis, ``recursive_generator`` in ``demo_256p.py``
(commit 35e4e62), ``demo_512p.py`` and ``demo_1024p.py`` (commit 36c3896).

A cascade of refinement modules ``M_0 ... M_n``. ``M_0`` works at 4 x 8 (a 1:2 frame as
Cityscapes'), each next one at twice the resolution, the last at the output's. Module
``M_i`` takes the semantic layout ``L`` (one channel per class, void included) downsampled
to its resolution, concatenated (for ``i > 0``) with the previous module's features
bilinearly upsampled x2, then::

    conv 3x3, d_i channels, no bias; layer norm; LeakyReLU(0.2)
    conv 3x3, d_i channels, no bias; layer norm; LeakyReLU(0.2)

(``slim.conv2d(..., normalizer_fn=slim.layer_norm, activation_fn=lrelu)``: a convolution
with a normalizer has no bias; ``lrelu(x) = max(0.2 x, x)``). After the last module a 1x1
convolution (with bias, no normalization) gives ``3 k`` channels, ``k`` images, mapped by
``(x + 1) / 2`` (the code's ``(net + 1) / 2 * 255`` on 0..255 pixels; here [0, 1], not
clipped in training). ``k = 9`` for the diversity loss (the paper; ``demo_256p.py``: 27
channels); ``k = 1`` without it (``demo_512p.py``, ``demo_1024p.py``).

Widths ``d_i`` by the module's height (the code's rule, ``dim = 512 if sp >= 128 else
1024``, 128 at 512, 32 at 1024): 1024 from 4 to 64 rows, 512 at 128 and 256 rows, 128
at 512, 32 at 1024. So a 256 x 512 net has seven modules of 1024, 1024, 1024, 1024, 1024,
512, 512 channels; a 1024 x 2048 net nine (the numbers here are read from the code; the
paper describes the same cascade, 1024 feature maps in the coarse modules, fewer at the fine ones).
``width``: ``"paper"``, one number ``w`` (every paper width times ``w / 1024``, at least
4: ``width=32`` is a CPU-sized net), or one channel count per module.

Layer normalization (:class:`LayerNorm`): ``slim.layer_norm``'s defaults, statistics of
each example over height, width and channels (``begin_norm_axis=1``), a learnable scale
and offset per channel (``begin_params_axis=-1``), variance epsilon 1e-12 (tf.contrib's
constant). ``keras.layers.LayerNormalization(axis=(1, 2, 3))`` would learn a scale per
position and channel instead, so it is not used.

Differences from the code, all choices of this port:

* Bilinear x2 upsampling with half-pixel centres (TensorFlow 2's ``tf.image.resize``),
  where the code calls ``tf.image.resize_bilinear(..., align_corners=True)``: Keras has
  no align-corners resize, and half-pixel is one RESIZE_BILINEAR op in TFLite (a dynamic
  size uses the same weights, 3/4 and 1/4, written with pads and sums:
  :class:`BilinearUpsampling2D`).
* The layout is downsampled by 2 x 2 averaging per module (``AveragePooling2D``), which
  is what the code's ``tf.image.resize_area`` to half the size computes for even sizes.
* The ``3 k`` output channels are grouped per image (image ``u`` is channels ``3u .. 3u +
  2``); the code's transpose-and-split takes channel ``c`` of image ``u`` from ``c k +
  u``. A permutation of the 1x1 convolution's filters: the same set of nets.

Input ``layout`` ``(B, H, W, classes)``, H and W multiples of ``2^n`` (the 4 x 8 of
``M_0`` scaled to the output); output ``(B, H, W, 3 k)``, images in [0, 1] (unclipped).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from zoo.errors import ZooError

LEAKY_SLOPE = 0.2  # lrelu(x) = max(0.2 x, x) (the code)
LAYER_NORM_EPSILON = 1e-12  # tf.contrib.layers.layer_norm's variance_epsilon
COARSEST = (4, 8)  # M_0's resolution (the paper; the code's sp == 4 with (sp, 2 sp))
PAPER_OUTPUTS = 9  # k of the diversity loss (the paper; demo_256p.py's 27 channels)
PAPER_HEIGHT = 256  # demo_256p.py: 256 x 512, trained first (512 and 1024 fine-tune it)
MIN_CHANNELS = 4
CITYSCAPES_CLASSES = 20  # 19 classes + void (the code's label placeholder)


def paper_width(height: int) -> int:
    """The code's feature maps for a module of ``height`` rows."""
    if height >= 1024:
        return 32
    if height >= 512:
        return 128
    return 512 if height >= 128 else 1024


def module_heights(height: int) -> list[int]:
    """The rows of each module, 4 ... ``height`` (a power of two from 4)."""
    if height < COARSEST[0] or height & (height - 1):
        raise ZooError(f"height must be a power of two of at least {COARSEST[0]}, not {height}")
    return [COARSEST[0] * 2**i for i in range(int(math.log2(height // COARSEST[0])) + 1)]


def widths(width, height: int) -> tuple[int, ...]:
    """Channels per module for a net of ``height`` rows (module docstring)."""
    heights = module_heights(height)
    if isinstance(width, str):
        if width != "paper":
            try:
                width = int(width)
            except ValueError:
                raise ZooError(f"width must be paper, a number or one channel count per "
                               f"module, not {width!r}") from None
        else:
            return tuple(paper_width(h) for h in heights)
    if isinstance(width, (int, float)):
        if width < 1:
            raise ZooError(f"width must be positive, not {width}")
        return tuple(max(MIN_CHANNELS, round(paper_width(h) * width / 1024)) for h in heights)
    channels = tuple(int(c) for c in width)
    if len(channels) != len(heights) or min(channels) < 1:
        raise ZooError(f"width: give {len(heights)} positive channel counts (one per module "
                       f"for height {height}), not {list(width)}")
    return channels


@keras.saving.register_keras_serializable(package="zoo")
class LayerNorm(keras.layers.Layer):
    """``slim.layer_norm``: per example over (H, W, C), per-channel scale and offset."""

    def __init__(self, epsilon: float = LAYER_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, x):
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2, 3), keepdims=True)
        return (x - mean) * ops.rsqrt(variance + self.epsilon) * self.gamma + self.beta

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class BilinearUpsampling2D(keras.layers.Layer):
    """x2 bilinear upsampling, half-pixel centres, edges replicated (``tf.image.resize``).

    With a known size: ``ops.image.resize`` (one RESIZE_BILINEAR op). Unknown: output row
    ``2i`` is ``3/4 x_i + 1/4 x_{i-1}`` and ``2i + 1`` is ``3/4 x_i + 1/4 x_{i+1}`` (rows
    clamped at the edges), then the same along the columns: the same numbers.
    """

    def call(self, x):
        h, w = x.shape[1], x.shape[2]
        if h is not None and w is not None:
            return ops.image.resize(x, (2 * h, 2 * w), interpolation="bilinear")
        return self._along(self._along(x, 1), 2)

    @staticmethod
    def _along(x, axis: int):
        if axis == 1:
            before = ops.concatenate([x[:, :1], x[:, :-1]], axis=1)
            after = ops.concatenate([x[:, 1:], x[:, -1:]], axis=1)
        else:
            before = ops.concatenate([x[:, :, :1], x[:, :, :-1]], axis=2)
            after = ops.concatenate([x[:, :, 1:], x[:, :, -1:]], axis=2)
        even, odd = 0.75 * x + 0.25 * before, 0.75 * x + 0.25 * after
        s = ops.shape(x)
        shape = (s[0], 2 * s[1], s[2], s[3]) if axis == 1 else (s[0], s[1], 2 * s[2], s[3])
        return ops.reshape(ops.stack([even, odd], axis=axis + 1), shape)

    def compute_output_shape(self, s):
        return (s[0], *[None if d is None else 2 * d for d in s[1:3]], s[3])


def _conv_norm_lrelu(x, channels: int, name: str):
    x = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, name=name)(x)
    x = LayerNorm(name=f"{name}_norm")(x)
    return keras.layers.LeakyReLU(LEAKY_SLOPE, name=f"{name}_lrelu")(x)


def CRN(height: int = PAPER_HEIGHT, classes: int = CITYSCAPES_CLASSES,
        outputs: int = PAPER_OUTPUTS, width="paper", name: str = "crn") -> keras.Model:
    """The cascade for ``height``-row outputs (module docstring)."""
    if classes < 1 or outputs < 1:
        raise ZooError(f"classes and outputs must be positive, not {classes}, {outputs}")
    heights, channels = module_heights(height), widths(width, height)
    layout = keras.Input((None, None, classes), name="layout")
    layouts = [layout]
    for i in range(len(heights) - 1):  # the layout at each module's resolution, finest first
        layouts.append(keras.layers.AveragePooling2D(2, name=f"layout_down{i + 1}")(layouts[-1]))
    x = None
    for i, (rows, d) in enumerate(zip(heights, channels)):
        label = layouts[len(heights) - 1 - i]
        if x is None:
            x = label
        else:
            up = BilinearUpsampling2D(name=f"m{i}_upsample")(x)
            x = keras.layers.Concatenate(name=f"m{i}_input")([up, label])
        x = _conv_norm_lrelu(x, d, f"m{i}_conv1")
        x = _conv_norm_lrelu(x, d, f"m{i}_conv2")
    x = keras.layers.Conv2D(3 * outputs, 1, name="to_rgb")(x)
    images = keras.layers.Rescaling(0.5, offset=0.5, name="images")(x)  # (x + 1) / 2
    return keras.Model(layout, images, name=name)


def build(height: int = PAPER_HEIGHT, classes: int = CITYSCAPES_CLASSES,
          outputs: int = PAPER_OUTPUTS, width="paper", name: str = "crn") -> keras.Model:
    """:func:`CRN` from a preset's or a run's ``config`` (``width`` may be a list)."""
    width = width if isinstance(width, (str, int, float)) else tuple(width)
    return CRN(height, classes, outputs, width, name)


def modules_of(model: keras.Model) -> int:
    return sum(1 for layer in model.layers if layer.name.endswith("_conv1")
               and layer.name.startswith("m"))


def resolution_of(model: keras.Model) -> tuple[int, int]:
    """The (H, W) the net was built for: 4 x 8 doubled per module after the first."""
    scale = 2 ** (modules_of(model) - 1)
    return COARSEST[0] * scale, COARSEST[1] * scale


def size_multiple(model: keras.Model) -> int:
    """H and W must be multiples of this (one 2 x 2 averaging per module after the first)."""
    return 2 ** (modules_of(model) - 1)


def outputs_of(model: keras.Model) -> int:
    return model.output.shape[-1] // 3


def classes_of(model: keras.Model) -> int:
    return model.input.shape[-1]


def split_outputs(images):
    """``(B, H, W, 3 k) -> (B, k, H, W, 3)`` (image ``u``: channels ``3u .. 3u + 2``)."""
    s = ops.shape(images)
    k = images.shape[-1] // 3
    x = ops.reshape(images, (s[0], s[1], s[2], k, 3))
    return ops.transpose(x, (0, 3, 1, 2, 4))


__all__ = ["BilinearUpsampling2D", "COARSEST", "CRN", "CITYSCAPES_CLASSES", "LAYER_NORM_EPSILON",
           "LEAKY_SLOPE", "LayerNorm", "PAPER_HEIGHT", "PAPER_OUTPUTS", "build", "classes_of",
           "module_heights", "modules_of", "outputs_of", "paper_width", "resolution_of",
           "size_multiple", "split_outputs", "widths"]
