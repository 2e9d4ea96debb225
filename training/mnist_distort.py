"""Distorted MNIST of Spatial Transformer Networks (Jaderberg et al., NIPS 2015): the data.

The distortions themselves (R, RTS, P, E, the paper's Appendix A.4 and the choices made
where it is silent) are :mod:`zoo.models.stn.distortions`, which the demo and the
benchmark use too; this module reads the digits, splits them and streams them.

Data: only the 10,000-digit MNIST test split is available (see the data
folder's SOURCES.md). :func:`make_split` keeps its first 8,000 digits for
training, distorted afresh every epoch from ``(seed, epoch)``, and its last
2,000 as the test set, distorted once from ``seed``. LeCun's notes say the
first 5,000 test digits are the cleaner ones, so the held-out 2,000 come from
the harder half: report errors as "MNIST t10k, last 2,000, distorted".
:func:`load_mnist` also reads the digits from TensorFlow Datasets (``tfds:mnist``, its
``test`` split by default: the same t10k digits, in file order, where it is prepared).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.errors import ZooError
from zoo.models.stn.distortions import (  # noqa: F401 - KINDS: read here by the STN recipe
    KINDS, check_kind, distort, output_size)

from . import sources

TRAIN_COUNT = 8000  # the first 8,000 of the 10,000 test digits train; the last 2,000 test
IMAGES_FILE = "t10k-images-idx3-ubyte.gz"
LABELS_FILE = "t10k-labels-idx1-ubyte.gz"


# ---------------------------------------------------------------- IDX files

class MNISTError(ZooError, ValueError):
    """An MNIST file that is corrupt or disagrees with the other (one line in the CLI)."""


class MNISTMissing(ZooError, FileNotFoundError):
    """An MNIST file that is not there."""


def _read_idx(path: Path, magic: int, kind: str) -> np.ndarray:
    """The uint8 array of a gzip IDX file, its magic number and size checked."""
    if not path.is_file():
        raise MNISTMissing(f"MNIST {kind} file {path} not found")
    try:
        with gzip.open(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise MNISTError(f"MNIST {kind} file {path} is corrupt: {exc}") from None
    ndim = magic & 0xFF
    if len(data) < 4 + 4 * ndim or int.from_bytes(data[:4], "big") != magic:
        found = data[:4].hex() if len(data) >= 4 else "too short"
        raise MNISTError(f"MNIST {kind} file {path} is corrupt: magic number {found}, "
                         f"expected {magic:08x}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise MNISTError(f"MNIST {kind} file {path} is corrupt: {body.size} bytes of data "
                         f"for shape {shape}")
    return body.reshape(shape)


def load_mnist_idx(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: uint8 (10000, 28, 28) and (10000,) from the gzip t10k IDX files."""
    folder = Path(folder)
    images = _read_idx(folder / IMAGES_FILE, 0x00000803, "images")
    labels = _read_idx(folder / LABELS_FILE, 0x00000801, "labels")
    if images.ndim != 3 or len(images) != len(labels):
        raise MNISTError(f"MNIST files in {folder} disagree: images {images.shape}, "
                         f"labels {labels.shape}")
    if labels.max(initial=0) > 9:
        raise MNISTError(f"MNIST labels file {folder / LABELS_FILE} is corrupt: label "
                         f"{labels.max()} > 9")
    return images, labels


