"""The toy network: one 3x3 convolution and a registered custom layer, image in, image out."""

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="toy")
class Halve(keras.layers.Layer):
    def call(self, x):
        return 0.5 * x


def build(filters: int = 3) -> keras.Model:
    inputs = keras.Input((None, None, 3), name="image")
    x = keras.layers.Conv2D(filters, 3, padding="same", name="conv")(inputs)
    return keras.Model(inputs, Halve(name="halve")(x), name="toy")


def calibration_batches(model, images=None, size=None):
    rng = np.random.default_rng(0)
    return [rng.random((1, 16, 16, 3), dtype=np.float32) for _ in range(4)]


def validation_inputs(model, images=None, size=None):
    return np.random.default_rng(1).random((2, size or 16, size or 16, 3), dtype=np.float32), None
