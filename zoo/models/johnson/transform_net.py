"""The image transformation networks of Johnson, Alahi, Fei-Fei (ECCV 2016).

Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
Super-Resolution", ECCV 2016 (arXiv:1603.08155), Sec. 3.1 and the supplementary
material (its Table 1, style transfer, and Table 2, x4 super-resolution); the
instance normalization of Ulyanov, Vedaldi, Lempitsky (arXiv:1607.08022, CVPR
2017). Official code: github.com/jcjohnson/fast-neural-style,
``fast_neural_style/models.lua`` and ``train.lua`` (defaults ``-arch
c9s1-32,d64,d128,R128,R128,R128,R128,R128,u64,u32,c9s1-3``, ``-padding_type
reflect-start``, ``-use_instance_norm 1``, ``-tanh_constant 150``).

``variant="paper"`` (style), layer by layer (``w = (32, 64, 128)`` at paper width)::

    ReflectionPadding2D(40)                               (supplement; "reflect-start")
    conv 9x9, w0, stride 1, zero padding 4, norm, ReLU     (c9s1-32)
    conv 3x3, w1, stride 2, zero padding 1, norm, ReLU     (d64)
    conv 3x3, w2, stride 2, zero padding 1, norm, ReLU     (d128)
    5 x residual block, w2 channels:                       (R128)
        conv 3x3 valid, norm, ReLU, conv 3x3 valid, norm;  + shortcut cropped 2 px a side
    transposed conv 3x3, w1, stride 1/2, norm, ReLU        (u64)
    transposed conv 3x3, w0, stride 1/2, norm, ReLU        (u32)
    conv 9x9, 3, stride 1, zero padding 4; scaled tanh     (c9s1-3)

The 40 pixels of reflection padding are what the ten unpadded 3x3 convolutions of
the residual blocks remove (1 px a side each at 1/4 resolution = 4 px at full
resolution, times 10): for ``H`` and ``W`` multiples of 4 the output has the size
of the input. Paddings and croppings follow the Torch layers exactly: a stride-2
conv is ``ZeroPadding2D(1)`` then a valid conv (``SpatialConvolution(3, 3, 2, 2,
1, 1)``), a stride-1/2 conv is a valid transposed conv whose first row and column
are dropped (``SpatialFullConvolution(3, 3, 2, 2, 1, 1, 1, 1)``: padding 1,
output adjustment 1), so Torch weights could be ported one to one. No ReLU after
the residual addition (the supplement's residual figure; ``build_res_block``).

Normalization: ``"batch"`` (the paper) or ``"instance"`` (Ulyanov et al.; the
official code's default). Batch norm with Torch's defaults (eps 1e-5, momentum
0.1 = Keras 0.9).

Output squashing, a choice: the paper's last layer is ``150 tanh(x)`` on
mean-subtracted 0..255 pixels, a range of ``mean +- 150`` that exceeds [0, 255]
(123.68 + 150 = 273.68 for red) and is clipped when the image is saved. Here the
output is ``(tanh(x) + 1) / 2``: the same scaled tanh centred on 127.5 with scale
127.5 (in 0..255 terms), so that [0, 1] is exactly its range, no clip is needed
and gradients stay nonzero everywhere (a net trained with the other one cannot
be ported without shifting its last bias; no Torch weights are ported here).

``variant="resize"``, the common variant (the PyTorch example,
github.com/pytorch/examples ``fast_neural_style/neural_style/transformer_net.py``):
no 40-pixel padding, every convolution reflection-padded to keep its size (so
residual blocks need no crop), and each upsampling a nearest-neighbour x2 resize
followed by a 3x3 conv (Odena, Dumoulin, Olah, "Deconvolution and Checkerboard
Artifacts", Distill 2016): fewer checkerboard artefacts, and it converts to plain
TFLite ops. Same parameter count as ``"paper"`` (a 3x3 conv and a 3x3 transposed
conv have the same weights).

``width``: ``"paper"`` (32, 64, 128), ``"phone"`` (8, 16, 32) (the widths of
Magenta's phone transformer; arbitrary-image-stylization), or any three
channel counts. Parameter counts, style task, instance norm (gamma and beta per
channel), either variant: paper 1,679,235; phone 108,771 (arithmetic in
``tests/test_johnson.py``).

``task="sr"`` (supplement Table 2, x4): the input is the low-resolution image;
conv 9x9 64, norm, ReLU; four residual blocks of 64 channels that keep the size
(the table lists 64 x 72 x 72 after each; zero padding, Torch's default, in
``"paper"``, reflection in ``"resize"``); ``log2 f`` stride-1/2 convs of 64
channels, norm, ReLU; conv 9x9 3; scaled tanh. No downsampling. Sec. 3.1: "for
super-resolution with an upsampling factor of f, we use several residual blocks
followed by log2 f convolutional layers with stride 1/2". The SR width is
``width[1]`` (64 at paper width). Parameters at paper width, instance norm:
x4 401,859; x8 438,915.

Nearest upsampling: :class:`zoo.layers.NearestUpsampling2D` (one
RESIZE_NEAREST_NEIGHBOR op at a fixed export shape).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from zoo.errors import ZooError
from zoo.layers.normalization import InstanceNormalization
from zoo.layers.padding import ReflectionPadding2D
from zoo.layers.resampling import NearestUpsampling2D

WIDTHS = {"paper": (32, 64, 128), "phone": (8, 16, 32)}
"""Channels of the three stages: the supplement's Table 1; Magenta's phone transformer."""

VARIANTS = ("paper", "resize")
NORMALIZATIONS = ("instance", "batch")
TASKS = ("style", "sr")
SR_SCALES = (4, 8)  # the supplement's factors

REFLECTION_PADDING = 40  # supplement Table 1: "reflection padding ... 40 x 40"
STYLE_BLOCKS = 5  # supplement Table 1 (R128 x 5 in train.lua's -arch)
SR_BLOCKS = 4  # supplement Table 2
SHAVE = 2  # pixels cropped a side from the shortcut (ShaveImage(2), models.lua)
SIZE_MULTIPLE = 4  # two stride-2 convolutions
BATCH_NORM_EPSILON = 1e-5  # Torch SpatialBatchNormalization's eps
BATCH_NORM_MOMENTUM = 0.9  # Torch momentum 0.1


@keras.saving.register_keras_serializable(package="zoo")
class CenterCrop2D(keras.layers.Layer):
    """Drop ``crop`` pixels on each side of height and width (Torch ``ShaveImage``)."""

    def __init__(self, crop: int = SHAVE, **kwargs):
        super().__init__(**kwargs)
        self.crop = int(crop)

    def call(self, x):
        c = self.crop
        return x[:, c:ops.shape(x)[1] - c, c:ops.shape(x)[2] - c, :] if c else x

    def compute_output_shape(self, s):
        return (s[0], *[None if d is None else d - 2 * self.crop for d in s[1:3]], s[3])

    def get_config(self):
        return {**super().get_config(), "crop": self.crop}


@keras.saving.register_keras_serializable(package="zoo")
class ScaledTanh(keras.layers.Layer):
    """``(tanh(x) + 1) / 2``: the paper's scaled tanh mapped onto [0, 1] (module docstring)."""

    def call(self, x):
        return 0.5 * (ops.tanh(x) + 1.0)


