"""Data sources (zoo.training.sources): folders, globs, image lists and TFDS, all offline.

TFDS runs through ``tfds.testing.mock_data``: a data set counts as prepared where its
metadata (``dataset_info.json``) is written in the data folder, as ``tfds build`` leaves it;
the mock then serves random examples of the data set's features instead of reading records.
"""

from __future__ import annotations

import numpy as np
import pytest

from zoo.errors import ImageError
from zoo.image import write_image
from zoo.training import mnist_distort, sources, sr_data
from zoo.training.sources import SourceError

tfds = pytest.importorskip("tensorflow_datasets")

EXAMPLES = 8  # examples of every mocked split


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Three random RGB images of different sizes, and the folder that holds them."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("photos")
    images = {}
    for name, shape in [("a.png", (40, 48)), ("b.png", (36, 30)), ("c.jpg", (20, 24))]:
        images[name] = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        write_image(folder / name, images[name], quality=100)
    (folder / "notes.txt").write_text("not an image")
    return folder, images


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    """A TFDS data folder where mnist (train and test, 8 each), div2k/bicubic_x2, coco/2017
    and cifar10 count as prepared."""
    root = tmp_path_factory.mktemp("tfds")
    for name in ("mnist", "div2k/bicubic_x2", "coco/2017", "cifar10"):
        builder = tfds.builder(name, data_dir=str(root))
        if name == "mnist":  # recorded split sizes: unknown splits are refused up front
            builder.info.set_splits(tfds.core.SplitDict([
                tfds.core.SplitInfo(name=split, shard_lengths=[EXAMPLES], num_bytes=0,
                                    filename_template=None) for split in ("train", "test")]))
        builder.data_path.mkdir(parents=True, exist_ok=True)
        builder.info.write_to_directory(builder.data_path)
    return str(root)


@pytest.fixture
def mocked(tfds_dir):
    with tfds.testing.mock_data(num_examples=EXAMPLES, data_dir=tfds_dir):
        yield tfds_dir


def batches(dataset, n: int = 2) -> list[np.ndarray]:
    return [b.numpy() for b, _ in zip(dataset, range(n))]


def is_window_of(crop: np.ndarray, images) -> bool:
    """Whether ``crop`` (float in [0, 1]) equals a window of one of the uint8 ``images``."""
    for image in images:
        if min(image.shape[:2]) < min(crop.shape[:2]):
            continue
        windows = np.lib.stride_tricks.sliding_window_view(image / 255.0, crop.shape)
        if np.abs(windows - crop).max(axis=(-1, -2, -3)).min() < 1e-6:
            return True
    return False


# ---------------------------------------------------------------- files

def test_folder_glob_file_and_list_file_resolve_to_images(photos, tmp_path):
    folder, _ = photos
    assert [p.name for p in sources.image_files(folder)] == ["a.png", "b.png", "c.jpg"]
    assert [p.name for p in sources.image_files(f"{folder}/*.png")] == ["a.png", "b.png"]
    assert [p.name for p in sources.image_files(f"{folder}/**/*.jpg")] == ["c.jpg"]
    assert [p.name for p in sources.image_files(folder / "b.png")] == ["b.png"]
    listing = tmp_path / "lists" / "train.txt"
    listing.parent.mkdir()
    relative = f"../../{folder.name}/c.jpg"  # from the list's folder
    listing.write_text(f"# training photos\n\n  {relative}\n{folder}/a.png\n")
    resolved = sources.resolve(listing)
    assert [p.name for p in resolved.files] == ["c.jpg", "a.png"]  # in listed order
    assert len(resolved) == 2 and resolved.key() == sources.resolve(str(listing)).key()


