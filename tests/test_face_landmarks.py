"""The MediaPipe eye finder of `zoo gaze` (zoo.models.deepwarp.facemesh, .facemodels).

The arithmetic (anchors, box decoding, NMS, region sampling, the 7-landmark mapping) is
checked against hand-computed values without any model. The photo tests need the shared
data folder (../shared/data, or $ZOO_DATA) and MediaPipe's face models (fetched once from
the mediapipe 0.10.21 wheel into the zoo's cache); they skip, saying which, without them.
"""

from __future__ import annotations

import concurrent.futures
import math
import zipfile

import numpy as np
import pytest

from conftest import data_dir, run_python, run_zoo
from zoo.models.deepwarp import facemesh as fm

SIZES = (640, 1280, 2600)  # long side, px; the Haar finder found no face at any of them


# -- arithmetic, no model ----------------------------------------------------------------

def test_ssd_anchors_of_the_short_range_detector():
    anchors = fm.ssd_anchors()
    assert anchors.shape == (fm.NUM_ANCHORS, 2) == (896, 2)
    # stride 8: a 16 x 16 grid, 2 anchors per cell; strides 16, 16, 16: 8 x 8, 6 per cell
    np.testing.assert_array_equal(anchors[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_array_equal(anchors[1], anchors[0])
    np.testing.assert_array_equal(anchors[2], [1.5 / 16, 0.5 / 16])
    np.testing.assert_array_equal(anchors[32], [0.5 / 16, 1.5 / 16])  # next row
    np.testing.assert_array_equal(anchors[511], [15.5 / 16, 15.5 / 16])
    np.testing.assert_array_equal(anchors[512:518], np.tile([0.5 / 8, 0.5 / 8], (6, 1)))
    np.testing.assert_array_equal(anchors[-1], [7.5 / 8, 7.5 / 8])


def test_decode_boxes_by_hand():
    anchors = np.array([[0.25, 0.5]])
    raw = np.zeros((1, 16))
    raw[0, :8] = [12.8, -6.4, 32.0, 64.0, 0.0, 0.0, 12.8, 12.8]
    boxes, keypoints = fm.decode_boxes(raw, anchors)
    # centre = (0.25 + 12.8/128, 0.5 - 6.4/128) = (0.35, 0.45); size = (32, 64) / 128
    np.testing.assert_allclose(boxes, [[0.225, 0.2, 0.475, 0.7]], atol=1e-12)
    np.testing.assert_allclose(keypoints[0, :2], [[0.25, 0.5], [0.35, 0.6]], atol=1e-12)
    np.testing.assert_allclose(keypoints[0, 2:], np.tile([0.25, 0.5], (4, 1)), atol=1e-12)
    assert fm.sigmoid(0.0) == 0.5


def test_weighted_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60]], np.float64)
    keypoints = np.zeros((3, 6, 2))
    keypoints[:, 0] = [[2, 2], [4, 2], [55, 55]]
    scores = np.array([0.6, 0.9, 0.7])
    found = fm.weighted_nms(boxes, keypoints, scores)
    assert [d.score for d in found] == [0.9, 0.7]
    # IoU of the first two: 90 / 110 > 0.3, merged with weights 0.9 and 0.6
    np.testing.assert_allclose(found[0].box, [0.6, 0, 10.6, 10])
    np.testing.assert_allclose(found[0].keypoints[0], [3.2, 2])
    np.testing.assert_allclose(found[1].box, boxes[2])


