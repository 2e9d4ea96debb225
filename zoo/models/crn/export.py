"""The CRN's export spec: the net itself, a one-hot layout in, ``3 k`` channels out.

Input ``layout`` ``(B, H, W, classes)``: one channel per class (19 Cityscapes classes and
void, :mod:`zoo.models.crn.labels`), one-hot, float; H and W multiples of the net's
``size_multiple`` (the net's own resolution by default, ``--shape`` for another). Output
``(B, H, W, 3 k)``: image ``u`` in channels ``3u .. 3u + 2``, RGB, [0, 1] once clipped.

Calibration and validation layouts are procedural street scenes
(:mod:`zoo.models.crn.procedural`) at the net's resolution, never images from
``--calibration``: a layout is not a photo.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError

CALIBRATION_SEED = 6_100_003
VALIDATION_SEED = 7_100_019
CALIBRATION_BATCHES = 8
VALIDATION_BATCH = 2


def _size(model, size) -> tuple[int, int]:
    from zoo.models.crn.network import resolution_of, size_multiple

    if size is None:
        return resolution_of(model)
    h, w = (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))
    m = size_multiple(model)
    if h % m or w % m or min(h, w) < m:
        raise ZooError(f"size {h}x{w} must be a multiple of {m} for this net")
    return h, w


def layouts(model, n: int, size, seed: int) -> np.ndarray:
    """``n`` one-hot procedural layouts ``(n, H, W, classes)`` at ``size``."""
    from zoo.models.crn.labels import one_hot
    from zoo.models.crn.network import classes_of
    from zoo.models.crn.procedural import scenes

    ids, _ = scenes(n, _size(model, size), seed=seed)
    return one_hot(ids, classes_of(model))


def calibration_batches(model, images=None, size=None, n: int = CALIBRATION_BATCHES):
    """``n`` single-layout batches for ``representative_dataset``."""
    return [[layouts(model, 1, size, CALIBRATION_SEED + i)] for i in range(n)]


def validation_inputs(model, images=None, size=None):
    """``(inputs, None)``: :data:`VALIDATION_BATCH` layouts never used for calibration."""
    return [layouts(model, VALIDATION_BATCH, size, VALIDATION_SEED)], None


def metadata(model) -> dict:
    """What an app needs beside the tensor shapes (:mod:`zoo.export.metadata`)."""
    from zoo.models.crn.labels import CLASSES
    from zoo.models.crn.network import outputs_of, resolution_of, size_multiple

    return {"inputs": {"layout": {"layout": "NHWC", "encoding": "one-hot",
                                  "classes": list(CLASSES)}},
            "outputs": {"output": {"value_range": [0, 1], "clip": True, "layout": "NHWC",
                                   "color": "RGB", "images": outputs_of(model),
                                   "channels_of_image_u": "3u .. 3u + 2"}},
            "size_multiple": size_multiple(model), "resolution": list(resolution_of(model))}


__all__ = ["calibration_batches", "layouts", "metadata", "validation_inputs"]
