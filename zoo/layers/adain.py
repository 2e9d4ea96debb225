"""Adaptive instance normalization (Huang and Belongie, ICCV 2017, arXiv:1703.06868, Eq. 8).

``AdaIN(x, y) = sigma(y) (x - mu(x)) / sigma(x) + mu(y)``: the content features ``x`` are
normalized per example and per channel over the positions, then given the style features'
``y`` mean and standard deviation (:func:`zoo.layers.statistics.mean_std`, epsilon
:data:`~zoo.layers.statistics.ADAIN_EPSILON` added to the biased variance inside the square
root, as the official layer). ``keras.ops`` only (TensorFlow and JAX); it lowers to builtin
TFLite ops (MEAN, SQUARED_DIFFERENCE, SQRT, DIV, MUL, ADD).
"""

from __future__ import annotations

import keras
from keras import ops

from zoo.layers.statistics import ADAIN_EPSILON, mean_std


def adain_from_statistics(x, style_mean, style_std, epsilon: float = ADAIN_EPSILON):
    """``style_std (x - mu(x)) / sigma(x) + style_mean``; the style statistics broadcast
    against ``x`` (``(B, 1, 1, C)`` or ``(C,)``)."""
    mean, std = mean_std(x, epsilon)
    return style_std * (x - mean) / std + style_mean


def adain(x, y, epsilon: float = ADAIN_EPSILON):
    """Eq. 8 of the paper: ``x`` content features, ``y`` style features, both NHWC."""
    style_mean, style_std = mean_std(y, epsilon)
    return adain_from_statistics(x, style_mean, style_std, epsilon)


@keras.saving.register_keras_serializable(package="zoo")
class AdaptiveInstanceNormalization(keras.layers.Layer):
    """:func:`adain` as a layer: ``[content features, style features] -> target features``.
    No weights (the paper's AdaIN has no learnable affine parameters, Sec. 5)."""

    def __init__(self, epsilon: float = ADAIN_EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x, y = inputs
        return adain(x, y, self.epsilon)

    def compute_output_shape(self, shapes):
        return shapes[0]

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


__all__ = ["AdaptiveInstanceNormalization", "adain", "adain_from_statistics"]
