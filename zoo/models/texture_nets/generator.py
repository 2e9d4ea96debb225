"""The multi-scale generator of Texture Networks (Ulyanov et al., ICML 2016).

Ulyanov, Lebedev, Vedaldi, Lempitsky, "Texture Networks: Feed-forward Synthesis
of Textures and Stylized Images", ICML 2016 (https://arxiv.org/abs/1603.03417),
Sec. 3.2 and Fig. 2; with instance normalization from Ulyanov, Vedaldi,
Lempitsky, "Improved Texture Networks", CVPR 2017 (arXiv:1701.02096), Sec. 4.

Architecture, checked against the authors' code (github.com/DmitryUlyanov/
texture_nets: branch texture_nets_v1 at commit b2097ec, the ICML code,
``models/pyramid.lua``; master at commit aad2cc6, the CVPR 2017 code):

* ``K`` noise tensors ``z_k`` (``k = 0`` full size, ``k = K - 1`` the coarsest,
  ``size / 2^k``), entries i.i.d. U(0, 1) (the code's ``:uniform()``), 3
  channels each (the code's ``noise_depth``). The paper uses ``K = 5``
  (channels "from 8 to 40" = 8 x 5); the code's ``ratios = {32, ..., 1}`` are
  ``K = 6``. Default here: 5 (the paper), configurable.
* Each ``z_k`` goes through a conv block: 3x3, 3x3 and 1x1 convolutions, each
  followed by normalization and LeakyReLU (negative slope 0.01, Torch's
  default; the v1 code. Master uses ReLU: we follow the ICML code and paper).
* Join, coarse to fine: the coarse branch is upsampled x2 (nearest) and both
  branches are normalised, then concatenated ("batch norm before merging" in
  the code; the paper's join block is upsample, BN, concatenate); a conv block
  as wide as the concatenation (``8 j`` channels after joining ``j`` scales)
  follows. The finest block ends in a 1x1 convolution to 3 channels.
* Stylization (ICML Sec. 4): the content image, average-pooled to each scale
  (``SpatialAveragePooling(2^k)`` in the code), is concatenated with ``z_k``.
* Padding of the 3x3 convolutions: circular for textures (the paper's
  "circular convolution to remove boundary effects"; ``convc`` in the v1
  code), replication for stylization (master's ``train.lua``).

Output in [0, 1] through a sigmoid. The authors' last 1x1 convolution is linear,
in VGG's mean-subtracted space, and is clamped to [0, 1] for display only
(texture_train.lua at b2097ec: ``torch.clamp(deprocess(output), 0, 1)``);
Johnson et al. (ECCV 2016, Sec. 3.1) squash with a scaled tanh. A sigmoid is
``(tanh(x / 2) + 1) / 2``, the same squashing mapped to [0, 1] directly, and
unlike a clip it keeps gradients everywhere.

Fully convolutional: one trained model generates any size that is a multiple of
``2^(K - 1)``. Only ``keras.layers``/``keras.ops``; the nearest upsampling and
circular padding are written so that dynamic spatial sizes convert to builtin
TFLite ops (``keras.layers.UpSampling2D`` does not with an unknown size).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.layers.normalization import InstanceNormalization
from zoo.layers.padding import ReflectionPadding2D, ReplicationPadding2D
from zoo.layers.resampling import NearestUpsampling2D

PAPER_SCALES = 5
"""``K`` of the ICML paper (Sec. 3.2); the authors' pyramid.lua has 6."""

CHANNELS = 8
"""Filters of each scale's conv block (``conv_num = 8`` in pyramid.lua)."""

NOISE_CHANNELS = 3
"""Channels of each noise tensor (``noise_depth = 3`` in the v1 training scripts)."""

LEAKY_SLOPE = 0.01
"""Negative slope of the LeakyReLU: Torch's ``nn.LeakyReLU`` default (v1 pyramid.lua)."""

