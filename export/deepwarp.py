"""DeepWarp's export: the phone model (eye patch, 7 landmarks, angle -> eye patch).

The exported graph is :func:`zoo.models.deepwarp.landmark_model`: the anchor
maps are computed inside, so a phone feeds what its landmark tracker gives
(``landmarks`` (7, 2) in patch pixels, ordered as
:data:`zoo.training.eyes.LANDMARK_NAMES`) plus the vertical redirection in
degrees. The batch is dynamic: both eyes go through in one call (batch 2).

int8 calibration uses rendered eye pairs drawn with :data:`CALIBRATION_SEED`,
which neither training (seed 0) nor evaluation (``EVAL_SEED``) uses; the
validation pairs are another held-out draw (:data:`VALIDATION_SEED`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .tflite import to_tflite, validate, write_tflite

CALIBRATION_SEED = 2_000_003
VALIDATION_SEED = 3_000_017
CALIBRATION_PAIRS = 64
VALIDATION_PAIRS = 32


def rendered_inputs(n: int, seed: int, angle_dims: int = 1) -> tuple[list[np.ndarray], np.ndarray]:
    """``([image, landmarks, angle], target)`` for ``n`` procedural eye pairs."""
    from zoo.training.deepwarp import render_pairs

    pairs = render_pairs(n, seed)
    angle = pairs["redirection"][:, 1:] if angle_dims == 1 else pairs["redirection"]
    return [pairs["input"], pairs["landmarks"], angle], pairs["target"]


def calibration_batches(angle_dims: int = 1, n: int = CALIBRATION_PAIRS) -> list[list[np.ndarray]]:
    """Single-pair batches, one list of three arrays each, for ``representative_dataset``."""
    inputs, _ = rendered_inputs(n, CALIBRATION_SEED, angle_dims)
    return [[x[i:i + 1] for x in inputs] for i in range(n)]


def export_deepwarp(model, quantize: str, out: str | Path) -> dict:
    """Convert the landmark-input model, write ``out``, and compare with Keras.

    Returns the size, the Keras-vs-TFLite differences on held-out rendered pairs
    and the mean squared error against the true redirected eyes for Keras and
    for the ``.tflite`` (what quantization costs in the task's own terms).
    """
    from zoo.models.deepwarp import landmark_model

    phone = landmark_model(model)
    dims = model.inputs[2].shape[-1]
    calibration = calibration_batches(dims) if quantize == "int8" else None
    data = to_tflite(phone, quantize, calibration)
    write_tflite(data, out)
    inputs, target = rendered_inputs(VALIDATION_PAIRS, VALIDATION_SEED, dims)
    return {"bytes": len(data), **validate(phone, data, inputs, target),
            "mse_no_warp": float(np.mean((inputs[0] - target) ** 2))}
