"""Small Keras layers the papers need and Keras lacks, each tested against NumPy.

Only ``keras.layers``/``keras.ops``: they run under TensorFlow and JAX alike.
"""

from zoo.layers.padding import ReflectionPadding2D, ReplicationPadding2D
from zoo.layers.resampling import LanczosDownsampler, lanczos_kernel
from zoo.layers.state import AlwaysTraining, FixedInput, OutputAverage

__all__ = ["AlwaysTraining", "FixedInput", "LanczosDownsampler", "OutputAverage", "ReflectionPadding2D",
           "ReplicationPadding2D", "lanczos_kernel"]
