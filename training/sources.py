"""Data sources: one string names the data, one resolver turns it into images.

A source is one of

* a folder: its images (``.png``, ``.jpg``, ``.bmp``, ``.tif``, ``.webp``, ``.gif``), sorted;
* a glob, ``photos/*.jpg`` (``**`` recurses): the image files it matches, sorted;
* an image file: that one image;
* a text file listing images, one path a line, relative to the list's folder
  (blank lines and ``#`` comments skipped);
* ``tfds:NAME[/CONFIG][:SPLIT]``, a TensorFlow Datasets data set (``tfds:div2k/bicubic_x2``,
  ``tfds:mnist:test``, ``tfds:coco/2017``), read from ``data_dir`` (default
  ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``). Nothing is ever downloaded: a data set
  that is not prepared there gets a one-line :class:`SourceError` saying what to run (or,
  for data sets TFDS asks the user to download by hand, where to put the files).

Decoding, resizing, cropping, shuffling, caching and prefetching all happen here:
:func:`image_dataset` (a ``tf.data`` stream of float32 RGB in [0, 1]),
:func:`iter_images` (uint8 NumPy arrays, for code that works on arrays, e.g. VDSR's patch
bank), :func:`labelled_arrays` (``(images, labels)`` of MNIST-like sets) and the content-photo
stream of Texture Networks (:func:`content_files`, :func:`content_crops`).
TensorFlow and tensorflow-datasets are imported inside functions only (both are slow to import).
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from zoo.errors import ImageError, ZooError, summarize
from zoo.image.io import READ_SUFFIXES, as_rgb, list_images, read_image

TFDS_PREFIX = "tfds:"
# The listed formats tf.io.decode_image reads (list_images also lists .tif and .webp).
TF_DECODES = (".jpg", ".jpeg", ".png", ".bmp")
# The image feature of TFDS data sets whose images are not called "image".
IMAGE_FEATURES = {"div2k": "hr", "cityscapes": "image_left"}
DEFAULT_SPLIT = "train"
SHUFFLE_BUFFER = 1024  # encoded images (TFDS) or decoded ones (cache=True) held for shuffling


class SourceError(ZooError, ValueError):
    """A data source that names nothing usable (one line in the CLI)."""


@dataclass(frozen=True)
class TFDSRef:
    """A resolved, prepared TFDS split: ``name[/config]``, its split, version and image feature."""

    name: str
    config: str | None
    split: str
    data_dir: str
    version: str
    feature: str  # the image feature read (IMAGE_FEATURES, "image", or the first Image)
    num_examples: int | None  # None where the split's size is not recorded

    @property
    def full_name(self) -> str:
        return self.name + (f"/{self.config}" if self.config else "")


@dataclass(frozen=True)
class Source:
    """A resolved source: its text, and either its image ``files`` or its ``tfds`` split."""

    text: str
    files: tuple[Path, ...] = ()
    tfds: TFDSRef | None = None

    def __len__(self) -> int:
        """The number of images (0 for a TFDS split whose size is not recorded)."""
        return (self.tfds.num_examples or 0) if self.tfds else len(self.files)

    def key(self) -> str:
        """A deterministic description of the data, for cache keys: the files (path and size)
        or the TFDS name, split and version."""
        if self.tfds:
            return f"{TFDS_PREFIX}{self.tfds.full_name}:{self.tfds.split}@{self.tfds.version}"
        return json.dumps([f"{f.resolve()}:{f.stat().st_size}" for f in self.files])


# ---------------------------------------------------------------- resolving

def is_tfds(source) -> bool:
    """Whether ``source`` is a ``tfds:...`` string."""
    return isinstance(source, str) and source.startswith(TFDS_PREFIX)


def default_data_dir() -> Path:
    """Where prepared TFDS data sets are looked for: ``$TFDS_DATA_DIR`` or
    ``~/tensorflow_datasets`` (TFDS's own default)."""
    return Path(os.environ.get("TFDS_DATA_DIR") or "~/tensorflow_datasets").expanduser()


def parse_tfds(text: str) -> tuple[str, str | None, str | None]:
    """``(name, config, split)`` of ``tfds:NAME[/CONFIG][:SPLIT]``; config and split may be None."""
    body = text[len(TFDS_PREFIX):] if is_tfds(text) else text
    full, _, split = body.partition(":")
    name, _, config = full.partition("/")
    if not re.fullmatch(r"[a-z0-9_]+", name) or (config and not re.fullmatch(r"[\w.\-]+", config)):
        raise SourceError(f"{text}: not a valid TFDS source; write tfds:NAME[/CONFIG][:SPLIT], "
                          "as in tfds:mnist:test or tfds:div2k/bicubic_x2")
    return name, config or None, split or None


def resolve(source: str | os.PathLike | Source, *, data_dir: str | os.PathLike | None = None,
            default_split: str | None = None) -> Source:
    """The :class:`Source` of ``source``; a one-line :class:`SourceError` (or ``ImageError``)
    for a missing folder, an empty glob, a list naming missing files, an unknown or
    unprepared TFDS data set. ``default_split``: the TFDS split when the string names none
    (default ``train``, or the data set's first split if it has no ``train``)."""
    if isinstance(source, Source):
        return source
    text = os.fspath(source)
    if is_tfds(text):
        return Source(text, tfds=_resolve_tfds(text, data_dir, default_split))
    return Source(text, files=tuple(_resolve_files(text)))


def image_files(source: str | os.PathLike) -> list[Path]:
    """The image files of a folder, glob, image file or list file (not of a TFDS source)."""
    resolved = resolve(source)
    if resolved.tfds:
        raise SourceError(f"{source}: a TFDS source has no image files")
    return list(resolved.files)


def _resolve_files(text: str) -> list[Path]:
    path = Path(text).expanduser()
    if path.is_dir():
        return list_images(path)  # its one-line errors: no images in this folder
    if path.is_file():
        return [path] if path.suffix.lower() in READ_SUFFIXES else _list_file(path)
    if glob.has_magic(text):
        return _glob(text)
    raise SourceError(f"{text}: no such folder, file or image list")


def _glob(pattern: str) -> list[Path]:
    """The image files ``pattern`` matches, sorted."""
    matches = sorted(Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True))
    files = [p for p in matches if p.is_file() and p.suffix.lower() in READ_SUFFIXES]
    if not files:
        found = f" ({len(matches)} matches, none an image file)" if matches else ""
        raise SourceError(f"{pattern}: no image files match{found}")
    return files


