"""The procedural eye renderer, DeepWarp's anchor maps and the Columbia Gaze loader."""

import math

import numpy as np
import pytest
from PIL import Image

from zoo.training import eyes
from zoo.training.eyes import (anchor_maps, contact_sheet, eye_geometry, gaze_pair,
                               load_columbia, pair_batches, parse_columbia_name, render_eye,
                               replace, sample_appearance)


def flat(appearance, **changes):
    """An appearance whose pupil is the only dark thing: flat iris, no light, no noise."""
    base = dict(iris=(0.7, 0.7, 0.7), iris_texture=0.0, limbus=0.0, light_strength=0.0,
                highlight=0.0, noise=0.0, openness=1.4, aspect=0.5, nasal=1)
    return replace(appearance, **{**base, **changes})


def pupil_centroid(app, yaw, pitch):
    """Centroid (x, y) of the pupil's coverage of each pixel, measured in the image:
    how far each pixel went from the iris's grey (pupil 0) towards the pupil's 0.03."""
    image = render_eye(app, yaw, pitch)[0].mean(axis=-1)
    iris = render_eye(replace(app, pupil=0.0), yaw, pitch)[0].mean(axis=-1)
    cover = np.clip((iris - image) / np.maximum(iris - 0.03, 1e-6), 0, 1)
    ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    return np.array([(cover * xs).sum(), (cover * ys).sum()]) / cover.sum()


def test_same_seed_same_pairs_and_batches():
    a = gaze_pair(np.random.default_rng(7))
    b = gaze_pair(np.random.default_rng(7))
    c = gaze_pair(np.random.default_rng(8))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert np.abs(a["input"] - c["input"]).max() > 0.1
    first = next(pair_batches(3, batch=2))
    again = eyes.PairBatches(3, batch=2)[0]
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert first["input"].shape == (2, 41, 51, 3) and first["input"].dtype == np.float32
    assert first["landmarks"].shape == (2, 7, 2)


def test_pair_angles_respect_the_range_and_vertical_redirection():
    rng = np.random.default_rng(0)
    for _ in range(40):
        p = gaze_pair(rng, size=(9, 11))
        assert np.all(np.abs(p["angle_in"]) <= 15) and np.all(np.abs(p["angle_out"]) <= 15)
        assert np.all(np.abs(p["redirection"]) <= 15)
        assert p["redirection"][0] == 0  # vertical: the yaw is kept
        np.testing.assert_allclose(p["angle_out"] - p["angle_in"], p["redirection"], atol=1e-5)


def test_pupil_moves_as_the_projection_formula_says():
    rng = np.random.default_rng(1)
    for gaze in [(0, 0), (15, 0), (-12, 8), (5, -15), (-15, -10)]:
        app = flat(sample_appearance(rng))
        marks = render_eye(app, *gaze)[1]
        geo = eye_geometry(app)
        d = math.sqrt(geo.radius**2 - geo.pupil_radius**2)
        yaw, pitch = map(math.radians, gaze)
        expected = np.array([geo.centre[0] + d * math.sin(yaw) * math.cos(pitch),
                             geo.centre[1] - d * math.sin(pitch)])
        np.testing.assert_allclose(pupil_centroid(app, *gaze), expected, atol=0.5)
        np.testing.assert_allclose(marks[6], expected, atol=1e-4)


def test_pupil_shift_between_gazes_matches_r_sin_angle():
    app = flat(sample_appearance(np.random.default_rng(2)))
    geo = eye_geometry(app)
    d = math.sqrt(geo.radius**2 - geo.pupil_radius**2)
    up = pupil_centroid(app, 0, 15)
    down = pupil_centroid(app, 0, -15)
    right = pupil_centroid(app, 15, 0)
    left = pupil_centroid(app, -15, 0)
    shift = 2 * d * math.sin(math.radians(15))  # about 3 px at 41 x 51
    assert shift > 2.5
    np.testing.assert_allclose(down - up, [0, shift], atol=0.3)  # looking down: +y
    np.testing.assert_allclose(right - left, [shift, 0], atol=0.3)


