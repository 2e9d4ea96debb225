"""Texture Networks' export spec: the generator, noise (and content) in, image out.

The exported graph is the Keras generator itself
(:func:`zoo.models.texture_nets.TextureNetwork`): one named input per noise
scale, ``noise_0`` (full size) ... ``noise_{K-1}`` (``size / 2^(K-1)``), each
U(0, 1) with 3 channels, and for a stylization network first ``content``
``(B, H, W, 3)`` in [0, 1]. Batch and spatial size are dynamic: a phone draws
the noise at the size it wants (a multiple of ``2^(K-1)``) and resizes the
inputs; the output is ``(B, H, W, 3)`` in [0, 1].

int8 calibration uses noise drawn with :data:`CALIBRATION_SEED` (``make_noise``
through ``generator_inputs``) and, for stylization, random crops of the demo
images bundled with the package (``zoo/demo/images``), at the export ``size``.
Validation compares Keras and the ``.tflite`` on noise from another seed,
:data:`VALIDATION_SEED`, and another crop of each image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.demo import bundled_images_dir
from zoo.errors import ZooError

CALIBRATION_SEED = 4_000_037
VALIDATION_SEED = 5_000_011
CALIBRATION_BATCHES = 8
VALIDATION_BATCH = 2


def is_stylization(model) -> bool:
    names = [(getattr(t, "name", "") or "").split(":")[0] for t in model.inputs]
    return "content" in names


def content_crops(n: int, size: int, seed: int, folder: str | Path | None = None) -> np.ndarray:
    """``n`` random ``size`` x ``size`` RGB crops ``(n, size, size, 3)`` in [0, 1].

    Cycles over the images of ``folder`` (default: the bundled demo images); an
    image whose shorter side is below ``size`` is first enlarged (bicubic) to fit.
    """
    from zoo.image import imresize, list_images, read_image

    files = list_images(folder or bundled_images_dir())
    if not files:
        raise ZooError(f"no content images in {folder or bundled_images_dir()}")
    rng = np.random.default_rng(seed)
    crops = []
    for i in range(n):
        image = read_image(files[i % len(files)])
        if np.issubdtype(image.dtype, np.integer):
            image = image / np.iinfo(image.dtype).max
        image = np.asarray(image, np.float32)
        if image.ndim == 2:
            image = image[..., None]
        image = np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image[..., :3]
        h, w = image.shape[:2]
        if min(h, w) < size:
            scale = size / min(h, w)
            shape = (max(size, int(np.ceil(h * scale))), max(size, int(np.ceil(w * scale))))
            image = np.clip(imresize(image, output_shape=shape), 0.0, 1.0).astype(np.float32)
            h, w = shape
        top, left = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        crops.append(image[top:top + size, left:left + size])
    return np.stack(crops).astype(np.float32)


def _check_size(model, size: int) -> None:
    from zoo.models.texture_nets import size_multiple

    m = size_multiple(model)
    if size <= 0 or size % m:
        raise ZooError(f"size {size} must be a positive multiple of 2^(K-1) = {m}")


def sample_inputs(model, size: int, batch: int, seed: int,
                  content_dir: str | Path | None = None) -> list[np.ndarray]:
    """All inputs of the generator for one call: content crops (stylization), then noise."""
    from zoo.models.texture_nets import generator_inputs

    content = content_crops(batch, size, seed, content_dir) if is_stylization(model) else None
    return generator_inputs(model, size, batch, seed, content)


def calibration_batches(model, content_dir: str | Path | None = None, size: int | None = None,
                        n: int = CALIBRATION_BATCHES) -> list[list[np.ndarray]]:
    """``n`` single-sample batches (one list of input arrays each) for ``representative_dataset``,
    at ``size`` x ``size`` (default 256), content crops from ``content_dir``."""
    size = size or 256
    _check_size(model, size)
    return [sample_inputs(model, size, 1, CALIBRATION_SEED + i, content_dir) for i in range(n)]


def validation_inputs(model, images=None, size: int | None = None):
    """:data:`VALIDATION_BATCH` samples drawn with :data:`VALIDATION_SEED` (never used for
    calibration), at ``size`` x ``size`` (default 256)."""
    size = size or 256
    _check_size(model, size)
    return sample_inputs(model, size, VALIDATION_BATCH, VALIDATION_SEED, images), None


__all__ = ["CALIBRATION_SEED", "VALIDATION_SEED", "calibration_batches", "content_crops",
           "is_stylization", "sample_inputs", "validation_inputs"]
