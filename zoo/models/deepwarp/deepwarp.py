"""DeepWarp (Ganin, Kononenko, Sungatullina, Lempitsky, ECCV 2016): gaze redirection by warping.

The network never paints pixels: it predicts, for every output pixel, where to
read the input eye patch (a flow field, Sec. 3.1), reads it with the bilinear
sampler of Spatial Transformer Networks, and optionally mixes the result with a
learned colour (the lightness correction module, LCM, Sec. 3.2).

Inputs (all float32):

* ``image``: the eye patch (H, W, 3) in [0, 1], default 41 x 51 (H x W);
* ``anchors``: the landmark maps (H, W, 2K) of :func:`zoo.models.deepwarp.eyes.anchor_maps`
  (K = 7 landmarks: 14 channels);
* ``angle``: the redirection angle in degrees, 1 value (vertical only, as the
  paper's main models) or 2 (yaw, pitch).

Output: the resynthesised patch (H, W, 3). ``flow_model(model)`` also exposes the
total flow (H, W, 2) as (dx, dy) in pixels: output pixel (x, y) reads the
input at (x + dx, y + dy).

Sources for each choice, and where we decided ourselves
--------------------------------------------------------
The paper's Sec. 3 text and its architecture figure could not be read here
(only the first pages of public copies were reachable), so the section numbers
below (3 = method, 3.1 = coarse-to-fine warping, 3.2 = lightness correction,
4 = experiments) are from memory and unverified, and layer sizes come from two codes:
``A`` = the first author's Torch code ddtm/deep-smile-warp (``deepwarp/Transformer5.lua``,
``deepwarp/ConvSrcMs5.lua``, its later smile/attribute variant of DeepWarp), and
``B`` = the TensorFlow re-implementation BlueWinters/DeepWarp (``model.py``).

* Angle embedding (Sec. 3): two fully connected layers with ReLU to a 16-vector
  (A: ``createDeltaNet``, 16 hidden units by default; B: the same). The angle is
  divided by 15 degrees first (our choice: the paper's redirection range, Fig. 1,
  so the first layer sees values of order one). The vector is tiled over the
  image and concatenated to the input of *every* convolution of both warping
  modules, as A's ``depth_concat`` does (B concatenates it to the module input only).
  ``embedding_at="input"`` gives B's choice. On a phone it is far faster in int8:
  with random weights on 2 CPU threads, one eye pair took 1.8 ms against 8.9 ms
  for ``"every"``, measured in the same run. The preset
  ``deepwarp_rendered_fast_cpu`` is trained with it (see its model card).
* Coarse-to-fine warping (Sec. 3.1): a coarse module at half resolution (input
  and anchors average-pooled 2x2, as A's ``SpatialAveragePooling(2, 2)``) predicts
  a flow that is upsampled x2 to full resolution; a fine module at full
  resolution gets the input, the anchors, the upsampled coarse flow and the image
  warped by it, and predicts a residual flow; the input is then sampled once with
  the total flow (coarse + residual). A upsamples nearest-neighbour then blurs
  3x3; we upsample bilinearly (half-pixel centres, which match the 2x2 pooling
  cells) and crop the odd size back (41 -> 21 -> 42 -> 41): our decision.
* Each warping module: conv 5x5 x 16, conv 3x3 x 32, conv 3x3 x 32, conv 1x1 x 32,
  then a 1x1 conv to the 2 flow channels followed by tanh. The kernel sequence
  5-3-3-1-1 is A's ``_createConvModule``; the widths 16-32-32 are B's (A's
  larger GPU widths are 32-96-128-128). Every hidden conv is conv (no bias) ->
  batch normalisation -> ReLU (A and B both). BN momentum 0.9 (B) instead of
  Keras' 0.99, so that short runs get usable moving statistics.
* Flow range: A multiplies a tanh output in normalised [-1, 1] coordinates by
  0.1 (about 2.5 pixels on a 51-pixel side); our synthetic eyes move the iris by
  up to ~7 pixels for a 30-degree redirection, so the tanh is scaled to
  ``max_flow`` = 10 pixels for the coarse flow and ``max_residual`` = 5 pixels
  for the fine residual: our decision.
* Lightness correction (Sec. 3.2): a small net on the last hidden features of
  both modules (coarse ones upsampled), 1x1 conv x 8, 1x1 conv x 8, 1x1 conv to
  ``1 + palette_size`` logits (B's LCM: 8-8-2 1x1 convs on coarse + fine
  features), softmax over them per pixel, and the output is
  ``w_0 * warped + sum_p w_p * c_p`` with palette colours ``c_p = sigmoid(t_p)``
  learned (A's ``_applyLCM`` with ``TrainableTensor``; ``palette_size`` 1 is A's
  default; B mixes with pure white, 1.0). The palette starts bright
  (``sigmoid(3) = 0.95``), the white of the eyeball that the module mostly adds
  when the lid uncovers it: our decision.
* Start as the identity (our decision, asked for by the project): the flow heads
  have zero kernels and biases (tanh(0) = 0, no displacement), and the LCM is
  gated by a learned scalar ``strength`` that starts at 0:
  ``output = warped + strength * (mix - warped)``. A softmax cannot give exactly
  "keep the warped pixel" with a trainable gradient (saturating it kills the
  gradient); the zero-initialised gate can, and its own gradient is non-zero from
  the first step. The effective weights stay ``1 - s (1 - w_0)`` for the warped
  pixel and ``s w_p`` for the palette.
* Border: ``bilinear_sample(..., border="clamp")``. Flows near the patch edge
  point outside it; with zero padding those pixels would turn black (a dark
  frame around the eye), while clamping repeats the edge pixel, which is skin,
  the right content to fill in there, and keeps the sampling weights summing to
  one everywhere.
* Input centring: A subtracts the mean image; we subtract 0.5 from the images
  fed to the convolutions (the warp reads the raw input).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.layers.base import FixedSizeLayer
from zoo.layers.initializers import he_normal
from zoo.layers.sampling import (
    bilinear_sample,
    check_border,
    coordinate_dtype,
    identity_grid,
)

PATCH_SIZE = (41, 51)  # (H, W): B's config; see zoo.training.eyes
NUM_ANCHOR_CHANNELS = 14  # 7 landmarks x (dx, dy)
EMBEDDING = 16  # A createDeltaNet / B angle_embedding
ANGLE_SCALE = 15.0  # degrees: Fig. 1's redirection range
WIDTHS = (16, 32, 32, 32)  # B
KERNELS = (5, 3, 3, 1)  # A
LCM_WIDTHS = (8, 8)  # B
MAX_FLOW = 10.0  # pixels, ours
MAX_RESIDUAL = 5.0  # pixels, ours
PALETTE_INIT = 3.0  # sigmoid(3) = 0.95
BN_MOMENTUM = 0.9  # B


@keras.saving.register_keras_serializable(package="zoo")
class TileToImage(FixedSizeLayer):
    """(B, C) -> (B, H, W, C) by broadcasting (a builtin MUL in TFLite)."""

    def call(self, x):
        x = ops.expand_dims(ops.expand_dims(x, 1), 1)
        return x * ops.ones((1, self.height, self.width, 1), x.dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, input_shape[-1])


@keras.saving.register_keras_serializable(package="zoo")
class AnchorMaps(FixedSizeLayer):
    """(B, K, 2) landmarks (x, y in patch pixels) -> (B, H, W, 2K) anchor maps.

    The Keras twin of :func:`zoo.models.deepwarp.eyes.anchor_maps` (channel ``2k`` is
    ``(x - x_k) / W``, ``2k + 1`` is ``(y - y_k) / H``), so that a phone feeds
    the 7 landmarks and not 14 full-size maps. Builtin TFLite ops only (SUB, MUL).
    """

    def call(self, landmarks):
        h, w = self.height, self.width
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        dtype = landmarks.dtype  # float16 under a mixed-precision policy
        positions = ops.cast(landmarks, coordinate_dtype(landmarks))  # float32 at least
        grid = ops.convert_to_tensor(np.stack([xs / w, ys / h], -1)[:, :, None, :],
                                     positions.dtype)  # H,W,1,2
        scale = ops.convert_to_tensor(np.array([1.0 / w, 1.0 / h]), positions.dtype)
        marks = ops.expand_dims(ops.expand_dims(positions * scale, 1), 1)  # B,1,1,K,2
        maps = grid[None] - marks  # B,H,W,K,2
        return ops.cast(ops.reshape(maps, (-1, h, w, 2 * landmarks.shape[1])), dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.height, self.width, 2 * input_shape[1])


@keras.saving.register_keras_serializable(package="zoo")
class FlowWarp(keras.layers.Layer):
    """Sample ``image`` at pixel position + ``flow`` ((dx, dy) in pixels), bilinearly."""

    def __init__(self, border: str = "clamp", **kwargs):
        super().__init__(**kwargs)
        check_border(border)
        self.border = border

    def call(self, image, flow):
        h, w = flow.shape[1], flow.shape[2]
        # positions in float32 even under mixed precision: float16 steps 1/32 px at 50 px
        dtype = coordinate_dtype(flow)
        grid = ops.convert_to_tensor(identity_grid(h, w, "pixels"), dtype)
        return bilinear_sample(image, grid + ops.cast(flow, dtype), coordinates="pixels",
                               border=self.border)

    def compute_output_shape(self, image_shape, flow_shape):
        return tuple(flow_shape[:3]) + (image_shape[-1],)

    def get_config(self):
        return {**super().get_config(), "border": self.border}


@keras.saving.register_keras_serializable(package="zoo")
class UnitInterval(keras.constraints.Constraint):
    """Keeps a weight in [0, 1] after every optimizer step."""

    def __call__(self, w):
        return ops.clip(w, 0.0, 1.0)


@keras.saving.register_keras_serializable(package="zoo")
class LightnessCorrection(keras.layers.Layer):
    """Sec. 3.2: mix the warped pixel with a learned palette by per-pixel softmax weights.

    ``call(warped, logits)``: ``logits`` has ``1 + palette_size`` channels;
    ``mix = w_0 warped + sum_p w_p c_p`` with ``w = softmax(logits)`` and
    ``c_p = sigmoid(palette_p)``; output ``warped + strength * (mix - warped)``
    with ``strength`` starting at 0 (identity at initialisation) and kept in
    [0, 1], so the output stays a convex mix of the warped pixel and the palette,
    as in the paper (unconstrained, a first CPU run drove it to -0.1: darkening).
    """

    def __init__(self, palette_size: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.palette_size = int(palette_size)

    def build(self, warped_shape, logits_shape=None):
        channels = warped_shape[-1]
        self.palette = self.add_weight(
            name="palette", shape=(self.palette_size, channels),
            initializer=keras.initializers.Constant(PALETTE_INIT))
        self.strength = self.add_weight(name="strength", shape=(),
                                        initializer="zeros", constraint=UnitInterval())

    def colours(self):
        return ops.sigmoid(self.palette)

    def call(self, warped, logits):
        weights = ops.softmax(logits, axis=-1)
        mix = warped * weights[..., :1]
        colours = ops.cast(self.colours(), warped.dtype)
        for p in range(self.palette_size):
            mix = mix + weights[..., p + 1:p + 2] * colours[p]
        return warped + ops.cast(self.strength, warped.dtype) * (mix - warped)

    def compute_output_shape(self, warped_shape, logits_shape=None):
        return warped_shape

    def get_config(self):
        return {**super().get_config(), "palette_size": self.palette_size}


def _conv_bn_relu(x, filters, kernel, name):
    x = keras.layers.Conv2D(filters, kernel, padding="same", use_bias=False,
                            kernel_initializer=he_normal(), name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


EMBEDDING_AT = ("every", "input")


def _warp_module(x, embedding, height, width, name, embedding_at="every"):
    """conv 5x5/3x3/3x3/1x1 (BN, ReLU), the angle embedding joined to every conv's input
    (``embedding_at="every"``) or to the first one's only (``"input"``).

    Returns the last hidden features and the 2-channel tanh output in [-1, 1].
    """
    tiled = TileToImage(height, width, name=f"{name}_angle_tile")(embedding)
    for i, (filters, kernel) in enumerate(zip(WIDTHS, KERNELS), start=1):
        if i == 1 or embedding_at == "every":
            x = keras.layers.Concatenate(name=f"{name}{i}_in")([x, tiled])
        x = _conv_bn_relu(x, filters, kernel, f"{name}{i}")
    features = x
    flow = keras.layers.Conv2D(2, 1, activation="tanh", kernel_initializer="zeros",
                               bias_initializer="zeros", name=f"{name}_flow")(x)
    return features, flow


def _upsample(x, height, width, name):
    """x2 bilinear (half-pixel centres), cropped to (height, width)."""
    x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"{name}_up")(x)
    extra_h, extra_w = x.shape[1] - height, x.shape[2] - width
    if extra_h or extra_w:
        x = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name=f"{name}_crop")(x)
    return x


def DeepWarp(size=PATCH_SIZE, angle_dims: int = 2, anchor_channels: int = NUM_ANCHOR_CHANNELS,
             coarse_to_fine: bool = True, lightness: bool = True, palette_size: int = 1,
             max_flow: float = MAX_FLOW, max_residual: float = MAX_RESIDUAL,
             border: str = "clamp", embedding_at: str = "every",
             name: str = "deepwarp") -> keras.Model:
    """Build DeepWarp; see the module docstring for the architecture and its sources.

    ``coarse_to_fine=False`` keeps the full-resolution module only (it then
    predicts the whole flow, up to ``max_flow`` pixels); ``lightness=False``
    drops the LCM (the output is the warped image), the ablation of Sec. 4.
    ``embedding_at="input"`` joins the angle embedding to each module's input
    only (B's choice; much faster in int8) instead of to every convolution.
    """
    if embedding_at not in EMBEDDING_AT:
        raise ValueError(f"embedding_at={embedding_at!r}; use one of {', '.join(EMBEDDING_AT)}")
    height, width = int(size[0]), int(size[1])
    image = keras.Input((height, width, 3), name="image")
    anchors = keras.Input((height, width, anchor_channels), name="anchors")
    angle = keras.Input((angle_dims,), name="angle")

    e = keras.layers.Rescaling(1.0 / ANGLE_SCALE, name="angle_scale")(angle)
    e = keras.layers.Dense(EMBEDDING, activation="relu", kernel_initializer=he_normal(),
                           name="angle_fc1")(e)
    embedding = keras.layers.Dense(EMBEDDING, activation="relu", kernel_initializer=he_normal(),
                                   name="angle_fc2")(e)

    centred = keras.layers.Rescaling(1.0, offset=-0.5, name="centre")(image)
    warp = FlowWarp(border, name="warp")
    if coarse_to_fine:
        half = keras.layers.Concatenate(name="half_in")([centred, anchors])
        half = keras.layers.AveragePooling2D(2, padding="same", name="half_pool")(half)
        coarse_features, coarse = _warp_module(half, embedding, half.shape[1], half.shape[2],
                                               "coarse", embedding_at)
        coarse = keras.layers.Rescaling(max_flow, name="coarse_scale")(coarse)
        coarse_flow = _upsample(coarse, height, width, "coarse_flow")
        coarse_image = FlowWarp(border, name="coarse_warp")(image, coarse_flow)
        fine_in = keras.layers.Concatenate(name="fine_in")([
            centred, anchors,
            keras.layers.Rescaling(1.0 / max_flow, name="coarse_flow_unit")(coarse_flow),
            keras.layers.Rescaling(1.0, offset=-0.5, name="coarse_centre")(coarse_image)])
        fine_features, residual = _warp_module(fine_in, embedding, height, width, "fine",
                                               embedding_at)
        residual = keras.layers.Rescaling(max_residual, name="residual_scale")(residual)
        flow = keras.layers.Add(name="flow")([coarse_flow, residual])
        lcm_features = [_upsample(coarse_features, height, width, "coarse_features"),
                        fine_features]
    else:
        fine_in = keras.layers.Concatenate(name="fine_in")([centred, anchors])
        fine_features, flow = _warp_module(fine_in, embedding, height, width, "fine",
                                           embedding_at)
        flow = keras.layers.Rescaling(max_flow, name="flow")(flow)
        lcm_features = [fine_features]

    warped = warp(image, flow)
    if lightness:
        x = (keras.layers.Concatenate(name="lcm_in")(lcm_features)
             if len(lcm_features) > 1 else lcm_features[0])
        for i, filters in enumerate(LCM_WIDTHS, start=1):
            x = _conv_bn_relu(x, filters, 1, f"lcm{i}")
        logits = keras.layers.Conv2D(1 + palette_size, 1, kernel_initializer=he_normal(),
                                     name="lcm_logits")(x)
        output = LightnessCorrection(palette_size, name="lightness")(warped, logits)
    else:
        output = warped
    output = keras.layers.Identity(name="output")(output)
    return keras.Model([image, anchors, angle], output, name=name)


def flow_model(model: keras.Model) -> keras.Model:
    """The same network returning ``[output, flow]`` (flow (H, W, 2) in pixels)."""
    return keras.Model(model.inputs, [model.output, model.get_layer("flow").output])


def landmark_model(model: keras.Model) -> keras.Model:
    """The same network taking landmarks ``(K, 2)`` instead of anchor maps: what a phone runs.

    Inputs ``image`` (H, W, 3), ``landmarks`` (K, 2) in patch pixels, ``angle``;
    the anchor maps are computed inside by :class:`AnchorMaps`. Weights are shared
    with ``model``.
    """
    image_in, anchors_in, angle_in = model.inputs
    height, width = image_in.shape[1], image_in.shape[2]
    image = keras.Input(image_in.shape[1:], name="image")
    landmarks = keras.Input((anchors_in.shape[-1] // 2, 2), name="landmarks")
    angle = keras.Input(angle_in.shape[1:], name="angle")
    anchors = AnchorMaps(height, width, name="anchor_maps")(landmarks)
    return keras.Model([image, landmarks, angle], model([image, anchors, angle]),
                       name=f"{model.name}_landmarks")


def build(**config) -> keras.Model:
    """The registry's entry point: ``build(coarse_to_fine=..., lightness=...)``.

    Defaults to ``angle_dims=1`` (vertical redirection, the recipe's and the
    pretrained weights' setting; :func:`DeepWarp` itself defaults to 2).
    """
    return DeepWarp(**{"angle_dims": 1, **config})


def flow_to_colour(flow: np.ndarray, max_flow: float | None = None) -> np.ndarray:
    """(..., H, W, 2) flow to RGB in [0, 1]: hue = direction, saturation = magnitude."""
    flow = np.asarray(flow, np.float64)
    dx, dy = flow[..., 0], flow[..., 1]
    magnitude = np.hypot(dx, dy)
    scale = max_flow or max(float(magnitude.max()), 1e-6)
    hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
    sat = np.clip(magnitude / scale, 0, 1)
    h6 = hue * 6.0
    i = np.floor(h6).astype(int) % 6
    f = h6 - np.floor(h6)
    p, q, t = 1 - sat, 1 - sat * f, 1 - sat * (1 - f)
    v = np.ones_like(sat)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = np.zeros(flow.shape[:-1] + (3,))
    for k, (r, g, b) in enumerate(table):
        m = i == k
        rgb[..., 0][m], rgb[..., 1][m], rgb[..., 2][m] = r[m], g[m], b[m]
    return rgb.astype(np.float32)
