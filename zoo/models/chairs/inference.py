"""Drawing chairs with a trained generator: one view, a morph between two chairs (the class
input interpolated, Sec. 5.3 of the paper) and a turntable (the azimuth swept).

    >>> from zoo.models.chairs import generate, morph, turntable
    >>> image = generate(net, chair=3, azimuth=30, elevation=20)   # (S, S, 3) in [0, 1]
    >>> strip = morph(net, 3, 7, steps=8)                           # (S, 8 S, 3)
    >>> strip = turntable(net, 3, views=31)                         # (S, 31 S, 3)

The images are the RGB output composited on white with the predicted mask (the paper's
segmentation stream): ``rgb * m + (1 - m)``, ``m`` clipped to [0, 1].
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError


def view_vector(azimuth, elevation) -> np.ndarray:
    """The view input ``(..., 4)``: sin and cos of azimuth and elevation (degrees)."""
    az, el = np.radians(np.asarray(azimuth, np.float64)), np.radians(np.asarray(elevation,
                                                                                 np.float64))
    az, el = np.broadcast_arrays(az, el)
    return np.stack([np.sin(az), np.cos(az), np.sin(el), np.cos(el)], -1).astype(np.float32)


def num_chairs(model) -> int:
    return int(model.inputs[0].shape[-1])


def check_chair(model, chair: int) -> int:
    n = num_chairs(model)
    if not 0 <= int(chair) < n:
        raise ZooError(f"chair {chair} is not one of this net's {n} chairs (0 to {n - 1})")
    return int(chair)


def class_vectors(model, chairs) -> np.ndarray:
    """One-hot rows ``(len(chairs), N)`` of chair indices."""
    chairs = [check_chair(model, c) for c in np.atleast_1d(chairs)]
    return np.eye(num_chairs(model), dtype=np.float32)[chairs]


def run(model, classes: np.ndarray, views: np.ndarray, composite: bool = True) -> np.ndarray:
    """Images ``(B, S, S, 3)`` in [0, 1] for class rows ``(B, N)`` and view rows ``(B, 4)``,
    no transformation (``theta = 0``)."""
    classes = np.asarray(classes, np.float32)
    views = np.broadcast_to(np.asarray(views, np.float32), (len(classes), 4))
    transform = np.zeros((len(classes), int(model.inputs[2].shape[-1])), np.float32)
    out = model.predict([classes, views, transform], verbose=0, batch_size=32)
    rgb, mask = np.asarray(out["rgb"]), np.clip(np.asarray(out["mask"]), 0, 1)
    image = rgb * mask + (1 - mask) if composite else rgb
    return np.clip(image, 0, 1).astype(np.float32)


def generate(model, chair: int, azimuth: float = 30.0, elevation: float = 20.0,
             composite: bool = True) -> np.ndarray:
    """One chair from one view: ``(S, S, 3)`` in [0, 1]."""
    return run(model, class_vectors(model, chair), view_vector(azimuth, elevation),
               composite)[0]


def strip(images: np.ndarray) -> np.ndarray:
    """A row of images ``(K, S, S, 3)`` side by side: ``(S, K S, 3)``."""
    return np.concatenate(list(images), axis=1)


def morph(model, first: int, second: int, steps: int = 8, azimuth: float = 30.0,
          elevation: float = 20.0) -> np.ndarray:
    """``steps`` images from chair ``first`` to ``second``, the class input interpolated
    linearly (the paper's Fig. 9), as one strip ``(S, steps S, 3)``."""
    if steps < 2:
        raise ZooError(f"a morph needs at least 2 steps, got {steps}")
    a, b = class_vectors(model, [first, second])
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return strip(run(model, (1 - t) * a + t * b, view_vector(azimuth, elevation)))


def turntable(model, chair: int, views: int = 31, elevation: float = 20.0,
              first_azimuth: float = 0.0) -> np.ndarray:
    """``views`` azimuths evenly round the chair (31: the data set's), one strip."""
    if views < 1:
        raise ZooError(f"a turntable needs at least 1 view, got {views}")
    azimuths = first_azimuth + 360.0 * np.arange(views) / views
    classes = np.repeat(class_vectors(model, chair), views, axis=0)
    return strip(run(model, classes, view_vector(azimuths, elevation)))


__all__ = ["class_vectors", "generate", "morph", "run", "strip", "turntable", "view_vector"]