def load_mnist(source: str | os.PathLike, data_dir: str | os.PathLike | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``, uint8 ``(N, 28, 28)`` and ``(N,)``: from a folder of the t10k IDX
    files (:func:`load_mnist_idx`) or a TFDS source ``tfds:NAME[:SPLIT]`` (split ``test`` by
    default), its TFDS ``data_dir`` (:func:`zoo.training.sources.default_data_dir` if None)."""
    if not sources.is_tfds(str(source)):
        return load_mnist_idx(source)
    images, labels = sources.labelled_arrays(str(source), data_dir=data_dir,
                                             default_split="test")
    if images.shape[1:] != (28, 28):
        raise MNISTError(f"{source}: expected gray 28x28 digits, got images of shape "
                         f"{images.shape[1:]}")
    if labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise MNISTError(f"{source}: labels must be digits 0-9, got {labels.min()} to "
                         f"{labels.max()}")
    return images.astype(np.uint8), labels.astype(np.uint8)


# ---------------------------------------------------------------- split and pipelines

@dataclass
class DistortedSplit:
    """The first 8,000 digits (clean, distorted per epoch) and a fixed distorted test set.

    ``train_images`` are the undistorted uint8 digits; :meth:`train_epoch` draws
    that epoch's distortions from ``(seed, epoch)``. ``test_images`` are float32
    (2000, S, S, 1), distorted once from ``seed``.
    """

    kind: str
    seed: int
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray

    def train_epoch(self, epoch: int) -> np.ndarray:
        """The training digits of ``epoch``, float32 (8000, S, S, 1), the same every time."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(1, epoch)))
        return distort(self.train_images, self.kind, rng)[..., None]


def make_split(images: np.ndarray, labels: np.ndarray, kind: str, seed: int = 0,
               train_count: int = TRAIN_COUNT) -> DistortedSplit:
    """Split the 10,000 t10k digits 8,000 / 2,000 (in file order) and distort the test part once."""
    check_kind(kind)
    if len(images) <= train_count or len(images) != len(labels):
        raise MNISTError(f"need more than {train_count} digits with one label each, got "
                         f"{len(images)} images and {len(labels)} labels")
    test_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    return DistortedSplit(
        kind=kind, seed=seed,
        train_images=images[:train_count], train_labels=labels[:train_count].astype(np.int32),
        test_images=distort(images[train_count:], kind, test_rng)[..., None],
        test_labels=labels[train_count:].astype(np.int32))


def tf_dataset(split: DistortedSplit, batch_size: int, train: bool = True, epochs: int = 1,
               first_epoch: int = 0):
    """A ``tf.data.Dataset`` of ``(image, label)`` batches; TensorFlow is imported here only.

    ``train``: ``epochs`` epochs from ``first_epoch`` on, each freshly
    distorted (:meth:`DistortedSplit.train_epoch`) and shuffled from the seed,
    the last partial batch dropped. Otherwise the fixed test set, in order.
    """
    import tensorflow as tf

    size = output_size(split.kind)
    if not train:
        ds = tf.data.Dataset.from_tensor_slices((split.test_images, split.test_labels))
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)

    def epochs_gen():
        for epoch in range(first_epoch, first_epoch + epochs):
            images = split.train_epoch(epoch)
            order = np.random.default_rng([split.seed, epoch]).permutation(len(images))
            for start in range(0, len(order) - batch_size + 1, batch_size):
                rows = order[start:start + batch_size]
                yield images[rows], split.train_labels[rows]

    spec = (tf.TensorSpec((batch_size, size, size, 1), tf.float32),
            tf.TensorSpec((batch_size,), tf.int32))
    return tf.data.Dataset.from_generator(epochs_gen, output_signature=spec).prefetch(
        tf.data.AUTOTUNE)


def _sequence_class():
    """:class:`DistortedSequence`, built on first use: importing this module loads no Keras."""
    from keras.utils import PyDataset

    class DistortedSequence(PyDataset):
        """The :func:`tf_dataset` stream as a ``keras.utils.PyDataset`` (no TensorFlow needed).

        One epoch per pass, the same batches as :func:`tf_dataset` for the same
        epoch; ``on_epoch_end`` moves to the next epoch's distortions.
        """

        def __init__(self, split: DistortedSplit, batch_size: int, train: bool = True,
                     first_epoch: int = 0, **kwargs):
            super().__init__(**kwargs)
            self.split, self.batch_size, self.train = split, batch_size, train
            self.epoch = first_epoch
            self._load()

        def _load(self):
            if self.train:
                self.images = self.split.train_epoch(self.epoch)
                self.labels = self.split.train_labels
                self.order = np.random.default_rng([self.split.seed, self.epoch]).permutation(
                    len(self.images))
            else:
                self.images, self.labels = self.split.test_images, self.split.test_labels
                self.order = np.arange(len(self.images))

        def __len__(self) -> int:
            n = len(self.order)
            return n // self.batch_size if self.train else -(-n // self.batch_size)

        def __getitem__(self, index: int):
            rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
            return self.images[rows], self.labels[rows]

        def on_epoch_end(self):
            if self.train:
                self.epoch += 1
                self._load()

    return DistortedSequence


def __getattr__(name: str):
    if name == "DistortedSequence":
        cls = _sequence_class()
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
