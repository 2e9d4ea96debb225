"""Weight initialisers shared by several papers' networks."""

import keras


def he_normal() -> keras.initializers.Initializer:
    """He et al. 2015: N(0, 2 / fan_in), not truncated (Keras' ``he_normal`` truncates)."""
    return keras.initializers.VarianceScaling(
        scale=2.0, mode="fan_in", distribution="untruncated_normal")
