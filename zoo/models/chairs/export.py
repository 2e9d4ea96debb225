"""The chair generator's export spec: three small vectors in, an image and a mask out.

The phone graph is the generator with its outputs as a list, ``[rgb (B, S, S, 3), mask
(B, S, S, 1)]``; inputs ``chair`` (one-hot, or a mix of two chairs for a morph), ``view``
(sin/cos of azimuth and elevation) and ``transform`` (zeros). Calibration and validation
draw random chairs and views with fixed seeds (no images needed).
"""

from __future__ import annotations

import numpy as np

CALIBRATION_SEED = 6_000_029
VALIDATION_SEED = 7_000_031
CALIBRATION_BATCHES = 8
VALIDATION_BATCH = 4


def phone_model(model):
    import keras

    out = model.output
    return keras.Model(model.inputs, [out["rgb"], out["mask"]], name=model.name)


def random_inputs(model, n: int, seed: int) -> list[np.ndarray]:
    """``n`` random chairs (one-hot) at random azimuths and the data's elevations."""
    from zoo.models.chairs.inference import class_vectors, view_vector

    rng = np.random.default_rng(seed)
    chairs = rng.integers(0, int(model.inputs[0].shape[-1]), n)
    views = view_vector(rng.uniform(0, 360, n), rng.choice([20.0, 30.0], n))
    transform = np.zeros((n, int(model.inputs[2].shape[-1])), np.float32)
    return [class_vectors(model, chairs), views, transform]


def calibration_batches(model, images=None, size=None, n: int = CALIBRATION_BATCHES):
    return [random_inputs(model, 1, CALIBRATION_SEED + i) for i in range(n)]


def validation_inputs(model, images=None, size=None):
    return random_inputs(model, VALIDATION_BATCH, VALIDATION_SEED), None


def metadata(model) -> dict:
    from zoo.models.chairs.generator import config_of

    config = config_of(model)
    return {"inputs": {"chair": {"layout": f"one-hot of {config['num_chairs']} chairs "
                                           "(a convex mix morphs)"},
                       "view": {"layout": "[sin azimuth, cos azimuth, sin elevation, "
                                          "cos elevation]"},
                       "transform": {"layout": f"{config['transform_dim']} zeros"}},
            "outputs": {"rgb": {"layout": "NHWC", "color": "RGB", "value_range": [0, 1]},
                        "mask": {"layout": "NHWC", "value_range": [0, 1],
                                 "use": "composite: rgb * mask + (1 - mask) on white"}},
            "image_size": config["image_size"]}


__all__ = ["calibration_batches", "metadata", "phone_model", "random_inputs",
           "validation_inputs"]