@pytest.mark.parametrize("name, message", [
    ("empty", r"empty: no images \(.png, .jpg, .bmp, ...\) in this folder$"),
    ("missing", r"missing: no such folder, file or image list$"),
    ("empty/*.png", r"\*.png: no image files match$"),
    ("notes/*", r"notes/\*: no image files match \(1 matches, none an image file\)$"),
    ("blank.txt", r"blank.txt: the image list names no images$"),
    ("list.txt", r"list.txt: 2 of the 3 listed images are missing: \S*gone.png, \S*gone2.png$"),
])
def test_file_sources_refused_in_one_line(tmp_path, name, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("no image")
    (tmp_path / "blank.txt").write_text("# nothing\n\n")
    write_image(tmp_path / "there.png", np.zeros((4, 4, 3), np.uint8))
    (tmp_path / "list.txt").write_text("there.png\ngone.png\nsub/gone2.png\n")
    with pytest.raises(ImageError if name == "empty" else SourceError, match=message) as info:
        sources.resolve(tmp_path / name if "*" not in name else f"{tmp_path}/{name}")
    assert "\n" not in str(info.value)


def test_iter_images_reads_the_files_as_uint8_rgb(photos):
    folder, images = photos
    read = list(sources.iter_images(f"{folder}/*.png"))
    for got, name in zip(read, ["a.png", "b.png"]):
        assert got.dtype == np.uint8 and got.shape == images[name].shape
        np.testing.assert_array_equal(got, images[name])


def test_crops_come_from_the_images_and_follow_the_seed(photos):
    folder, images = photos
    pngs = [images["a.png"], images["b.png"]]

    def stream(seed):
        return sources.image_dataset(f"{folder}/*.png", crop=16, batch_size=4, seed=seed,
                                     repeat=True)

    first, again, other = batches(stream(1)), batches(stream(1)), batches(stream(2))
    for batch in first:
        assert batch.shape == (4, 16, 16, 3) and batch.dtype == np.float32
        assert 0.0 <= batch.min() and batch.max() <= 1.0
        assert all(is_window_of(crop, pngs) for crop in batch)
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.array_equal(np.stack(first), np.stack(other))


def test_resize_shuffle_and_cache(photos):
    folder, images = photos
    exact = batches(sources.image_dataset(folder, resize=(12, 10), batch_size=3, shuffle=False),
                    1)[0]
    assert exact.shape == (3, 12, 10, 3)
    shorter = [x.numpy() for x in sources.image_dataset(folder, resize=10, shuffle=False)]
    assert [x.shape for x in shorter] == [(10, 12, 3), (12, 10, 3), (10, 12, 3)]
    plain = [x.numpy() for x in sources.image_dataset(folder, shuffle=False)]
    np.testing.assert_allclose(plain[0], images["a.png"] / 255.0, atol=1e-6)
    cached = sources.image_dataset(folder, resize=(8, 8), cache=True, seed=3, repeat=True,
                                   batch_size=3)
    a, b = batches(cached, 2)
    assert a.shape == b.shape == (3, 8, 8, 3)
    np.testing.assert_allclose(np.sort(a.ravel()), np.sort(b.ravel()))  # the same 3 images


# ---------------------------------------------------------------- TFDS

def test_tfds_unknown_and_unprepared_are_one_line(tmp_path):
    cases = [
        ("tfds:mnistt", r"^tfds:mnistt: TensorFlow Datasets .* has no data set 'mnistt'; "
                        r"did you mean mnist"),
        ("tfds:div2k/bicubic_x5", r"div2k has no config 'bicubic_x5' \(configs: bicubic_x2, "),
        ("tfds:Bad Name", r"not a valid TFDS source; write tfds:NAME\[/CONFIG\]\[:SPLIT\]"),
        ("tfds:mnist", rf"^tfds:mnist is not prepared in {tmp_path}: run "
                       rf"`tfds build mnist --data_dir {tmp_path}` \(it downloads the data\)"),
        ("tfds:cityscapes", rf"download its files by hand from https://www.cityscapes-dataset"
                            rf".com/login/, put them in {tmp_path}/downloads/manual, then run "
                            r"`tfds build cityscapes/semantic_segmentation"),
    ]
    for text, message in cases:
        with pytest.raises(SourceError, match=message) as info:
            sources.resolve(text, data_dir=tmp_path)
        assert "\n" not in str(info.value)
    assert not list(tmp_path.iterdir())  # nothing downloaded, nothing written


def test_tfds_split_image_feature_and_key(mocked):
    mnist = sources.resolve("tfds:mnist", data_dir=mocked)
    assert (mnist.tfds.split, mnist.tfds.feature, len(mnist)) == ("train", "image", EXAMPLES)
    assert mnist.key() == "tfds:mnist:train@3.0.1"
    assert sources.resolve("tfds:mnist:test", data_dir=mocked).tfds.split == "test"
    with pytest.raises(SourceError, match=r"mnist has no split 'valid' \(splits: train, test\)$"):
        sources.resolve("tfds:mnist:valid", data_dir=mocked)
    div2k = sources.resolve("tfds:div2k/bicubic_x2", data_dir=mocked).tfds
    assert (div2k.feature, div2k.config) == ("hr", "bicubic_x2")  # the high-resolution image


def test_tfds_labelled_arrays_for_mnist(mocked):
    images, labels = sources.labelled_arrays("tfds:mnist:test", data_dir=mocked)
    assert images.shape == (EXAMPLES, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (EXAMPLES,) and 0 <= labels.min() and labels.max() <= 9
    digits, digit_labels = mnist_distort.load_mnist("tfds:mnist", data_dir=mocked)  # test split
    np.testing.assert_array_equal(digits, images)
    np.testing.assert_array_equal(digit_labels, labels)
    with pytest.raises(SourceError, match="labelled images come from a TFDS source"):
        sources.labelled_arrays("some/folder")


def test_stn_digits_from_an_idx_folder_or_mnist_like_tfds_only(mocked, tmp_path):
    with pytest.raises(mnist_distort.MNISTMissing, match=r"t10k-images-idx3-ubyte.gz not found$"):
        mnist_distort.load_mnist(tmp_path)  # the IDX folder path and its one-line errors
    refused = r"^tfds:cifar10: expected gray 28x28 digits, got images of shape \(32, 32, 3\)$"
    with pytest.raises(mnist_distort.MNISTError, match=refused):
        mnist_distort.load_mnist("tfds:cifar10", data_dir=mocked)
    with pytest.raises(SourceError, match=r"div2k has no 'label' feature \(features: lr, hr\)$"):
        mnist_distort.load_mnist("tfds:div2k/bicubic_x2", data_dir=mocked)


def test_tfds_images_stream_as_float_crops_from_its_images(mocked):
    source = "tfds:div2k/bicubic_x2"
    images = list(sources.iter_images(source, data_dir=mocked))
    assert len(images) == EXAMPLES
    assert all(i.dtype == np.uint8 and i.ndim == 3 and i.shape[2] == 3 for i in images)
    size = min(6, *(min(i.shape[:2]) for i in images))

    def stream(seed):
        return sources.image_dataset(source, crop=size, batch_size=4, seed=seed, repeat=True,
                                     data_dir=mocked)

    first, again, other = batches(stream(0), 3), batches(stream(0), 3), batches(stream(5), 3)
    for batch in first:
        assert batch.shape == (4, size, size, 3) and batch.dtype == np.float32
        assert 0.0 <= batch.min() and batch.max() <= 1.0
        assert all(is_window_of(crop, images) for crop in batch)
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.array_equal(np.stack(first), np.stack(other))


def test_vdsr_patch_bank_from_tfds_and_folder(mocked, photos, tmp_path):
    folder, _ = photos
    files = sr_data.image_files(["tfds:div2k/bicubic_x2", folder], data_dir=mocked)
    assert isinstance(files[0], sources.Source) and len(files) == 4
    assert sr_data.describe(files[0]) == "tfds:div2k/bicubic_x2:train@2.0.0"
    assert sr_data.count_images(files) == 3  # the split's size is not recorded here: 0
    bank = sr_data.cached_patch_bank(files, tmp_path, scales=(2,), patch_size=8, stride=8,
                                     progress=False)
    from_folder = sr_data.make_patch_bank(files[1:], scales=(2,), patch_size=8, stride=8,
                                          progress=False)
    assert len(bank) > len(from_folder)  # the TFDS images gave patches too
    np.testing.assert_array_equal(bank.targets[-len(from_folder):], from_folder.targets)
    again = sr_data.cached_patch_bank(files, tmp_path, scales=(2,), patch_size=8, stride=8,
                                      progress=False)
    assert len(list(tmp_path.glob("sr_patches_*.npz"))) == 1  # the same key: read back
    np.testing.assert_array_equal(again.inputs, bank.inputs)


def test_style_content_from_coco(tfds_dir):
    """``--content tfds:coco/2017``: crops of its ``image`` feature, here a known image (the
    mock cannot make COCO's object lists, so this split serves one synthetic photo)."""
    import tensorflow as tf

    photo = np.random.default_rng(3).integers(0, 256, (24, 30, 3), dtype=np.uint8)

    def coco(self, split, decoders=None, read_config=None, **kwargs):
        image = tf.io.encode_png(photo) if decoders and "image" in decoders else photo
        return tf.data.Dataset.from_tensors({"image": image}).repeat(5)

    with tfds.testing.mock_data(as_dataset_fn=coco, data_dir=tfds_dir):
        photos = sources.content_files("tfds:coco/2017", data_dir=tfds_dir)
        assert isinstance(photos, sources.Source) and photos.tfds.feature == "image"
        first = batches(sources.content_crops(photos, size=16, batch=4, seed=0), 2)
        again = batches(sources.content_crops(photos, size=16, batch=4, seed=0), 2)
    for batch in first:
        assert batch.shape == (4, 16, 16, 3) and batch.dtype == np.float32
        assert all(is_window_of(crop, [photo]) for crop in batch)
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