def widths(width) -> tuple[int, int, int]:
    """``"paper"``, ``"phone"`` or three positive channel counts, as a tuple."""
    if isinstance(width, str):
        if width not in WIDTHS:
            raise ZooError(f"width must be one of {', '.join(WIDTHS)} or three channel counts, "
                           f"not {width!r}")
        return WIDTHS[width]
    try:
        channels = tuple(int(c) for c in width)
    except (TypeError, ValueError):
        channels = ()
    if len(channels) != 3 or min(channels) < 1:
        raise ZooError(f"width must be paper, phone or three positive channel counts, "
                       f"not {width!r}")
    return channels


def _norm(kind: str, name: str):
    if kind == "instance":
        return InstanceNormalization(name=name)
    return keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON,
                                           momentum=BATCH_NORM_MOMENTUM, name=name)


def conv(x, filters: int, kernel: int, cfg: dict, name: str, stride: int = 1, padding=None):
    """Convolution; ``padding`` "zero" (Torch's ``(k-1)/2``), "reflect" or "valid"."""
    padding = padding or cfg["padding"]
    p = (kernel - 1) // 2
    if padding == "reflect" and p:
        x = ReflectionPadding2D(p, name=f"{name}_pad")(x)
    elif padding == "zero" and p:
        x = keras.layers.ZeroPadding2D(p, name=f"{name}_pad")(x)
    return keras.layers.Conv2D(filters, kernel, strides=stride, name=name)(x)


def norm_relu(x, cfg: dict, name: str):
    x = _norm(cfg["normalization"], f"{name}_norm")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def residual_block(x, cfg: dict, name: str, padding: str):
    """conv-norm-ReLU-conv-norm plus the shortcut; ``padding="valid"`` crops the shortcut
    by :data:`SHAVE` pixels a side (the paper's unpadded blocks), else the size is kept."""
    filters = x.shape[-1]
    y = norm_relu(conv(x, filters, 3, cfg, f"{name}_conv1", padding=padding), cfg,
                  f"{name}_conv1")
    y = conv(y, filters, 3, cfg, f"{name}_conv2", padding=padding)
    y = _norm(cfg["normalization"], f"{name}_conv2_norm")(y)
    shortcut = CenterCrop2D(SHAVE, name=f"{name}_shave")(x) if padding == "valid" else x
    return keras.layers.Add(name=f"{name}_add")([shortcut, y])


