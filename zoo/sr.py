"""Super-resolution as a task: the literature's evaluation protocol and photo upscaling.

Works with any ``predict(bicubic_y) -> y`` function on float32 ``(H, W)`` arrays
in [0, 1]: a Keras model (:func:`keras_predictor`) or a ``.tflite`` file
(``zoo.export.tflite_predictor``). NumPy only, so it runs under any Keras backend.

The protocol (SRCNN/VDSR MATLAB code, see ``shared/notes/sr-evaluation-protocol``):
ground truth as uint8, cropped to a multiple of the scale; Y of MATLAB's
``rgb2ycbcr``, rounded (a gray image is its own Y); ``LR = imresize(Y/255, 1/s)``
and ``bicubic = imresize(LR, s)`` kept in floating point; the model sees the
float bicubic image; outputs are rounded to uint8; PSNR and SSIM on Y with a
border of ``s`` pixels removed. This reproduces the VDSR paper's bicubic row
on Set5 (33.66 / 30.39 / 28.42 dB) to the second decimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from zoo.errors import ImageError
from zoo.progress import progress as progress_bar
from zoo.image.metrics import SSIM_WINDOW
from zoo.image import (imresize, luminance, modcrop, psnr, read_image, rgb2ycbcr, ssim,
                       to_uint8, ycbcr2rgb)

Predictor = Callable[[np.ndarray], np.ndarray]

VDSR_RECEPTIVE_MARGIN = 20  # 20 layers of 3x3: each output sees 20 pixels on each side


def keras_predictor(model) -> Predictor:
    """Wrap a Keras model taking ``(1, H, W, 1)`` as a ``(H, W) -> (H, W)`` function."""
    from keras import ops

    def predict(y: np.ndarray) -> np.ndarray:
        out = model(np.asarray(y, np.float32)[None, :, :, None], training=False)
        return np.asarray(ops.convert_to_numpy(out))[0, :, :, 0]

    return predict


def degrade(image: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true uint8, bicubic float32)`` of one ground-truth image at one scale.

    The one bicubic degradation of the zoo: training patches, calibration and
    evaluation all come from here.
    """
    y = luminance(modcrop(image, scale))
    if min(y.shape[:2]) < scale:
        h, w = image.shape[:2]
        raise ImageError(f"an image of {w}x{h} pixels is too small to shrink by {scale}")
    low = imresize(y.astype(np.float64) / 255.0, 1.0 / scale)
    bicubic = imresize(low, output_shape=y.shape)
    return y, bicubic.astype(np.float32)


def evaluate(files: Iterable[Path], scales: Iterable[int], predict: Predictor | None,
             progress: bool = True) -> dict:
    """Mean PSNR/SSIM of bicubic and of ``predict`` per scale, plus per-image rows.

    Returns ``{"<scale>": {"bicubic": {"psnr", "ssim"}, "model": {...}}, "images": [...]}``;
    ``"model"`` is absent when ``predict`` is None.
    """
    files, scales = list(files), list(scales)
    bar = progress_bar(len(files) * len(scales), "image", progress)
    rows = []
    for path in files:
        image = read_image(path)
        for s in scales:
            _check_size(image, s, path)
            y, bicubic = degrade(image, s)
            row = {"image": Path(path).name, "scale": s,
                   "bicubic": _scores(y, to_uint8(bicubic), s)}
            if predict is not None:
                row["model"] = _scores(y, to_uint8(predict(bicubic)), s)
            rows.append(row)
            if bar:
                bar.add(1)
    table: dict = {}
    for s in scales:
        mine = [r for r in rows if r["scale"] == s]
        table[str(s)] = {k: {m: float(np.mean([r[k][m] for r in mine])) for m in ("psnr", "ssim")}
                         for k in ("bicubic", "model") if k in mine[0]}
    table["images"] = rows
    return table


RGBPredictor = Callable[[np.ndarray], np.ndarray]