BATCH_NORM_EPSILON = 1e-5
BATCH_NORM_MOMENTUM = 0.9
"""Torch's ``SpatialBatchNormalization`` defaults (eps 1e-5, momentum 0.1 = Keras 0.9)."""

MODES = ("texture", "stylization")
NORMALIZATIONS = ("batch", "instance")
PADDINGS = ("circular", "replication", "reflection", "zero")


@keras.saving.register_keras_serializable(package="zoo")
class CircularPadding2D(keras.layers.Layer):
    """Wrap-around padding of height and width by ``padding`` pixels (a torus)."""

    def __init__(self, padding: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.padding = int(padding)
        if self.padding < 0:
            raise ValueError(f"padding must not be negative, got {padding}")

    def call(self, x):
        p = self.padding
        if p == 0:
            return x
        if any(d is not None and p > d for d in x.shape[1:3]):
            raise ValueError(f"circular padding of {p} needs a map of at least {p}x{p}, "
                             f"got {x.shape[1]}x{x.shape[2]}")
        x = ops.concatenate([x[:, -p:], x, x[:, :p]], axis=1)
        return ops.concatenate([x[:, :, -p:], x, x[:, :, :p]], axis=2)

    def compute_output_shape(self, s):
        grown = [None if d is None else d + 2 * self.padding for d in s[1:3]]
        return (s[0], *grown, s[3])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


def _normalization(kind: str, name: str):
    if kind == "instance":
        return InstanceNormalization(name=name)
    return keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON,
                                           momentum=BATCH_NORM_MOMENTUM, name=name)


def _pad(kind: str, name: str):
    layers = {"circular": CircularPadding2D, "replication": ReplicationPadding2D,
              "reflection": ReflectionPadding2D}
    return layers[kind](1, name=name)


def apply_conv(x, filters: int, kernel: int, cfg: dict, name: str):
    """Convolution (stride 1, padded to keep the size), normalization, LeakyReLU."""
    if kernel > 1 and cfg["padding"] != "zero":
        x = _pad(cfg["padding"], f"{name}_pad")(x)
    padding = "same" if cfg["padding"] == "zero" else "valid"
    x = keras.layers.Conv2D(filters, kernel, padding=padding, name=f"{name}_conv")(x)
    x = _normalization(cfg["normalization"], f"{name}_norm")(x)
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=f"{name}_act")(x)


def apply_conv_block(x, filters: int, cfg: dict, name: str):
    """The paper's conv block: 3x3, 3x3 and 1x1 convolutions (Sec. 3.2, Fig. 2)."""
    for i, kernel in enumerate((3, 3, 1), start=1):
        x = apply_conv(x, filters, kernel, cfg, f"{name}_{i}")
    return x


def apply_join(coarse, fine, cfg: dict, name: str):
    """Upsample the coarse branch x2, normalise both branches, concatenate (Fig. 2)."""
    coarse = NearestUpsampling2D(name=f"{name}_up")(coarse)
    coarse = _normalization(cfg["normalization"], f"{name}_norm_coarse")(coarse)
    fine = _normalization(cfg["normalization"], f"{name}_norm_fine")(fine)
    return keras.layers.Concatenate(name=f"{name}_concat")([coarse, fine])


def _check(mode, normalization, padding, scales):
    for value, allowed, what in ((mode, MODES, "mode"), (normalization, NORMALIZATIONS,
                                 "normalization"), (padding, PADDINGS, "padding")):
        if value not in allowed:
            raise ValueError(f"{what} must be one of {allowed}, got {value!r}")
    if scales < 1:
        raise ValueError(f"scales must be >= 1, got {scales}")


