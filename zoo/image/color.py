"""Colour conversions of MATLAB's ``rgb2ycbcr`` / ``ycbcr2rgb`` (ITU-R BT.601).

Super-resolution papers (SRCNN, VDSR) work on the luminance Y of MATLAB's
``rgb2ycbcr``: studio range, Y in [16, 235] and Cb, Cr in [16, 240], not the
full-range JPEG YCbCr of ``tf.image.rgb_to_yuv`` or Pillow.
"""

from __future__ import annotations

import numpy as np

# Rec. ITU-R BT.601, as in MATLAB's rgb2ycbcr: rows give Y, Cb, Cr from R, G, B
# in [0, 1]; offsets in 8-bit levels.
YCBCR_MATRIX = np.array([[65.481, 128.553, 24.966],
                         [-37.797, -74.203, 112.0],
                         [112.0, -93.786, -18.214]])
YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb2ycbcr(rgb: np.ndarray) -> np.ndarray:
    """MATLAB ``rgb2ycbcr``: uint8 in gives rounded uint8 out; float in [0, 1] gives float."""
    rgb = np.asarray(rgb)
    _check_rgb(rgb)
    x = rgb.astype(np.float64)
    if rgb.dtype == np.uint8:
        x = x / 255.0
    ycc = (x @ YCBCR_MATRIX.T + YCBCR_OFFSET)  # 8-bit levels
    if rgb.dtype == np.uint8:
        return np.clip(np.round(ycc), 0, 255).astype(np.uint8)
    return ycc / 255.0


def ycbcr2rgb(ycc: np.ndarray) -> np.ndarray:
    """MATLAB ``ycbcr2rgb``: the inverse of :func:`rgb2ycbcr` (same dtype rules)."""
    ycc = np.asarray(ycc)
    _check_rgb(ycc)
    x = ycc.astype(np.float64)
    if ycc.dtype != np.uint8:
        x = x * 255.0
    rgb = (x - YCBCR_OFFSET) @ np.linalg.inv(YCBCR_MATRIX).T  # in [0, 1]
    if ycc.dtype == np.uint8:
        return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    return rgb


def luminance(image: np.ndarray) -> np.ndarray:
    """Y of an image as the SR papers take it, shape ``(H, W)``, same dtype rules.

    RGB (and RGBA, alpha ignored) goes through :func:`rgb2ycbcr`; a gray image
    is used as Y directly, as the SRCNN/VDSR evaluation code does (converting
    gray to RGB first would shift Y into [16, 235]).
    """
    image = np.asarray(image)
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 1:
        return image[:, :, 0]
    return rgb2ycbcr(image[:, :, :3])[:, :, 0]


def _check_rgb(x: np.ndarray) -> None:
    if x.ndim != 3 or x.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {x.shape}")
