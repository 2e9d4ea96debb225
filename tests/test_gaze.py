"""Gaze correction in photos (zoo.models.deepwarp.gaze), the landmark-input phone model and its export."""

import numpy as np
import pytest

from zoo.training import eyes

H, W = eyes.PATCH_SIZE


def astronaut() -> np.ndarray:
    from importlib import resources

    from PIL import Image

    path = resources.files("zoo.demo") / "images" / "astronaut.png"
    with Image.open(str(path)) as im:
        return np.asarray(im.convert("RGB"))


def perturbed_deepwarp(rng):
    from test_deepwarp import perturb

    from zoo.models.deepwarp import build

    model = build()
    perturb(model, rng, scale=0.1)
    return model


def test_anchor_maps_layer_matches_numpy(rng):
    from zoo.models.deepwarp import AnchorMaps

    marks = rng.uniform(-5, 55, (3, 7, 2)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(AnchorMaps(H, W)(marks)), eyes.anchor_maps(marks),
                               atol=1e-6)


def test_landmark_model_equals_the_anchor_map_model(rng):
    from zoo.models.deepwarp import landmark_model

    model = perturbed_deepwarp(rng)
    image = rng.random((2, H, W, 3), dtype=np.float32)
    marks = rng.uniform(5, 40, (2, 7, 2)).astype(np.float32)
    angle = np.float32([[10.0], [-7.0]])
    expected = np.asarray(model([image, eyes.anchor_maps(marks), angle]))
    got = np.asarray(landmark_model(model)([image, marks, angle]))
    assert np.abs(expected - image).max() > 0.05
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_export_deepwarp_takes_patch_landmarks_angle(rng, tmp_path):
    """Float32 export of the phone model: three named inputs, builtin ops, equal to Keras."""
    from zoo.export import LiteModel
    from zoo.export.family import export_model

    model = perturbed_deepwarp(rng)
    report = export_model("deepwarp", model, "float32", tmp_path / "dw.tflite")
    assert report["max_abs"] < 1e-4, report
    lite = LiteModel(tmp_path / "dw.tflite")
    assert lite.input_names == ["image", "landmarks", "angle"]
    image = rng.random((2, H, W, 3), dtype=np.float32)
    marks = rng.uniform(5, 40, (2, 7, 2)).astype(np.float32)
    angle = np.float32([[12.0], [12.0]])
    expected = np.asarray(model([image, eyes.anchor_maps(marks), angle]))
    by_name = lite({"angle": angle, "image": image, "landmarks": marks})
    np.testing.assert_allclose(by_name, expected, atol=1e-4)


def test_landmarks_from_box_find_a_rendered_pupil():
    """On rendered eyes with a box sized like a Haar eye box, the pupil estimate lands in the
    iris: median error under 5% of the eye width, every one under 15% (a dark brown iris
    hides its pupil)."""
    from zoo.models.deepwarp.gaze import CORNER_SPAN, landmarks_from_box

    size = (123, 153)
    errors = []
    for seed in range(6):
        appearance = eyes.sample_appearance(np.random.default_rng(seed))
        image, marks = eyes.render_eye(appearance, 0.0, 0.0, size=size)
        gray = (255 * image.mean(-1)).astype(np.uint8)
        width = np.hypot(*(marks[3] - marks[0])) / CORNER_SPAN
        cx, cy = (marks[0] + marks[3]) / 2
        box = (int(round(cx - width / 2)), int(round(cy - width / 2)), int(width), int(width))
        found = landmarks_from_box(gray, box)
        eye_width = np.hypot(*(marks[3] - marks[0]))
        errors.append(np.hypot(*(found[6] - marks[6])) / eye_width)
        assert abs(np.hypot(*(found[3] - found[0])) - np.hypot(*(marks[3] - marks[0]))) < 2
    assert np.median(errors) < 0.05 and max(errors) < 0.15, errors


def test_blend_eye_warps_inside_the_box_only():
    """Zero flow changes nothing; a constant flow shifts the middle of the box exactly
    (a linear ramp is reproduced by bilinear sampling); outside the box nothing moves."""
    from zoo.models.deepwarp.gaze import blend_eye

    ys, xs = np.mgrid[0:60, 0:80].astype(np.float64)
    photo = np.stack([xs / 80, ys / 60, 0.5 + 0 * xs], -1)
    box = (10.0, 10.0, 10.0 + 2 * W, 10.0 + 2 * H)  # 2 photo pixels per patch pixel
    zero = np.zeros((H, W, 2))
    np.testing.assert_array_equal(blend_eye(photo, box, zero, np.zeros((H, W, 3))), photo)

    flow = np.zeros((H, W, 2))
    flow[..., 0] = 1.0  # read one patch pixel (two photo pixels) to the right
    out = blend_eye(photo, (10.0, 5.0, 10.0 + 2 * W, 5.0 + 2 * H), flow, np.zeros((H, W, 3)))
    middle = (slice(5 + H - 5, 5 + H + 5), slice(10 + W - 5, 10 + W + 5))
    np.testing.assert_allclose(out[middle][..., 0], photo[middle][..., 0] + 2 / 80, atol=1e-12)
    outside = np.ones(photo.shape[:2], bool)
    outside[5:5 + 2 * H, 10:10 + 2 * W] = False
    np.testing.assert_array_equal(out[outside], photo[outside])
    # at the box border the fade brings the flow to (nearly) zero: no seam
    assert np.abs(out[5:5 + 2 * H, 10] - photo[5:5 + 2 * H, 10]).max() < 2e-3