def test_highlight_stays_fixed_in_the_image():
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:41, 0:51]
    for _ in range(5):
        app = replace(sample_appearance(rng), noise=0.0, highlight=0.8)
        dull = replace(app, highlight=0.0)
        centres = []
        for pitch in (-15, 15):
            glint = (render_eye(app, 0, pitch)[0] - render_eye(dull, 0, pitch)[0]).mean(-1)
            centres.append([(glint * xs).sum() / glint.sum(), (glint * ys).sum() / glint.sum()])
            assert glint.max() > 0.3
        np.testing.assert_allclose(centres[0], centres[1], atol=0.05)


def test_zero_redirection_gives_identical_images():
    p = gaze_pair(np.random.default_rng(4), redirection=(0, 0))
    np.testing.assert_array_equal(p["input"], p["target"])
    np.testing.assert_array_equal(p["landmarks"], p["target_landmarks"])
    q = gaze_pair(np.random.default_rng(4), redirection=(0, 10), angle_in=(0, -5))
    assert np.abs(q["input"] - q["target"]).max() > 0.2
    np.testing.assert_allclose(q["angle_out"], [0, 5])


def upper_lid_edge(app, pitch, column):
    """Measured y of the upper-lid margin in one column, from the coverage of the opening."""
    white = replace(app, iris=(1.0, 1.0, 1.0), pupil=0.0, skin=(0.0, 0.0, 0.0), lashes=0.0,
                    sclera=(1.0, 1.0, 1.0), lid_shadow=0.0)
    image = render_eye(white, 0, pitch, size=(82, 102))[0][..., 0]
    geo = eye_geometry(white, (82, 102))
    middle = int(round(geo.centre[1]))
    cover = image[:middle + 1, column] / image[middle, column]
    return float((1 - cover).sum() - 0.5)


def test_upper_lid_lowers_when_looking_down():
    app = flat(sample_appearance(np.random.default_rng(5)), tilt=0.0, openness=1.0,
               aspect=0.35)
    geo = eye_geometry(app, (82, 102))
    column = int(round(geo.centre[0]))
    edges = {p: upper_lid_edge(app, p, column) for p in (-15, 0, 15)}
    assert edges[-15] > edges[0] > edges[15]  # image y grows downwards
    expected = {p: float(eyes.lid_curves(geo, np.array([float(column)]), p)[0][0])
                for p in edges}
    for p in edges:
        assert edges[p] == pytest.approx(expected[p], abs=0.15)
    drop = eyes.UPPER_LID_FOLLOW * geo.radius * 2 * math.sin(math.radians(15))
    assert edges[-15] - edges[15] == pytest.approx(drop, abs=0.3)


def test_landmarks_are_inside_the_image_and_in_contour_order():
    rng = np.random.default_rng(6)
    for _ in range(100):
        app = sample_appearance(rng)
        yaw, pitch = rng.uniform(-15, 15, 2)
        marks = eyes.landmarks_of(app, yaw, pitch)
        assert marks.shape == (7, 2)
        assert np.all(marks >= 0) and np.all(marks[:, 0] <= 50) and np.all(marks[:, 1] <= 40)
        assert marks[0, 0] < marks[1, 0] < marks[2, 0] < marks[3, 0]
        assert marks[1, 1] < marks[5, 1] and marks[2, 1] < marks[4, 1]  # upper above lower
        assert marks[0, 0] < marks[6, 0] < marks[3, 0]


def test_anchor_maps_on_a_tiny_case():
    maps = anchor_maps(np.array([[1.0, 0.5], [0.0, 2.0]]), size=(2, 3))
    assert maps.shape == (2, 3, 4) and maps.dtype == np.float32
    np.testing.assert_allclose(maps[..., 0], [[-1 / 3, 0, 1 / 3]] * 2, atol=1e-7)
    np.testing.assert_allclose(maps[..., 1], [[-0.25] * 3, [0.25] * 3], atol=1e-7)
    np.testing.assert_allclose(maps[..., 2], [[0, 1 / 3, 2 / 3]] * 2, atol=1e-7)
    np.testing.assert_allclose(maps[..., 3], [[-1.0] * 3, [-0.5] * 3], atol=1e-7)
    batch = anchor_maps(np.zeros((5, 7, 2)), size=(41, 51))
    assert batch.shape == (5, 41, 51, 14)


