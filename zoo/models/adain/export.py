"""AdaIN on a phone: two graphs, one ``.tflite`` each (issue item 4).

* ``style_encoder``: ``style (B, H, W, 3)`` RGB in [0, 1] -> ``style_statistics
  (B, 1, 1, 2C)``, relu4_1's per-channel mean then standard deviation (C = 512). Run once per
  style; an app may store the 1,024 numbers instead of the painting.
* ``stylizer``: ``content (B, H, W, 3)``, ``style_statistics (B, 1, 1, 2C)`` and ``alpha
  (B, 1, 1, 1)`` -> the stylized image ``(B, H, W, 3)`` clipped to [0, 1]; run per frame.
  Several styles are interpolated by mixing their statistics linearly (weights summing to
  1, :mod:`zoo.models.adain.inference`), which equals the paper's Eq. 15.

Sizes must be multiples of 8. Calibration and validation use crops of the ``--calibration``
folder or of the demo images bundled with the package
(:func:`zoo.models.texture_nets.export.content_crops`): content crops for the content,
crops of other images (another seed) for the style.
"""

from __future__ import annotations

import keras
import numpy as np

from zoo.errors import ZooError
from zoo.models.adain.network import (SIZE_MULTIPLE, TARGET_LAYER, AlphaBlend,
                                      StatisticsAdaIN, StyleStatistics, channels, decoder,
                                      encoder)

CALIBRATION_SEED = 6_000_011
VALIDATION_SEED = 7_000_003
STYLE_SEED_OFFSET = 101  # style crops come from other draws than the content crops
CALIBRATION_BATCHES = 8
VALIDATION_BATCH = 2
DEFAULT_SIZE = 256  # the paper's training crops (Sec. 6)


def style_encoder(model: keras.Model) -> keras.Model:
    """``style -> style_statistics (B, 1, 1, 2C)``."""
    style = keras.Input(shape=(None, None, 3), name="style")
    f_s = encoder(model)(style)[TARGET_LAYER]
    return keras.Model(style, StyleStatistics(name="style_statistics")(f_s),
                       name="adain_style_encoder")


def stylizer(model: keras.Model) -> keras.Model:
    """``[content, style_statistics, alpha] -> image`` in [0, 1]."""
    c = channels(model)
    content = keras.Input(shape=(None, None, 3), name="content")
    stats = keras.Input(shape=(1, 1, 2 * c), name="style_statistics")
    alpha = keras.Input(shape=(1, 1, 1), name="alpha")
    f_c = encoder(model)(content)[TARGET_LAYER]
    t = StatisticsAdaIN(name="adain_statistics")([f_c, stats])
    image = decoder(model)(AlphaBlend(name="alpha_blend")([t, f_c, alpha]))
    image = keras.layers.Activation(lambda x: keras.ops.clip(x, 0.0, 1.0), name="clip")(image)
    return keras.Model([content, stats, alpha], image, name="adain_stylizer")


def _shape(size) -> tuple[int, int]:
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    if h <= 0 or w <= 0 or h % SIZE_MULTIPLE or w % SIZE_MULTIPLE:
        raise ZooError(f"size {size} must be positive multiples of {SIZE_MULTIPLE}")
    return h, w


def crops(n: int, size, seed: int, images=None) -> np.ndarray:
    """``n`` random crops ``(n, H, W, 3)`` of the folder ``images`` (default: the bundled
    demo images); ``size`` an int or ``(H, W)``."""
    from zoo.models.texture_nets.export import content_crops

    h, w = _shape(size)
    return content_crops(n, max(h, w), seed, images)[:, :h, :w]


def _statistics(model, styles: np.ndarray) -> np.ndarray:
    return np.asarray(style_encoder(model)(styles), np.float32)


def _stylizer_inputs(model, n: int, size, seed: int, images) -> list[np.ndarray]:
    content = crops(n, size, seed, images)
    stats = _statistics(model, crops(n, size, seed + STYLE_SEED_OFFSET, images))
    alpha = np.ones((n, 1, 1, 1), np.float32)
    return [content, stats, alpha]


def calibration_batches(model, images=None, size=None, n: int = CALIBRATION_BATCHES):
    """Stylizer calibration: ``n`` single-example ``[content, statistics, alpha]`` lists."""
    return [_stylizer_inputs(model, 1, size or DEFAULT_SIZE, CALIBRATION_SEED + i, images)
            for i in range(n)]


def validation_inputs(model, images=None, size=None):
    """Stylizer validation: :data:`VALIDATION_BATCH` examples from another seed; no target."""
    return _stylizer_inputs(model, VALIDATION_BATCH, size or DEFAULT_SIZE, VALIDATION_SEED,
                            images), None


def style_calibration_batches(model, images=None, size=None, n: int = CALIBRATION_BATCHES):
    """Style encoder calibration: ``n`` single style crops."""
    return [[crops(1, size or DEFAULT_SIZE, CALIBRATION_SEED + STYLE_SEED_OFFSET + i, images)]
            for i in range(n)]


def style_validation_inputs(model, images=None, size=None):
    """Style encoder validation: :data:`VALIDATION_BATCH` crops from another seed."""
    return crops(VALIDATION_BATCH, size or DEFAULT_SIZE, VALIDATION_SEED, images), None


_IMAGE = {"value_range": [0, 1], "layout": "NHWC", "color": "RGB",
          "normalization": "none (the VGG preprocessing is inside)",
          "size_multiple": SIZE_MULTIPLE}


def _statistics_tensor(c: int) -> dict:
    return {"layout": f"(B, 1, 1, {2 * c}): mean then std, {c} each (relu4_1 of VGG19)",
            "channels": c}


def style_encoder_metadata(model) -> dict:
    c = channels(model)
    return {"inputs": {"style": dict(_IMAGE)},
            "outputs": {"style_statistics": _statistics_tensor(c)},
            "notes": "run once per style; interpolate styles by mixing statistics linearly "
                     "(weights summing to 1) before the stylizer"}


def metadata(model) -> dict:
    """The stylizer's metadata (the inputs an app feeds it)."""
    c = channels(model)
    return {"inputs": {"content": dict(_IMAGE), "style_statistics": _statistics_tensor(c),
                       "alpha": {"layout": "(B, 1, 1, 1)", "value_range": [0, 1],
                                 "meaning": "content-style trade-off (paper Eq. 14); 1: full"}},
            "outputs": {"image": {"value_range": [0, 1], "layout": "NHWC", "color": "RGB",
                                  "normalization": "none (clipped to [0, 1])"}},
            "notes": "interpolate styles by mixing statistics linearly (weights summing to 1, "
                     "paper Eq. 15)"}


__all__ = ["CALIBRATION_SEED", "VALIDATION_SEED", "calibration_batches", "crops", "metadata",
           "style_calibration_batches", "style_encoder", "style_encoder_metadata",
           "style_validation_inputs", "stylizer", "validation_inputs"]
