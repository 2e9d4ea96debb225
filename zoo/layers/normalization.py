"""Instance normalization: per example, per channel, over the positions.

Ulyanov, Vedaldi, Lempitsky, "Instance Normalization: The Missing Ingredient for
Fast Stylization" (arXiv:1607.08022, 2016) and "Improved Texture Networks:
Maximizing Quality and Diversity in Feed-forward Stylization and Texture
Synthesis", CVPR 2017 (https://arxiv.org/abs/1701.02096), Sec. 4:

    y_tijk = gamma_k (x_tijk - mu_tk) / sqrt(sigma2_tk + epsilon) + beta_k,
    mu_tk = mean_ij x_tijk,   sigma2_tk = mean_ij (x_tijk - mu_tk)^2

for example ``t``, channel ``k`` and position ``(i, j)``: batch normalization
with the statistics of one image instead of the batch, the same at training
and test time (no running averages).

Constants from the authors' Torch layer (github.com/DmitryUlyanov/texture_nets,
InstanceNormalization.lua at commit aad2cc6): ``eps = 1e-5`` added to the
biased variance (it wraps ``nn.SpatialBatchNormalization``), a learnable
per-channel scale and offset (``affine = true``), offset initialised to 0.
Choice: the scale starts at 1 (Keras' batch-normalization default, so that the
``"batch"`` and ``"instance"`` generators start alike); the Torch layer draws it
from U(0, 1).

Only ``keras.ops`` mean, subtract, multiply and rsqrt: the layer converts to
builtin TFLite ops (MEAN, SQUARED_DIFFERENCE, RSQRT, ...), with a dynamic
spatial size too. Under a ``mixed_float16`` or ``mixed_bfloat16`` policy the
statistics are computed in float32, as Keras' own normalization layers do: in
float16 the sum of squares of a 64x64 map with values near 100 overflows.
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.dtypes import to_float32_if_half

INSTANCE_NORM_EPSILON = 1e-5
"""Added to the biased variance: ``eps`` of the authors' InstanceNormalization.lua
(texture_nets at commit aad2cc6); the papers give no value."""


@keras.saving.register_keras_serializable(package="zoo")
class InstanceNormalization(keras.layers.Layer):
    """Normalise each channel of each example over height and width (NHWC).

    ``center``/``scale``: learnable per-channel offset ``beta`` (init 0) and
    scale ``gamma`` (init 1), as the affine instance norm of Ulyanov et al.
    """

    def __init__(self, epsilon: float = INSTANCE_NORM_EPSILON, center: bool = True,
                 scale: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("InstanceNormalization needs a known channel count")
        self.gamma = (self.add_weight(name="gamma", shape=(channels,), initializer="ones")
                      if self.scale else None)
        self.beta = (self.add_weight(name="beta", shape=(channels,), initializer="zeros")
                     if self.center else None)

    def call(self, x):
        dtype = x.dtype
        x = to_float32_if_half(x)  # float16 sums of squares overflow (mixed precision)
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
        # gamma (x - mean) / sqrt(variance + eps) + beta as one per-channel x * scale + shift:
        # two passes over the image instead of four (TFLite at 1024x1024: 504 vs 530 ms on
        # the phone-width Johnson net, see padding.py)
        scale = ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            scale = scale * ops.cast(self.gamma, x.dtype)
        shift = -mean * scale
        if self.beta is not None:
            shift = shift + ops.cast(self.beta, x.dtype)
        return ops.cast(x * scale + shift, dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}
