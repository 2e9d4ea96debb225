"""The bilinear sampler of Spatial Transformer Networks (Jaderberg et al., NIPS 2015, Sec. 3.3).

The output pixel ``i`` of channel ``c`` reads the input ``U`` (``H x W``) at the
source point ``(x_i^s, y_i^s)`` with the bilinear kernel of eq. 5::

    V_i^c = sum_n sum_m U_nm^c max(0, 1 - |x_i^s - m|) max(0, 1 - |y_i^s - n|)

Only the four pixels around the point have a non-zero weight, so the double
sum is computed as four gathers (``floor``, ``cast``, ``take`` on a flattened
``(B*H*W, C)`` view): this converts to TFLite builtin ops (GATHER, FLOOR, CAST,
...), with no Flex op. The result is differentiable with respect to the image
and the coordinates, with the sub-gradients of the paper's eqs. 6-7: ``floor``
is piecewise constant, so at integer coordinates (the kernel's kinks) the
gradient is the one-sided one from the right.

Conventions, chosen so that the identity grid reproduces the input exactly:

* Coordinates are ``(x, y)`` in the last axis: ``x`` the column, ``y`` the row.
* ``coordinates="pixels"``: absolute pixel indices, the centre of pixel
  ``(n, m)`` at ``x = m``, ``y = n``; ``x`` in ``[0, W - 1]`` lies inside.
* ``coordinates="normalized"``: the paper's normalised coordinates in
  ``[-1, 1]`` (Sec. 3.2), with -1 and +1 at the *centres* of the corner pixels
  (``x = (x_n + 1) (W - 1) / 2``, PyTorch's ``align_corners=True``). Then the
  identity affine transform samples every pixel centre and gives back the input
  exactly; mapping ``[-1, 1]`` to ``[0, W]``, or scaling by ``W`` instead of
  ``W - 1`` (an off-by-one of several public STN ports), shifts and stretches
  the image by up to a pixel even for the identity transform. Because float32
  cannot hold the grid values exactly, mapped coordinates within a few ulps of
  a pixel centre are snapped onto it (value only; see ``_to_pixels``), so the
  identity is exact at any size.
* ``border="zeros"`` (default): eq. 5 summed over the pixels that exist, i.e.
  zero padding outside the image. A sample half a pixel outside the edge gets
  half the edge pixel; one a pixel or more outside is zero.
  ``border="clamp"``: the image is extended by repeating its edge pixels
  (the coordinates are clipped to ``[0, W - 1] x [0, H - 1]``), so the weights
  always sum to one; the gradient with respect to a coordinate is zero outside.

Batch sizes broadcast: coordinates of batch 1 (one grid for every image), or
an image of batch 1 sampled by ``B`` grids, both work.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

COORDINATES = ("pixels", "normalized")
BORDERS = ("zeros", "clamp")


def _check(coordinates: str, border: str) -> None:
    if coordinates not in COORDINATES:
        raise ValueError(f"coordinates must be one of {COORDINATES}, not {coordinates!r}")
    check_border(border)


def check_border(border: str) -> None:
    """Refuse a ``border`` that :func:`bilinear_sample` does not know."""
    if border not in BORDERS:
        raise ValueError(f"border must be one of {BORDERS}, not {border!r}")


def coordinate_dtype(x) -> str:
    """float64 for float64 ``x``, else float32: sampling positions are never half precision."""
    return "float64" if keras.backend.standardize_dtype(x.dtype) == "float64" else "float32"


def bilinear_sample(image, coords, coordinates: str = "pixels", border: str = "zeros"):
    """Sample ``image`` (B, H, W, C) at ``coords`` (B, Ho, Wo, 2) as (x, y): eq. 5 of Sec. 3.3.

    Returns (B, Ho, Wo, C) in the image's dtype. ``coordinates`` is ``"pixels"``
    or ``"normalized"`` and ``border`` is ``"zeros"`` or ``"clamp"`` (see the
    module docstring for both conventions).
    """
    _check(coordinates, border)
    image = ops.convert_to_tensor(image)
    # positions and weights in float32 at least: float16 cannot address the pixels of a wide image
    dtype = coordinate_dtype(image)
    coords = ops.cast(coords, dtype)
    shape = ops.shape(image)
    batch, height, width = shape[0], shape[1], shape[2]
    channels = image.shape[-1] if image.shape[-1] is not None else shape[3]
    x, y = coords[..., 0], coords[..., 1]  # (B, Ho, Wo) each
    if coordinates == "normalized":  # -1 and +1 at the centres of the corner pixels
        x = _to_pixels(x, width, dtype)
        y = _to_pixels(y, height, dtype)
    x_weights, x_index = _axis_weights(x, width, dtype, border)
    y_weights, y_index = _axis_weights(y, height, dtype, border)

    flat = ops.reshape(image, (-1, channels))  # (B*H*W, C): one gather index per pixel
    offset = ops.reshape(ops.arange(batch, dtype="int32") * (height * width), (-1, 1, 1))
    out = None
    for wy, iy in zip(y_weights, y_index):
        row = offset + iy * width
        for wx, ix in zip(x_weights, x_index):
            weight = ops.cast(ops.expand_dims(wy * wx, -1), image.dtype)
            term = ops.take(flat, row + ix, axis=0) * weight
            out = term if out is None else out + term
    return out


def _to_pixels(t, size, dtype):
    """``[-1, 1]`` to ``[0, size - 1]``, snapping to pixel centres within the input's precision.

    A float32 ``t`` cannot hold ``-1 + 2k / (size - 1)`` exactly, so the mapped
    coordinate may miss the centre ``k`` by a few ulps: about 1e-4 pixel for a
    side of a few thousand pixels, enough to blur the identity transform. A
    mapped coordinate within ``4 eps (size - 1)`` of an integer (a few steps of
    the normalised coordinate's own resolution) is moved onto it; the move is
    value-only (``stop_gradient``), the gradient passes straight through.
    """
    half = ops.cast(size - 1, dtype) * 0.5
    p = t * half + half
    tolerance = 4.0 * float(np.finfo(dtype).eps) * ops.maximum(half * 2.0, 1.0)
    to_centre = ops.floor(p + 0.5) - p
    snap = to_centre * ops.cast(ops.abs(to_centre) <= tolerance, dtype)
    return p + ops.stop_gradient(snap)


def _axis_weights(t, size, dtype, border):
    """The two taps along one axis: weights ``max(0, 1 - |t - k|)`` and indices ``k``.

    ``k`` are ``floor(t)`` and ``floor(t) + 1``; with ``border="zeros"`` a tap
    outside ``[0, size - 1]`` gets weight zero, and indices are clipped so that
    every gather stays inside the image.
    """
    last = ops.cast(size - 1, dtype)
    if border == "clamp":
        t = ops.clip(t, 0.0, last)
    else:  # beyond one pixel outside, every weight is zero: clip to keep the casts finite
        t = ops.clip(t, -1.0, last + 1.0)
    low = ops.stop_gradient(ops.floor(t))
    frac = t - low  # in [0, 1): the weight of the upper tap; its gradient is 1 (eqs. 6-7)
    weights = [1.0 - frac, frac]
    low_i = ops.cast(low, "int32")
    indices = [low_i, low_i + 1]
    if border == "zeros":
        weights = [w * ops.cast(ops.logical_and(k >= 0, k <= size - 1), dtype)
                   for w, k in zip(weights, indices)]
    indices = [ops.clip(k, 0, size - 1) for k in indices]
    return weights, indices


def identity_grid(height: int, width: int, coordinates: str = "normalized") -> np.ndarray:
    """The (1, height, width, 2) float32 grid of (x, y) that samples every pixel centre.

    Sampling an ``height x width`` image with it gives back the image exactly.
    """
    _check(coordinates, "zeros")
    if coordinates == "pixels":
        xs, ys = np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64)
    else:
        xs, ys = _normalized_axis(width), _normalized_axis(height)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # meshgrid: (height, width) with x varying along width
    return grid[None].astype(np.float32)


def _normalized_axis(n: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, n) if n > 1 else np.zeros(1)


def affine_grid(theta, height: int, width: int):
    """Normalised source coordinates (B, height, width, 2) of an affine transform (eq. 1, Sec. 3.2).

    ``theta`` is (B, 2, 3) or (B, 6) (row-major ``A_theta``):
    ``(x_s, y_s) = A_theta (x_t, y_t, 1)`` for the target grid ``(x_t, y_t)``
    spread over ``[-1, 1]`` corner centre to corner centre; the identity
    ``[[1, 0, 0], [0, 1, 0]]`` gives :func:`identity_grid`. Feed the result to
    :func:`bilinear_sample` with ``coordinates="normalized"``.
    """
    base = identity_grid(int(height), int(width))  # (1, h, w, 2)
    theta = ops.reshape(theta, (-1, 6))
    xt = ops.convert_to_tensor(base[..., 0], dtype=theta.dtype)  # (1, h, w)
    yt = ops.convert_to_tensor(base[..., 1], dtype=theta.dtype)
    t = [ops.reshape(theta[:, k], (-1, 1, 1)) for k in range(6)]  # (B, 1, 1) each
    xs = t[0] * xt + t[1] * yt + t[2]
    ys = t[3] * xt + t[4] * yt + t[5]
    return ops.stack([xs, ys], axis=-1)


@keras.saving.register_keras_serializable(package="zoo")
class BilinearSampler(keras.layers.Layer):
    """STN's bilinear sampler (Sec. 3.3, eq. 5) as a layer: ``layer(image, coords)``.

    ``image`` (B, H, W, C), ``coords`` (B, Ho, Wo, 2) as (x, y); output
    (B, Ho, Wo, C). ``coordinates`` ``"pixels"`` (default) or ``"normalized"``
    (``[-1, 1]`` at corner pixel centres), ``border`` ``"zeros"`` (default,
    zero padding) or ``"clamp"`` (edge replication): see the module docstring.
    """

    def __init__(self, coordinates: str = "pixels", border: str = "zeros", **kwargs):
        super().__init__(**kwargs)
        _check(coordinates, border)
        self.coordinates = coordinates
        self.border = border

    def call(self, image, coords):
        return bilinear_sample(image, coords, self.coordinates, self.border)

    def compute_output_shape(self, image_shape, coords_shape):
        batch = image_shape[0] if coords_shape[0] == 1 else coords_shape[0]  # batch 1 broadcasts
        if image_shape[0] != 1 and batch in (None, 1):
            batch = image_shape[0]
        return (batch, coords_shape[1], coords_shape[2], image_shape[3])

    def get_config(self):
        return {**super().get_config(), "coordinates": self.coordinates, "border": self.border}
