"""Using a trained AdaIN net: content-style trade-off, style interpolation, colour
preservation and spatial control (Huang and Belongie, ICCV 2017, Sec. 7).

    >>> from zoo.models.adain import build, stylize
    >>> net = build(backbone="random", decoder="light")     # untrained: for the API only
    >>> out = stylize(net, photo, [painting_a, painting_b], weights=[0.7, 0.3], alpha=0.8)

Everything after the encoder is NumPy (float32, the statistics of
:func:`zoo.layers.statistics.mean_std` with its epsilon), then the decoder runs and the image
is clipped to [0, 1].

* ``alpha`` (Eq. 14): ``T(c, s, alpha) = g((1 - alpha) f(c) + alpha AdaIN(f(c), f(s)))``.
* Several styles (Eq. 15): ``g(sum_k w_k AdaIN(f(c), f(s_k)))`` with ``sum_k w_k = 1`` (the
  weights are normalized to sum to 1). AdaIN is affine in the style's ``(mu, sigma)``:
  ``sum_k w_k (sigma_k n + mu_k) = (sum_k w_k sigma_k) n + sum_k w_k mu_k`` for the
  normalized content ``n``, so this equals one AdaIN with the weighted statistics, which is
  what is computed (and what the phone stylizer takes).
* ``preserve_color`` (Sec. 7, after Gatys et al., "Controlling Perceptual Factors in Neural
  Style Transfer", CVPR 2017, Sec. 5.1): each style image's RGB pixels are transformed
  ``x' = A x + b`` so that their mean and covariance become the content's
  (:func:`match_color`), before the style is encoded. ``A = Sigma_c^(1/2) Sigma_s^(-1/2)``
  with symmetric square roots (Gatys et al.'s "Image Analogies" variant; the Cholesky one
  also matches the covariance; the symmetric one is the smallest rotation of colours).
* ``mask`` (Sec. 7, Fig. 9): a label map ``(H, W)`` of ints ``0 .. K-1`` (label ``k`` gets
  ``styles[k]``) or a list of ``K`` binary masks. Each region of the content features gets
  AdaIN with that region's own content statistics and its style's statistics; the masks are
  reduced to the feature grid (the label covering most of each 8 x 8 block).

Any content size: the image is reflection-padded at the bottom and right to a multiple of 8
(three poolings) and the output cropped back.
"""

from __future__ import annotations

import numpy as np

from zoo.errors import ZooError
from zoo.layers.statistics import ADAIN_EPSILON
from zoo.models.adain.network import SIZE_MULTIPLE, TARGET_LAYER, decoder, encoder


def pad_to_multiple(image: np.ndarray, multiple: int = SIZE_MULTIPLE, mode: str = "reflect"):
    """``image (H, W, ...)`` padded at the bottom and right to multiples of ``multiple``."""
    h, w = image.shape[:2]
    pad = ((0, -h % multiple), (0, -w % multiple)) + ((0, 0),) * (image.ndim - 2)
    if mode == "reflect" and (pad[0][1] >= h or pad[1][1] >= w):
        mode = "edge"  # reflect needs more pixels than it adds
    return np.pad(image, pad, mode=mode)


def _image(image, what: str) -> np.ndarray:
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ZooError(f"{what} must be an RGB image (H, W, 3) in [0, 1], got shape {image.shape}")
    return image


def features(model, image: np.ndarray) -> np.ndarray:
    """relu4_1 of one image ``(H, W, 3)`` (padded to a multiple of 8): ``(h, w, C)``."""
    padded = pad_to_multiple(_image(image, "the image"))
    return np.asarray(encoder(model)(padded[None])[TARGET_LAYER][0], np.float32)


