"""Feature statistics and the losses of neural texture synthesis and style transfer.

Backend-agnostic (``keras.ops`` only); every function works on NHWC feature maps
``(batch, height, width, channels)`` and returns one value per example (Keras
averages those over the batch). In the papers' notation a layer ``l`` has
``N_l`` filters (channels) and ``M_l`` positions (height x width); ``F^l`` is
its ``N_l x M_l`` feature matrix.

* Gatys, Ecker, Bethge, "Texture Synthesis Using Convolutional Neural
  Networks", NIPS 2015 (https://arxiv.org/abs/1505.07376), Sec. 2-3: the Gram
  matrix, the layer loss ``E_l`` and their weighted sum.
* Gatys, Ecker, Bethge, "Image Style Transfer Using Convolutional Neural
  Networks", CVPR 2016: the content loss (Eq. 1) and the same style loss (Gram
  matrix Eq. 3, ``E_l`` Eq. 4, ``sum_l w_l E_l`` Eq. 5) with ``w_l = 1 / 5`` on
  its five style layers (Sec. 3).
* Johnson, Alahi, Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
  Super-Resolution", ECCV 2016, Sec. 3.2: the Gram matrix divided by
  ``C_j H_j W_j`` (``normalization="all"`` here).
* Huang and Belongie, "Arbitrary Style Transfer in Real-time with Adaptive
  Instance Normalization", ICCV 2017, Sec. 5: per-example, per-channel mean and
  standard deviation over the positions.
* Mahendran and Vedaldi, "Understanding Deep Image Representations by Inverting
  Them", CVPR 2015, Eq. 2: the total-variation regulariser.

Under a mixed-precision policy every function computes in float32 (a raw Gram
matrix or a summed loss overflows float16's 65504) and the losses return float32,
as Keras wants losses; :func:`mean_std` returns its statistics in the input's dtype.

Where to use which: the Gatys losses are plain sums, so their scale grows with
the image size and the loss weights of a recipe hold for one size only.
"""

from __future__ import annotations

from collections.abc import Mapping

from keras import ops

from zoo.layers.dtypes import to_float32_if_half

GRAM_NORMALIZATIONS = ("sum", "positions", "all")
"""How :func:`gram_matrix` divides ``F F^T``: ``"sum"`` not at all (Gatys et
al. 2016, Eq. 3: ``G_ij = sum_k F_ik F_jk``), ``"positions"`` by ``M`` (the mean
over positions, as the reference code of Gatys et al. computes it, with the
loss scaled to match:
github.com/leongatys/DeepTextures, DeepImageSynthesis/LossFunctions.py at commit
289dfe6), ``"all"`` by ``N M`` (Johnson et al. 2016, Sec. 3.2)."""

ADAIN_EPSILON = 1e-5
"""Added to the variance before the square root in :func:`mean_std`: the value of
the official AdaIN layer, whose instance normalisation is Torch's
SpatialBatchNormalization with ``eps = 1e-5`` over the biased variance
(github.com/xunhuang1995/AdaIN-style, lib/AdaptiveInstanceNormalization.lua at
commit 949e7c0). The paper itself gives no value."""


def _flatten_positions(features):
    """``(B, H, W, N) -> (B, M, N)`` with ``M = H W``."""
    shape = ops.shape(features)
    return ops.reshape(features, (shape[0], -1, shape[-1]))


def _sizes(features):
    """``(N, M)`` of a feature map as floats of its dtype (works with unknown sizes)."""
    shape = ops.shape(features)
    n = ops.cast(shape[-1], features.dtype)
    m = ops.cast(shape[1] * shape[2], features.dtype)
    return n, m


def gram_matrix(features, normalization: str = "sum"):
    """The Gram matrices ``(B, N, N)`` of feature maps ``(B, H, W, N)``.

    ``G_ij = sum_k F_ik F_jk`` over the ``M = H W`` positions (Gatys et al.
    2016, Eq. 3), divided according to ``normalization`` (see
    :data:`GRAM_NORMALIZATIONS`): ``"sum"`` (the paper's), ``"positions"``
    (``/ M``) or ``"all"`` (``/ N M``, Johnson et al. 2016).
    """
    if normalization not in GRAM_NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {GRAM_NORMALIZATIONS}, "
                         f"got {normalization!r}")
    features = to_float32_if_half(features)
    flat = _flatten_positions(features)
    gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat)
    n, m = _sizes(features)
    if normalization == "positions":
        gram = gram / m
    elif normalization == "all":
        gram = gram / (n * m)
    return gram