def degrade_rgb(image: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """``(ground truth uint8 RGB, low-resolution float RGB in [0, 1])`` of one image.

    The RGB counterpart of :func:`degrade` for networks that see colour, such as
    Johnson et al.'s SR nets: the same MATLAB bicubic shrink, applied to each of R, G
    and B and kept in floating point (a gray image is repeated to three channels).
    """
    rgb = modcrop(image if image.ndim == 3 else np.repeat(image[:, :, None], 3, 2), scale)
    rgb = rgb[:, :, :3] if rgb.shape[2] >= 3 else np.repeat(rgb[:, :, :1], 3, 2)
    if min(rgb.shape[:2]) < scale:
        h, w = image.shape[:2]
        raise ImageError(f"an image of {w}x{h} pixels is too small to shrink by {scale}")
    low = imresize(rgb.astype(np.float64) / 255.0, 1.0 / scale)
    return rgb, np.clip(low, 0.0, 1.0).astype(np.float32)


def evaluate_rgb(files: Iterable[Path], scale: int, predict: RGBPredictor,
                 progress: bool = True) -> dict:
    """Mean PSNR/SSIM on Y of an RGB network ``predict(low (h, w, 3)) -> (H, W, 3)`` in
    [0, 1], beside bicubic on the same RGB low-resolution input.

    Scored as :func:`evaluate` scores Y models: output rounded to uint8, Y of MATLAB's
    ``rgb2ycbcr`` (rounded) against the ground truth's, ``scale`` pixels of border
    removed. Bicubic here upsamples the RGB low-resolution image, so its row differs
    from :func:`evaluate`'s (which shrinks Y) by rounding only, a few hundredths of a dB.
    Returns ``{"<scale>": {"bicubic": {...}, "model": {...}}, "images": [...]}``.
    """
    files = list(files)
    bar = progress_bar(len(files), "image", progress)
    rows = []
    for path in files:
        image = read_image(path)
        _check_size(image, scale, path)
        truth, low = degrade_rgb(image, scale)
        y = luminance(truth)
        bicubic = imresize(low, output_shape=truth.shape[:2])
        out = np.asarray(predict(low))
        if out.shape != truth.shape:
            raise ImageError(f"the network gave {out.shape} for a {low.shape} input; "
                             f"expected {truth.shape}")
        rows.append({"image": Path(path).name, "scale": scale,
                     "bicubic": _scores(y, luminance(to_uint8(bicubic)), scale),
                     "model": _scores(y, luminance(to_uint8(out)), scale)})
        if bar:
            bar.add(1)
    table = {str(scale): {k: {m: float(np.mean([r[k][m] for r in rows])) for m in ("psnr", "ssim")}
                          for k in ("bicubic", "model")}, "images": rows}
    return table


def _check_size(image: np.ndarray, scale: int, path) -> None:
    """SSIM's window must fit once the image is cropped to the scale and its border shaved."""
    h, w = image.shape[:2]
    if min(h - h % scale, w - w % scale) - 2 * scale < SSIM_WINDOW:
        raise ImageError(f"{path}: {w}x{h} pixels is too small to evaluate at x{scale}: "
                         f"SSIM's {SSIM_WINDOW}-pixel window must fit inside a border of "
                         f"{scale} pixels")


def _scores(y_true: np.ndarray, y_pred: np.ndarray, scale: int) -> dict:
    return {"psnr": psnr(y_true, y_pred, border=scale), "ssim": ssim(y_true, y_pred, border=scale)}


def format_table(table: dict, title: str = "") -> str:
    """The PSNR/SSIM table as text, one row per method and a column per scale."""
    scales = [k for k in table if k != "images"]
    methods = [m for m in ("bicubic", "model") if m in table[scales[0]]]
    head = f"{'method':<10}" + "".join(f"{'x' + s + ' PSNR':>12}{'SSIM':>8}" for s in scales)
    lines = ([title] if title else []) + [head, "-" * len(head)]
    for m in methods:
        lines.append(f"{m:<10}" + "".join(
            f"{table[s][m]['psnr']:>12.2f}{table[s][m]['ssim']:>8.4f}" for s in scales))
    return "\n".join(lines)


def upscale(image: np.ndarray, scale: int, predict: Predictor, tile: int = 256,
            margin: int = VDSR_RECEPTIVE_MARGIN, progress: bool = False) -> np.ndarray:
    """Upscale a uint8 gray/RGB/RGBA image by an integer ``scale``.

    Y goes through ``predict``; chroma (MATLAB YCbCr) and alpha are bicubic. The
    image is processed in low-resolution tiles of ``tile`` pixels, each with
    enough context (the network's receptive ``margin`` plus the bicubic
    kernel's reach) that the result equals a single pass over the whole image,
    while memory stays bounded by the tile size.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (1, 3, 4):
        raise ImageError(f"expected an 8-bit gray, RGB or RGBA image, got {image.dtype} "
                         f"{image.shape}")
    if int(scale) != scale or scale < 2:
        raise ImageError(f"scale must be an integer of at least 2, got {scale}")
    scale = int(scale)
    h, w = image.shape[:2]
    if h < 4 or w < 4:
        raise ImageError(f"image of {w}x{h} pixels is too small to upscale")
    out = np.zeros((h * scale, w * scale, image.shape[2]), np.uint8)
    context = math.ceil(margin / scale) + 4  # + the bicubic kernel's 2 taps and slack
    tiles = [(i, j) for i in range(0, h, tile) for j in range(0, w, tile)]
    bar = progress_bar(len(tiles), "tile", progress)
    for i, j in tiles:
        i1, j1 = min(i + tile, h), min(j + tile, w)
        r0, r1 = max(i - context, 0), min(i1 + context, h)
        c0, c1 = max(j - context, 0), min(j1 + context, w)
        region = image[r0:r1, c0:c1].astype(np.float64) / 255.0
        up = _upscale_region(region, ((r1 - r0) * scale, (c1 - c0) * scale), predict)
        y0, x0 = (i - r0) * scale, (j - c0) * scale
        out[i * scale:i1 * scale, j * scale:j1 * scale] = to_uint8(
            up[y0:y0 + (i1 - i) * scale, x0:x0 + (j1 - j) * scale])
        if bar:
            bar.add(1)
    return out


def _upscale_region(region: np.ndarray, shape: tuple[int, int], predict: Predictor) -> np.ndarray:
    channels = region.shape[2]
    if channels == 1:
        return np.clip(predict(imresize(region[:, :, 0], output_shape=shape).astype(np.float32)),
                       0, 1)[:, :, None]
    ycc = rgb2ycbcr(region[:, :, :3])
    up = imresize(ycc, output_shape=shape)
    up[:, :, 0] = predict(up[:, :, 0].astype(np.float32))
    rgb = ycbcr2rgb(up)
    if channels == 4:
        rgb = np.concatenate([rgb, imresize(region[:, :, 3:], output_shape=shape)], axis=2)
    return np.clip(rgb, 0, 1)
