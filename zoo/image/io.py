"""Reading and writing 8-bit images with Pillow, with one-line errors.

Arrays are ``uint8`` of shape ``(H, W, C)`` with ``C`` 1 (gray), 3 (RGB) or
4 (RGBA). Palette images become RGB (RGBA when they carry transparency),
bilevel images become gray, CMYK and YCbCr JPEGs become RGB. Images with more
than 8 bits per channel are refused rather than silently truncated.

A photo's EXIF orientation tag is applied, so pixels come out the way image
viewers show them: phones store portrait photos as landscape pixels plus a
"rotate 90 degrees" tag, and without it ``zoo upscale`` or ``zoo gaze`` would
return such a photo lying on its side (and find no eyes in it).

Decompression bombs: a few kilobytes of PNG or GIF can claim 30000x30000 pixels, 2.7 GB once
decoded. ``read_image`` reads the size from the header and refuses an image of more than
:data:`MAX_PIXELS` before decoding it, in one line; Pillow's own limit
(``PIL.Image.MAX_IMAGE_PIXELS``, whose warning and error are both refused here) applies too
where it is set lower.
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from zoo.atomic import atomic_path
from zoo.errors import ImageError

READ_FORMATS = ("PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF")
MAX_PIXELS = 89_478_485
"""The most pixels ``read_image`` decodes: Pillow's default limit (a quarter GiB of 24-bit
pixels, 89.5 megapixels, e.g. 11585x7723), beyond which it suspects a decompression bomb.
Raise it (or set it to ``None``) to read larger images deliberately."""
WRITE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP"}
_TO_MODE = {"1": "L", "L": "L", "RGB": "RGB", "RGBA": "RGBA", "CMYK": "RGB",
            "YCbCr": "RGB", "LA": "RGBA", "RGBX": "RGB"}


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as a ``uint8`` array ``(H, W, C)``, C in {1, 3, 4}."""
    path = Path(path)
    with _refused_by_the_system(path):
        if path.is_dir():
            raise ImageError(f"{path}: is a folder, not an image file")
        if not path.exists():
            raise ImageError(f"{path}: no such file")
        if not path.is_file():  # /dev/zero, a FIFO, a socket: reading would never end or block
            raise ImageError(f"{path}: is not a regular file")
    try:
        im = _decode(path)
    except PermissionError:
        raise ImageError(f"{path}: cannot be read (permission denied)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError(_too_large(path, _claimed_pixels(err))) from None
    except UnidentifiedImageError:
        raise ImageError(f"{path}: not an image file, or a format Pillow cannot read") from None
    except (OSError, SyntaxError, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(f"{path}: corrupt or truncated image ({err})") from None
    array = np.asarray(im, dtype=np.uint8)
    return array[:, :, None] if array.ndim == 2 else array


@contextlib.contextmanager
def _refused_by_the_system(path: Path):
    """An ``OSError`` of the block, such as a name too long for the file system (which
    ``Path.exists`` raises rather than answer), as a one-line :class:`ImageError`."""
    try:
        yield
    except OSError as err:
        raise ImageError(f"{path}: cannot be read ({err.strerror or err})") from None


def _decode(path: Path) -> Image.Image:
    """The file's pixels, upright and in an 8-bit mode; Pillow's exceptions pass through."""
    with warnings.catch_warnings():
        # Over Pillow's limit it warns, over twice its limit it raises: both are refused.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as im:
            if im.format not in READ_FORMATS:
                raise ImageError(
                    f"{path}: unsupported image format {im.format} "
                    f"(supported: {', '.join(READ_FORMATS)})")
            _refuse_huge(im, path)
            _refuse_deep(im, path)
            im.load()
            return _to_8bit_mode(_upright(im), path)


def _pixel_limit() -> int | None:
    """The most pixels read: :data:`MAX_PIXELS`, or Pillow's limit where that is lower."""
    limits = [n for n in (MAX_PIXELS, Image.MAX_IMAGE_PIXELS) if n is not None]
    return min(limits) if limits else None


def _refuse_huge(im: Image.Image, path: Path) -> None:
    """Refuse an image whose header claims more than the limit, before it is decoded."""
    limit, pixels = _pixel_limit(), im.size[0] * im.size[1]
    if limit is not None and pixels > limit:
        raise ImageError(_too_large(path, pixels))


def _claimed_pixels(err: Exception) -> int | None:
    """The pixel count in Pillow's "Image size (N pixels) exceeds limit ..." message."""
    found = re.search(r"\((\d+) pixels\)", str(err))
    return int(found.group(1)) if found else None


def _too_large(path: Path, pixels: int | None) -> str:
    """The one-line refusal of an image of ``pixels`` pixels (``None``: not known)."""
    limit = _pixel_limit() or 0
    size = f"{pixels / 1e6:.4g} megapixels" if pixels else "its size"
    return (f"{path}: {size} is more than the zoo reads (limit {limit / 1e6:.4g}); a "
            "decompression bomb, or an image to downscale first")


# Raw modes of 16 bits per channel; BMP's packed 16-bit pixels ("BGR;16", 5-6-5) are not.
_SIXTEEN_BITS = re.compile(r"^(I|L|LA|RGB|RGBA|RGBX|CMYK);16")


def _refuse_deep(im: Image.Image, path: Path) -> None:
    """Refuse 16 bits per channel: Pillow opens 16-bit RGB(A) PNGs and TIFFs in 8-bit modes,
    dropping the low byte silently; the file's raw mode (e.g. ``RGB;16B``) tells."""
    for tile in getattr(im, "tile", None) or []:
        args = tile.args if hasattr(tile, "args") else tile[3]
        raw = args if isinstance(args, str) else (args[0] if args else "")
        if isinstance(raw, str) and _SIXTEEN_BITS.match(raw):
            raise ImageError(f"{path}: 16 bits per channel ({raw}); only 8-bit images are "
                             "supported, convert it to 8 bits first")


def _upright(im: Image.Image) -> Image.Image:
    """``im`` turned by its EXIF orientation tag, as viewers show it (a broken tag is ignored)."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # noqa: BLE001 - malformed EXIF must not make a readable image unreadable
        return im


def _to_8bit_mode(im: Image.Image, path: Path) -> Image.Image:
    if im.mode == "P":
        return im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode not in _TO_MODE:
        raise ImageError(
            f"{path}: unsupported pixel mode {im.mode!r}; only 8-bit gray, RGB and RGBA "
            "images are supported")
    target = _TO_MODE[im.mode]
    return im if im.mode == target else im.convert(target)


def write_image(path: str | os.PathLike, image: np.ndarray, quality: int = 95) -> Path:
    """Write ``image`` (uint8, or float in [0, 1]) as PNG, JPEG or BMP by extension.

    Float images are clipped to [0, 1] and rounded. Parent folders are created. The file is
    written atomically (:mod:`zoo.atomic`): the target holds the old image or the new one.
    """
    path = Path(path)
    fmt = check_writable_as(path, image)
    array = to_uint8(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    options = {"quality": quality} if fmt == "JPEG" else {}
    try:  # written beside and renamed: a kill mid-write keeps the previous file
        with atomic_path(path) as tmp:
            Image.fromarray(array).save(tmp, format=fmt, **options)
    except OSError as err:
        raise ImageError(f"{path}: cannot write ({err.strerror or err})") from None
    return path


def check_writable_as(path: str | os.PathLike, image: np.ndarray) -> str:
    """The Pillow format that writes ``image`` (or an image of its shape) to ``path``.

    Refuses an unknown extension, an array that is no image and RGBA to JPEG, so that a
    command can check its output before the work rather than after it.
    """
    path = Path(path)
    fmt = WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImageError(
            f"{path}: cannot write {path.suffix or 'a file without extension'}; "
            f"use one of {', '.join(WRITE_FORMATS)}")
    shape = np.shape(image)
    channels = shape[2] if len(shape) == 3 else 1
    if len(shape) not in (2, 3) or channels not in (1, 3, 4):
        raise ImageError(f"{path}: cannot write an array of shape {shape}; "
                         "expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)")
    if fmt == "JPEG" and channels == 4:
        raise ImageError(f"{path}: JPEG has no alpha channel; write RGBA images as PNG")
    return fmt


def as_rgb(image: np.ndarray, what: str = "image") -> np.ndarray:
    """A ``read_image`` result ``(H, W)`` or ``(H, W, 1|3|4)`` as ``(H, W, 3)``, dtype kept.

    Gray is repeated over the three channels; alpha is dropped.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3, 4) or min(image.shape[:2]) < 1:
        raise ImageError(f"{what}: expected an (H, W, 3) image, got shape {image.shape}")
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]


def as_rgb01(image: np.ndarray, what: str = "image") -> np.ndarray:
    """:func:`as_rgb` as float32 in [0, 1] (uint8 divided by 255, floats clipped)."""
    image = as_rgb(image, what)
    image = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image
    return np.clip(image.astype(np.float32), 0.0, 1.0)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float in [0, 1] to uint8 with MATLAB's ``im2uint8`` rounding; uint8 passes through."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    if not np.issubdtype(image.dtype, np.floating):
        raise ImageError(f"expected uint8 or float pixels, got {image.dtype}")
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


READ_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif")
"""The extensions of the files the zoo takes as images (folders, globs, list files)."""


def list_images(folder: str | os.PathLike) -> list[Path]:
    """The image files of a folder (by extension), sorted by name."""
    folder = Path(folder)
    with _refused_by_the_system(folder):
        if folder.is_file():
            raise ImageError(f"{folder}: is a file; give the folder that holds the images")
        if not folder.is_dir():
            raise ImageError(f"{folder}: no such folder")
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in READ_SUFFIXES)
    if not files:
        raise ImageError(f"{folder}: no images (.png, .jpg, .bmp, ...) in this folder")
    return files
