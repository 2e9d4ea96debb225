"""Eye landmarks from MediaPipe's face detection, face mesh and iris models, in NumPy + LiteRT.

    from zoo.models.deepwarp.facemesh import find_eyes
    marks = find_eyes(image_uint8)   # two (7, 2) arrays, photo pixels, the photo's left eye first

The three ``.tflite`` files come out of the mediapipe 0.10.21 wheel
(:mod:`zoo.models.deepwarp.facemodels`); they run with ``ai_edge_litert``, the runtime the
zoo's exports use. The steps and constants are MediaPipe's graphs (``mediapipe/modules/``
``face_detection/face_detection.pbtxt``, ``face_detection_short_range.pbtxt``,
``face_landmark/face_detection_front_detection_to_roi.pbtxt``, ``face_landmark_cpu.pbtxt``,
``iris_landmark/iris_landmark_landmarks_to_roi.pbtxt``, ``iris_landmark_cpu.pbtxt``,
``iris_landmark_left_and_right_cpu.pbtxt``), re-done in NumPy so that a JavaScript port
(mobile/web) can mirror them exactly; ``FACE_PIPELINE.md`` beside this file lists each
step with its constants. In short:

**Coordinates** are photo pixels with the centre of pixel ``(row i, column j)`` at
``(x, y) = (j, i)``, y down: the zoo's convention (:mod:`zoo.models.deepwarp.eyes`) and
MediaPipe's (normalised coordinates times the image size, as OpenCV indexes pixels).

**A region** (ROI) is a square: centre ``c``, side ``s`` (photo pixels), angle ``a``
(radians, y down). Its unit axes are ``ex = (cos a, sin a)`` and ``ey = (-sin a, cos a)``;
normalised region coordinates ``(u, v)`` map to the photo point
``P(u, v) = c + s * ((u' - 0.5) * ex + (v - 0.5) * ey)``, ``u' = 1 - u`` where the region
is flipped, else ``u``. A model output ``(x, y)`` in an n x n tensor maps back to
``P(x / n, y / n)`` (which also undoes the flip).

**Sampling a region into an n x n tensor** (:func:`sample_region`): tensor pixel ``(i, j)``
is the photo read bilinearly at ``P(j / n, i / n)``; taps outside the photo are zero
(black) or replicate the nearest edge pixel. This is what MediaPipe's
ImageToTensorCalculator does (OpenCV ``warpPerspective`` with the region's corners on the
tensor's corners, INTER_LINEAR); measured against MediaPipe 0.10.21 itself, the face mesh
points agree within 0.01-0.2 px (FACE_PIPELINE.md). No anti-aliasing, as in MediaPipe.

1. **Face detection** (BlazeFace short range, 128 x 128, input ``v / 127.5 - 1`` in
   [-1, 1]): the whole photo letterboxed, i.e. the region ``c`` = photo centre,
   ``s = max(W, H)``, ``a = 0``, zero border (black, -1). 896 SSD anchors
   (:func:`ssd_anchors`); boxes and 6 keypoints decoded with scale 128
   (:func:`decode_boxes`); score ``sigmoid(clip(raw, -100, 100))`` >= 0.5; weighted
   non-maximum suppression at IoU 0.3 (:func:`weighted_nms`). Where the whole photo shows
   no face (a small face in a room), overlapping square tiles of side ``min(W, H) / 2`` at
   a stride of half their side are searched the same way and the detections merged by the
   same NMS (a zoo addition). Faces are tried in order of score (MediaPipe takes the
   first); the first whose face mesh reports a face (step 3) is kept.
2. **Face region**: the detection's axis-aligned box (photo pixels), centre = box centre,
   ``a = atan2(k1.y - k0.y, k1.x - k0.x)`` from keypoint 0 to keypoint 1 (the eyes),
   ``s = 1.5 * max(box width, box height)``.
3. **Face mesh** (192 x 192, input ``v / 255`` in [0, 1], replicated border): 468 points
   ``(x, y, z)`` in tensor pixels; ``(u, v) = (x / 192, y / 192)`` mapped back through the
   region. Face presence ``sigmoid(flag) >= 0.5``, else no face.
4. **Eye regions** from mesh points 33 -> 133 (the eye on the photo's left in an unmirrored
   photo; MediaPipe's "left eye") and 362 -> 263 (MediaPipe's "right eye"): centre = their
   midpoint, ``a`` = the angle from the first to the second, ``s = 2.3 * max(|dx|, |dy|)``.
5. **Iris** (64 x 64, [0, 1], replicated border): the 362/263 eye is sampled *flipped*
   (``u -> 1 - u``), as MediaPipe does for its "right eye" (the model knows one eye
   only), and its outputs unflipped the same way. Outputs: 71 eye-contour/brow points and
   5 iris points, ``(x, y, z)`` in tensor pixels. Contour points 0-15 are the eye's lid
   contour in face-mesh order (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160,
   159, 158, 157, 173 for the first eye; 263, 249, ..., 398 for the second): 0 and 8 the
   corners, 1-7 the lower lid, 9-15 the upper lid. Iris point 0 is the iris centre.
6. **DeepWarp's 7 landmarks** (:func:`deepwarp_landmarks`, order
   :data:`zoo.models.deepwarp.eyes.LANDMARK_NAMES`): the two corners (the photo's left
   one first); on the upper and lower lid polylines (corner, 7 points, corner), the points
   whose projection on the corner-to-corner axis lies at 1/3 and 2/3 of the corner
   distance (linear interpolation), as the training renderer places them
   (:func:`zoo.training.eyes.landmarks_of`); the pupil is the iris centre.

The iris step follows MediaPipe's graph but not its image path bit for bit: MediaPipe crops
the eye (ImageCroppingCalculator), flips it, then resizes it to 64 x 64 with OpenCV; here
the one bilinear warp above does all three.

Everything is deterministic (fixed sampling, no randomness; the same inputs give the same
tensors).
"""