def test_eyes_found_in_the_bundled_photo():
    from zoo.models.deepwarp.gaze import detect_eye_boxes, find_eyes

    image = astronaut()
    boxes = detect_eye_boxes(image)
    assert len(boxes) == 2 and boxes[0][0] < boxes[1][0]
    # the two eyes of the astronaut (256x256 crop): on one row, 40-60 px apart
    (x0, y0, w0, h0), (x1, y1, w1, h1) = boxes
    assert abs((y0 + h0 / 2) - (y1 + h1 / 2)) < 10 and 40 < (x1 + w1 / 2) - (x0 + w0 / 2) < 60
    for marks, (x, y, w, h) in zip(find_eyes(image, "haar"), boxes):
        assert x <= marks[6, 0] <= x + w and y <= marks[6, 1] <= y + h
        assert marks[0, 0] < marks[6, 0] < marks[3, 0]


def test_no_face_is_a_clear_error():
    """The Haar finder (the MediaPipe one: tests/test_face_landmarks.py)."""
    from zoo.models.deepwarp.gaze import EyeNotFoundError, find_eyes

    with pytest.raises(EyeNotFoundError, match="no face found"):
        find_eyes(np.full((200, 200, 3), 128, np.uint8), "haar")
    with pytest.raises(ValueError, match="unknown eye finder"):
        find_eyes(np.full((200, 200, 3), 128, np.uint8), "dlib")


def test_redirect_gaze_identity_model_leaves_the_photo_alone(rng):
    """A fresh DeepWarp is the identity (zero flow, gate 0): the photo comes back unchanged;
    a perturbed one changes pixels inside the eye boxes only. (Haar finder, which needs no
    download; the MediaPipe finder's run is in tests/test_face_landmarks.py.)"""
    from zoo.models.deepwarp.gaze import redirect_gaze
    from zoo.models.deepwarp import build

    image = astronaut()
    fresh = redirect_gaze(build(), image, 10.0, finder="haar")
    np.testing.assert_array_equal(fresh.image, image)

    result = redirect_gaze(perturbed_deepwarp(rng), image, 10.0,
                           landmarks=[e.landmarks for e in fresh.eyes])
    changed = np.any(result.image != image, axis=-1)
    assert changed.sum() > 50
    inside = np.zeros_like(changed)
    for e in fresh.eyes:
        x0, y0, x1, y1 = e.box
        inside[int(np.floor(y0)):int(np.ceil(y1)), int(np.floor(x0)):int(np.ceil(x1))] = True
    assert not np.any(changed & ~inside)


def test_zoo_gaze_command(tmp_path, rng):
    from conftest import run_zoo
    from PIL import Image

    weights = tmp_path / "dw.weights.h5"
    perturbed_deepwarp(rng).save_weights(weights)
    out = tmp_path / "out.png"
    src = tmp_path / "face.png"
    Image.fromarray(astronaut()).save(src)
    result = run_zoo("gaze", str(src), str(out), "--angle", "12", "--weights", str(weights),
                     "--eyes", str(tmp_path / "eyes.png"), "--finder", "haar")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 eyes redirected by +12.0 degrees" in result.stdout
    with Image.open(out) as im:
        assert im.size == (256, 256)
    with Image.open(tmp_path / "eyes.png") as im:
        assert im.size == (3 * W, 2 * H)

    blank = tmp_path / "blank.png"
    Image.new("RGB", (120, 120), (90, 90, 90)).save(blank)
    result = run_zoo("gaze", str(blank), str(tmp_path / "x.png"), "--weights", str(weights),
                     "--finder", "haar")
    assert result.returncode == 2 and "no face found" in result.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("preset", ["deepwarp", "deepwarp_rendered_fast_cpu"])
def test_shipped_deepwarp_beats_no_warp_on_held_out_pairs(preset):
    """The presets (trained on rendered eyes) load by name and remove most of the no-warp error."""
    import zoo
    from zoo.training.deepwarp import evaluate, render_pairs

    pairs = render_pairs(16, seed=4_242_421)
    scores = evaluate(zoo.load(preset), pairs=pairs)
    assert scores["model"] < 0.25 * scores["no_warp"], scores
