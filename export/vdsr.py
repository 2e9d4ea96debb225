"""VDSR's export: calibration data for int8 and a validated ``.tflite`` file.

Calibration inputs are what VDSR sees in use: bicubic-upsampled luminance at
scales 2, 3 and 4, as 96x96 crops, streamed through ``tf.data``. By default they
come from the demo images bundled with the package, never from an evaluation
set (calibrating on Set5 would flatter the int8 figures on Set5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.errors import ImageError
from zoo.image import list_images, read_image
from zoo.sr import degrade

from .tflite import bundled_images_dir, to_tflite, validate, write_tflite

CALIBRATION_CROP = 96
CROPS_PER_IMAGE = 8
# The global residual adds the bicubic input (Y up to 235/255) to a small
# residual. Done in int8, the sum is rounded to about 1/255 before the caller
# rounds it to uint8 again. With the H200 weights on Set5 x2: float32 37.35 dB,
# all-int8 37.21 dB, int8 with this one ADD in float 37.31 dB, at no measurable
# cost in time (the 20 convolutions stay int8).
INT8_FLOAT_OPS = ("ADD",)


def calibration_crops(files, scales=(2, 3, 4), crop: int = CALIBRATION_CROP,
                      per_image: int = CROPS_PER_IMAGE, seed: int = 0) -> np.ndarray:
    """Random ``crop`` x ``crop`` bicubic-Y crops, ``(N, crop, crop, 1)`` float32."""
    rng = np.random.default_rng(seed)
    crops = []
    for path in files:
        image = read_image(path)
        if min(image.shape[:2]) < crop:
            continue
        for s in scales:
            _, bicubic = degrade(image, s)
            h, w = bicubic.shape
            if h < crop or w < crop:
                continue
            for _ in range(per_image):
                i, j = rng.integers(0, h - crop + 1), rng.integers(0, w - crop + 1)
                crops.append(bicubic[i:i + crop, j:j + crop])
    if not crops:
        raise ImageError(f"no calibration image is at least {crop}x{crop} pixels")
    return np.stack(crops)[..., None].astype(np.float32)


def calibration_dataset(folder: str | Path | None = None):
    """A ``tf.data.Dataset`` of single-crop batches for ``representative_dataset``."""
    import tensorflow as tf

    files = list_images(folder or bundled_images_dir())
    return tf.data.Dataset.from_tensor_slices(calibration_crops(files)).batch(1)


def vdsr_tflite(model, quantize: str, calibration_dir=None) -> bytes:
    """VDSR converted in mode ``quantize``: int8 calibrated on ``calibration_dir`` (default:
    the bundled images), with :data:`INT8_FLOAT_OPS` in float."""
    if quantize != "int8":
        return to_tflite(model, quantize)
    calibration = calibration_dataset(calibration_dir).as_numpy_iterator()
    return to_tflite(model, quantize, calibration, float_ops=INT8_FLOAT_OPS)


def export_vdsr(model, quantize: str, out: str | Path, calibration_dir=None) -> dict:
    """Convert, write ``out`` and compare with Keras on a held-back 128x128 crop."""
    data = vdsr_tflite(model, quantize, calibration_dir)
    write_tflite(data, out)
    files = list_images(bundled_images_dir())
    sample = calibration_crops(files[:1], scales=(3,), crop=128, per_image=1, seed=1)
    return {"bytes": len(data), **validate(model, data, sample)}
