"""Losses and metrics shared by the recipes. Backend-agnostic (``keras.ops`` only)."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
def half_squared_error(y_true, y_pred):
    """``1/2 ||y - f(x)||^2`` summed over pixels, one value per example.

    VDSR's objective (Kim et al. 2016, Sec. 3.2): a sum over the pixels of a
    patch, as Caffe's and MatConvNet's Euclidean loss compute it, not a mean.
    The scale matters for plain SGD: with a per-pixel mean, the paper's learning
    rate of 0.1 is 41 * 41 / 2 times too small. Keras averages the per-example
    values over the (global) batch.
    """
    diff = ops.convert_to_tensor(y_true, y_pred.dtype) - y_pred
    return 0.5 * ops.sum(ops.square(diff), axis=tuple(range(1, len(diff.shape))))


@keras.saving.register_keras_serializable(package="zoo")
def psnr_metric(y_true, y_pred):
    """PSNR in dB of images in [0, 1], one value per example (averaged, not the first only)."""
    diff = ops.convert_to_tensor(y_true, y_pred.dtype) - ops.clip(y_pred, 0.0, 1.0)
    mse = ops.mean(ops.square(diff), axis=tuple(range(1, len(diff.shape))))
    return -10.0 * ops.log(ops.maximum(mse, 1e-10)) / ops.log(10.0)


psnr_metric.__name__ = "psnr"


class GramTargetLoss(keras.layers.Layer):
    """Base of the style losses that compare features with fixed target Gram matrices,
    one ``(C, C)`` per layer, held as frozen weights (not config) so that checkpoints,
    resume and ``final.weights.h5`` carry them; set them with :meth:`set_targets`.
    Subclasses define ``call(features) -> (B,)``."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = [int(c) for c in channels]
        self.targets = [self.add_weight(name=f"target_gram_{i}", shape=(c, c),
                                        initializer="zeros", trainable=False)
                        for i, c in enumerate(self.channels)]

    def set_targets(self, grams) -> None:
        for variable, gram in zip(self.targets, grams):
            variable.assign(np.asarray(gram, np.float32))

    def compute_output_shape(self, shapes):
        return (shapes[0][0],)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}
