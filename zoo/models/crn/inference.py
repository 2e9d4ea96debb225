"""Running a trained CRN: :func:`synthesize` (a layout to ``k`` images) and the layout checks.

A net is trained at one resolution (``resolution_of``: 4 x 8 doubled per module); it is
fully convolutional, so any H and W that are multiples of ``size_multiple`` run, but the
coarsest module then sees another field of view than in training. ``zoo synth`` resizes a
layout (nearest neighbour) to the net's own resolution unless told otherwise.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError


def as_layout(layout, classes: int) -> np.ndarray:
    """``(H, W)`` channel ids or ``(H, W, classes)`` one-hot -> ``(H, W, classes)`` float32."""
    from zoo.models.crn.labels import one_hot

    x = np.asarray(layout)
    if x.ndim == 2:
        if x.size and (x.min() < 0 or x.max() >= classes):
            raise ZooError(f"layout ids must be in 0..{classes - 1}")
        return one_hot(x, classes)
    if x.ndim == 3 and x.shape[-1] == classes:
        return x.astype(np.float32)
    raise ZooError(f"a layout is (H, W) ids or (H, W, {classes}) one-hot, not shape {x.shape}")


def synthesize(model, layout) -> np.ndarray:
    """The ``k`` images ``(k, H, W, 3)`` in [0, 1] of one layout (ids or one-hot)."""
    from zoo.models.crn.network import classes_of, size_multiple, split_outputs

    x = as_layout(layout, classes_of(model))
    m = size_multiple(model)
    h, w = x.shape[:2]
    if h % m or w % m or h < m or w < m:
        raise ZooError(f"layout {h}x{w}: this net needs sides that are multiples of {m}")
    images = np.asarray(split_outputs(model(x[None], training=False)))[0]
    return np.clip(images, 0.0, 1.0)


def resize_ids(ids: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a channel-id map to ``size`` (no-op where equal)."""
    from zoo.models.crn.labels import nearest_resize

    return ids if tuple(ids.shape) == tuple(size) else nearest_resize(ids, size)


def grid(images: np.ndarray, columns: int = 3) -> np.ndarray:
    """``(k, H, W, 3)`` -> one image, ``columns`` a row (the last row padded with black)."""
    k, h, w, c = images.shape
    columns = min(columns, k)
    rows = -(-k // columns)
    out = np.zeros((rows * h, columns * w, c), images.dtype)
    for i, image in enumerate(images):
        r, col = divmod(i, columns)
        out[r * h:(r + 1) * h, col * w:(col + 1) * w] = image
    return out


__all__ = ["as_layout", "grid", "resize_ids", "synthesize"]