from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

# face_detection.pbtxt / face_detection_short_range.pbtxt
DETECTOR_SIZE = 128
ANCHOR_STRIDES = (8, 16, 16, 16)  # num_layers 4; fixed_anchor_size, anchor_offset 0.5
ANCHORS_PER_LAYER = 2  # aspect_ratios [1.0] + interpolated_scale_aspect_ratio 1.0
NUM_ANCHORS = 896
BOX_SCALE = 128.0  # x_scale, y_scale, w_scale, h_scale
NUM_KEYPOINTS = 6  # right eye, left eye, nose tip, mouth, right ear, left ear
SCORE_CLIP = 100.0  # score_clipping_thresh
MIN_SCORE = 0.5  # min_score_thresh
NMS_IOU = 0.3  # min_suppression_threshold, WEIGHTED, INTERSECTION_OVER_UNION
# face_detection_front_detection_to_roi.pbtxt
FACE_ROI_SCALE = 1.5  # scale_x = scale_y, square_long
# face_landmark_cpu.pbtxt
MESH_SIZE = 192
NUM_MESH_POINTS = 468
MIN_PRESENCE = 0.5  # ThresholdingCalculator on sigmoid(face flag)
# iris_landmark_left_and_right_cpu.pbtxt, iris_landmark_landmarks_to_roi.pbtxt, iris_landmark_cpu.pbtxt
EYE_CORNERS = ((33, 133), (362, 263))  # MediaPipe's left eye, right eye (flipped)
EYE_ROI_SCALE = 2.3
IRIS_SIZE = 64
NUM_CONTOUR = 71
NUM_IRIS = 5
LID_CONTOUR = 16  # the first 16 contour points: corner, 7 lower, corner, 7 upper


class NoFaceError(Exception):
    """Raised inside the pipeline; :mod:`zoo.models.deepwarp.gaze` turns it into its error."""


@dataclass
class Region:
    centre: tuple[float, float]  # photo pixels (centre of pixel (i, j) at (j, i))
    side: float  # photo pixels
    angle: float = 0.0  # radians, y down
    flip: bool = False

    def to_photo(self, uv: np.ndarray) -> np.ndarray:
        """Normalised region coordinates (..., 2) -> photo coordinates."""
        uv = np.asarray(uv, np.float64)
        u, v = uv[..., 0] - 0.5, uv[..., 1] - 0.5
        if self.flip:
            u = -u
        c, s = math.cos(self.angle), math.sin(self.angle)
        x = self.centre[0] + self.side * (u * c - v * s)
        y = self.centre[1] + self.side * (u * s + v * c)
        return np.stack([x, y], -1)