def gram_matrices(features: Mapping, normalization: str = "sum") -> dict:
    """:func:`gram_matrix` of every entry of an extractor's ``{layer: features}``."""
    return {name: gram_matrix(value, normalization) for name, value in features.items()}


def layer_style_loss(features, target_gram, normalization: str = "sum"):
    """``E_l = 1 / (4 N^2 M^2) sum_ij (G_ij - A_ij)^2`` per example (Gatys 2016, Eq. 4).

    ``target_gram`` (``(N, N)`` or ``(B, N, N)``) must come from
    :func:`gram_matrix` with the same ``normalization``. The value is the
    paper's ``E_l`` whichever normalization is used (for ``"positions"`` the
    factor becomes ``1 / (4 N^2)``, for ``"all"`` ``1 / 4``), provided the
    target image has as many positions as ``features``; with ``"positions"`` or
    ``"all"`` a target from an image of another size is compared on a per-position
    scale, which the raw ``"sum"`` cannot do. In float32 ``"positions"`` keeps the
    numbers smaller than the paper's raw sums.
    """
    features = to_float32_if_half(features)
    gram = gram_matrix(features, normalization)
    n, m = _sizes(features)
    squared = ops.sum(ops.square(gram - ops.cast(target_gram, gram.dtype)), axis=(1, 2))
    if normalization == "sum":
        return squared / (4.0 * ops.square(n) * ops.square(m))
    if normalization == "positions":
        return squared / (4.0 * ops.square(n))
    return squared / 4.0


def style_loss(features: Mapping, target_grams: Mapping, layer_weights: Mapping | None = None,
               normalization: str = "sum"):
    """``L_style = sum_l w_l E_l`` per example (Gatys 2016, Eq. 5).

    ``features`` is an extractor's ``{layer: features}``; ``target_grams`` holds
    the target's Gram matrices for the style layers (:func:`gram_matrices` with
    the same ``normalization``), and only those layers count. ``layer_weights``
    ``{layer: w_l}`` defaults to ``w_l = 1 / L`` over the ``L`` target layers,
    the CVPR 2016 paper's ``1 / 5`` on its five style layers (Sec. 3).
    """
    if not target_grams:
        raise ValueError("style_loss needs at least one target layer")
    if layer_weights is None:
        layer_weights = {name: 1.0 / len(target_grams) for name in target_grams}
    missing = sorted(set(layer_weights) - set(features))
    if missing:
        raise KeyError(f"no features for style layers {missing}; got {sorted(features)}")
    return sum(weight * layer_style_loss(features[name], target_grams[name], normalization)
               for name, weight in layer_weights.items())


def content_loss(features, target_features):
    """``1/2 sum_ij (F_ij - P_ij)^2`` per example (Gatys 2016, Eq. 1).

    A sum over positions and channels, not a mean: its scale grows with the
    image size, as in the paper.
    """
    features = to_float32_if_half(features)
    diff = features - ops.cast(target_features, features.dtype)
    return 0.5 * ops.sum(ops.square(diff), axis=(1, 2, 3))


def mean_std(features, epsilon: float = ADAIN_EPSILON):
    """Per-example, per-channel mean and standard deviation over positions.

    Returns ``(mean, std)``, each ``(B, 1, 1, C)`` (broadcastable against the
    features), with ``std = sqrt(var + epsilon)`` over the biased (population)
    variance, as AdaIN's instance normalisation (Huang and Belongie 2017,
    Eq. 5-6, 8; ``epsilon`` from :data:`ADAIN_EPSILON`).
    """
    dtype = features.dtype
    features = to_float32_if_half(features)
    mean = ops.mean(features, axis=(1, 2), keepdims=True)
    variance = ops.mean(ops.square(features - mean), axis=(1, 2), keepdims=True)
    return ops.cast(mean, dtype), ops.cast(ops.sqrt(variance + epsilon), dtype)


def total_variation(images):
    """Sum of squared differences between vertical and horizontal neighbours, per example.

    ``R(x) = sum_ijc (x_{i+1,j,c} - x_{ijc})^2 + (x_{i,j+1,c} - x_{ijc})^2``,
    each difference counted where both pixels exist: Mahendran and Vedaldi's
    ``R_{V^beta}`` (CVPR 2015, Eq. 2) with ``beta = 2``, which is smooth
    everywhere (``tf.image.total_variation`` sums absolute differences instead).
    Unnormalised: it grows with the image size.
    """
    images = to_float32_if_half(images)
    down = images[:, 1:, :, :] - images[:, :-1, :, :]
    right = images[:, :, 1:, :] - images[:, :, :-1, :]
    return (ops.sum(ops.square(down), axis=(1, 2, 3))
            + ops.sum(ops.square(right), axis=(1, 2, 3)))
