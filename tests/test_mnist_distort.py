"""Distorted MNIST (Spatial Transformer Networks, Sec. 4.1 / App. A.4): reader, warps, split."""

import gzip

import numpy as np
import pytest

from zoo.errors import ZooError
from zoo.models.stn import distortions as dist
from zoo.training import mnist_distort as md

from conftest import data_dir, run_python

# The MNIST test split's label counts (digits 0-9) and its first ten labels.
T10K_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
T10K_FIRST = [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


@pytest.fixture(scope="module")
def mnist():
    return md.load_mnist_idx(data_dir("mnist"))


@pytest.fixture(scope="module")
def digits(mnist):
    return mnist[0][:200]


def centroid(images):
    """Mass centroids (row, col) and masses of (N, H, W) images."""
    a = np.asarray(images, np.float64)
    r = np.arange(a.shape[1])
    mass = a.sum((1, 2))
    return np.stack([(a.sum(2) * r).sum(1) / mass, (a.sum(1) * r).sum(1) / mass], 1), mass


def turned(d, angle_deg):
    """Offsets (row, col) from the centre, turned counter-clockwise as displayed (rows go down)."""
    t = np.deg2rad(angle_deg)
    return np.stack([np.cos(t) * d[:, 0] - np.sin(t) * d[:, 1],
                     np.sin(t) * d[:, 0] + np.cos(t) * d[:, 1]], 1)


def test_idx_reader_gives_the_10000_test_digits(mnist):
    images, labels = mnist
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.min() == 0 and labels.max() == 9
    assert np.bincount(labels).tolist() == T10K_COUNTS and sum(T10K_COUNTS) == 10000
    assert labels[:10].tolist() == T10K_FIRST
    assert images.mean() / 255 == pytest.approx(0.1325, abs=5e-4)  # the usual test-set mean
    assert images[:, 0, :].max() == 0  # digits sit inside the frame


def test_missing_or_corrupt_file_gives_a_one_line_error(mnist, tmp_path):
    images, labels = mnist[0][:100], mnist[1][:100]
    with pytest.raises(FileNotFoundError, match="images file .* not found") as missing:
        md.load_mnist_idx(tmp_path)
    assert isinstance(missing.value, ZooError)  # the CLI's one line, not a traceback

    def write(name, payload, raw=False):
        path = tmp_path / name
        path.write_bytes(payload if raw else gzip.compress(payload, compresslevel=1))

    header = lambda magic, *shape: b"".join(int(v).to_bytes(4, "big")  # noqa: E731
                                            for v in (magic, *shape))
    write(md.LABELS_FILE, header(0x801, 100) + labels.tobytes())
    write(md.IMAGES_FILE, header(0x803, 100, 28, 28) + images.tobytes())
    np.testing.assert_array_equal(md.load_mnist_idx(tmp_path)[0], images)  # the writer is right
    cases = [
        (header(0x801, 100, 28, 28) + images.tobytes(), False, "magic number 00000801, "
         "expected 00000803"),
        (b"not gzip at all", True, "is corrupt: Not a gzipped file"),
        (gzip.compress(header(0x803, 100, 28, 28) + images.tobytes())[:5000], True,
         "is corrupt"),
        (header(0x803, 100, 28, 28) + images.tobytes()[:-1], False,
         "78399 bytes of data for shape"),
    ]
    for payload, raw, message in cases:
        write(md.IMAGES_FILE, payload, raw)
        with pytest.raises(ValueError, match=message) as err:
            md.load_mnist_idx(tmp_path)
        assert "\n" not in str(err.value) and md.IMAGES_FILE in str(err.value)
        assert isinstance(err.value, ZooError)


def test_a_quarter_turn_is_rot90_and_angles_turn_counter_clockwise(digits):
    x = digits / np.float32(255)
    n = len(x)
    for angle, k in [(90, 1), (-90, -1)]:
        out = dist.apply_distortion(digits, "R", {"angle": np.full(n, float(angle))})
        np.testing.assert_allclose(out, np.rot90(x, k, axes=(1, 2)), atol=1e-6)
    angle = np.full(n, 30.0)  # off the pixel grid: the mass centroid turns with the digit
    out = dist.apply_distortion(digits, "R", {"angle": angle})
    before, mass_in = centroid(x)
    after, mass_out = centroid(out)
    whole = mass_out > 0.99 * mass_in  # no stroke turned out of the 28x28 frame
    assert whole.sum() > 0.9 * n
    expected = 13.5 + turned(before - 13.5, angle)
    assert np.abs(after - expected)[whole].max() < 0.1


def test_identity_parameters_reproduce_the_input_exactly(digits):
    x = digits / np.float32(255)
    for kind in ("R", "P", "E"):
        out = dist.apply_distortion(digits, kind, dist.identity_params(kind, len(x)))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, x)
    out = dist.apply_distortion(digits, "RTS", dist.identity_params("RTS", len(x)))
    assert out.shape == (len(x), 42, 42)
    np.testing.assert_array_equal(out[:, 7:35, 7:35], x)  # centred on the 42x42 canvas
    assert out.sum() == pytest.approx(x.sum(), rel=1e-6)  # nothing else on it


def test_rts_is_42x42_and_the_centroid_moves_by_the_sampled_transform(digits):
    params = dist.sample_params("RTS", len(digits), np.random.default_rng(3))
    assert np.abs(params["angle"]).max() <= 45
    assert params["scale"].min() >= 0.7 and params["scale"].max() <= 1.2
    room = (42 - 28 * params["scale"]) / 2
    assert (np.abs(params["shift"]) <= room[:, None]).all()
    assert np.abs(params["shift"]).max() > 8  # uses the room it has
    out = dist.apply_distortion(digits, "RTS", params)
    assert out.shape == (len(digits), 42, 42) and out.dtype == np.float32
    before, mass_in = centroid(digits / 255.0)
    after, mass_out = centroid(out)
    expected = 20.5 + params["shift"] + params["scale"][:, None] * turned(before - 13.5,
                                                                          params["angle"])
    assert np.abs(after - expected).max() < 0.25  # pixels
    assert np.abs(mass_out / mass_in / params["scale"] ** 2 - 1).max() < 0.08