@dataclass
class Detection:
    box: np.ndarray  # (xmin, ymin, xmax, ymax), photo pixels
    keypoints: np.ndarray  # (6, 2)
    score: float


@dataclass
class FaceMesh:
    detection: Detection
    region: Region
    points: np.ndarray  # (468, 3): x, y in photo pixels, z in region sides / 192
    presence: float
    eye_regions: list[Region]
    contours: list[np.ndarray]  # (71, 2) per eye, in EYE_CORNERS order
    irises: list[np.ndarray]  # (5, 2) per eye


# -- face detection ----------------------------------------------------------------------

def ssd_anchors(size: int = DETECTOR_SIZE, strides=ANCHOR_STRIDES,
                per_layer: int = ANCHORS_PER_LAYER) -> np.ndarray:
    """Anchor centres (896, 2), normalised: MediaPipe's SsdAnchorsCalculator with
    ``fixed_anchor_size`` (every anchor 1 x 1). Consecutive layers of equal stride share one
    grid, their anchors interleaved per cell; cells run row by row."""
    anchors = []
    i = 0
    while i < len(strides):
        j = i
        while j < len(strides) and strides[j] == strides[i]:
            j += 1
        cells = math.ceil(size / strides[i])
        count = (j - i) * per_layer
        ys, xs = np.mgrid[0:cells, 0:cells]
        centres = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], -1).reshape(-1, 1, 2)
        anchors.append(np.repeat(centres, count, axis=1).reshape(-1, 2))
        i = j
    return np.concatenate(anchors).astype(np.float64)


def decode_boxes(raw: np.ndarray, anchors: np.ndarray, scale: float = BOX_SCALE):
    """Regressors (N, 16) -> boxes (N, 4) ``xmin, ymin, xmax, ymax`` and keypoints (N, 6, 2),
    normalised to the detector input. Per anchor ``(ax, ay)`` (size 1 x 1):
    ``centre = raw[0:2] / 128 + (ax, ay)``, ``size = raw[2:4] / 128`` (x first:
    ``reverse_output_order``), keypoint ``k = raw[4 + 2k : 6 + 2k] / 128 + (ax, ay)``."""
    raw = np.asarray(raw, np.float64)
    centre = raw[:, 0:2] / scale + anchors
    half = raw[:, 2:4] / scale / 2
    boxes = np.concatenate([centre - half, centre + half], 1)
    keypoints = raw[:, 4:4 + 2 * NUM_KEYPOINTS].reshape(-1, NUM_KEYPOINTS, 2) / scale
    return boxes, keypoints + anchors[:, None, :]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, np.float64)))


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0, y0 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x1, y1 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
    union = area(box) + area(boxes) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
                 threshold: float = NMS_IOU) -> list[Detection]:
    """MediaPipe's WEIGHTED non-maximum suppression: take the best remaining detection, and
    replace its box and keypoints by the score-weighted mean of every remaining detection
    whose IoU with it is above ``threshold`` (itself included); its score stays. Ties in
    score keep the input order (a stable sort)."""
    order = np.argsort(-scores, kind="stable")
    out = []
    while len(order):
        overlap = iou(boxes[order[0]], boxes[order])
        group, order_rest = order[overlap > threshold], order[overlap <= threshold]
        if order[0] not in group:  # a degenerate (zero-area) box: keep it alone
            group = order[:1]
            order_rest = order[1:]
        w = scores[group][:, None]
        box = (boxes[group] * w).sum(0) / w.sum()
        kps = (keypoints[group] * w[:, :, None]).sum(0) / w.sum()
        out.append(Detection(box, kps, float(scores[order[0]])))
        order = order_rest
    return out


@functools.lru_cache(maxsize=None)
def _interpreter(path: str):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=path, num_threads=2)
    interpreter.allocate_tensors()
    return interpreter


