"""The distortions of Spatial Transformer Networks (Jaderberg et al., NIPS 2015), in NumPy.

Sec. 4.1 trains on MNIST "distorted in various ways: rotation (R), rotation,
scale and translation (RTS), projective transformation (P), and elastic
warping (E)", with "the full details ... given in Appendix A" (A.4, "Distorted
MNIST Details", of arXiv:1506.02025v3; A.1 there is MNIST addition). A.4, in
paraphrase (its text was not at hand to quote; check these against the PDF):

* R: rotation by an angle uniform in [-90, +90] degrees.
* RTS: rotation uniform in [-45, +45] degrees, scale uniform in [0.7, 1.2],
  the digit placed at a uniformly random location in a 42x42 image.
* P: scale uniform in [0.75, 1.0], then each corner of the digit's image
  stretched by a normal offset of zero mean and 5 pixels standard deviation.
* E: scale uniform in [0.75, 1.0], then the 16 control points of a thin plate
  spline, on a regular grid over the image, moved by normal offsets of zero
  mean and 1.5 pixels standard deviation. Not Simard et al.'s smoothed random
  displacement field: the paper gives no alpha or sigma.

Where the paper is silent we decided (see the constants below): R, P and E
stay 28x28; RTS keeps the scaled 28x28 frame inside the 42x42 canvas (the
translation of its centre is uniform in +-(42 - 28 s) / 2 per axis); every
corner (P) and control point (E) gets an independent offset per axis; the P
corners and the E 4x4 grid span the image's outer edge (pixel edges -0.5 and
27.5); E's spline is drawn as the inverse map (output to input), whose
distribution equals the forward one's to first order as the offsets are
zero-mean Gaussians.

Every warp is an inverse mapping: each output pixel centre is mapped to a
point of the input and the input is read there by bilinear interpolation,
zero outside. Coordinates are (row, column) with pixel centres at integers;
a positive angle turns the digit counter-clockwise as displayed, so +90 deg is
``np.rot90(image)``.

The MNIST files, the train/test split and the tf.data pipelines are
:mod:`zoo.training.mnist_distort`'s; the demo, the benchmark and the recipe all
distort digits with this module.
"""

from __future__ import annotations

import numpy as np

KINDS = ("R", "RTS", "P", "E")
SIZE = 28  # MNIST
RTS_SIZE = 42  # A.4: RTS digits are placed at a random location in a 42x42 image
ROTATION_DEG = 90.0  # R: uniform in [-90, 90] degrees
RTS_ROTATION_DEG = 45.0  # RTS: uniform in [-45, 45] degrees
RTS_SCALE = (0.7, 1.2)  # RTS: uniform scale
WARP_SCALE = (0.75, 1.0)  # P and E: uniform scale first
CORNER_STD = 5.0  # P: pixels, per corner and axis
TPS_GRID = 4  # E: 16 control points on a regular 4x4 grid
TPS_STD = 1.5  # E: pixels, per control point and axis
_CHUNK = 1024  # images warped at a time (bounds the coordinate arrays' memory)


# ---------------------------------------------------------------- sampling

