"""The VDSR training pipeline: patches are the bicubic degradation of their targets."""

import itertools

import numpy as np
import pytest

from zoo.image import imresize, write_image
from zoo.training import sr_data


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two smooth random 'photos' (uint8 RGB) of different sizes."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("images")
    for name, shape in [("a.png", (90, 101)), ("b.png", (125, 84))]:
        small = rng.random((shape[0] // 6 + 1, shape[1] // 6 + 1, 3))
        image = np.clip(imresize(small, output_shape=shape), 0, 1)
        write_image(path / name, image)
    return path


@pytest.fixture(scope="module")
def bank(folder):
    return sr_data.make_patch_bank(sr_data.image_files([folder]), progress=False)


def dihedral(x, code):
    x = np.rot90(x, code % 4, axes=(0, 1))
    return x[:, ::-1] if code >= 4 else x


def test_each_patch_is_the_bicubic_degradation_of_its_target(folder, bank):
    """Recompute every patch from scratch: crop to the scale, down, up, cut at stride 41."""
    from zoo.image import luminance, read_image

    k = 0
    for path in sr_data.image_files([folder]):
        y = luminance(read_image(path))
        for s in (2, 3, 4):
            h, w = (n - n % s for n in y.shape)
            target = y[:h, :w] / 255.0
            bicubic = imresize(imresize(target, 1 / s), s)
            for i in range(0, h - 40, 41):
                for j in range(0, w - 40, 41):
                    np.testing.assert_allclose(bank.inputs[k, :, :, 0],
                                               bicubic[i:i + 41, j:j + 41], atol=1e-6)
                    np.testing.assert_array_equal(bank.targets[k, :, :, 0],
                                                  y[i:i + 41, j:j + 41])
                    assert bank.scales[k] == s
                    k += 1
    assert k == len(bank)


def test_patches_are_aligned(bank):
    """A one-pixel shift between input and target makes their error clearly larger."""
    x, y = bank.inputs[..., 0], bank.targets[..., 0] / 255.0
    aligned = np.mean((x - y) ** 2)
    shifted = np.mean((x[:, 1:, :] - y[:, :-1, :]) ** 2)
    assert shifted > 1.5 * aligned


def test_dataset_batches_are_augmented_pairs(bank):
    pytest.importorskip("tensorflow")
    ds = sr_data.patch_dataset(bank, batch_size=8, seed=3)
    x, y = next(iter(ds))
    x, y = x.numpy(), y.numpy()
    assert x.shape == y.shape == (8, 41, 41, 1) and x.dtype == y.dtype == np.float32
    codes_seen = set()
    for xi, yi in zip(x, y):
        # find the bank patch and the rotation/flip that gave this pair; both got the same one
        matches = [(n, c) for n in range(len(bank)) for c in range(8)
                   if np.array_equal(dihedral(bank.inputs[n], c), xi)]
        assert matches, "batch input is not a rotated/flipped bank patch"
        n, c = matches[0]
        np.testing.assert_allclose(dihedral(bank.targets[n] / 255.0, c), yi, atol=1e-7)
        codes_seen.add(c)
    assert len(codes_seen) > 1  # augmentation happens
    again = next(iter(sr_data.patch_dataset(bank, batch_size=8, seed=3)))[0].numpy()
    np.testing.assert_array_equal(again, x)  # seeded


def test_numpy_stream_matches_the_same_contract(bank):
    stream = sr_data.PatchStream(bank, batch_size=4, seed=1)
    batches = [next(stream) for _ in range(3 * len(bank) // 4)]  # three passes
    x, y = batches[0]
    assert x.shape == (4, 41, 41, 1) and y.dtype == np.float32
    again = sr_data.PatchStream(bank, batch_size=4, seed=1)
    np.testing.assert_array_equal(next(again)[0], x)  # seeded
    # every pass visits every patch once
    n = len(bank)
    rows = np.concatenate(list(itertools.islice(stream.row_batches(), 3 * n // 4 + 1)))
    for epoch in range(3):
        np.testing.assert_array_equal(np.sort(rows[epoch * n:(epoch + 1) * n]), np.arange(n))
    for xi, yi in zip(x, y):
        hits = [(n, c) for n in range(len(bank)) for c in range(8)
                if np.array_equal(dihedral(bank.inputs[n], c), xi)]
        n, c = hits[0]
        np.testing.assert_allclose(dihedral(bank.targets[n] / 255.0, c), yi)


def test_cache_round_trip(tmp_path, folder, bank):
    files = sr_data.image_files([folder])
    first = sr_data.cached_patch_bank(files, tmp_path, progress=False)
    assert len(list(tmp_path.glob("*.npz"))) == 1
    second = sr_data.cached_patch_bank(files, tmp_path, progress=False)
    np.testing.assert_array_equal(first.inputs, second.inputs)
    np.testing.assert_array_equal(second.targets, bank.targets)


def test_packed_luminance_gives_the_same_patches(tmp_path, folder, bank):
    from zoo.training.pack_luminance import pack

    written = pack([folder], tmp_path)
    packed = sr_data.make_patch_bank(sorted(written), progress=False)
    np.testing.assert_array_equal(packed.targets, bank.targets)
    np.testing.assert_allclose(packed.inputs, bank.inputs, atol=1e-6)


def test_downscaled_copies_are_degraded_like_the_originals(folder, bank):
    """--downscales 1,0.7,0.5: each copy is MATLAB's bicubic shrink of the uint8 Y, rounded,
    then cut exactly like an original; the 1.0 copy gives the default bank's patches first."""
    from zoo.image import luminance, read_image

    files = sr_data.image_files([folder])
    many = sr_data.make_patch_bank(files, progress=False, downscales=(1.0, 0.7, 0.5))
    k = 0
    for path in files:
        y = luminance(read_image(path))
        for factor in (1.0, 0.7, 0.5):
            copy = y if factor == 1.0 else np.clip(
                np.round(imresize(y.astype(np.float64), factor)), 0, 255).astype(np.uint8)
            for s in (2, 3, 4):
                h, w = (n - n % s for n in copy.shape)
                bicubic = imresize(imresize(copy[:h, :w] / 255.0, 1 / s), s)
                for i, j in sr_data.patch_grid(h, w, 41, 41):
                    np.testing.assert_array_equal(many.targets[k, :, :, 0], copy[i:i + 41, j:j + 41])
                    np.testing.assert_allclose(many.inputs[k, :, :, 0],
                                               bicubic[i:i + 41, j:j + 41], atol=1e-6)
                    k += 1
    assert k == len(many) > len(bank)
    # the default bank is the 1.0 copies only
    ones = sr_data.make_patch_bank(files, progress=False, downscales=(1.0,))
    np.testing.assert_array_equal(ones.targets, bank.targets)


def test_cache_key_tells_downscales_apart(tmp_path, folder, bank):
    files = sr_data.image_files([folder])
    plain = sr_data.cached_patch_bank(files, tmp_path, progress=False)
    many = sr_data.cached_patch_bank(files, tmp_path, progress=False, downscales=(1.0, 0.5))
    assert len(list(tmp_path.glob("*.npz"))) == 2
    assert len(plain) == len(bank) < len(many)


def test_worker_processes_give_the_same_bank(folder, bank):
    two = sr_data.make_patch_bank(sr_data.image_files([folder]), progress=False, processes=2)
    np.testing.assert_array_equal(two.inputs, bank.inputs)
    np.testing.assert_array_equal(two.targets, bank.targets)
    np.testing.assert_array_equal(two.scales, bank.scales)


def test_images_too_small_for_a_patch_add_nothing(tmp_path, folder, bank):
    """A 1x1 image (or a copy shrunk below the patch size) gives no patches and no error."""
    import shutil

    for name in ("a.png", "b.png"):
        shutil.copy(folder / name, tmp_path / name)
    write_image(tmp_path / "dot.png", np.full((1, 1, 3), 128, np.uint8))
    write_image(tmp_path / "strip.png", np.full((40, 300, 3), 128, np.uint8))
    with_small = sr_data.make_patch_bank(sr_data.image_files([tmp_path]), progress=False,
                                         downscales=(1.0, 0.5))
    plain = sr_data.make_patch_bank(sr_data.image_files([folder]), progress=False,
                                    downscales=(1.0, 0.5))
    np.testing.assert_array_equal(with_small.targets, plain.targets)
