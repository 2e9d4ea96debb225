"""Layers that carry state through a fitting loop (Deep Image Prior and the like).

Both keep their state in non-trainable variables updated inside ``call``, so a
compiled training step (``tf.function`` or ``jax.jit``) carries them without
any data moving between host and device.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class FixedInput(keras.layers.Layer):
    """Ignore the (dummy) input and return a fixed tensor ``z`` of shape ``(1, H, W, C)``.

    Deep Image Prior feeds the same code ``z`` at every step; holding it in the
    model keeps it on the device instead of sending it every step.
    """

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.z_shape = tuple(int(n) for n in shape)
        self.z = self.add_weight(shape=(1, *self.z_shape), initializer="zeros",
                                 trainable=False, name="z")

    def set_value(self, value: np.ndarray) -> None:
        self.z.assign(np.asarray(value, "float32").reshape((1, *self.z_shape)))

    def call(self, dummy):
        return ops.convert_to_tensor(self.z)

    def compute_output_shape(self, input_shape):
        return (1, *self.z_shape)

    def get_config(self):
        return {**super().get_config(), "shape": self.z_shape}


@keras.saving.register_keras_serializable(package="zoo")
class OutputAverage(keras.layers.Layer):
    """Identity that keeps an exponential moving average of what passes in training.

    ``average = weight * average + (1 - weight) * x`` after the first step, which
    copies ``x`` (as Deep Image Prior's denoising notebook smooths its outputs with
    ``exp_weight = 0.99``).
    """

    def __init__(self, shape, weight: float = 0.99, **kwargs):
        super().__init__(**kwargs)
        self.avg_shape = tuple(int(n) for n in shape)
        self.weight = float(weight)
        self.average = self.add_weight(shape=(1, *self.avg_shape), initializer="zeros",
                                       trainable=False, name="average")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")

    def call(self, x, training=False):
        if training:
            first = ops.equal(self.count, 0.0)
            blended = self.weight * self.average + (1.0 - self.weight) * x
            self.average.assign(ops.where(first, x, blended))
            self.count.assign(self.count + 1.0)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "shape": self.avg_shape, "weight": self.weight}


@keras.saving.register_keras_serializable(package="zoo")
class AlwaysTraining(keras.layers.Layer):
    """Run the wrapped layer or model with ``training=True`` whatever the caller says.

    Deep Image Prior's networks normalise with the statistics of the image being
    generated, also when the result is read out; wrapping them lets a compiled
    ``predict`` do that.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer

    def call(self, x, training=None):
        return self.layer(x, training=True)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(),
                "layer": keras.saving.serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config):
        config["layer"] = keras.saving.deserialize_keras_object(config["layer"])
        return cls(**config)
