"""Precision of reductions under Keras' mixed-precision policies."""

from __future__ import annotations

import keras
from keras import ops

HALF_DTYPES = ("float16", "bfloat16")


def to_float32_if_half(x):
    """``x`` in float32 if it is float16 or bfloat16, else unchanged.

    For sums over many positions (means, variances, Gram matrices): float16's
    largest value is 65504, so the sum of squares of a 64x64 map of values near
    100 is already infinite. A float32 model gets no extra op.
    """
    if keras.backend.standardize_dtype(x.dtype) in HALF_DTYPES:
        return ops.cast(x, "float32")
    return x
