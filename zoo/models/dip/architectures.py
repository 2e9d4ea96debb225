"""Deep Image Prior's generator networks, after the official PyTorch code (commit 042e0d4).

``skip`` (``models/skip.py``) is the encoder-decoder of the paper's Fig. 21 /
supplementary: at each scale ``i`` a downsampling branch (stride-2 conv, conv)
that recurses into the next scale and is upsampled back, concatenated with a
skip branch (1x1 conv with ``channels_skip[i]`` filters), then a conv and a 1x1
conv. Every conv is followed by batch norm and LeakyReLU(0.2); the output is a
1x1 conv and a sigmoid. ``hourglass`` is ``skip`` with no skip branches.
``unet`` follows ``models/unet.py`` (ReLU, max-pool down, conv-after-upsample).

Port decisions, where PyTorch and Keras differ:

* padding is explicit (reflection or zeros, ``(k - 1) / 2`` on every side)
  followed by a "valid" conv, because Keras' "same" pads strided convs
  asymmetrically and would shift every downsampling by half a pixel;
* weights start as PyTorch's defaults, which the official results come from:
  kernels and biases uniform in ``+-1 / sqrt(fan_in)``; batch norm with
  gamma = 1, beta = 0 and PyTorch's epsilon 1e-5 (PyTorch 0.4, which the paper
  used, drew gamma uniformly in [0, 1]; current PyTorch starts at 1, as we do);
* batch norm always runs with the statistics of the current image (the
  official code never switches to eval mode), so call the network with
  ``training=True``;
* bilinear upsampling uses half-pixel centres, as PyTorch's ``Upsample`` with
  ``align_corners=False``.

Input height and width must be multiples of ``2 ** len(channels_down)``; the
fitting code pads to that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from zoo.layers import ReflectionPadding2D

LEAKY_SLOPE = 0.2  # models/common.py: nn.LeakyReLU(0.2)
BN_EPSILON = 1e-5  # PyTorch's BatchNorm2d default
BN_MOMENTUM = 0.9  # PyTorch's 0.1 in Keras' convention (unused: always training mode)


def _per_scale(value, n: int) -> list:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value] * n


def _torch_init(fan_in: int):
    """PyTorch's default Conv2d initialisation: kernel and bias uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / math.sqrt(fan_in)
    kernel = keras.initializers.VarianceScaling(scale=1.0 / 3.0, mode="fan_in", distribution="uniform")
    return kernel, keras.initializers.RandomUniform(-bound, bound)


def conv(x, filters: int, kernel_size: int, stride: int = 1, pad: str = "reflection",
         bias: bool = True, downsample_mode: str = "stride"):
    """``models/common.py: conv``: pad, convolve, then pool when not downsampling by stride."""
    kernel_init, bias_init = _torch_init(x.shape[-1] * kernel_size * kernel_size)
    margin = (kernel_size - 1) // 2
    if margin:
        x = (ReflectionPadding2D(margin) if pad == "reflection" else
             keras.layers.ZeroPadding2D(margin))(x)
    by_stride = stride if downsample_mode == "stride" else 1
    x = keras.layers.Conv2D(filters, kernel_size, strides=by_stride, padding="valid",
                            use_bias=bias, kernel_initializer=kernel_init,
                            bias_initializer=bias_init)(x)
    if stride != 1 and downsample_mode != "stride":
        pool = {"avg": keras.layers.AveragePooling2D, "max": keras.layers.MaxPooling2D}
        if downsample_mode not in pool:
            raise ValueError(f"downsample_mode must be stride, avg or max, got {downsample_mode!r}")
        x = pool[downsample_mode](stride)(x)
    return x


def bn(x):
    return keras.layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON)(x)


def act(x, kind: str = "LeakyReLU"):
    if kind == "LeakyReLU":
        return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE)(x)
    if kind == "ReLU":
        return keras.layers.ReLU()(x)
    if kind == "none":
        return x
    raise ValueError(f"unknown activation {kind!r}")


def conv_bn_act(x, filters, kernel_size, stride=1, pad="reflection", bias=True,
                downsample_mode="stride", act_fun="LeakyReLU"):
    x = conv(x, filters, kernel_size, stride, pad, bias, downsample_mode)
    return act(bn(x), act_fun)


def upsample(x, mode: str):
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"upsample_mode must be nearest or bilinear, got {mode!r}")
    return keras.layers.UpSampling2D(2, interpolation=mode)(x)


def _check_size(image_shape, levels: int):
    unit = 2**levels
    if image_shape is not None:
        for n in image_shape:
            if n is not None and (n % unit or n < 2 * unit):
                raise ValueError(f"image sides must be multiples of {unit} and at least "
                                 f"{2 * unit} for {levels} scales, got {tuple(image_shape)}")