_LOCK = threading.Lock()  # one interpreter per model file, shared: one call at a time


def _run(path, tensor: np.ndarray) -> dict[str, np.ndarray]:
    """Run one model on one input; outputs by name."""
    with _LOCK:
        interpreter = _interpreter(str(path))
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"],
                               np.ascontiguousarray(tensor[None], np.float32))
        interpreter.invoke()
        return {d["name"]: interpreter.get_tensor(d["index"]).copy()
                for d in interpreter.get_output_details()}


def sample_region(image: np.ndarray, region: Region, n: int, border: str = "replicate"
                  ) -> np.ndarray:
    """The region of a uint8 (H, W, 3) photo as an (n, n, 3) float64 array of pixel values
    0-255: tensor pixel (i, j) is the photo read bilinearly at ``P(j / n, i / n)``, taps
    outside the photo zero (``border="zero"``) or the nearest edge pixel (``"replicate"``).
    This is MediaPipe's ImageToTensorCalculator (OpenCV ``warpPerspective``, INTER_LINEAR,
    the region's corners on the tensor's corners), which it reproduces within 0.01-0.2 px
    of face-mesh output (see FACE_PIPELINE.md)."""
    steps = np.arange(n) / n
    uu, vv = np.meshgrid(steps, steps)
    points = region.to_photo(np.stack([uu, vv], -1))
    return _bilinear(np.asarray(image), points[..., 0], points[..., 1], zero=border == "zero")


def _bilinear(a: np.ndarray, x: np.ndarray, y: np.ndarray, zero: bool) -> np.ndarray:
    """``a`` (h, w, C) at fractional (x = column, y = row); taps outside: zero or the edge.
    Only the taps are read (a large photo is not copied)."""
    h, w = a.shape[:2]
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]

    def at(r, c):
        v = a[np.clip(r, 0, h - 1), np.clip(c, 0, w - 1)].astype(np.float64)
        if zero:
            v *= ((r >= 0) & (r < h) & (c >= 0) & (c < w))[..., None]
        return v

    return ((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1))
            + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)))


def detect_in_region(image: np.ndarray, region: Region, path) -> list[Detection]:
    """Faces in one square region (letterbox: zero border), in photo coordinates, before NMS
    across regions; raw detections above MIN_SCORE, merged by weighted NMS."""
    tensor = sample_region(image, region, DETECTOR_SIZE, border="zero") / 127.5 - 1.0
    out = _run(path, tensor)
    raw = out["regressors"][0]
    scores = sigmoid(np.clip(out["classificators"][0, :, 0], -SCORE_CLIP, SCORE_CLIP))
    boxes, keypoints = decode_boxes(raw, _anchors())
    keep = scores >= MIN_SCORE
    if not keep.any():
        return []
    boxes = region.to_photo(boxes[keep].reshape(-1, 2, 2)).reshape(-1, 4)
    keypoints = region.to_photo(keypoints[keep])
    return weighted_nms(boxes, keypoints, scores[keep])


@functools.lru_cache(maxsize=1)
def _anchors() -> np.ndarray:
    return ssd_anchors()


def detect_faces(image: np.ndarray, path) -> list[Detection]:
    """Faces in the photo, the whole photo first, then tiles where it shows none."""
    h, w = image.shape[:2]
    found = detect_in_region(image, Region((w / 2, h / 2), float(max(w, h))), path)
    if found:
        return found
    side = min(w, h) / 2
    if side < DETECTOR_SIZE:
        return []
    step = side / 2
    nx, ny = max(1, math.ceil((w - side) / step)) + 1, max(1, math.ceil((h - side) / step)) + 1
    every = []
    for j in range(ny):
        for i in range(nx):
            cx = side / 2 + min(i * step, w - side)
            cy = side / 2 + min(j * step, h - side)
            every += detect_in_region(image, Region((cx, cy), side), path)
    if not every:
        return []
    return weighted_nms(np.array([d.box for d in every]), np.array([d.keypoints for d in every]),
                        np.array([d.score for d in every]))


# -- face mesh and iris ------------------------------------------------------------------

