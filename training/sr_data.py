"""Super-resolution training data: image folders to aligned (bicubic, target) patches.

VDSR's recipe (Kim et al. 2016, Sec. 4.1): the 291 images (T91 of Yang et al.
plus the 200 BSD training images), luminance only, every image degraded at
each scale of {2, 3, 4} into one multi-scale set (Sec. 3.3), 41x41 patches
(Sec. 4.1: "the receptive field ... 41 by 41 ... training images are split
into 41 by 41 patches"), rotation and flip augmentation. Patches are taken at
stride 41 as in the reference data script (the paper gives no stride).
``downscales`` optionally adds smaller copies of each image before it is
degraded (``(1.0, 0.7, 0.5)`` is what the data script of twtygqyy/pytorch-vdsr
uses; the paper does not mention it): more patches with finer detail per pixel.

The degradation is the one every SR evaluation uses (``zoo.sr.degrade``):
``bicubic = imresize(imresize(y, 1/s), s)`` on ``y`` cropped to a multiple of
``s``, with MATLAB's kernel. It runs once in NumPy (about a minute for the
291 images on one core; ``processes`` shares it out) and is cached on disk;
:func:`patch_dataset` then streams the patches through ``tf.data`` with a
seeded shuffle, random dihedral augmentation (the 8 rotations and flips) and
``prefetch(AUTOTUNE)``.
The images come from data sources (:mod:`zoo.training.sources`): folders, globs, image
lists, or a TFDS split such as ``tfds:div2k/bicubic_x2`` (its images are streamed, not listed).
:class:`PatchStream` is the same stream without TensorFlow, for the JAX
backend on machines that have no TensorFlow.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import queue
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.errors import ImageError, summarize
from zoo.progress import progress as progress_bar
from zoo.image import imresize, luminance, read_image
from zoo.sr import degrade

from . import sources
from .workers import map_in_workers, save_npz_atomically

SCALES = (2, 3, 4)  # Sec. 3.3: one network for scale factors 2, 3 and 4
PATCH_SIZE = 41  # Sec. 4.1
STRIDE = 41  # reference data script; the paper is silent
DOWNSCALES = (1.0,)  # the images as they are; see the module docstring


@dataclass
class PatchBank:
    """Aligned patches in memory: ``inputs`` float32 and ``targets`` uint8, (N, P, P, 1)."""

    inputs: np.ndarray
    targets: np.ndarray
    scales: np.ndarray  # the scale factor each patch was made with

    def __len__(self) -> int:
        return len(self.inputs)


def patch_grid(height: int, width: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Top-left corners of the ``size`` patches at ``stride`` that fit inside the image."""
    return [(i, j) for i in range(0, height - size + 1, stride)
            for j in range(0, width - size + 1, stride)]


Item = Path | sources.Source  # one image file, or a TFDS split (many images)


def image_files(dirs: list[str | os.PathLike], data_dir: str | os.PathLike | None = None
                ) -> list[Item]:
    """The images of data sources (:func:`zoo.training.sources.resolve`): folders, globs and
    image lists give their files; a ``tfds:`` source stays one entry, streamed later.
    ``data_dir``: where TFDS data sets are prepared."""
    items = []
    for source in dirs:
        resolved = sources.resolve(source, data_dir=data_dir)
        items += [resolved] if resolved.tfds else list(resolved.files)
    return items


def count_images(files: list[Item]) -> int:
    """The number of images of :func:`image_files` entries."""
    return sum(len(f) if isinstance(f, sources.Source) else 1 for f in files)


def describe(item: Item) -> str:
    """A deterministic description of an entry for the cache key: a file's path and size,
    a TFDS split's name, split and version."""
    if isinstance(item, sources.Source):
        return item.key()
    return f"{item.resolve()}:{item.stat().st_size}"


def downscaled(y: np.ndarray, factor: float) -> np.ndarray:
    """A uint8 ground-truth image shrunk by ``factor`` with MATLAB's bicubic (1.0: unchanged)."""
    return y if factor == 1.0 else imresize(y, factor)  # uint8 in, rounded uint8 out