def bilinear_sample(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``images`` (N, H, W) read at float ``rows``/``cols`` (N, h, w); zero outside.

    Coordinates within 1e-6 pixel of a pixel centre are snapped to it, so exact
    maps (identity, quarter turns) copy pixels losslessly.
    """
    n, h, w = images.shape
    rows = np.where(np.isfinite(rows), rows, -2.0)  # a degenerate projective map: outside
    cols = np.where(np.isfinite(cols), cols, -2.0)
    rows = np.where(np.abs(rows - np.rint(rows)) < 1e-6, np.rint(rows), rows)
    cols = np.where(np.abs(cols - np.rint(cols)) < 1e-6, np.rint(cols), cols)
    r0, c0 = np.floor(rows), np.floor(cols)
    fr, fc = (rows - r0).astype(np.float32), (cols - c0).astype(np.float32)
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    flat = images.reshape(-1)
    base = (np.arange(n) * h * w).reshape(-1, *([1] * (rows.ndim - 1)))
    out = np.zeros(rows.shape, np.float32)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            index = base + np.clip(r, 0, h - 1) * w + np.clip(c, 0, w - 1)
            out += np.where(inside, flat[index], 0) * (wr * wc)
    return np.clip(out, 0.0, 1.0)


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centres of a ``size``x``size`` image, relative to its centre: (dy, dx)."""
    c = (size - 1) / 2
    dy, dx = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    return dy, dx


def _similarity_map(angle_deg, scale, shift, out_size: int):
    """Input coordinates of the output pixels of ``x -> c_out + t + s R(angle) (x - c_in)``."""
    dy, dx = _grid(out_size)
    theta = np.deg2rad(np.asarray(angle_deg, np.float64))[:, None, None]
    s = np.asarray(scale, np.float64)[:, None, None]
    dy = dy[None] - shift[:, 0, None, None]
    dx = dx[None] - shift[:, 1, None, None]
    c = (SIZE - 1) / 2
    rows = c + (np.cos(theta) * dy + np.sin(theta) * dx) / s
    cols = c + (np.cos(theta) * dx - np.sin(theta) * dy) / s
    return rows, cols


def _frame(points: int = 2) -> np.ndarray:
    """A ``points``x``points`` grid over the 28x28 frame's outer edge, (points**2, 2) (row, col)."""
    edge = np.linspace(-0.5, SIZE - 0.5, points)
    return np.stack(np.meshgrid(edge, edge, indexing="ij"), -1).reshape(-1, 2)


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The (N, 3, 3) projective maps taking each ``src`` (N, 4, 2) onto ``dst`` (N, 4, 2)."""
    n = len(src)
    a = np.zeros((n, 8, 8))
    x, y = src[..., 0], src[..., 1]
    u, v = dst[..., 0], dst[..., 1]
    a[:, 0::2, 0], a[:, 0::2, 1], a[:, 0::2, 2] = x, y, 1
    a[:, 1::2, 3], a[:, 1::2, 4], a[:, 1::2, 5] = x, y, 1
    a[:, 0::2, 6], a[:, 0::2, 7] = -u * x, -u * y
    a[:, 1::2, 6], a[:, 1::2, 7] = -v * x, -v * y
    b = np.stack([u, v], -1).reshape(n, 8)
    h = np.linalg.solve(a, b[..., None])[..., 0]
    return np.concatenate([h, np.ones((n, 1))], 1).reshape(n, 3, 3)


def _projective_map(scale, corners):
    """P: the corners go to ``c + scale (corner - c) + offset``; read through the inverse map."""
    c = (SIZE - 1) / 2
    frame = np.broadcast_to(_frame(), (len(scale), 4, 2))
    moved = c + np.asarray(scale)[:, None, None] * (frame - c) + corners
    inverse = homography(moved, frame)  # output -> input
    dy, dx = _grid(SIZE)
    pts = np.stack([dy + c, dx + c, np.ones_like(dy)], -1)  # (28, 28, 3)
    mapped = np.einsum("nij,hwj->nhwi", inverse, pts)
    return mapped[..., 0] / mapped[..., 2], mapped[..., 1] / mapped[..., 2]


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    """The thin plate spline's radial basis ``r^2 log r^2`` (0 at r = 0)."""
    return np.where(r2 > 0, r2 * np.log(np.where(r2 > 0, r2, 1.0)), 0.0)


def _tps_operator(points: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Matrix (len(at), len(points)): values at ``at`` of the spline through ``points``' targets."""
    k = len(points)
    poly = np.concatenate([np.ones((k, 1)), points], 1)
    system = np.zeros((k + 3, k + 3))
    system[:k, :k] = _tps_kernel(((points[:, None] - points[None]) ** 2).sum(-1))
    system[:k, k:], system[k:, :k] = poly, poly.T
    basis = np.concatenate([_tps_kernel(((at[:, None] - points[None]) ** 2).sum(-1)),
                            np.ones((len(at), 1)), at], 1)
    return basis @ np.linalg.inv(system)[:, :k]


_TPS = {}


def _elastic_map(scale, offsets):
    """E: a spline through the 4x4 grid moved by ``offsets``, then the inverse of the scaling."""
    if "op" not in _TPS:
        grid = _frame(points=TPS_GRID)
        pixels = np.stack(np.meshgrid(np.arange(SIZE), np.arange(SIZE), indexing="ij"),
                          -1).reshape(-1, 2).astype(np.float64)
        _TPS["grid"], _TPS["op"] = grid, _tps_operator(grid, pixels)
    # The inverse spline takes each grid point back by its offset, so the digit
    # moves by +offset there (as the P corners do); the offsets are symmetric.
    warped = np.einsum("pk,nkd->npd", _TPS["op"], _TPS["grid"] - offsets)
    c = (SIZE - 1) / 2
    warped = c + (warped - c) / np.asarray(scale)[:, None, None]
    return warped[..., 0].reshape(-1, SIZE, SIZE), warped[..., 1].reshape(-1, SIZE, SIZE)


# ---------------------------------------------------------------- distortions

def output_size(kind: str) -> int:
    """42 for RTS (the digit is placed in a 42x42 image), else 28."""
    check_kind(kind)
    return RTS_SIZE if kind == "RTS" else SIZE


def sample_params(kind: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random parameters of ``n`` distortions, drawn as Appendix A.4 describes."""
    check_kind(kind)
    if kind == "R":
        return {"angle": rng.uniform(-ROTATION_DEG, ROTATION_DEG, n)}
    if kind == "RTS":
        angle = rng.uniform(-RTS_ROTATION_DEG, RTS_ROTATION_DEG, n)
        scale = rng.uniform(*RTS_SCALE, n)
        room = (RTS_SIZE - SIZE * scale) / 2  # the scaled frame stays on the canvas
        return {"angle": angle, "scale": scale,
                "shift": rng.uniform(-1.0, 1.0, (n, 2)) * room[:, None]}
    scale = rng.uniform(*WARP_SCALE, n)
    if kind == "P":
        return {"scale": scale, "corners": rng.normal(0.0, CORNER_STD, (n, 4, 2))}
    return {"scale": scale, "offsets": rng.normal(0.0, TPS_STD, (n, TPS_GRID ** 2, 2))}


def identity_params(kind: str, n: int) -> dict[str, np.ndarray]:
    """Parameters that leave the digits as they are (RTS: centred on the 42x42 canvas)."""
    check_kind(kind)
    zeros, ones = np.zeros(n), np.ones(n)
    return {"R": {"angle": zeros},
            "RTS": {"angle": zeros, "scale": ones, "shift": np.zeros((n, 2))},
            "P": {"scale": ones, "corners": np.zeros((n, 4, 2))},
            "E": {"scale": ones, "offsets": np.zeros((n, TPS_GRID ** 2, 2))}}[kind]


def apply_distortion(images: np.ndarray, kind: str, params: dict[str, np.ndarray]) -> np.ndarray:
    """Warp (N, 28, 28) digits (uint8, or float in [0, 1]) with given parameters: float32 [0, 1]."""
    check_kind(kind)
    images = _as_float(images)
    out = np.empty((len(images), output_size(kind), output_size(kind)), np.float32)
    for start in range(0, len(images), _CHUNK):
        part = slice(start, start + _CHUNK)
        p = {k: np.asarray(v, np.float64)[part] for k, v in params.items()}
        if kind == "R":
            n = len(p["angle"])
            rows, cols = _similarity_map(p["angle"], np.ones(n), np.zeros((n, 2)), SIZE)
        elif kind == "RTS":
            rows, cols = _similarity_map(p["angle"], p["scale"], p["shift"], RTS_SIZE)
        elif kind == "P":
            rows, cols = _projective_map(p["scale"], p["corners"])
        else:
            rows, cols = _elastic_map(p["scale"], p["offsets"])
        out[part] = bilinear_sample(images[part], rows, cols)
    return out


def distort(images: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Each digit distorted once, parameters drawn from ``rng``: float32 (N, S, S) in [0, 1]."""
    return apply_distortion(images, kind, sample_params(kind, len(images), rng))


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown distortion {kind!r}; use one of {', '.join(KINDS)}")


def _as_float(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (SIZE, SIZE):
        raise ValueError(f"expected digits of shape (N, {SIZE}, {SIZE}), got {images.shape}")
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)