def skip(input_channels: int = 32, output_channels: int = 3,
         channels_down=(16, 32, 64, 128, 128), channels_up=(16, 32, 64, 128, 128),
         channels_skip=(4, 4, 4, 4, 4), filter_size_down=3, filter_size_up=3,
         filter_skip_size: int = 1, need_sigmoid: bool = True, need_bias: bool = True,
         pad: str = "reflection", upsample_mode="nearest", downsample_mode="stride",
         act_fun: str = "LeakyReLU", need1x1_up: bool = True, image_shape=None,
         name: str = "dip_skip") -> keras.Model:
    """The encoder-decoder with skip connections (defaults: ``models/skip.py``'s)."""
    n = len(channels_down)
    if not n == len(channels_up) == len(channels_skip):
        raise ValueError("channels_down, channels_up and channels_skip need one entry per scale")
    _check_size(image_shape, n)
    up_modes, down_modes = _per_scale(upsample_mode, n), _per_scale(downsample_mode, n)
    size_down, size_up = _per_scale(filter_size_down, n), _per_scale(filter_size_up, n)
    options = {"pad": pad, "bias": need_bias}

    def scale(x, i):
        deeper = conv_bn_act(x, channels_down[i], size_down[i], 2, downsample_mode=down_modes[i],
                             act_fun=act_fun, **options)
        deeper = conv_bn_act(deeper, channels_down[i], size_down[i], act_fun=act_fun, **options)
        if i < n - 1:
            deeper = scale(deeper, i + 1)
        merged = upsample(deeper, up_modes[i])
        if channels_skip[i]:
            shortcut = conv_bn_act(x, channels_skip[i], filter_skip_size, act_fun=act_fun, **options)
            merged = keras.layers.Concatenate()([shortcut, merged])
        y = conv_bn_act(bn(merged), channels_up[i], size_up[i], act_fun=act_fun, **options)
        if need1x1_up:
            y = conv_bn_act(y, channels_up[i], 1, act_fun=act_fun, **options)
        return y

    z = keras.Input(shape=(*(image_shape or (None, None)), input_channels), name="z")
    out = conv(scale(z, 0), output_channels, 1, **options)
    if need_sigmoid:
        out = keras.layers.Activation("sigmoid")(out)
    return keras.Model(z, out, name=name)


def hourglass(channels_down=(128,) * 5, channels_up=(128,) * 5, name: str = "dip_hourglass",
              **kwargs) -> keras.Model:
    """``skip`` without skip connections (the paper's "hourglass", Fig. 21 with n_s = 0)."""
    return skip(channels_down=channels_down, channels_up=channels_up,
                channels_skip=(0,) * len(channels_down), name=name, **kwargs)


def unet(input_channels: int = 32, output_channels: int = 3, feature_scale: int = 4,
         upsample_mode: str = "deconv", pad: str = "zero", norm: bool = True,
         need_sigmoid: bool = True, need_bias: bool = True, image_shape=None,
         name: str = "dip_unet") -> keras.Model:
    """``models/unet.py: UNet`` with ``more_layers=0`` and ``concat_x=False`` (its defaults)."""
    filters = [f // feature_scale for f in (64, 128, 256, 512, 1024)]
    _check_size(image_shape, 4)
    options = {"pad": pad, "bias": need_bias}

    def double_conv(x, f, with_norm):
        for _ in range(2):
            x = conv(x, f, 3, **options)
            x = act(bn(x) if with_norm else x, "ReLU")
        return x

    def up(x, skip_tensor, f):
        if upsample_mode == "deconv":
            # PyTorch takes a transposed conv's fan-in from its *output* channels
            # (weight shape: in, out, k, k); Keras' VarianceScaling does the same.
            kernel_init, bias_init = _torch_init(f * 16)
            x = keras.layers.Conv2DTranspose(f, 4, strides=2, padding="same",
                                             kernel_initializer=kernel_init,
                                             bias_initializer=bias_init)(x)
        else:
            x = conv(upsample(x, upsample_mode), f, 3, **options)
        return double_conv(keras.layers.Concatenate()([x, skip_tensor]), f, with_norm=False)

    z = keras.Input(shape=(*(image_shape or (None, None)), input_channels), name="z")
    downs = [double_conv(z, filters[0], norm)]
    for f in filters[1:]:
        downs.append(double_conv(keras.layers.MaxPooling2D(2)(downs[-1]), f, norm))
    x = downs[-1]
    for i in range(3, -1, -1):
        x = up(x, downs[i], filters[i])
    out = conv(x, output_channels, 1, **options)
    if need_sigmoid:
        out = keras.layers.Activation("sigmoid")(out)
    return keras.Model(z, out, name=name)


def build(architecture: str = "skip", **kwargs) -> keras.Model:
    """``build("skip", ...)``, ``build("hourglass", ...)`` or ``build("unet", ...)``."""
    builders = {"skip": skip, "hourglass": hourglass, "unet": unet}
    if architecture not in builders:
        raise ValueError(f"unknown architecture {architecture!r}; use {', '.join(builders)}")
    return builders[architecture](**kwargs)