def image_patches(path: Path | np.ndarray, scales=SCALES, patch_size: int = PATCH_SIZE,
                  stride: int = STRIDE, downscales=DOWNSCALES) -> tuple[list, list, list]:
    """One image's aligned ``(inputs, targets, scales)`` patches, copy by copy, scale by scale;
    ``path``: an image file, or its uint8 pixels ``(H, W, C)``."""
    inputs, targets, patch_scales = [], [], []
    pixels = path if isinstance(path, np.ndarray) else read_image(path)
    original = luminance(pixels)  # read once, shrunk per copy
    for factor in downscales:
        y = downscaled(original, factor)
        if min(y.shape[:2]) < patch_size:
            continue  # no patch fits (a tiny image, or its shrunk copy): nothing to cut
        for scale in scales:
            target, bicubic = degrade(y, scale)
            for i, j in patch_grid(*target.shape, patch_size, stride):
                inputs.append(bicubic[i:i + patch_size, j:j + patch_size])
                targets.append(target[i:i + patch_size, j:j + patch_size])  # uint8
                patch_scales.append(scale)
    return inputs, targets, patch_scales


def _image_patches(job):
    return image_patches(*job)


def _image_chunks(files: list[Item], chunk: int):
    """Lists of images to hand out: the consecutive files together, a TFDS split's pixels
    (:func:`zoo.training.sources.iter_images`) ``chunk`` at a time, so memory holds only those."""
    paths = []
    for item in files:
        if not isinstance(item, sources.Source):
            paths.append(item)
            continue
        if paths:
            yield paths
            paths = []
        pixels = []
        for image in sources.iter_images(item, rgb=False):
            pixels.append(image)
            if len(pixels) == chunk:
                yield pixels
                pixels = []
        if pixels:
            yield pixels
    if paths:
        yield paths


def make_patch_bank(files: list[Item], scales=SCALES, patch_size: int = PATCH_SIZE,
                    stride: int = STRIDE, progress: bool = True,
                    downscales=DOWNSCALES, processes: int = 1) -> PatchBank:
    """Degrade every image (and its ``downscales`` copies) at every scale; cut aligned patches.

    ``files``: :func:`image_files` entries (image files, TFDS splits). ``processes`` worker
    processes share the images; the bank is the same, in file order, whatever their number.
    """
    settings = (tuple(scales), patch_size, stride, tuple(downscales))
    inputs, targets, patch_scales = [], [], []
    bar = progress_bar(count_images(files), "image", progress)
    for images in _image_chunks(files, chunk=8 * max(1, processes)):
        jobs = [(image, *settings) for image in images]
        for x, y, s in map_in_workers(_image_patches, jobs, processes):
            inputs += x
            targets += y
            patch_scales += s
            if bar:
                bar.add(1)
    if not inputs:
        raise ImageError(f"no {patch_size}x{patch_size} patch fits in any of {count_images(files)}"
                         " images (after cropping to a multiple of every scale); use a smaller "
                         "patch size")
    return PatchBank(
        inputs=np.stack(inputs)[..., None],
        targets=np.stack(targets)[..., None],
        scales=np.asarray(patch_scales, dtype=np.int32))


def cached_patch_bank(files: list[Item], cache_dir: str | os.PathLike, scales=SCALES,
                      patch_size: int = PATCH_SIZE, stride: int = STRIDE,
                      progress: bool = True, downscales=DOWNSCALES,
                      processes: int = 1) -> PatchBank:
    """:func:`make_patch_bank`, saved as ``.npz`` under ``cache_dir`` keyed by the data
    (:func:`describe`: files, TFDS versions) and settings."""
    settings = {"files": [describe(f) for f in files],
                "scales": list(scales), "patch": patch_size, "stride": stride}
    if tuple(downscales) != DOWNSCALES:  # keeps the keys of existing caches
        settings["downscales"] = [float(d) for d in downscales]
    key = json.dumps(settings)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"sr_patches_{digest}.npz"
    if path.is_file():
        cached = _read_bank(path)
        if cached is not None:
            return cached
    bank = make_patch_bank(files, scales, patch_size, stride, progress, downscales, processes)
    save_npz_atomically(path, inputs=bank.inputs, targets=bank.targets, scales=bank.scales)
    return bank