def test_region_sampling_reads_a_ramp_exactly():
    """A linear ramp is read exactly: tensor pixel (i, j) is the photo at P(j / n, i / n),
    pixel (i, j) centred at (j, i) (MediaPipe's ImageToTensor); flip and angle turn the
    axes as the docstring says; the zero border reads 0 outside, replicate the edge."""
    ramp = np.tile(np.arange(256, dtype=np.uint8)[None, :, None], (256, 1, 3))
    n = 16
    centre = (100.0, 120.0)
    for side in (16, 40, 37.5):
        out = fm.sample_region(ramp, fm.Region(centre, side), n)[..., 0]
        expect = centre[0] + side * (np.arange(n) / n - 0.5)
        np.testing.assert_allclose(out, np.tile(expect, (n, 1)), atol=1e-9)
    out = fm.sample_region(ramp, fm.Region(centre, n), n)[..., 0]
    flipped = fm.sample_region(ramp, fm.Region(centre, n, flip=True), n)[..., 0]
    np.testing.assert_allclose(flipped, 2 * centre[0] - out, atol=1e-9)  # u -> 1 - u
    turned = fm.sample_region(ramp, fm.Region(centre, n, math.pi / 2), n)[..., 0]
    # ex = (0, 1), ey = (-1, 0): the photo's x falls down the tensor's rows
    np.testing.assert_allclose(turned, np.tile((2 * centre[0] - out[0])[:, None], (1, n)),
                               atol=1e-9)
    outside = fm.sample_region(ramp, fm.Region((-50.0, 128.0), 20), n, border="zero")
    assert np.all(outside == 0)
    edge = fm.sample_region(ramp, fm.Region((-50.0, 128.0), 20), n)
    assert np.all(edge == 0) and np.all(fm.sample_region(
        ramp, fm.Region((300.0, 128.0), 20), n) == 255)


def test_deepwarp_landmarks_from_a_lid_contour():
    """Corners, the lids at 1/3 and 2/3 of the corner distance, the iris centre: on an
    elliptic contour in face-mesh order; the mirrored eye (corners swapped) gives the same."""
    t = np.linspace(0, 1, 9)[1:-1]  # the 7 points between the corners
    x = 10 + 30 * t
    lower = np.stack([x, 20 + 6 * np.sin(np.pi * t)], 1)
    upper = np.stack([x, 20 - 8 * np.sin(np.pi * t)], 1)
    contour = np.concatenate([[[10, 20]], lower, [[40, 20]], upper])
    marks = fm.deepwarp_landmarks(contour, [25.0, 18.0])
    lid = lambda xq, amp: 20 + amp * np.interp(xq, x, np.sin(np.pi * t))  # noqa: E731
    expect = [[10, 20], [20, lid(20, -8)], [30, lid(30, -8)], [40, 20], [30, lid(30, 6)],
              [20, lid(20, 6)], [25, 18]]
    np.testing.assert_allclose(marks, expect, atol=1e-5)
    mirrored = np.concatenate([[[40, 20]], lower[::-1], [[10, 20]], upper[::-1]])
    np.testing.assert_allclose(fm.deepwarp_landmarks(mirrored, [25.0, 18.0]), expect, atol=1e-5)


# -- the face models ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def face_models():
    from zoo.models.deepwarp.facemodels import FaceModelsError, face_model_paths

    try:
        return face_model_paths()
    except FaceModelsError as err:
        pytest.skip(f"MediaPipe's face models are unavailable: {err}")


def test_facemodels_module_copies_files_and_credits(face_models, tmp_path):
    out = tmp_path / "models"
    done = run_python(f"import sys; from zoo.models.deepwarp.facemodels import main; "
                      f"sys.exit(main(['--out', {str(out)!r}]))")
    assert done.returncode == 0, done.stderr[-2000:]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["CREDITS.md", "LICENSE", "face_detection_short_range.tflite",
                     "face_landmark.tflite", "iris_landmark.tflite"]
    credits = (out / "CREDITS.md").read_text()
    assert "Apache License, Version 2.0" in credits and "mediapipe==0.10.21" in credits
    assert "mediapipe/modules/iris_landmark/iris_landmark.tflite" in credits


