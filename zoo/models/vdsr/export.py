"""VDSR's export spec: int8 calibration data and validation inputs (``zoo export vdsr``).

Calibration inputs are what VDSR sees in use: bicubic-upsampled luminance at
scales 2, 3 and 4, as 96x96 crops, streamed through ``tf.data``. By default they
come from the demo images bundled with the package, never from an evaluation
set (calibrating on Set5 would flatter the int8 figures on Set5).
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ImageError
from zoo.image import list_images, read_image
from zoo.sr import degrade

from zoo.demo import bundled_images_dir

CALIBRATION_CROP = 96
CROPS_PER_IMAGE = 8
# The global residual adds the bicubic input (Y up to 235/255) to a small
# residual. Done in int8, the sum is rounded to about 1/255 before the caller
# rounds it to uint8 again. With vdsr_291_h200 on Set5 x2: float32 37.35 dB,
# all-int8 37.21 dB, int8 with this one ADD in float 37.31 dB, at no measurable
# cost in time (the 20 convolutions stay int8). The default preset, ported from
# pytorch-vdsr, loses more in int8: 37.51 / 33.65 / 31.00 dB at x2 / x3 / x4 against
# 37.59 / 33.75 / 31.43 in float (its model card).
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


def calibration_batches(model, images=None, size=None) -> list[np.ndarray]:
    """Single-crop batches of bicubic Y for int8 calibration, from ``images`` (a folder;
    default: the bundled demo images)."""
    crops = calibration_crops(list_images(images or bundled_images_dir()))
    return [crops[i:i + 1] for i in range(len(crops))]


def validation_inputs(model, images=None, size=None) -> tuple[np.ndarray, None]:
    """A held-back 128x128 bicubic-Y crop of the first bundled image (not a calibration crop)."""
    files = list_images(bundled_images_dir())
    return calibration_crops(files[:1], scales=(3,), crop=128, per_image=1, seed=1), None