def _list_file(path: Path) -> list[Path]:
    """The images a list file names, relative to its folder; all of them must exist."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"{path}: not an image list (one path a line): {err}") from None
    entries = [line.strip() for line in lines]
    files = [Path(os.path.normpath(path.parent / Path(e).expanduser()))
             for e in entries if e and not e.startswith("#")]
    if not files:
        raise SourceError(f"{path}: the image list names no images")
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        raise SourceError(f"{path}: {len(missing)} of the {len(files)} listed images are "
                          f"missing: {shown}")
    return files


# ---------------------------------------------------------------- TFDS

def _tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError:
        raise SourceError("tfds: sources need tensorflow-datasets "
                          "(pip install tensorflow-datasets)") from None
    return tfds


def _resolve_tfds(text: str, data_dir, default_split: str | None) -> TFDSRef:
    """The checked split of ``text``: the data set is known, prepared and has images."""
    name, config, split = parse_tfds(text)
    data_dir = str(Path(data_dir).expanduser() if data_dir else default_data_dir())
    builder = _builder(text, name, config, data_dir)
    if not builder.is_prepared():
        raise SourceError(_not_prepared(text, builder, name, data_dir))
    splits = list(builder.info.splits.keys())
    split = split or default_split or (DEFAULT_SPLIT if DEFAULT_SPLIT in splits or not splits
                                       else splits[0])
    _check_split(text, name, split, splits)
    info = builder.info.splits[split] if split in splits else None
    return TFDSRef(name=name, config=builder.builder_config.name if builder.builder_config
                   else None, split=split, data_dir=data_dir, version=str(builder.version),
                   feature=_image_feature(text, name, builder.info.features),
                   num_examples=info.num_examples if info is not None else None)


def _builder(text: str, name: str, config: str | None, data_dir: str):
    """``tfds.builder`` (which downloads nothing), its errors as one line."""
    tfds = _tfds()
    full = name + (f"/{config}" if config else "")
    try:
        return tfds.builder(full, data_dir=data_dir)
    except tfds.core.registered.DatasetNotFoundError:
        known = tfds.list_builders(with_community_datasets=False)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise SourceError(f"{text}: TensorFlow Datasets {tfds.__version__} has no data set "
                          f"{name!r}{hint}") from None
    except (ValueError, KeyError, AssertionError) as err:
        configs = [c.name for c in getattr(tfds.builder_cls(name), "BUILDER_CONFIGS", [])]
        if config and config not in configs:
            raise SourceError(f"{text}: {name} has no config {config!r} (configs: "
                              f"{', '.join(configs) or 'none'})") from None
        raise SourceError(f"{text}: {summarize(err)}") from None


def _not_prepared(text: str, builder, name: str, data_dir: str) -> str:
    """What to run (or where to put the files) for a data set not prepared in ``data_dir``."""
    full = name + (f"/{builder.builder_config.name}" if builder.builder_config else "")
    build = f"`tfds build {full} --data_dir {data_dir}`"
    manual = getattr(builder, "MANUAL_DOWNLOAD_INSTRUCTIONS", None)
    if manual:
        urls = re.findall(r"https?://[^\s)'\"]+", manual)
        where = f" from {urls[0]}" if urls else ""
        return (f"{text} is not prepared in {data_dir}: download its files by hand{where}, "
                f"put them in {Path(data_dir) / 'downloads' / 'manual'}, then run {build} "
                "(or give the --data-dir where it is prepared)")
    return (f"{text} is not prepared in {data_dir}: run {build} (it downloads the data), "
            "or give the --data-dir where it is prepared")


def _check_split(text: str, name: str, split: str, splits: list[str]) -> None:
    """A one-line error for a split the data set does not have (``train[:10%]+test`` allowed)."""
    if not splits:
        return  # sizes not recorded: TFDS itself checks when reading
    for part in split.split("+"):
        base = part.split("[")[0].strip()
        if base not in splits and base != "all":
            raise SourceError(f"{text}: {name} has no split {base!r} (splits: "
                              f"{', '.join(splits)})")


def _image_feature(text: str, name: str, features) -> str:
    """The image feature read from ``name``: per :data:`IMAGE_FEATURES`, ``image``, or the
    first top-level Image feature."""
    tfds = _tfds()
    images = [k for k, f in features.items() if isinstance(f, tfds.features.Image)]
    for choice in (IMAGE_FEATURES.get(name), "image"):
        if choice in images:
            return choice
    if not images:
        raise SourceError(f"{text}: {name} has no image feature (features: "
                          f"{', '.join(features.keys())})")
    return images[0]


def _as_dataset(ref: TFDSRef, *, shuffle: bool = False, seed: int = 0, skip_images=()):
    """The split as a ``tf.data.Dataset`` of examples; ``skip_images`` stay encoded bytes."""
    tfds = _tfds()
    builder = tfds.builder(ref.full_name, data_dir=ref.data_dir)
    return builder.as_dataset(
        split=ref.split, shuffle_files=shuffle, read_config=tfds.ReadConfig(shuffle_seed=seed),
        decoders={k: tfds.decode.SkipDecoding() for k in skip_images} or None)


def _other_images(ref: TFDSRef, keep: str | None) -> list[str]:
    """The top-level Image features of ``ref`` other than ``keep`` (left encoded: not needed)."""
    tfds = _tfds()
    features = tfds.builder(ref.full_name, data_dir=ref.data_dir).info.features
    return [k for k, f in features.items() if isinstance(f, tfds.features.Image) and k != keep]


# ---------------------------------------------------------------- NumPy

def iter_images(source, *, data_dir=None, rgb: bool = True) -> Iterator[np.ndarray]:
    """The source's images in order as uint8 arrays: ``(H, W, 3)`` (``rgb=False``: as stored,
    ``(H, W, C)``). Files are read by :func:`zoo.image.read_image` (EXIF rotation applied);
    TFDS examples through ``tfds.as_numpy``."""
    resolved = resolve(source, data_dir=data_dir)
    if not resolved.tfds:
        for path in resolved.files:
            image = read_image(path)
            yield as_rgb(image, str(path)) if rgb else image
        return
    ref = resolved.tfds
    data = _as_dataset(ref, skip_images=_other_images(ref, ref.feature))
    for example in _tfds().as_numpy(data.map(lambda x: x[ref.feature])):
        yield as_rgb(example, resolved.text) if rgb else example


def labelled_arrays(source, *, data_dir=None, default_split: str | None = None,
                    label: str = "label") -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)`` of a labelled TFDS split, in order: uint8 ``(N, H, W)`` for one
    channel (MNIST-like), ``(N, H, W, C)`` otherwise, and int64 ``(N,)``."""
    if not is_tfds(source) and not isinstance(source, Source):
        raise SourceError(f"{source}: labelled images come from a TFDS source "
                          "(tfds:NAME[:SPLIT], e.g. tfds:mnist:test)")
    ref = resolve(source, data_dir=data_dir, default_split=default_split).tfds
    features = _tfds().builder(ref.full_name, data_dir=ref.data_dir).info.features
    if label not in features:
        raise SourceError(f"{source}: {ref.name} has no {label!r} feature (features: "
                          f"{', '.join(features.keys())})")
    data = _as_dataset(ref, skip_images=_other_images(ref, ref.feature))
    data = data.map(lambda x: (x[ref.feature], x[label])).batch(4096)
    parts = list(_tfds().as_numpy(data))
    if not parts:
        raise SourceError(f"{source}: the split {ref.split!r} is empty")
    images = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts]).astype(np.int64)
    return (images[..., 0] if images.shape[-1] == 1 else images), labels