def face_region(detection: Detection) -> Region:
    """DetectionsToRects (rotation from keypoint 0 to 1) + RectTransformation (1.5, square_long)."""
    x0, y0, x1, y1 = detection.box
    (ax, ay), (bx, by) = detection.keypoints[0], detection.keypoints[1]
    angle = _normalize(math.atan2(by - ay, bx - ax))
    return Region(((x0 + x1) / 2, (y0 + y1) / 2), FACE_ROI_SCALE * max(x1 - x0, y1 - y0), angle)


def eye_region(a: np.ndarray, b: np.ndarray, flip: bool) -> Region:
    """IrisLandmarkLandmarksToRoi: the two corners' box, rotation a -> b, 2.3 x the long side."""
    angle = _normalize(math.atan2(b[1] - a[1], b[0] - a[0]))
    side = EYE_ROI_SCALE * max(abs(b[0] - a[0]), abs(b[1] - a[1]))
    return Region(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2), side, angle, flip)


def _normalize(angle: float) -> float:
    """MediaPipe's NormalizeRadians: into [-pi, pi)."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def face_mesh(image: np.ndarray, paths: dict) -> FaceMesh:
    """Steps 1-5 of the module docstring on the photo's best-scoring face."""
    faces = detect_faces(image, paths["face_detection"])
    if not faces:
        raise NoFaceError("no face found in the photo")
    presence = 0.0
    for detection in sorted(faces, key=lambda d: -d.score):  # stable: NMS order on ties
        region = face_region(detection)
        out = _run(paths["face_landmark"], sample_region(image, region, MESH_SIZE) / 255.0)
        flat = {v.size: v.reshape(-1) for v in out.values()}
        presence = float(sigmoid(flat[1][0]))
        if presence >= MIN_PRESENCE:
            break
    else:
        raise NoFaceError(f"no face found in the photo (face mesh presence {presence:.2f})")
    raw = flat[NUM_MESH_POINTS * 3].reshape(NUM_MESH_POINTS, 3)
    points = np.concatenate([region.to_photo(raw[:, :2] / MESH_SIZE), raw[:, 2:] / MESH_SIZE], 1)
    eye_regions, contours, irises = [], [], []
    for (a, b), flip in zip(EYE_CORNERS, (False, True)):
        eye = eye_region(points[a, :2], points[b, :2], flip)
        out = _run(paths["iris_landmark"], sample_region(image, eye, IRIS_SIZE) / 255.0)
        contour = out["output_eyes_contours_and_brows"].reshape(NUM_CONTOUR, 3)[:, :2]
        iris = out["output_iris"].reshape(NUM_IRIS, 3)[:, :2]
        eye_regions.append(eye)
        contours.append(eye.to_photo(contour / IRIS_SIZE))
        irises.append(eye.to_photo(iris / IRIS_SIZE))
    return FaceMesh(detection, region, points, presence, eye_regions, contours, irises)


# -- DeepWarp's landmarks ----------------------------------------------------------------

def _lid_point(lid: np.ndarray, origin: np.ndarray, axis: np.ndarray, t: float) -> np.ndarray:
    """The point of polyline ``lid`` (ordered along ``axis``) whose projection is ``t``."""
    s = (lid - origin) @ axis
    k = int(np.clip(np.searchsorted(s, t) - 1, 0, len(s) - 2))
    f = 0.0 if s[k + 1] == s[k] else (t - s[k]) / (s[k + 1] - s[k])
    return lid[k] + f * (lid[k + 1] - lid[k])


