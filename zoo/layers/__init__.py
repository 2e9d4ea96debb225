"""Small Keras layers the papers need and Keras lacks, each tested against NumPy.

Only ``keras.layers``/``keras.ops``: they run under TensorFlow and JAX alike.
"""

from zoo.layers.normalization import InstanceNormalization
from zoo.layers.padding import ReflectionPadding2D, ReplicationPadding2D
from zoo.layers.resampling import LanczosDownsampler, NearestUpsampling2D, lanczos_kernel
from zoo.layers.sampling import BilinearSampler, affine_grid, bilinear_sample, identity_grid
from zoo.layers.state import AlwaysTraining, FixedInput, OutputAverage

__all__ = ["AlwaysTraining", "BilinearSampler", "FixedInput", "InstanceNormalization",
           "LanczosDownsampler", "NearestUpsampling2D", "OutputAverage",
           "ReflectionPadding2D", "ReplicationPadding2D", "affine_grid", "bilinear_sample",
           "identity_grid", "lanczos_kernel"]