def test_projective_and_elastic_without_noise_are_the_identity_and_move_with_their_offsets(digits):
    x = digits[:20] / np.float32(255)
    for kind, key in [("P", "corners"), ("E", "offsets")]:
        params = dist.identity_params(kind, len(x))
        np.testing.assert_array_equal(dist.apply_distortion(x, kind, params), x)
        params[key][...] = (2.0, -3.0)  # every corner / control point 2 down, 3 left
        shifted = np.zeros_like(x)
        shifted[:, 2:, :25] = x[:, :26, 3:]
        np.testing.assert_allclose(dist.apply_distortion(x, kind, params), shifted, atol=1e-5)
    # P: only scaling (zero corner noise) shrinks the digit about the centre
    params = {"scale": np.full(len(x), 0.8), "corners": np.zeros((len(x), 4, 2))}
    before, mass_in = centroid(x)
    after, mass_out = centroid(dist.apply_distortion(x, "P", params))
    assert np.abs(after - (13.5 + 0.8 * (before - 13.5))).max() < 0.2  # no antialiasing
    assert np.abs(mass_out / mass_in / 0.64 - 1).max() < 0.05


def test_random_distortions_have_the_papers_ranges_and_reproduce_from_the_seed(digits):
    for kind, size in [("R", 28), ("RTS", 42), ("P", 28), ("E", 28)]:
        a = dist.distort(digits, kind, np.random.default_rng(5))
        b = dist.distort(digits, kind, np.random.default_rng(5))
        c = dist.distort(digits, kind, np.random.default_rng(6))
        assert a.shape == (len(digits), size, size) and a.dtype == np.float32
        assert a.min() >= 0 and a.max() <= 1 and a.max() > 0.9
        np.testing.assert_array_equal(a, b)
        assert np.abs(a - c).mean() > 0.01
    p = dist.sample_params("P", 4000, np.random.default_rng(0))
    assert p["corners"].std() == pytest.approx(5.0, rel=0.03)
    assert 0.75 <= p["scale"].min() and p["scale"].max() <= 1.0
    e = dist.sample_params("E", 4000, np.random.default_rng(0))
    assert e["offsets"].shape == (4000, 16, 2)
    assert e["offsets"].std() == pytest.approx(1.5, rel=0.03)
    r = dist.sample_params("R", 4000, np.random.default_rng(0))["angle"]
    assert -90 <= r.min() < -89 and 89 < r.max() <= 90
    with pytest.raises(ValueError, match="unknown distortion 'T'"):
        dist.distort(digits, "T", np.random.default_rng(0))


def test_split_trains_on_fresh_distortions_and_tests_on_a_fixed_set(mnist):
    images, labels = mnist
    split = md.make_split(images, labels, "R", seed=1)
    assert len(split.train_images) == 8000 and split.test_images.shape == (2000, 28, 28, 1)
    np.testing.assert_array_equal(split.test_labels, labels[8000:])
    np.testing.assert_array_equal(split.train_labels, labels[:8000])
    again = md.make_split(images[:1000], labels[:1000], "R", seed=1, train_count=800)
    first = again.train_epoch(0)
    assert first.shape == (800, 28, 28, 1)
    np.testing.assert_array_equal(first, again.train_epoch(0))
    assert np.abs(first - again.train_epoch(1)).mean() > 0.01  # a new draw each epoch
    other = md.make_split(images[:1000], labels[:1000], "R", seed=2, train_count=800)
    assert np.abs(other.test_images - again.test_images).mean() > 0.01


def test_importing_the_module_loads_neither_tensorflow_nor_keras():
    result = run_python("import sys; import zoo.training.mnist_distort; "
                        "print(sorted(m for m in ('tensorflow', 'keras', 'scipy') "
                        "if m in sys.modules))")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_tf_dataset_and_pydataset_give_the_same_batches(mnist):
    pytest.importorskip("tensorflow")
    images, labels = mnist
    split = md.make_split(images[:300], labels[:300], "RTS", seed=4, train_count=200)
    ds = list(md.tf_dataset(split, batch_size=64, epochs=2).as_numpy_iterator())
    seq = md.DistortedSequence(split, batch_size=64)
    assert len(ds) == 2 * len(seq) == 6
    for epoch in range(2):
        for i in range(len(seq)):
            x, y = seq[i]
            assert x.shape == (64, 42, 42, 1) and x.dtype == np.float32 and y.dtype == np.int32
            np.testing.assert_array_equal(ds[epoch * 3 + i][0], x)
            np.testing.assert_array_equal(ds[epoch * 3 + i][1], y)
        seq.on_epoch_end()
    test = list(md.tf_dataset(split, batch_size=64, train=False).as_numpy_iterator())
    assert [len(b[1]) for b in test] == [64, 36]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in test]), split.test_images)
    test_seq = md.DistortedSequence(split, batch_size=64, train=False)
    assert len(test_seq) == 2 and len(test_seq[1][1]) == 36


def test_too_few_digits_is_a_one_line_error(mnist):
    images, labels = mnist[0][:5000], mnist[1][:5000]
    with pytest.raises(ZooError, match="need more than 8000 digits with one label each, got "
                                       "5000 images"):
        md.make_split(images, labels, "RTS")
