"""The inputs of Deep Image Prior's four problems, in NumPy (no Keras needed).

Denoising (``x0`` noisy), inpainting and restoration (``x0`` with a mask of
known pixels), super-resolution (``x0`` the low-resolution image). The
synthetic corruptions follow the official notebooks: Gaussian noise clipped
to [0, 1] (``get_noisy_image``), Bernoulli masks (``get_bernoulli_mask``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zoo.errors import ImageError
from zoo.models.dip import TASKS, DIPTask


@dataclass
class Problem:
    """What to fit: the observation ``x0`` (H, W, C) in [0, 1] and how it was made."""

    observed: np.ndarray
    mask: np.ndarray | None = None  # same shape as observed, 1 = known
    scale: int = 1  # > 1: super-resolution, the result is scale times larger
    clean: np.ndarray | None = None  # ground truth of the result, for PSNR only

    def __post_init__(self):
        self.observed = np.asarray(self.observed, np.float32)
        if self.observed.ndim != 3:
            raise ValueError(f"observed image must be (H, W, C), got {self.observed.shape}")
        if self.mask is not None:
            self.mask = np.broadcast_to(np.asarray(self.mask, np.float32),
                                        self.observed.shape).copy()

    @property
    def output_shape(self) -> tuple[int, int, int]:
        h, w, c = self.observed.shape
        return h * self.scale, w * self.scale, c


def psnr01(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of float images in [0, 1] (the official notebooks' ``compare_psnr``)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def add_gaussian_noise(clean: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``clip(x + N(0, sigma / 255))`` as ``denoising_utils.get_noisy_image`` (sigma in 8-bit levels)."""
    noise = rng.normal(scale=sigma / 255.0, size=clean.shape)
    return np.clip(clean + noise, 0, 1).astype(np.float32)


def bernoulli_mask(shape, drop: float, rng: np.random.Generator) -> np.ndarray:
    """1 where a pixel is kept: ``random > drop`` per element, as ``get_bernoulli_mask``."""
    if not 0 <= drop < 1:
        raise ValueError(f"the dropped fraction must be in [0, 1), got {drop}")
    return (rng.random(shape) > drop).astype(np.float32)


def mask_from_image(mask: np.ndarray, shape: tuple[int, int], name: str = "mask") -> np.ndarray:
    """A black-and-white uint8 image (white = known) as a float (H, W, 1) mask of 0 and 1."""
    if mask.shape[:2] != tuple(shape):
        raise ImageError(f"{name} is {mask.shape[1]}x{mask.shape[0]} pixels but the image is "
                         f"{shape[1]}x{shape[0]}; they must match")
    gray = mask[..., :3].mean(axis=-1)
    if np.any((gray > 10) & (gray < 245)):
        levels = len(np.unique(np.round(gray)))
        raise ImageError(f"{name} must be black and white (black = missing, white = known); "
                         f"it has {levels} gray levels")
    if gray.max() < 128:
        raise ImageError(f"{name} is all black: no pixel is known")
    return (gray >= 128).astype(np.float32)[..., None]


KINDS = {"denoise": "denoising", "inpaint": "inpainting", "sr": "sr", "restore": "restoration"}


def build_problem(kind: str, image: np.ndarray, mask: np.ndarray | None = None,
                  clean: np.ndarray | None = None, add_noise: float | None = None,
                  drop: float | None = None, scale: int = 4, seed: int = 0) -> Problem:
    """The :class:`Problem` of a ``zoo dip`` command from uint8 images (H, W, C)."""
    rng = np.random.default_rng(seed + 1)  # not the network's stream
    x = image[..., :3].astype(np.float32) / 255.0  # alpha is not restored
    truth = None if clean is None else clean[..., :3].astype(np.float32) / 255.0
    if kind == "denoise":
        if add_noise:
            truth, x = x, add_gaussian_noise(x, add_noise, rng)
        return Problem(x, clean=_matching(truth, x.shape, "--clean"))
    if kind in ("inpaint", "restore"):
        if mask is None and drop is None:
            raise ImageError(f"{kind} needs --mask (black = missing)"
                             + (" or --drop FRACTION" if kind == "restore" else ""))
        if mask is not None:
            m = mask_from_image(mask, x.shape[:2])
        else:
            m = bernoulli_mask(x.shape, drop, rng)
            truth = x if truth is None else truth
        return Problem(x * m, mask=m, clean=_matching(truth, x.shape, "--clean"))
    if kind == "sr":
        if scale < 2:
            raise ImageError(f"--scale must be at least 2, got {scale}")
        shape = (x.shape[0] * scale, x.shape[1] * scale, x.shape[2])
        return Problem(x, scale=scale, clean=_matching(truth, shape, "--clean"))
    raise ValueError(f"unknown task {kind!r}; use {', '.join(KINDS)}")


def _matching(truth, shape, name):
    if truth is not None and truth.shape[:2] != tuple(shape[:2]):
        raise ImageError(f"{name} image is {truth.shape[1]}x{truth.shape[0]} pixels, expected "
                         f"{shape[1]}x{shape[0]}")
    if truth is not None and truth.shape[2] != shape[2]:
        truth = np.broadcast_to(truth.mean(axis=2, keepdims=True), shape) if shape[2] == 1 \
            else np.broadcast_to(truth, shape)
    return truth


def task_for(kind: str, preset: str | None, scale: int) -> DIPTask:
    """The preset of a command; x8 super-resolution takes the notebook's longer schedule."""
    from dataclasses import replace

    task = TASKS[preset or KINDS[kind]]
    if kind == "sr" and scale >= 8 and preset is None:
        task = replace(task, iterations=task.extra["iterations_x8"],
                       reg_noise_std=task.extra["reg_noise_std_x8"])
    return task
