"""Gaze correction in a photo: find the eyes, redirect both with DeepWarp, blend them back.

    from zoo.models.deepwarp.gaze import redirect_gaze
    result = redirect_gaze(model, image_uint8, angle=10.0)   # look 10 degrees higher
    result.image, result.eyes                                # uint8 photo, per-eye details

Steps, and where each comes from:

1. **Face and eyes** (``finder="mediapipe"``, the default): MediaPipe's face
   detection, face mesh and iris models (Apache-2.0, taken out of the mediapipe
   0.10.21 wheel by :mod:`zoo.models.deepwarp.facemodels`, run with LiteRT by
   :mod:`zoo.models.deepwarp.facemesh`; steps and constants in ``FACE_PIPELINE.md``).
   Each eye's 7 landmarks come from the iris model's refined lid contour (corners,
   the lids at 1/3 and 2/3 of the corner distance, as the training renderer places
   them) and its iris centre (the pupil). The first use downloads the wheel once
   (35 MB, from PyPI) into the zoo's cache; with the files neither cached nor
   downloadable, :func:`find_eyes` fails in one line (no silent fallback: the Haar
   finder is much weaker) and says to pass ``finder="haar"``.
2. **Haar fallback** (``finder="haar"``): OpenCV's Haar cascades (Viola-Jones),
   which ship inside ``opencv-python-headless`` and run offline: the frontal-face
   cascade, then the eye cascade (and the one trained with glasses) in the face's
   upper half, one eye per half of the face. Cascades give boxes, not landmarks,
   and miss real photos easily (a frontal face with glasses at 640-2600 px).
   **Landmarks from a box** (:func:`landmarks_from_box`, our heuristic): the
   pupil is the darkest point of the box's middle after a blur the size of the
   pupil; the corners lie
   on the pupil's row, ``CORNER_SPAN`` of the box width apart (Haar eye boxes
   include the brow and some skin either side); the lid points follow the
   renderer's shape (:func:`zoo.training.eyes.landmarks_of`: points at 1/3 and 2/3
   of the corner distance, opening ``LID_UP`` above and ``LID_DOWN`` below the
   corner line).

   Users with their own landmark tracker (MediaPipe Face Landmarker on phones) pass
   ``landmarks=`` instead, in the order of :data:`zoo.models.deepwarp.eyes.LANDMARK_NAMES`.
3. **Redirect**: each eye is cropped as in training (:func:`zoo.models.deepwarp.eyes.eye_box`,
   1.5 x the corner distance, 41 x 51 patch) and run through DeepWarp.
4. **Blend at the photo's resolution**: the predicted flow (patch pixels) is scaled
   to photo pixels, faded to zero towards the box border (raised-cosine
   ``FEATHER``), and applied to the *original* photo with the bilinear sampler;
   the lightness correction's change (output minus warped patch) is added with the
   same fade. Outside the box nothing changes, and at its border the flow is
   zero, so there is no seam, and a large photo keeps its own detail instead of a
   41 x 51 paste.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo.errors import ZooError

CORNER_SPAN = 0.72  # corner distance / Haar eye-box width (0.70 and 0.83 on the demo photo)
LID_UP = 0.19  # upper-lid opening above the corner line / corner distance (renderer: 0.55 * 0.35)
LID_DOWN = 0.16  # lower lid below it (renderer: 0.45 * 0.35)
PUPIL = 0.05  # pupil radius / Haar eye-box width (renderer: 0.16 x 0.72 of the corner distance)
FEATHER = 0.25  # fraction of the box, on each side, over which the change fades out


class EyeNotFoundError(ZooError):
    """No face, or not both eyes, in the photo."""


@dataclass
class EyeResult:
    box: tuple[float, float, float, float]  # crop box in photo pixels (x0, y0, x1, y1)
    landmarks: np.ndarray  # (7, 2) in photo pixels
    patch: np.ndarray  # the 41 x 51 input patch, float in [0, 1]
    output: np.ndarray  # DeepWarp's output patch
    flow: np.ndarray  # (41, 51, 2) in patch pixels


@dataclass
class GazeResult:
    image: np.ndarray  # uint8 (H, W, 3)
    eyes: list[EyeResult]


def _cv2():
    try:
        import cv2
    except ImportError:
        raise EyeNotFoundError("finding eyes needs OpenCV: pip install 'opencv-python-headless<5' "
                               "(its 4.x wheels ship the Haar cascades)") from None
    if not hasattr(cv2, "CascadeClassifier"):
        raise EyeNotFoundError(f"this OpenCV ({cv2.__version__}) has no CascadeClassifier; "
                               "install opencv-python-headless 4.x")
    return cv2


def _cascade(cv2, name: str):
    import os

    path = os.path.join(cv2.data.haarcascades, name)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise EyeNotFoundError(f"OpenCV's cascade {name} is missing from {cv2.data.haarcascades}")
    return cascade


def detect_eye_boxes(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) of the two eyes of the largest face, the photo's left one first."""
    cv2 = _cv2()
    gray = cv2.equalizeHist(cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY))
    side = min(gray.shape)
    faces = _cascade(cv2, "haarcascade_frontalface_default.xml").detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(max(24, side // 10),) * 2)
    if len(faces) == 0:
        raise EyeNotFoundError("no face found in the photo (a frontal face, at least a tenth "
                               "of the photo's smaller side, is needed)")
    fx, fy, fw, fh = max(faces, key=lambda f: f[2] * f[3])
    top, bottom = fy + fh // 8, fy + 3 * fh // 5
    region = gray[top:bottom, fx:fx + fw]
    candidates = []
    for name in ("haarcascade_eye.xml", "haarcascade_eye_tree_eyeglasses.xml"):
        found = _cascade(cv2, name).detectMultiScale(
            region, scaleFactor=1.1, minNeighbors=4, minSize=(fw // 8,) * 2, maxSize=(fw // 2,) * 2)
        candidates += [(x + fx, y + top, w, h) for x, y, w, h in found]
    eyes = []
    for half in (0, 1):  # the photo's left half of the face, then the right half
        centre_x = fx + fw * (0.25 + 0.5 * half)
        inside = [c for c in candidates if (c[0] + c[2] / 2 < fx + fw / 2) == (half == 0)]
        if inside:
            eyes.append(min(inside, key=lambda c: abs(c[0] + c[2] / 2 - centre_x)))
    if len(eyes) < 2:
        raise EyeNotFoundError(f"found a face but {'only one eye' if eyes else 'no eyes'} in it "
                               "(eyes closed, covered or too small?)")
    return [tuple(int(v) for v in e) for e in eyes]


def landmarks_from_box(gray: np.ndarray, box) -> np.ndarray:
    """The 7 landmarks (6 contour points + pupil, photo pixels) of the eye in a Haar box."""
    x, y, w, h = box
    top, left = y + h // 4, x + w // 5
    inner = gray[top:y + 3 * h // 4, left:x + 4 * w // 5].astype(np.float64)
    # The pupil is the darkest disc (radius about PUPIL of the box width): the
    # darkest point after a blur of that size, which thins out lashes and brows.
    score = _box_blur(inner, max(1, round(PUPIL * w)))
    row, col = np.unravel_index(np.argmin(score), score.shape)
    # refine: the centroid of the dark pixels (below the midpoint of the minimum and
    # the median) within two pupil radii of that point
    r = max(2, round(2 * PUPIL * w))
    window = inner[max(row - r, 0):row + r + 1, max(col - r, 0):col + r + 1]
    dark = window <= (window.min() + np.median(window)) / 2
    dy, dx = np.nonzero(dark)
    pupil = np.array([dx.mean() + max(col - r, 0) + left, dy.mean() + max(row - r, 0) + top])
    half = CORNER_SPAN * w / 2
    cx = x + (w - 1) / 2
    corners_y = pupil[1]
    xs6 = cx + half * np.array([-1, -1 / 3, 1 / 3, 1, 1 / 3, -1 / 3])
    width = 2 * half
    lid = np.array([0, -LID_UP, -LID_UP, 0, LID_DOWN, LID_DOWN]) * width
    contour = np.stack([xs6, corners_y + lid], 1)
    return np.concatenate([contour, pupil[None]]).astype(np.float32)


def _box_blur(a: np.ndarray, r: int) -> np.ndarray:
    pad = np.pad(a, r, mode="edge")
    c = np.cumsum(np.cumsum(pad, 0), 1)
    c = np.pad(c, ((1, 0), (1, 0)))
    k = 2 * r + 1
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


FINDERS = ("mediapipe", "haar")


def find_eyes(image: np.ndarray, finder: str = "mediapipe") -> list[np.ndarray]:
    """Landmarks (7, 2) of both eyes, in photo pixels (the photo's left eye first).

    ``finder``: ``"mediapipe"`` (face mesh + iris models, the default) or ``"haar"``
    (OpenCV's cascades and :func:`landmarks_from_box`); see the module docstring.
    """
    if finder == "mediapipe":
        return _find_eyes_mediapipe(image)
    if finder != "haar":
        raise ValueError(f"unknown eye finder {finder!r}; known: {', '.join(FINDERS)}")
    cv2 = _cv2()
    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    return [landmarks_from_box(gray, box) for box in detect_eye_boxes(image)]


def _find_eyes_mediapipe(image: np.ndarray) -> list[np.ndarray]:
    from zoo.models.deepwarp import facemesh
    from zoo.models.deepwarp.facemodels import FaceModelsError, face_model_paths

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image (H, W, 3), got {image.dtype} {image.shape}")
    try:
        paths = face_model_paths()
    except FaceModelsError as err:
        raise EyeNotFoundError(f"{err} (or use the weaker Haar finder: finder='haar', "
                               "`zoo gaze --finder haar`)") from None
    try:
        return facemesh.find_eyes(image, paths)
    except facemesh.NoFaceError as err:
        raise EyeNotFoundError(f"{err} (MediaPipe face detection; a face that is turned "
                               "away, covered or very small is missed)") from None


def _feather(u: np.ndarray, v: np.ndarray, width: int, height: int) -> np.ndarray:
    """1 in the middle of the patch, falling to 0 at its border (raised cosine)."""
    def ramp(t, n):
        d = np.minimum(t + 0.5, n - 0.5 - t) / (FEATHER * n)
        return np.where(d >= 1, 1.0, 0.5 - 0.5 * np.cos(np.pi * np.clip(d, 0, 1)))
    return ramp(u, width) * ramp(v, height)


def _bilinear(a: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``a`` (h, w, C) at fractional (u = column, v = row), clamped at the border."""
    h, w = a.shape[:2]
    u, v = np.clip(u, 0, w - 1), np.clip(v, 0, h - 1)
    u0, v0 = np.minimum(np.floor(u).astype(int), w - 2), np.minimum(np.floor(v).astype(int), h - 2)
    fu, fv = (u - u0)[..., None], (v - v0)[..., None]
    return ((1 - fv) * ((1 - fu) * a[v0, u0] + fu * a[v0, u0 + 1])
            + fv * ((1 - fu) * a[v0 + 1, u0] + fu * a[v0 + 1, u0 + 1]))


def blend_eye(photo: np.ndarray, box, flow: np.ndarray, change: np.ndarray) -> np.ndarray:
    """Warp ``photo`` (float, H, W, 3) inside ``box`` by the patch ``flow`` and add ``change``.

    ``flow`` (h, w, 2) and ``change`` (h, w, 3) are in patch pixels; both fade out
    towards the box border, so pixels outside the box are untouched.
    """
    h, w = flow.shape[:2]
    x0, y0, x1, y1 = box
    sx, sy = (x1 - x0) / w, (y1 - y0) / h  # photo pixels per patch pixel
    top, left = max(int(np.floor(y0)), 0), max(int(np.floor(x0)), 0)
    bottom, right = min(int(np.ceil(y1)), photo.shape[0]), min(int(np.ceil(x1)), photo.shape[1])
    rows, cols = np.mgrid[top:bottom, left:right].astype(np.float64)
    u, v = (cols + 0.5 - x0) / sx - 0.5, (rows + 0.5 - y0) / sy - 0.5  # patch coordinates
    weight = _feather(u, v, w, h)[..., None]
    d = _bilinear(flow, u, v) * weight
    source_x, source_y = cols + d[..., 0] * sx, rows + d[..., 1] * sy
    out = photo.copy()
    warped = _bilinear(photo, source_x, source_y)
    out[top:bottom, left:right] = warped + weight * _bilinear(change, u, v)
    return out


def redirect_gaze(model, image: np.ndarray, angle: float, landmarks=None,
                  finder: str = "mediapipe") -> GazeResult:
    """Redirect both eyes of ``image`` (uint8 RGB) by ``angle`` degrees upwards (negative: down).

    ``model`` is a DeepWarp Keras model with one angle input (vertical
    redirection). ``landmarks`` (a list of (7, 2) arrays, photo pixels) skips
    the eye finder; else ``finder`` picks it (:func:`find_eyes`).
    """
    import keras

    from zoo.models.deepwarp import eyes

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB image (H, W, 3), got {image.dtype} {image.shape}")
    if model.inputs[2].shape[-1] != 1:
        raise ValueError("gaze correction needs a vertical-redirection DeepWarp (angle_dims=1)")
    marks = find_eyes(image, finder) if landmarks is None else [np.asarray(m, np.float32) for m in landmarks]
    size = tuple(model.inputs[0].shape[1:3])
    boxes = [eyes.eye_box(m, size) for m in marks]
    patches = np.stack([eyes.crop_eye(image, b, size) for b in boxes])
    patch_marks = np.stack([eyes.box_landmarks(m, b, size) for m, b in zip(marks, boxes)])
    outputs = keras.Model(model.inputs, [model.output, model.get_layer("flow").output,
                                         model.get_layer("warp").output])
    # A direct call, not predict_on_batch: that traces a new function for every
    # call (a fresh model per photo), which TensorFlow reports as retracing.
    out, flow, warped = (keras.ops.convert_to_numpy(t) for t in outputs(
        [patches, eyes.anchor_maps(patch_marks, size),
         np.full((len(marks), 1), angle, np.float32)], training=False))
    photo = image.astype(np.float64) / 255.0
    for i, box in enumerate(boxes):
        photo = blend_eye(photo, box, flow[i], out[i] - warped[i])
    result = np.clip(np.round(photo * 255), 0, 255).astype(np.uint8)
    return GazeResult(result, [EyeResult(boxes[i], marks[i], patches[i], out[i], flow[i])
                               for i in range(len(marks))])