def TextureNetwork(scales: int = PAPER_SCALES, mode: str = "texture",
                   normalization: str = "instance", channels: int = CHANNELS,
                   noise_channels: int = NOISE_CHANNELS, padding: str | None = None,
                   name: str = "texture_network") -> keras.Model:
    """The multi-scale generator as a Keras functional model.

    Inputs (in this order): for ``mode="stylization"`` first ``content``
    ``(B, H, W, 3)`` in [0, 1]; then ``noise_0`` ... ``noise_{K-1}``, ``noise_k``
    of size ``(B, H / 2^k, W / 2^k, noise_channels)`` (see :func:`make_noise`).
    Output ``(B, H, W, 3)`` in [0, 1]. ``padding`` ``None``: circular for
    textures, replication for stylization.
    """
    padding = padding or ("circular" if mode == "texture" else "replication")
    _check(mode, normalization, padding, scales)
    cfg = {"normalization": normalization, "padding": padding}
    noise = [keras.Input((None, None, noise_channels), name=f"noise_{k}") for k in range(scales)]
    content = keras.Input((None, None, 3), name="content") if mode == "stylization" else None
    x = None
    for j, k in enumerate(reversed(range(scales)), start=1):  # coarse (k = K-1) to fine (k = 0)
        z = noise[k]
        if content is not None:
            pooled = content if k == 0 else keras.layers.AveragePooling2D(
                2**k, name=f"content_pool_{k}")(content)
            z = keras.layers.Concatenate(name=f"input_{k}")([pooled, z])
        branch = apply_conv_block(z, channels, cfg, f"scale{k}")
        if x is not None:
            branch = apply_conv_block(apply_join(x, branch, cfg, f"join{k}"), channels * j, cfg,
                                      f"mix{k}")
        x = branch
    x = keras.layers.Conv2D(3, 1, name="to_rgb")(x)
    images = keras.layers.Activation("sigmoid", name="images")(x)
    inputs = ([content] if content is not None else []) + noise
    return keras.Model(inputs, images, name=name)


def build(**config) -> keras.Model:
    """:func:`TextureNetwork` from a preset's ``config``."""
    return TextureNetwork(**config)


def size_multiple(model_or_scales) -> int:
    """Output sizes must be multiples of ``2^(K - 1)``."""
    scales = model_or_scales if isinstance(model_or_scales, int) else noise_scales(model_or_scales)
    return 2 ** (scales - 1)


def noise_scales(model: keras.Model) -> int:
    return sum(1 for t in model.inputs if _input_name(t).startswith("noise_"))


def _input_name(tensor) -> str:
    return (getattr(tensor, "name", "") or "").split(":")[0]


def _size_pair(size) -> tuple[int, int]:
    return (int(size), int(size)) if np.isscalar(size) else (int(size[0]), int(size[1]))


def make_noise(size, batch: int = 1, seed: int | None = 0, scales: int = PAPER_SCALES,
               channels: int = NOISE_CHANNELS) -> list[np.ndarray]:
    """The noise inputs ``[noise_0, ..., noise_{K-1}]`` for ``size`` (int or (H, W)), U(0, 1)."""
    h, w = _size_pair(size)
    m = 2 ** (scales - 1)
    if h % m or w % m or h <= 0 or w <= 0:
        raise ValueError(f"size {h}x{w} must be a positive multiple of 2^(K-1) = {m}")
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.0, 1.0, (batch, h >> k, w >> k, channels)).astype("float32")
            for k in range(scales)]


def generator_inputs(model: keras.Model, size, batch: int = 1, seed: int | None = 0,
                     content: np.ndarray | None = None) -> list[np.ndarray]:
    """All inputs of ``model`` for one call: the content batch (stylization) and the noise."""
    scales = noise_scales(model)
    channels = model.inputs[-1].shape[-1]
    noise = make_noise(size, batch, seed, scales, channels)
    if "content" in [_input_name(t) for t in model.inputs]:
        if content is None:
            raise ValueError("a stylization network needs the content images")
        return [np.asarray(content, np.float32)] + noise
    return noise


def sample(model, size, n: int = 1, seed: int | None = 0,
           content: np.ndarray | None = None) -> np.ndarray:
    """``n`` samples ``(n, H, W, 3)`` in [0, 1] of ``size`` (int or (H, W)) from fresh noise."""
    inputs = generator_inputs(model, size, n, seed, content)
    return np.asarray(model(inputs, training=False))