def test_facemodels_offline_and_foreign_wheels_fail_in_one_line(tmp_path):
    from zoo.models.deepwarp import facemodels

    env = {"KERAS_HOME": str(tmp_path / "empty")}
    done = run_python("import sys; from zoo.models.deepwarp.facemodels import main; "
                      "sys.exit(main(['--offline']))", env=env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "not cached" in done.stderr, done.stderr
    fake = tmp_path / facemodels.WHEEL
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr("x", "y")
    done = run_python(f"import sys; from zoo.models.deepwarp.facemodels import main; "
                      f"sys.exit(main(['--wheel', {str(fake)!r}]))", env=env)
    assert done.returncode == 2 and "sha256 differs" in done.stderr, done.stderr


# MediaPipe 0.10.21 itself on the bundled astronaut (zoo/demo/images/astronaut.png), run in a
# separate virtual environment (mediapipe pins numpy<2): FaceDetection(model_selection=0) and
# FaceMesh(static_image_mode=True, refine_landmarks=False), normalised outputs times 256.
MP_BOX = (56.262, 57.287, 154.669, 155.683)
MP_KEYPOINTS = [(84.031, 81.848), (125.691, 85.490), (102.726, 108.053), (101.353, 128.375),
                (61.531, 89.283), (148.258, 96.289)]
MP_MESH = {1: (103.645, 110.968), 10: (106.848, 51.714), 33: (74.797, 80.941),
           61: (81.382, 119.148), 133: (93.903, 83.838), 145: (84.523, 84.416),
           152: (101.506, 155.741), 159: (82.853, 77.465), 263: (136.431, 83.913),
           291: (126.024, 122.050), 362: (116.826, 84.857), 374: (126.289, 86.405),
           386: (128.704, 79.571)}


def test_detection_and_face_mesh_match_mediapipe(face_models):
    """Steps 1-3 reproduce MediaPipe's own numbers (0.009 px median over all 468 points
    when measured; these 13 points and the detection within 0.05 px)."""
    from test_gaze import astronaut

    mesh = fm.face_mesh(astronaut(), face_models)
    np.testing.assert_allclose(mesh.detection.box, MP_BOX, atol=0.05)
    np.testing.assert_allclose(mesh.detection.keypoints, MP_KEYPOINTS, atol=0.05)
    idx = sorted(MP_MESH)
    np.testing.assert_allclose(mesh.points[idx, :2], [MP_MESH[i] for i in idx], atol=0.05)


def test_trace_for_ports_holds_every_step(face_models, tmp_path, capsys):
    import json

    from PIL import Image

    from test_gaze import astronaut

    src = tmp_path / "face.png"
    Image.fromarray(astronaut()).save(src)
    assert fm.main([str(src), "--json", str(tmp_path / "trace.json")]) == 0
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert trace["size"] == [256, 256] and len(trace["mesh"]) == 468
    assert [e["region"]["flip"] for e in trace["eyes"]] == [False, True]
    assert [len(e["contour"]) for e in trace["eyes"]] == [71, 71]
    np.testing.assert_allclose(trace["landmarks"], fm.find_eyes(astronaut(), face_models),
                               atol=1e-4)
    assert "photo's left eye: (" in capsys.readouterr().out
    assert fm.main([str(tmp_path / "missing.png")]) == 2


def _photo(name: str, long_side: int | None = None) -> np.ndarray:
    from PIL import Image

    with Image.open(data_dir("eyes", *name.split("/"))) as im:
        im = im.convert("RGB")
        if long_side:
            scale = long_side / max(im.size)
            im = im.resize((round(im.width * scale), round(im.height * scale)),
                           Image.Resampling.LANCZOS)
        return np.asarray(im)


def _check_eyes(marks: list[np.ndarray]) -> None:
    """Two eyes, the photo's left first; each pupil between its corners and lids."""
    assert len(marks) == 2 and marks[0][:4, 0].mean() < marks[1][:4, 0].mean()
    for m in marks:
        x0, x1 = m[0, 0], m[3, 0]
        width = x1 - x0
        assert width > 0
        assert x0 + 0.15 * width < m[6, 0] < x1 - 0.15 * width, m
        assert min(m[1, 1], m[2, 1]) - 0.1 * width < m[6, 1] < max(m[4, 1], m[5, 1]) + 0.1 * width
        assert min(m[4, 1], m[5, 1]) > max(m[1, 1], m[2, 1]), "lower lid below the upper lid"


def test_eyes_of_a_face_with_glasses_at_every_size(face_models):
    """interpGaze photos (frontal, glasses), on which the Haar finder found no face from 640
    to 2600 px: both eyes at every size, and the same points (scaled) within 1.5 px of the
    640 px photo; the next photo of the series (Haar: "no eyes") too."""
    from zoo.models.deepwarp.gaze import find_eyes

    found = {}
    for size in SIZES:
        image = _photo("interpgaze/_MG_0569.jpg", size)
        marks = find_eyes(image)
        _check_eyes(marks)
        found[size] = [(m + 0.5) * 640 / image.shape[1] - 0.5 for m in marks]
    for size in SIZES[1:]:
        for a, b in zip(found[640], found[size]):
            assert np.abs(a - b).max() < 1.5, (size, a - b)
    _check_eyes(find_eyes(_photo("interpgaze/_MG_0570.jpg", 1280)))


def test_eyes_without_glasses_in_a_wide_room_shot(face_models):
    """RT-GENE: a face about 120 px wide in a 1920 x 1080 lab frame, found by the tile search."""
    from zoo.models.deepwarp.gaze import find_eyes

    marks = find_eyes(_photo("rt_gene/gaze_center.jpg"))
    _check_eyes(marks)
    assert 25 < np.hypot(*(marks[1][6] - marks[0][6])) < 50  # interpupillary distance, px


def test_no_face_is_a_clear_error(face_models):
    from zoo.models.deepwarp.gaze import EyeNotFoundError, find_eyes

    with pytest.raises(EyeNotFoundError, match="no face found"):
        find_eyes(np.full((200, 300, 3), 128, np.uint8))


def _changed_outside_boxes(before: np.ndarray, after: np.ndarray, marks) -> tuple[int, int]:
    from zoo.models.deepwarp import eyes

    changed = np.any(before != after, axis=-1)
    inside = np.zeros_like(changed)
    for m in marks:
        x0, y0, x1, y1 = eyes.eye_box(m)
        inside[int(np.floor(y0)):int(np.ceil(y1)), int(np.floor(x0)):int(np.ceil(x1))] = True
    return int(changed.sum()), int((changed & ~inside).sum())


def test_zoo_gaze_moves_the_pupils_the_way_asked(face_models, tmp_path):
    """`zoo gaze` with the default finder and weights, +15 and -15 degrees on the 640 px
    glasses photo, and +15 on the room shot: only the eye boxes change, and the iris model
    run on the outputs puts each pupil higher (up) or lower (down) than in the input. (Each
    run costs a TensorFlow start; the finder's 1280 and 2600 px runs are the test above.)"""
    from PIL import Image

    from zoo.models.deepwarp.gaze import find_eyes
    from zoo.image import read_image

    glasses = tmp_path / "glasses.png"
    Image.fromarray(_photo("interpgaze/_MG_0569.jpg", 640)).save(glasses)
    room = data_dir("eyes", "rt_gene", "gaze_center.jpg")
    jobs = {"up": (glasses, "15"), "down": (glasses, "-15"), "room": (room, "15")}
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        runs = {name: pool.submit(run_zoo, "gaze", str(src), str(tmp_path / f"{name}.png"),
                                  "--angle", angle)
                for name, (src, angle) in jobs.items()}
        results = {name: run.result() for name, run in runs.items()}
    for name, done in results.items():
        assert done.returncode == 0, (name, done.stderr[-2000:])
        assert "2 eyes redirected" in done.stdout
    pupils = {}
    for name, (src, _) in jobs.items():
        before = read_image(src)[..., :3]
        after = read_image(tmp_path / f"{name}.png")
        marks = find_eyes(before)
        changed, outside = _changed_outside_boxes(before, after, marks)
        assert changed > 100 and outside == 0, (name, changed, outside)
        pupils[name] = np.array([m[6, 1] for m in find_eyes(after)])
        pupils[f"{name}_input"] = np.array([m[6, 1] for m in marks])
    # y grows downwards; measured about 2 px up and 2 px down at 640 px, 1 px in the room shot
    assert np.all(pupils["up"] < pupils["up_input"] - 0.5), pupils
    assert np.all(pupils["down"] > pupils["down_input"] + 0.5), pupils
    assert np.all(pupils["room"] < pupils["room_input"] - 0.3), pupils


def test_zoo_gaze_without_face_models_fails_in_one_line(tmp_path):
    """No cached models and no package index: one line naming the fix and --finder haar
    (no silent fallback to the weaker finder), before any model loads; no output file."""
    from PIL import Image

    from test_gaze import astronaut

    src = tmp_path / "face.png"
    Image.fromarray(astronaut()).save(src)
    offline = {"KERAS_HOME": str(tmp_path / "keras"), "PIP_CONFIG_FILE": "/dev/null",
               "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "",
               "PIP_NO_INDEX": "", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}
    done = run_zoo("gaze", str(src), str(tmp_path / "out.png"), env=offline, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("zoo: error:")]
    assert len(errors) == 1 and "cannot download the mediapipe==0.10.21 wheel" in errors[0]
    assert "--finder haar" in errors[0]
    assert not (tmp_path / "out.png").exists()
