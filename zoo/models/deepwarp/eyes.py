"""The eye-patch geometry DeepWarp (Ganin et al., ECCV 2016) is used with, in NumPy.

What a caller needs to run a trained DeepWarp on a photo: the patch size, the
seven landmarks and their order, the crop box around an eye, the crop itself,
landmarks moved into patch pixels, and the anchor maps the network takes. The
procedural eye renderer and the Columbia Gaze loader that train it live in
:mod:`zoo.training.eyes`, which uses the same definitions.

* Patch size and landmark count: the paper's Sec. 3-4 text could not be read
  here. A TensorFlow re-implementation (BlueWinters/DeepWarp, ``config.py``) uses
  41 x 51 (H x W) eye patches and 14 anchor channels, i.e. 7 landmarks; those are
  the defaults.
* Redirection range: the caption of Fig. 1 (the Springer version,
  doi:10.1007/978-3-319-46475-6_20) shows a model "trained for vertical gaze
  redirection" with the angle "varying between -15 and +15" degrees.
* Anchor encoding: the first author's Torch module ``deepwarp.AnchorsToMaps``
  (ddtm/deep-smile-warp) turns each landmark into two maps, ``(x - x_k) / W`` and
  ``(y - y_k) / H`` at every pixel ``(x, y)`` (0-based pixel indices); see
  :func:`anchor_maps`.

Conventions: pixel coordinates have the centre of pixel ``(row i, column j)`` at
``(x, y) = (j, i)``.
"""

from __future__ import annotations

import numpy as np

PATCH_SIZE = (41, 51)  # (H, W), see the module docstring
NUM_LANDMARKS = 7
LANDMARK_NAMES = ("corner_left", "upper_left", "upper_right", "corner_right",
                  "lower_right", "lower_left", "pupil")
MAX_ANGLE = 15.0  # degrees: gaze angles and redirections stay within +-15, as the paper's Fig. 1


def anchor_maps(landmarks: np.ndarray, size=PATCH_SIZE) -> np.ndarray:
    """DeepWarp's landmark input: two maps per landmark, (H, W, 2K) float32.

    Channel ``2k`` is ``(x - x_k) / W`` and ``2k + 1`` is ``(y - y_k) / H`` at
    pixel ``(x, y)``: the offset of the pixel from landmark ``k``, normalised by
    the patch size, as the first author's ``deepwarp.AnchorsToMaps`` computes it
    (ddtm/deep-smile-warp). Batched landmarks (N, K, 2) give (N, H, W, 2K).
    """
    h, w = size
    marks = np.asarray(landmarks, np.float64)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    lead = marks.shape[:-2]
    mx = marks[..., 0].reshape(lead + (1, 1, -1))
    my = marks[..., 1].reshape(lead + (1, 1, -1))
    dx, dy = (xs[..., None] - mx) / w, (ys[..., None] - my) / h
    return np.stack([dx, dy], axis=-1).reshape(lead + (h, w, 2 * marks.shape[-2])).astype(
        np.float32)


def eye_box(landmarks: np.ndarray, size=PATCH_SIZE, scale: float = 1.5,
            corners=(0, 3)) -> tuple[float, float, float, float]:
    """Crop box (x0, y0, x1, y1), in continuous coordinates (pixel j spans [j, j + 1]).

    Centred on the midpoint of the two eye corners, ``scale`` times their distance
    wide, with the patch's aspect ratio; axis-aligned (Columbia heads are upright).
    ``scale`` 1.5 matches the renderer, whose eye spans 0.58-0.70 of the patch.
    """
    h, w = size
    a, b = np.asarray(landmarks, np.float64)[list(corners)]
    cx, cy = (a + b) / 2 + 0.5
    width = scale * float(np.hypot(*(b - a)))
    height = width * h / w
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def crop_eye(image: np.ndarray, box, size=PATCH_SIZE) -> np.ndarray:
    """The ``box`` of a uint8 (H, W, 3) image resized to ``size`` with Pillow (bicubic), float32."""
    from PIL import Image

    h, w = size
    patch = Image.fromarray(np.asarray(image, np.uint8)).transform(
        (w, h), Image.Transform.EXTENT, tuple(float(v) for v in box),
        resample=Image.Resampling.BICUBIC)
    return np.asarray(patch, np.float32) / 255.0


def box_landmarks(landmarks: np.ndarray, box, size=PATCH_SIZE) -> np.ndarray:
    """Landmarks in image pixels -> pixels of the patch that :func:`crop_eye` makes of ``box``."""
    h, w = size
    x0, y0, x1, y1 = box
    marks = np.asarray(landmarks, np.float64) + 0.5
    out = (marks - [x0, y0]) * [w / (x1 - x0), h / (y1 - y0)] - 0.5
    return out.astype(np.float32)
