"""Texture Networks' export: the generator, noise (and content) in, image out.

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

from .tflite import ExportError, bundled_images_dir, to_tflite, validate, write_tflite

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
        raise ExportError(f"no content images in {folder or bundled_images_dir()}")
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
        raise ExportError(f"size {size} must be a positive multiple of 2^(K-1) = {m}")


def sample_inputs(model, size: int, batch: int, seed: int,
                  content_dir: str | Path | None = None) -> list[np.ndarray]:
    """All inputs of the generator for one call: content crops (stylization), then noise."""
    from zoo.models.texture_nets import generator_inputs

    content = content_crops(batch, size, seed, content_dir) if is_stylization(model) else None
    return generator_inputs(model, size, batch, seed, content)


def calibration_batches(model, size: int = 256, n: int = CALIBRATION_BATCHES,
                        content_dir: str | Path | None = None) -> list[list[np.ndarray]]:
    """``n`` single-sample batches (one list of input arrays each) for ``representative_dataset``."""
    _check_size(model, size)
    return [sample_inputs(model, size, 1, CALIBRATION_SEED + i, content_dir) for i in range(n)]


def export_texture_net(model, quantize: str, out: str | Path, size: int = 256,
                       content_dir: str | Path | None = None) -> dict:
    """Convert the generator, write ``out``, and compare with Keras at ``size`` x ``size``.

    Returns ``{"bytes", "max_abs", "mean_abs", "psnr"}``, the differences
    measured on a batch of :data:`VALIDATION_BATCH` samples drawn with
    :data:`VALIDATION_SEED` (never used for calibration).
    """
    _check_size(model, size)
    calibration = calibration_batches(model, size, content_dir=content_dir) \
        if quantize == "int8" else None
    data = to_tflite(model, quantize, calibration)
    write_tflite(data, out)
    sample = sample_inputs(model, size, VALIDATION_BATCH, VALIDATION_SEED, content_dir)
    return {"bytes": len(data), **validate(model, data, sample)}


__all__ = ["CALIBRATION_SEED", "VALIDATION_SEED", "calibration_batches", "content_crops",
           "export_texture_net", "sample_inputs"]