def deepwarp_landmarks(contour: np.ndarray, iris_centre: np.ndarray) -> np.ndarray:
    """Iris-model lid contour (the first 16 points, photo pixels) and iris centre -> DeepWarp's
    7 landmarks."""
    c = np.asarray(contour, np.float64)[:LID_CONTOUR]
    first, second = c[0], c[8]
    lower, upper = c[1:8], c[9:16]
    if first[0] > second[0]:  # order everything from the photo's left corner
        first, second = second, first
        lower, upper = lower[::-1], upper[::-1]
    length = float(np.hypot(*(second - first)))
    if not length > 1e-6:
        raise NoFaceError("no face found in the photo (an eye's corners coincide)")
    axis = (second - first) / length
    upper_line = np.concatenate([[first], upper, [second]])
    lower_line = np.concatenate([[first], lower, [second]])
    # a lid polyline is ordered by its projection (sorting guards a folded contour)
    upper_line = upper_line[np.argsort((upper_line - first) @ axis, kind="stable")]
    lower_line = lower_line[np.argsort((lower_line - first) @ axis, kind="stable")]
    u1, u2 = (_lid_point(upper_line, first, axis, t * length) for t in (1 / 3, 2 / 3))
    l1, l2 = (_lid_point(lower_line, first, axis, t * length) for t in (1 / 3, 2 / 3))
    marks = np.stack([first, u1, u2, second, l2, l1, np.asarray(iris_centre, np.float64)])
    return marks.astype(np.float32)


def eye_landmarks(mesh: FaceMesh) -> list[np.ndarray]:
    """DeepWarp's (7, 2) landmarks of both eyes, the photo's left eye first."""
    marks = [deepwarp_landmarks(c, i[0]) for c, i in zip(mesh.contours, mesh.irises)]
    return sorted(marks, key=lambda m: float(m[:4, 0].mean()))


def find_eyes(image: np.ndarray, paths: dict | None = None) -> list[np.ndarray]:
    """Landmarks (7, 2) of both eyes of the photo's best-scoring face (uint8 RGB), photo pixels."""
    if paths is None:
        from zoo.models.deepwarp.facemodels import face_model_paths

        paths = face_model_paths()
    return eye_landmarks(face_mesh(np.asarray(image), paths))


# -- reference numbers for ports ---------------------------------------------------------

def trace(image: np.ndarray, paths: dict | None = None) -> dict:
    """Every intermediate value of :func:`face_mesh` and the landmarks, as plain lists: the
    numbers a port (mobile/web) compares itself against on the same photo."""
    if paths is None:
        from zoo.models.deepwarp.facemodels import face_model_paths

        paths = face_model_paths()
    image = np.asarray(image)
    mesh = face_mesh(image, paths)

    def region(r: Region) -> dict:
        return {"centre": [float(v) for v in r.centre], "side": float(r.side),
                "angle": float(r.angle), "flip": bool(r.flip)}

    def rows(a) -> list:
        return np.round(np.asarray(a, np.float64), 4).tolist()

    return {
        "size": [int(image.shape[1]), int(image.shape[0])],  # W, H
        "detection": {"box": rows(mesh.detection.box), "keypoints": rows(mesh.detection.keypoints),
                      "score": round(mesh.detection.score, 6)},
        "face_region": region(mesh.region),
        "presence": round(mesh.presence, 6),
        "mesh": rows(mesh.points),
        "eyes": [{"corners": list(corners), "region": region(r), "contour": rows(c),
                  "iris": rows(i)}
                 for corners, r, c, i in zip(EYE_CORNERS, mesh.eye_regions, mesh.contours,
                                             mesh.irises)],
        "landmarks": [rows(m) for m in eye_landmarks(mesh)],  # the photo's left eye first
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    import sys

    from zoo.errors import ZooError

    parser = argparse.ArgumentParser(
        prog="python -m zoo.models.deepwarp.facemesh",
        description="Find the eyes of a photo with MediaPipe's face models (FACE_PIPELINE.md) and "
                    "print DeepWarp's 7 landmarks per eye; --json writes every intermediate "
                    "value, for checking a port.")
    parser.add_argument("photo")
    parser.add_argument("--json", metavar="OUT.json", help="write the detection, regions, mesh, "
                        "iris outputs and landmarks here")
    args = parser.parse_args(argv)
    from zoo.image import as_rgb, read_image

    try:
        result = trace(as_rgb(read_image(args.photo)))
    except (NoFaceError, ZooError) as err:
        print(f"facemesh: error: {err}", file=sys.stderr)
        return 2
    for side, marks in zip(("photo's left eye", "photo's right eye"), result["landmarks"]):
        print(f"{side}: " + "  ".join(f"({x:.1f}, {y:.1f})" for x, y in marks))
    if args.json:
        from zoo.atomic import write_text

        write_text(args.json, json.dumps(result, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