def upsample(x, filters: int, cfg: dict, name: str):
    """x2: Torch's stride-1/2 conv (``"paper"``) or nearest x2 then a 3x3 conv (``"resize"``)."""
    if cfg["variant"] == "resize":
        x = NearestUpsampling2D(name=f"{name}_resize")(x)
        x = conv(x, filters, 3, cfg, name)
    else:
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, name=name)(x)  # 2H + 1
        x = keras.layers.Cropping2D(((1, 0), (1, 0)), name=f"{name}_crop")(x)  # Torch pad 1
    return norm_relu(x, cfg, name)


def _style_net(x, channels, cfg):
    if cfg["variant"] == "paper":
        x = ReflectionPadding2D(REFLECTION_PADDING, name="reflect_pad_40")(x)
    x = norm_relu(conv(x, channels[0], 9, cfg, "conv1"), cfg, "conv1")
    x = norm_relu(conv(x, channels[1], 3, cfg, "down1", stride=2), cfg, "down1")
    x = norm_relu(conv(x, channels[2], 3, cfg, "down2", stride=2), cfg, "down2")
    block_padding = "valid" if cfg["variant"] == "paper" else cfg["padding"]
    for i in range(1, STYLE_BLOCKS + 1):
        x = residual_block(x, cfg, f"res{i}", block_padding)
    x = upsample(x, channels[1], cfg, "up1")
    x = upsample(x, channels[0], cfg, "up2")
    return conv(x, 3, 9, cfg, "conv_out")


def _sr_net(x, filters, scale, cfg):
    x = norm_relu(conv(x, filters, 9, cfg, "conv1"), cfg, "conv1")
    for i in range(1, SR_BLOCKS + 1):
        x = residual_block(x, cfg, f"res{i}", cfg["padding"])
    for i in range(1, int(math.log2(scale)) + 1):
        x = upsample(x, filters, cfg, f"up{i}")
    return conv(x, 3, 9, cfg, "conv_out")


def _check(normalization, variant, task, scale):
    for value, allowed, what in ((normalization, NORMALIZATIONS, "normalization"),
                                 (variant, VARIANTS, "variant"), (task, TASKS, "task")):
        if value not in allowed:
            raise ZooError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    if task == "sr" and scale not in SR_SCALES:
        raise ZooError(f"scale must be one of {', '.join(map(str, SR_SCALES))}, not {scale!r}")


def TransformNet(width="paper", normalization: str = "instance", variant: str = "paper",
                 task: str = "style", scale: int = 4, name: str | None = None) -> keras.Model:
    """The transform net as a Keras functional model (module docstring).

    Input ``image`` ``(B, H, W, 3)`` RGB in [0, 1]; output ``(B, H, W, 3)`` (style; H and
    W multiples of 4, and over 40 for ``variant="paper"``) or ``(B, f H, f W, 3)`` (sr),
    in [0, 1].
    """
    _check(normalization, variant, task, scale)
    channels = widths(width)
    cfg = {"normalization": normalization, "variant": variant,
           "padding": "zero" if variant == "paper" else "reflect"}
    image = keras.Input((None, None, 3), name="image")
    if task == "style":
        x = _style_net(image, channels, cfg)
    else:
        x = _sr_net(image, channels[1], scale, cfg)
    output = ScaledTanh(name="scaled_tanh")(x)
    default = "johnson_transform_net" if task == "style" else f"johnson_sr_x{scale}"
    return keras.Model(image, output, name=name or default)


def build(width="paper", normalization: str = "instance", variant: str = "paper",
          task: str = "style", scale: int = 4, name: str | None = None) -> keras.Model:
    """:func:`TransformNet` from a preset's or a run's ``config`` (``width`` may be a list)."""
    width = width if isinstance(width, str) else tuple(width)
    return TransformNet(width, normalization, variant, task, scale, name)


def is_paper_variant(model: keras.Model) -> bool:
    return any(layer.name == "reflect_pad_40" for layer in model.layers)


def task_of(model: keras.Model) -> tuple[str, int]:
    """``("style", 1)`` or ``("sr", f)``, read from the layers."""
    ups = [layer for layer in model.layers
           if layer.name.startswith("up") and isinstance(layer, (keras.layers.Conv2D,
                                                                 keras.layers.Conv2DTranspose))]
    downs = [layer for layer in model.layers if layer.name.startswith("down")]
    return ("style", 1) if downs else ("sr", 2 ** len(ups))


def size_multiple(model: keras.Model) -> int:
    """Input sizes must be multiples of this: 4 for style (two stride-2 convs), 1 for SR."""
    return SIZE_MULTIPLE if task_of(model)[0] == "style" else 1


def min_size(model: keras.Model) -> int:
    """The smallest input side: the 40-pixel reflection needs more than 40 pixels."""
    return 44 if is_paper_variant(model) else size_multiple(model)


__all__ = ["BATCH_NORM_EPSILON", "CenterCrop2D", "NORMALIZATIONS", "NearestUpsampling2D",
           "REFLECTION_PADDING", "SR_BLOCKS", "SR_SCALES", "STYLE_BLOCKS", "ScaledTanh", "TASKS",
           "TransformNet", "VARIANTS", "WIDTHS", "build", "is_paper_variant", "min_size",
           "size_multiple", "task_of", "widths"]
