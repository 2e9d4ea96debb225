"""The VDSR network (Kim, Lee, Lee, CVPR 2016, Sec. 3.1 and Fig. 2).

A stack of ``depth`` 3x3 convolutions, each of the first ``depth - 1`` with
``filters`` channels and a ReLU, the last one producing the image channels. The
network sees the bicubic-upsampled low-resolution image and predicts only the
residual ``r = y - x`` (Sec. 3.2, "Residual-Learning"); the output is ``x + r``.

Paper-given values: 20 weight layers, 3x3 filters, 64 channels, zero padding
before every convolution so that the output keeps the input size (Sec. 3.1),
the initialisation of He et al. (ICCV 2015), i.e. a Gaussian with standard
deviation ``sqrt(2 / fan_in)`` (Sec. 4.1). Biases start at zero (the paper is
silent; zero is what Caffe and MatConvNet do by default).

Input and output: one channel, the luminance Y of MATLAB's ``rgb2ycbcr`` in
[0, 1], any height and width.
"""

from __future__ import annotations

import keras

from zoo.layers.initializers import he_normal

DEPTH = 20  # Sec. 3.1: "d layers ... we use d = 20"
FILTERS = 64  # Sec. 3.1: "64 filters of the size 3x3x64"
KERNEL_SIZE = 3


def VDSR(depth: int = DEPTH, filters: int = FILTERS, channels: int = 1,
         name: str = "vdsr") -> keras.Model:
    """Build VDSR as a Keras functional model taking ``(batch, H, W, channels)``."""
    if depth < 2:
        raise ValueError(f"VDSR needs at least 2 layers, got depth={depth}")
    bicubic = keras.Input(shape=(None, None, channels), name="bicubic")
    x = bicubic
    for i in range(1, depth):
        x = keras.layers.Conv2D(filters, KERNEL_SIZE, padding="same", activation="relu",
                                kernel_initializer=he_normal(), name=f"conv{i}")(x)
    residual = keras.layers.Conv2D(channels, KERNEL_SIZE, padding="same",
                                   kernel_initializer=he_normal(), name=f"conv{depth}")(x)
    restored = keras.layers.Add(name="restored")([bicubic, residual])
    return keras.Model(bicubic, restored, name=name)


def build(**config) -> keras.Model:
    """The registry's entry point: ``build(depth=..., filters=...)``."""
    return VDSR(**config)
