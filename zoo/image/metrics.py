"""PSNR and SSIM as the super-resolution literature computes them.

Both take two images of equal shape in 8-bit levels (uint8 or float in
[0, 255]), usually the Y channel, and remove a ``border`` of pixels on every
side first: SRCNN and VDSR remove ``scale`` pixels, where the border effects of
the bicubic degradation and of zero-padded convolutions live.

SSIM is the original of Wang, Bovik, Sheikh and Simoncelli (IEEE TIP 2004):
an 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, the
window applied only where it fits ("valid"), averaged over the map, and
without the automatic downsampling that later versions of ``ssim.m`` added.
"""

from __future__ import annotations

import numpy as np

SSIM_WINDOW = 11  # Wang et al. 2004, Sec. III-C
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03
PEAK = 255.0


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """Crop height and width to multiples of ``scale`` (bottom and right), as SRCNN's ``modcrop``."""
    h, w = image.shape[:2]
    return image[: h - h % scale, : w - w % scale]


def shave(image: np.ndarray, border: int) -> np.ndarray:
    """Remove ``border`` pixels on every side."""
    if border <= 0:
        return image
    return image[border:-border, border:-border]


def _pair(a: np.ndarray, b: np.ndarray, border: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} and {b.shape}")
    return shave(a, border).astype(np.float64), shave(b, border).astype(np.float64)


def psnr(reference: np.ndarray, test: np.ndarray, border: int = 0) -> float:
    """``10 log10(255^2 / MSE)`` in dB; ``inf`` for identical images."""
    a, b = _pair(reference, test, border)
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(PEAK**2 / mse))


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """The normalised 1-D Gaussian whose outer product is MATLAB's ``fspecial('gaussian')``."""
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_valid(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable 'valid' correlation of a 2-D array with ``outer(g, g)``."""
    n = len(g)
    rows = np.lib.stride_tricks.sliding_window_view(x, n, axis=0) @ g
    return np.lib.stride_tricks.sliding_window_view(rows, n, axis=1) @ g


def ssim(reference: np.ndarray, test: np.ndarray, border: int = 0) -> float:
    """Mean SSIM of two single-channel images in 8-bit levels."""
    a, b = _pair(reference, test, border)
    if a.ndim == 3 and a.shape[2] == 1:
        a, b = a[:, :, 0], b[:, :, 0]
    if a.ndim != 2:
        raise ValueError(f"ssim takes single-channel images, got shape {a.shape}")
    if min(a.shape) < SSIM_WINDOW:
        raise ValueError(f"ssim needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} pixels")
    g = gaussian_window()
    c1, c2 = (SSIM_K1 * PEAK) ** 2, (SSIM_K2 * PEAK) ** 2
    mu_a, mu_b = _filter_valid(a, g), _filter_valid(b, g)
    var_a = _filter_valid(a * a, g) - mu_a**2
    var_b = _filter_valid(b * b, g) - mu_b**2
    cov = _filter_valid(a * b, g) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())
