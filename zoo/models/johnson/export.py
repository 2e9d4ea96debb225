"""Johnson et al.'s export spec: the transform net itself, one image in, one image out.

The exported graph is the Keras net (:func:`zoo.models.johnson.TransformNet`): input
``image`` ``(B, H, W, 3)`` RGB in [0, 1], no normalization (the net takes raw [0, 1]
pixels); output ``(B, H, W, 3)`` in [0, 1] (style) or ``(B, f H, f W, 3)`` (sr). Style
nets need H and W multiples of 4 (and over 40 pixels for the paper variant); a
fixed-shape export (``--shape HxW``) must use such a size.

int8 calibration uses random crops of the ``--calibration`` content images (default:
the demo images bundled with the package) drawn with :data:`CALIBRATION_SEED`;
validation another crop of each with :data:`VALIDATION_SEED`. For a super-resolution
net the crops are the low-resolution input, at ``size``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.errors import ZooError
from zoo.models.texture_nets.export import content_crops

CALIBRATION_SEED = 6_000_011
VALIDATION_SEED = 7_000_003
CALIBRATION_BATCHES = 8
VALIDATION_BATCH = 2
DEFAULT_SIZE = 256  # the paper's training crops (Sec. 4.1)


def _size_pair(model, size) -> tuple[int, int]:
    """``size`` (None, an int or (H, W)) as (H, W), checked against the net's multiple."""
    from zoo.models.johnson.transform_net import min_size, size_multiple

    size = DEFAULT_SIZE if size is None else size
    h, w = (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))
    m, low = size_multiple(model), min_size(model)
    if min(h, w) < low or h % m or w % m:
        raise ZooError(f"size {h}x{w} must be a multiple of {m} and at least {low} for this "
                       "net")
    return h, w


def crops(n: int, size: tuple[int, int], seed: int, folder: str | Path | None) -> np.ndarray:
    """``n`` random RGB crops ``(n, H, W, 3)`` in [0, 1] of the content images."""
    h, w = size
    square = content_crops(n, max(h, w), seed, folder)
    return np.ascontiguousarray(square[:, :h, :w])


def calibration_batches(model, images: str | Path | None = None, size=None,
                        n: int = CALIBRATION_BATCHES) -> list[list[np.ndarray]]:
    """``n`` single-image batches for ``representative_dataset`` at ``size`` (int or (H, W),
    default 256), cropped from ``images`` (a folder; default the bundled demo images)."""
    pair = _size_pair(model, size)
    return [[crops(1, pair, CALIBRATION_SEED + i, images)] for i in range(n)]


def validation_inputs(model, images: str | Path | None = None, size=None):
    """``(inputs, None)``: :data:`VALIDATION_BATCH` crops never used for calibration."""
    return [crops(VALIDATION_BATCH, _size_pair(model, size), VALIDATION_SEED, images)], None


def metadata(model) -> dict:
    """What an app needs beside the tensor shapes (:mod:`zoo.export.metadata`)."""
    from zoo.models.johnson.transform_net import min_size, size_multiple, task_of

    task, scale = task_of(model)
    return {"inputs": {"image": {"value_range": [0, 1], "layout": "NHWC", "color": "RGB",
                                 "normalization": "none"}},
            "outputs": {"output": {"value_range": [0, 1], "layout": "NHWC", "color": "RGB"}},
            "size_multiple": size_multiple(model), "min_size": min_size(model),
            "task": task, "scale": scale}


__all__ = ["CALIBRATION_SEED", "VALIDATION_SEED", "calibration_batches", "crops", "metadata",
           "validation_inputs"]
