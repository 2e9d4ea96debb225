"""Running a trained transform net on images of any size: :func:`stylize`, :func:`super_resolve`.

The style nets need sides that are multiples of 4 (two stride-2 convolutions), and the
paper variant more than 40 pixels (its 40-pixel reflection padding): :func:`stylize` pads
the image by reflection to the next size that fits, split evenly between the two sides,
and crops the output back to the image's size.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError


def _as_batch(image) -> tuple[np.ndarray, bool]:
    x = np.asarray(image, np.float32)
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ZooError(f"expected an RGB image (H, W, 3) or a batch (B, H, W, 3), got shape "
                       f"{x.shape}")
    return x, False


def padding_for(side: int, multiple: int, minimum: int) -> tuple[int, int]:
    """``(before, after)``: the padding that brings ``side`` to a multiple of ``multiple``
    of at least ``minimum``, split evenly (the extra pixel after)."""
    target = max(-(-side // multiple) * multiple, -(-minimum // multiple) * multiple)
    total = target - side
    return total // 2, total - total // 2


def stylize(model, image) -> np.ndarray:
    """The stylized image(s), in [0, 1], of the shape of ``image`` ((H, W, 3) or a batch)."""
    from zoo.models.johnson.transform_net import min_size, size_multiple

    x, single = _as_batch(image)
    h, w = x.shape[1:3]
    m, low = size_multiple(model), min_size(model)
    (top, bottom), (left, right) = padding_for(h, m, low), padding_for(w, m, low)
    mode = "reflect" if min(h, w) > 1 else "edge"
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), mode=mode)
    y = np.asarray(model(x, training=False))[:, top:top + h, left:left + w]
    y = np.clip(y, 0.0, 1.0)
    return y[0] if single else y


def super_resolve(model, low_res) -> np.ndarray:
    """The ``f``-times larger image(s) in [0, 1] of ``low_res`` ((H, W, 3) or a batch)."""
    from zoo.models.johnson.transform_net import task_of

    if task_of(model)[0] != "sr":
        raise ZooError("super_resolve needs a super-resolution net (task='sr'); use stylize")
    x, single = _as_batch(low_res)
    y = np.clip(np.asarray(model(x, training=False)), 0.0, 1.0)
    return y[0] if single else y


__all__ = ["padding_for", "stylize", "super_resolve"]