def _read_bank(path: Path) -> PatchBank | None:
    """A cached bank, or None (with a note) where the file is damaged: it is made again."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return PatchBank(data["inputs"], data["targets"], data["scales"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        print(f"note: the patch cache {path} is damaged ({summarize(err, 80)}); making it again",
              flush=True)
        return None


def patch_dataset(bank: PatchBank, batch_size: int, seed: int = 0, augment: bool = True,
                  repeat: bool = True):
    """A ``tf.data.Dataset`` of ``(bicubic, target)`` float32 batches from a bank."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((bank.inputs, bank.targets))
    ds = ds.shuffle(len(bank), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    if augment:
        # One seeded random integer per patch picks one of the 8 dihedral transforms.
        ds = tf.data.Dataset.zip(ds, tf.data.Dataset.random(seed=seed))

        def transform(pair, r):
            k = tf.cast(r % 4, tf.int32)
            flip = (r // 4) % 2 == 1
            return tuple(_tf_dihedral(tf, x, k, flip) for x in pair)

        ds = ds.map(transform, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda x, y: (x, tf.cast(y, tf.float32) / 255.0),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def _tf_dihedral(tf, x, k, flip):
    x = tf.image.rot90(x, k)
    return tf.cond(flip, lambda: tf.reverse(x, [1]), lambda: x)


def _np_dihedral(batch: np.ndarray, code: int) -> np.ndarray:
    """Rotate a batch ``(N, H, W, C)`` by ``code % 4`` quarter turns, then mirror if ``code >= 4``."""
    batch = np.rot90(batch, code % 4, axes=(1, 2))
    return batch[:, :, ::-1] if code >= 4 else batch


class PatchStream:
    """The :func:`patch_dataset` stream without TensorFlow: an endless iterator of batches.

    For the JAX backend on machines that have no TensorFlow. Each pass over the
    bank follows its own seeded permutation, and each batch gets one of the 8
    rotations/flips per patch from a generator seeded by ``(seed, batch
    number)``, so the stream is the same on every run. A background thread
    keeps ``prefetch`` batches ready, so that the accelerator does not wait for
    NumPy between steps (``keras.utils.PyDataset`` would restart its workers at
    every epoch end, and without workers it prepares each batch in the
    training loop's thread).
    """

    def __init__(self, bank: PatchBank, batch_size: int, seed: int = 0, augment: bool = True,
                 prefetch: int = 16):
        if batch_size > len(bank):
            raise ValueError(f"batch of {batch_size} is larger than the {len(bank)} patches")
        self.bank, self.batch_size, self.seed, self.augment = bank, batch_size, seed, augment
        self._queue = queue.Queue(maxsize=max(1, prefetch))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, daemon=True)
        self._thread.start()

    def batch(self, number: int, rows: np.ndarray):
        """Batch ``number`` made of bank ``rows`` (float32 inputs and targets in [0, 1])."""
        x, y = self.bank.inputs[rows], self.bank.targets[rows].astype(np.float32) / 255.0
        if self.augment:  # one of the 8 rotations/flips per patch, applied per group
            codes = np.random.default_rng((self.seed, 1, number)).integers(0, 8, len(rows))
            for code in np.unique(codes):
                pick = codes == code
                x[pick] = _np_dihedral(x[pick], code)
                y[pick] = _np_dihedral(y[pick], code)
        return x, y

    def row_batches(self):
        """Bank rows of batch 0, 1, ...: consecutive seeded permutations, cut into batches."""
        n, size, rows = len(self.bank), self.batch_size, np.empty(0, dtype=np.int64)
        for epoch in itertools.count():
            rows = np.concatenate([rows, np.random.default_rng((self.seed, 0, epoch)).permutation(n)])
            while len(rows) >= size:
                yield rows[:size]
                rows = rows[size:]

    def _produce(self):
        try:
            for number, rows in enumerate(self.row_batches()):
                if not self._put(self.batch(number, rows)):
                    return
        except Exception as error:  # noqa: BLE001 - handed to the consumer
            self._put(error)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        """A generator of the batches (what ``Model.fit`` takes); stops the thread when closed."""
        try:
            while True:
                yield next(self)
        finally:
            self.close()

    def __next__(self):
        item = self._queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    def close(self):
        self._stop.set()

    def __del__(self):
        self.close()
