"""Spatial padding layers for NHWC tensors: reflection and replication (edge).

Reflection mirrors without repeating the edge (``d c b | a b c d | c b a``), as
PyTorch's ``ReflectionPad2d`` and ``np.pad(mode="reflect")``. It is built from slices, a reversal
and concatenation rather than TensorFlow's ``pad(mode="REFLECT")``: that converts to
TFLite's MIRROR_PAD, which XNNPACK does not take and whose reference kernel walks
every element; measured on the phone-width Johnson net at 1024x1024 (TFLite float16,
2 threads), 16 MIRROR_PADs made it 790 ms, slices 504-540 ms (STRIDED_SLICE and
CONCATENATION run in XNNPACK; REVERSE_V2 only touches the padded border, and a pad
of one pixel needs no reversal). Replication repeats the edge pixel, as PyTorch's
``ReplicationPad2d`` and ``np.pad(mode="edge")``; it is built from slices and
concatenation because TensorFlow's ``pad`` has no edge mode.
"""

from __future__ import annotations

import keras
from keras import ops


def _pairs(padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """``padding`` as ``((top, bottom), (left, right))``, from any of Keras' ``ZeroPadding2D``
    forms: ``p``, ``(rows, cols)`` or ``((top, bottom), (left, right))``."""
    try:
        if isinstance(padding, int):
            padding = (padding, padding)
        rows, cols = (p if isinstance(p, (tuple, list)) else (p, p) for p in padding)
        pairs = tuple((int(a), int(b)) for a, b in (rows, cols))
    except (TypeError, ValueError):
        raise ValueError("padding must be an int, (rows, cols) or ((top, bottom), (left, right)), "
                         f"not {padding!r}") from None
    if min(min(pairs)) < 0:
        raise ValueError(f"padding must not be negative, got {padding!r}")
    return pairs


def replicate_pad(x, padding):
    """Pad height and width of NHWC ``x`` by repeating the edge pixels (``np.pad`` "edge")."""
    (top, bottom), (left, right) = _pairs(padding)
    x = _repeat_edges(x, axis=1, before=top, after=bottom)
    return _repeat_edges(x, axis=2, before=left, after=right)


class _Padding2D(keras.layers.Layer):
    """Height and width padding; ``padding`` an int, ``(rows, cols)`` or
    ``((top, bottom), (left, right))``, as Keras' ``ZeroPadding2D``."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding)

    def compute_output_shape(self, input_shape):
        return _padded_shape(input_shape, self.padding)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPadding2D(_Padding2D):
    """Pad height and width by reflection (TFLite: STRIDED_SLICE, REVERSE_V2, CONCATENATION)."""

    def call(self, x):
        (top, bottom), (left, right) = self.padding
        return _reflect_edges(_reflect_edges(x, 1, top, bottom), 2, left, right)


@keras.saving.register_keras_serializable(package="zoo")
class ReplicationPadding2D(_Padding2D):
    """Pad height and width by repeating the edge pixels."""

    def call(self, x):
        return replicate_pad(x, self.padding)


def _reflect_edges(x, axis: int, before: int, after: int):
    """``x`` with ``before``/``after`` rows (axis 1) or columns (axis 2) mirrored onto it,
    the edge itself not repeated; each pad must be smaller than the size (as MIRROR_PAD)."""
    size = x.shape[axis]
    if size is not None and max(before, after) >= size:
        raise ValueError(f"reflection padding {max(before, after)} needs more than that many "
                         f"pixels along axis {axis}, the input has {size}")

    def part(start, stop):  # x[start:stop] along axis, reversed unless one row
        piece = x[:, start:stop] if axis == 1 else x[:, :, start:stop]
        return piece if abs((stop or 0) - start) == 1 else ops.flip(piece, axis=axis)

    parts = ([part(1, before + 1)] if before else []) + [x]
    parts += [part(-after - 1, -1)] if after else []
    return ops.concatenate(parts, axis=axis) if len(parts) > 1 else x


def _repeat_edges(x, axis: int, before: int, after: int):
    parts = []
    if before:
        first = ops.take(x, [0], axis=axis)
        parts.append(ops.concatenate([first] * before, axis=axis))
    parts.append(x)
    if after:
        last = ops.take(x, [ops.shape(x)[axis] - 1], axis=axis)
        parts.append(ops.concatenate([last] * after, axis=axis))
    return ops.concatenate(parts, axis=axis) if len(parts) > 1 else x


def _padded_shape(shape, padding):
    (top, bottom), (left, right) = padding
    h = None if shape[1] is None else shape[1] + top + bottom
    w = None if shape[2] is None else shape[2] + left + right
    return (shape[0], h, w, shape[3])