def statistics(f: np.ndarray, where: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and ``sqrt(var + eps)`` of features ``(h, w, C)`` over the positions
    (``where``: a boolean ``(h, w)`` region), as :func:`zoo.layers.statistics.mean_std`."""
    values = f.reshape(-1, f.shape[-1]) if where is None else f[where]
    mean = values.mean(axis=0)
    return mean, np.sqrt(((values - mean) ** 2).mean(axis=0) + ADAIN_EPSILON)


def style_statistics(model, style_image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, std)`` of the style's relu4_1, each ``(C,)`` (C = 512): the phone stylizer's
    ``style_statistics`` input is their concatenation."""
    return statistics(features(model, style_image))


def match_color(style: np.ndarray, content: np.ndarray) -> np.ndarray:
    """``style`` recoloured so that its RGB mean and covariance are ``content``'s (module
    docstring); unclipped, float64."""
    s = np.asarray(style, np.float64).reshape(-1, 3)
    c = np.asarray(content, np.float64).reshape(-1, 3)
    mu_s, mu_c = s.mean(0), c.mean(0)
    a = _sqrtm(np.cov(c, rowvar=False, bias=True)) @ _sqrtm(
        np.cov(s, rowvar=False, bias=True), inverse=True)
    return ((s - mu_s) @ a.T + mu_c).reshape(np.shape(style))


def _sqrtm(sigma: np.ndarray, inverse: bool = False, floor: float = 1e-8) -> np.ndarray:
    values, vectors = np.linalg.eigh(sigma)
    values = np.maximum(values, floor)  # a flat colour channel: no division by zero
    return (vectors * (values ** (-0.5 if inverse else 0.5))) @ vectors.T


def _weights(weights, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
        raise ZooError(f"weights must be {n} non-negative numbers, not all 0, got {weights}")
    return w / w.sum()


def label_masks(mask, n_styles: int, shape: tuple[int, int]) -> list[np.ndarray]:
    """``K`` boolean masks ``(H, W)`` from a label map of ints ``0..K-1`` or a list of masks."""
    if isinstance(mask, (list, tuple)):
        masks = [np.asarray(m) > 0.5 for m in mask]
    else:
        labels = np.asarray(mask)
        if labels.ndim != 2 or not np.issubdtype(labels.dtype, np.integer):
            raise ZooError(f"mask must be a label map (H, W) of ints or a list of masks, "
                           f"got {labels.dtype} of shape {labels.shape}")
        masks = [labels == k for k in range(n_styles)]
    if len(masks) != n_styles or any(m.shape != tuple(shape) for m in masks):
        raise ZooError(f"mask: {n_styles} regions of the content's size {tuple(shape)} needed "
                       f"(one per style), got {len(masks)} of {[m.shape for m in masks][:3]}")
    return masks


def feature_masks(masks: list[np.ndarray], multiple: int = SIZE_MULTIPLE) -> list[np.ndarray]:
    """Each position of the feature grid to the region that covers most of its block."""
    cover = np.stack([pad_to_multiple(m.astype(np.float32), multiple, "edge") for m in masks])
    k, h, w = cover.shape
    blocks = cover.reshape(k, h // multiple, multiple, w // multiple, multiple).mean((2, 4))
    winner = blocks.argmax(0)
    return [winner == i for i in range(k)]


def target_features(model, content, styles, weights=None, alpha: float = 1.0, mask=None,
                    preserve_color: bool = False) -> np.ndarray:
    """The decoder's input ``(h, w, C)``: ``(1 - alpha) f(c) + alpha t`` (module docstring)."""
    content = _image(content, "content")
    one = not isinstance(styles, (list, tuple))  # one image, not a list of any sizes
    styles = [_image(s, "each style") for s in ([styles] if one else styles)]
    if not styles:
        raise ZooError("give at least one style image")
    if preserve_color:
        styles = [match_color(s, content).astype(np.float32).clip(0, 1) for s in styles]
    f_c = features(model, content)
    stats = [style_statistics(model, s) for s in styles]
    if mask is None:
        w = _weights(weights, len(styles))
        mean = sum(wk * m for wk, (m, _) in zip(w, stats))
        std = sum(wk * s for wk, (_, s) in zip(w, stats))
        t = regional_adain(f_c, [np.ones(f_c.shape[:2], bool)], [(mean, std)])
    else:
        regions = feature_masks(label_masks(mask, len(styles), content.shape[:2]))
        t = regional_adain(f_c, regions, stats)
    return ((1.0 - alpha) * f_c + alpha * t).astype(np.float32)


def regional_adain(f: np.ndarray, regions: list[np.ndarray], stats) -> np.ndarray:
    """AdaIN per region: its content statistics normalized away, its style's put in."""
    t = np.array(f, np.float32, copy=True)
    for where, (mean, std) in zip(regions, stats):
        if where.any():
            mu, sigma = statistics(f, where)
            t[where] = std * (f[where] - mu) / sigma + mean
    return t


def decode(model, t: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The decoder's image of features ``t (h, w, C)``, clipped to [0, 1], cropped to
    ``shape``."""
    image = np.asarray(decoder(model)(t[None])[0], np.float32)
    return image[:shape[0], :shape[1]].clip(0.0, 1.0)


def stylize(model, content, styles, weights=None, alpha: float = 1.0, mask=None,
            preserve_color: bool = False) -> np.ndarray:
    """``content (H, W, 3)`` in the style of ``styles`` (one image or a list), ``(H, W, 3)``
    in [0, 1] (module docstring for ``weights``, ``alpha``, ``mask``, ``preserve_color``)."""
    if not 0.0 <= alpha <= 1.0:
        raise ZooError(f"alpha must be in [0, 1], got {alpha}")
    t = target_features(model, content, styles, weights, alpha, mask, preserve_color)
    return decode(model, t, np.shape(content)[:2])


__all__ = ["decode", "feature_masks", "features", "label_masks", "match_color",
           "pad_to_multiple", "regional_adain", "statistics", "style_statistics", "stylize",
           "target_features"]