def write_columbia(root, rng):
    """A fake Columbia folder: 2 subjects, tiny JPEGs, plus files to ignore."""
    names = []
    for subject in (1, 2):
        folder = root / f"{subject:04d}"
        folder.mkdir()
        for pose in (0, 15):
            for v in (-10, 0, 10):
                for h in (-5, 0):
                    names.append(folder / f"{subject:04d}_2m_{pose}P_{v}V_{h}H.jpg")
        (folder / "notes.txt").write_text("ignored")
        (folder / f"{subject:04d}_2m_0P_0V.jpg").write_bytes(b"")  # not a full name
    for name in names:
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(name)
    return names


def test_columbia_names_are_parsed_and_paired(tmp_path):
    found = parse_columbia_name("0001/0001_2m_-15P_10V_-5H.jpg")
    assert (found.subject, found.distance, found.head_pose, found.vertical,
            found.horizontal) == (1, 2.0, -15, 10, -5)
    assert parse_columbia_name("0001_2m_-15P_10V.jpg") is None
    write_columbia(tmp_path, np.random.default_rng(0))
    meta = list(load_columbia(tmp_path))
    # 2 subjects x 2 poses x 2 horizontal gazes x 4 ordered vertical pairs within 15 degrees
    assert len(meta) == 32
    for pair in meta:
        a, b = (parse_columbia_name(p) for p in pair["paths"])
        assert (a.subject, a.head_pose, a.horizontal) == (b.subject, b.head_pose, b.horizontal)
        assert a.vertical != b.vertical
        np.testing.assert_array_equal(pair["angle_in"], [a.horizontal, a.vertical])
    assert len(list(load_columbia(tmp_path, max_angle=20))) == 2 * 2 * 2 * 3 * 2
    # any two of 6 gazes, less the 2 x 4 ordered pairs 20 degrees apart vertically
    assert len(list(load_columbia(tmp_path, vertical=False))) == 2 * 2 * (6 * 5 - 8)


def test_columbia_patches_are_cropped_round_the_input_eye(tmp_path):
    write_columbia(tmp_path, np.random.default_rng(1))
    corners = np.array([[20.0, 30.0], [30, 28], [40, 28], [50.0, 30.0], [40, 33], [30, 33]])
    calls = []

    def find_eyes(image):
        calls.append(image.shape)
        return [corners]

    pairs = list(load_columbia(tmp_path, find_eyes=find_eyes))
    assert len(pairs) == 32 and len(calls) == 24  # every image read once
    p = pairs[0]
    assert p["input"].shape == p["target"].shape == (41, 51, 3)
    assert p["input"].dtype == np.float32 and 0 <= p["input"].min() <= p["input"].max() <= 1
    # the corners are 30 px apart, the box 45 px wide: they land at 51/2 -+ 51/3
    np.testing.assert_allclose(p["landmarks"][[0, 3]],
                               [[25.5 - 17 - 0.5, 20.5 - 0.5], [25.5 + 17 - 0.5, 20.5 - 0.5]],
                               atol=1e-4)
    x0, y0, x1, y1 = eyes.eye_box(corners)
    source = np.asarray(Image.open(p["paths"][0]).convert("RGB"), np.float32) / 255
    patch = eyes.crop_eye(np.round(source * 255).astype(np.uint8), (x0, y0, x1, y1))
    np.testing.assert_array_equal(patch, p["input"])


def test_tf_dataset_yields_the_numpy_batches():
    ds = eyes.tf_dataset(seed=5, batch=2, steps=1, size=(9, 11))
    got = next(iter(ds))
    want = next(pair_batches(5, 2, size=(9, 11)))
    for key in want:
        np.testing.assert_array_equal(got[key].numpy(), want[key])


def test_contact_sheet_shape():
    pairs = [gaze_pair(np.random.default_rng(i)) for i in range(2)]
    sheet = contact_sheet(pairs, scale=2)
    assert sheet.dtype == np.uint8 and sheet.shape == (2 * (82 + 2) + 2, 3 * (102 + 2) + 2, 3)
    batch = next(pair_batches(0, 2))
    assert contact_sheet(batch, scale=2).shape == sheet.shape
