"""Resampling layers: x2 nearest upsampling (decoders and generators) and the Lanczos-2
downsampler of Deep Image Prior's super-resolution (Ulyanov et al. 2018, Sec. 4).

Nearest upsampling (:class:`NearestUpsampling2D`, used by Texture Networks, Johnson's
resize variant and AdaIN's decoder): ``keras.ops.image.resize`` when height and width
are known (a fixed-shape export: one RESIZE_NEAREST_NEIGHBOR op), stack and reshape
when they are not (``ops.image.resize`` refuses a symbolic size when traced, and
``keras.layers.UpSampling2D`` does not convert with an unknown size). Both give the
same numbers.

The data term for super-resolution is ``||d(x) - x0||^2`` with ``d`` a fixed
Lanczos downsampler. We follow the official code (``models/downsampler.py`` of
DmitryUlyanov/deep-image-prior at 042e0d4): a separable Lanczos kernel with
support 2 (``a = 2``) stretched by the factor, sampled at half-pixel phase, so
that it is ``4 * factor`` taps wide; normalised to sum to one; applied to each
channel with stride ``factor`` after replication padding of
``(4 * factor - factor) / 2`` pixels, so that ``H`` becomes ``H / factor``
(the paper uses factors 4 and 8; for odd factors the extra pixel goes after).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.layers.padding import replicate_pad

LANCZOS_SUPPORT = 2


@keras.saving.register_keras_serializable(package="zoo")
class NearestUpsampling2D(keras.layers.Layer):
    """x2 nearest-neighbour upsampling of NHWC images (module docstring: how it converts)."""

    def call(self, x):
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        if h is not None and w is not None:
            return ops.image.resize(x, (2 * h, 2 * w), interpolation="nearest")
        s = ops.shape(x)
        x = ops.reshape(ops.stack([x, x], axis=3), (s[0], s[1], 2 * s[2], c))
        return ops.reshape(ops.stack([x, x], axis=2), (s[0], 2 * s[1], 2 * s[2], c))

    def compute_output_shape(self, s):
        return (s[0], *[None if d is None else 2 * d for d in s[1:3]], s[3])


def lanczos_kernel(factor: int, support: int = LANCZOS_SUPPORT) -> np.ndarray:
    """The ``(2 support factor) x (2 support factor)`` half-phase Lanczos kernel, summing to 1."""
    taps = 2 * support * factor
    offsets = (np.arange(taps) - (taps - 1) / 2) / factor  # half-pixel phase: +-0.5/f, ...
    with np.errstate(divide="ignore", invalid="ignore"):
        lanczos = support * np.sin(np.pi * offsets) * np.sin(np.pi * offsets / support) / (
            np.pi**2 * offsets**2)
    lanczos = np.where(offsets == 0, 1.0, lanczos)
    kernel = np.outer(lanczos, lanczos)
    return kernel / kernel.sum()


@keras.saving.register_keras_serializable(package="zoo")
class LanczosDownsampler(keras.layers.Layer):
    """Downsample NHWC images by an integer ``factor`` with the fixed Lanczos-2 kernel."""

    def __init__(self, factor: int, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)
        taps = 2 * LANCZOS_SUPPORT * self.factor
        before = (taps - self.factor) // 2  # the official code's padding for even factors
        after = taps - self.factor - before  # one more for odd factors: output is H / factor
        self.padding = ((before, after), (before, after))
        self.kernel = lanczos_kernel(self.factor).astype("float32")

    def call(self, x):
        channels = x.shape[-1]
        kernel = ops.convert_to_tensor(
            np.repeat(self.kernel[:, :, None, None], channels, axis=2), dtype=x.dtype)
        return ops.depthwise_conv(replicate_pad(x, self.padding), kernel, strides=self.factor,
                                  padding="valid")

    def compute_output_shape(self, input_shape):
        h, w = input_shape[1], input_shape[2]
        return (input_shape[0], None if h is None else h // self.factor,
                None if w is None else w // self.factor, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