# ---------------------------------------------------------------- tf.data

def image_dataset(source, *, crop=None, resize=None, batch_size: int | None = None,
                  shuffle: bool = True, seed: int = 0, cache: bool | str = False,
                  repeat: bool = False, skip_errors: bool = False, drop_remainder: bool = True,
                  shuffle_buffer: int = SHUFFLE_BUFFER, data_dir=None):
    """A ``tf.data.Dataset`` of the source's images, float32 RGB in [0, 1].

    ``source``: a source string, a :class:`Source`, or a list of image file paths.
    ``resize``: an int (the shorter side, aspect kept) or ``(height, width)``; antialiased
    bilinear. ``crop``: an int or ``(height, width)``, a random crop per image (an image
    smaller than the crop is first enlarged, bilinear, to cover it), drawn from
    ``(seed, element number)``: the same seed gives the same stream. ``shuffle``: a seeded
    shuffle, different every pass. ``cache``: keep the decoded, resized images in memory
    (``True``) or in a file (its path) after the first pass; shuffling then works on
    ``shuffle_buffer`` decoded images. ``repeat``: endless. ``skip_errors``: drop image files that
    fail to decode (with ``repeat``, some file must decode or the stream waits for ever); a
    TFDS split, checked when it was built, is read as it is, so that a reading error ends the
    stream rather than being skipped for ever.
    ``batch_size``: batches (needs ``crop`` or a ``(height, width)`` resize, or equal sizes).
    Prefetched.
    """
    import tensorflow as tf

    data, files = _encoded_images(source, shuffle and not cache, seed, shuffle_buffer, data_dir)
    data = data.map(lambda encoded: _resized(_decode_bytes(encoded), resize),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if skip_errors and files:
        data = data.ignore_errors()
    if cache:
        data = data.cache(cache if isinstance(cache, str) else "")
        if shuffle:
            data = data.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        data = data.repeat()
    if crop:
        size = (crop, crop) if isinstance(crop, int) else tuple(crop)
        data = data.enumerate().map(lambda i, image: _random_crop(image, size, seed, i),
                                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if batch_size:
        data = data.batch(batch_size, drop_remainder=drop_remainder)
    return data.prefetch(tf.data.AUTOTUNE)


def _encoded_images(source, shuffle: bool, seed: int, buffer: int, data_dir):
    """``(dataset, from_files)``: the images' encoded bytes (files read, TFDS images left
    undecoded), shuffled from ``seed`` before anything is decoded."""
    import tensorflow as tf

    if not isinstance(source, (str, os.PathLike, Source)):  # a list of image files
        data = tf.data.Dataset.from_tensor_slices([os.fspath(p) for p in source])
        if shuffle:
            data = data.shuffle(len(source), seed=seed, reshuffle_each_iteration=True)
        return data.map(tf.io.read_file, num_parallel_calls=tf.data.AUTOTUNE,
                        deterministic=True), True
    resolved = resolve(source, data_dir=data_dir)
    if not resolved.tfds:
        return _encoded_images([str(p) for p in resolved.files], shuffle, seed, buffer, data_dir)
    ref = resolved.tfds
    data = _as_dataset(ref, shuffle=shuffle, seed=seed, skip_images=_other_images(ref, None))
    data = data.map(lambda x: x[ref.feature])
    if shuffle:
        data = data.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return data, False


def _decode_bytes(encoded):
    """A PNG, JPEG, BMP or GIF (first frame) as uint8 RGB ``(H, W, 3)``."""
    import tensorflow as tf

    image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def _resized(image, resize):
    """uint8 to float32 [0, 1], resized (see :func:`image_dataset`)."""
    import tensorflow as tf

    image = tf.image.convert_image_dtype(image, tf.float32)
    if resize is None:
        return image
    if isinstance(resize, int):
        shape = tf.cast(tf.shape(image)[:2], tf.float32)
        target = tf.cast(tf.round(shape * resize / tf.reduce_min(shape)), tf.int32)
        target = tf.maximum(target, 1)
    else:
        target = tuple(resize)
    return tf.clip_by_value(tf.image.resize(image, target, antialias=True), 0.0, 1.0)


def _random_crop(image, size: tuple[int, int], seed: int, number):
    """A ``size`` crop drawn from ``(seed, number)``; a smaller image is enlarged to cover it."""
    import tensorflow as tf

    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.maximum(1.0, tf.reduce_max(tf.constant(size, tf.float32) / shape))
    image = tf.image.resize(image, tf.cast(tf.math.ceil(shape * scale), tf.int32))
    pair = tf.stack([tf.constant(seed, tf.int64), tf.cast(number, tf.int64)])
    return tf.image.stateless_random_crop(image, (*size, 3), seed=pair)


# ---------------------------------------------------------------- content photos

def content_files(source, *, data_dir=None) -> list[str] | Source:
    """The content photos a stream decodes: file paths, or the checked TFDS :class:`Source`.

    Every file's header is read, once (about 0.1 ms a file): one that is no image, or of a
    format TensorFlow does not decode, is left out with a warning. Files are then decoded in
    order until one decodes whole, usually just the first: a source with none would make the
    endless stream wait forever for a first image (an ``ImageError``). A damaged file further
    on is skipped by the stream (:func:`content_crops`). A TFDS split is prepared data: it is
    only checked to be prepared and to hold images.
    """
    resolved = resolve(source, data_dir=data_dir)
    if resolved.tfds:
        return resolved
    candidates = [p for p in resolved.files if p.suffix.lower() in TF_DECODES]
    readable = [_header_opens(p) for p in candidates]
    files = [str(p) for p, ok in zip(candidates, readable) if ok]
    left_out = [p.name for p, ok in zip(candidates, readable) if not ok]
    if not files:
        raise ImageError(f"{source}: no readable {', '.join(TF_DECODES)} images to "
                         "train on" + (f" ({len(left_out)} cannot be opened)" if left_out else ""))
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        print(f"warning: {len(left_out)} of {len(candidates)} files in {source} cannot "
              f"be opened as images and are left out: {shown}", file=sys.stderr)
    if not any(_decodes_whole(path) for path in files):  # usually stops at the first file
        raise ImageError(f"{source}: none of the {len(files)} images that open "
                         "decodes (damaged or cut short?)")
    return files


def content_crops(photos: Sequence[str] | Source, size: int, batch: int, seed: int = 0):
    """Endless batches ``(batch, size, size, 3)`` of random crops of :func:`content_files`'
    photos, float32 in [0, 1], shuffled from ``seed``.

    A file whose header opened but whose data is damaged (a truncated download) fails only
    here: it is skipped rather than ending hours of training. Silently: ``ignore_errors``
    cannot name the file (and the zoo command hides its log), and decoding in a
    ``tf.py_function`` to name it made the process hang at exit while the stream was open.
    """
    return image_dataset(photos, crop=size, batch_size=batch, shuffle=True, seed=seed,
                         repeat=True, skip_errors=True, drop_remainder=True)


def _header_opens(path: Path) -> bool:
    """Whether ``path`` opens as a PNG, JPEG or BMP (its header only)."""
    try:
        with Image.open(path) as image:
            return image.format in ("PNG", "JPEG", "BMP")
    except Exception:  # noqa: BLE001 - any failure to open means: leave it out
        return False


def _decode(path):
    """A photo as the stream reads it: uint8 RGB, decoded by TensorFlow."""
    import tensorflow as tf

    return _decode_bytes(tf.io.read_file(path))


def _decodes_whole(path: str) -> bool:
    """Whether :func:`_decode` reads the whole of ``path`` (its header may open while its data
    is cut short)."""
    import tensorflow as tf

    try:
        _decode(path)
        return True
    except tf.errors.OpError:
        return False
