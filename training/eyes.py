"""Eye images with known gaze for DeepWarp (Ganin et al., ECCV 2016), in NumPy.

No gaze-pair data set is available here, so :func:`render_eye` draws a procedural
eye whose gaze, landmarks and appearance are known exactly, and :func:`gaze_pair`
makes DeepWarp's training example from it: one eye seen with two gazes, the
landmarks of the *input* image, and the redirection angle. :func:`load_columbia`
reads the same kind of pairs from the Columbia Gaze Data Set (Smith et al., UIST
2013) when it is at hand.

What was checked in DeepWarp's sources, and where:

* Redirection range: the caption of Fig. 1 (the Springer version,
  doi:10.1007/978-3-319-46475-6_20) shows a model "trained for vertical gaze
  redirection" with the angle "varying between -15 and +15" degrees, hence
  ``max_angle=15`` and ``vertical=True``.
* Patch size and landmark count: the paper's Sec. 3-4 text could not be read
  here. A TensorFlow re-implementation (BlueWinters/DeepWarp, ``config.py``) uses
  41 x 51 (H x W) eye patches and 14 anchor channels, i.e. 7 landmarks; those are
  the defaults.
* Anchor encoding: the first author's Torch module ``deepwarp.AnchorsToMaps``
  (ddtm/deep-smile-warp) turns each landmark into two maps, ``(x - x_k) / W`` and
  ``(y - y_k) / H`` at every pixel ``(x, y)`` (0-based pixel indices); see
  :func:`anchor_maps`.

Conventions: pixel coordinates have the centre of pixel ``(row i, column j)`` at
``(x, y) = (j, i)``. Gaze yaw > 0 looks towards the image's right (+x), pitch > 0
looks up (-y); both in degrees, the eye seen frontally (orthographic camera).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from zoo.models.deepwarp.eyes import (  # noqa: F401 - also read here, as eyes.anchor_maps
    LANDMARK_NAMES, MAX_ANGLE, NUM_LANDMARKS, PATCH_SIZE, anchor_maps, box_landmarks, crop_eye,
    eye_box)

EYEBALL = 0.40  # eyeball radius / corner distance: 12 mm / ~30 mm palpebral fissure
UPPER_LID_FOLLOW = 0.8  # upper-lid shift per unit of the iris's vertical shift
LOWER_LID_FOLLOW = 0.3  # the lower lid follows less
SUPERSAMPLE = 4  # sub-pixels per pixel side, for anti-aliased edges


@dataclass(frozen=True)
class EyeAppearance:
    """Everything about one eye except its gaze (colours are linear RGB in [0, 1]).

    Sizes are relative, so one appearance renders at any patch size: the eye
    width (corner to corner) is ``eye_width`` of the patch width, the eyeball
    radius ``EYEBALL`` of the eye width, the iris radius ``iris_radius`` of the
    eyeball radius, the pupil radius ``pupil`` of the iris radius.
    """

    skin: tuple[float, float, float]
    sclera: tuple[float, float, float]
    iris: tuple[float, float, float]
    iris_radius: float  # / eyeball radius; ~0.49 anatomically (5.9 mm / 12 mm)
    iris_seed: int  # texture: radial streaks and crypts
    iris_texture: float  # contrast of the texture, 0 = flat colour
    limbus: float  # darkening of the iris rim, 0..1
    pupil: float  # / iris radius; 0 = no pupil
    eye_width: float  # corner distance / patch width
    aspect: float  # lid opening height / eye width, at zero gaze and openness 1
    openness: float  # scales the upper lid's opening
    tilt: float  # degrees, of the corner line (positive: right corner higher)
    offset: tuple[float, float]  # eye centre offset from the patch centre, / patch width
    nasal: int  # +1: inner corner (caruncle) on the right, -1: on the left
    light: tuple[float, float]  # light direction's image-plane part (x right, y up)
    light_strength: float  # 0 = flat, ambient light only
    highlight: float  # peak of the specular highlight added to the image; 0 = none
    lashes: float  # darkness of the upper lash line, 0..1
    lid_shadow: float  # darkening of the eyeball just under the upper lid, 0..1
    skin_seed: int
    noise: float  # standard deviation of a fixed noise pattern (sensor/skin grain)
    noise_seed: int


def sample_appearance(rng: np.random.Generator) -> EyeAppearance:
    """A random plausible eye: varied skin, iris colour, shape, light and noise."""
    tone = rng.uniform(0.25, 0.95)  # dark to light skin, warm hue
    skin = (tone, tone * rng.uniform(0.68, 0.8), tone * rng.uniform(0.52, 0.68))
    white = rng.uniform(0.72, 0.88)
    sclera = (white, white * rng.uniform(0.93, 0.99), white * rng.uniform(0.86, 0.96))
    irises = np.array([[0.32, 0.18, 0.08], [0.18, 0.10, 0.05], [0.30, 0.42, 0.58],
                       [0.30, 0.40, 0.24], [0.42, 0.32, 0.16], [0.40, 0.45, 0.50]])
    iris = irises[rng.integers(len(irises))] * rng.uniform(0.85, 1.15, 3)
    iris = 0.75 * iris + 0.25 * iris.mean()  # real irises are greyer than paint
    angle = rng.uniform(0, 2 * math.pi)
    return EyeAppearance(
        skin=tuple(float(c) for c in skin), sclera=tuple(float(c) for c in sclera),
        iris=tuple(float(c) for c in np.clip(iris, 0, 1)),
        iris_radius=float(rng.uniform(0.45, 0.53)), iris_seed=int(rng.integers(2**31)),
        iris_texture=float(rng.uniform(0.15, 0.4)), limbus=float(rng.uniform(0.3, 0.7)),
        pupil=float(rng.uniform(0.3, 0.5)), eye_width=float(rng.uniform(0.58, 0.70)),
        aspect=float(rng.uniform(0.3, 0.4)), openness=float(rng.uniform(0.8, 1.1)),
        tilt=float(rng.uniform(-6, 6)),
        offset=(float(rng.uniform(-0.02, 0.02)), float(rng.uniform(-0.02, 0.02))),
        nasal=int(rng.choice([-1, 1])),
        light=(0.5 * math.cos(angle), 0.5 * abs(math.sin(angle)) + 0.2),
        light_strength=float(rng.uniform(0.2, 0.6)), highlight=float(rng.uniform(0.5, 0.9)),
        lashes=float(rng.uniform(0.5, 0.85)), lid_shadow=float(rng.uniform(0.3, 0.5)),
        skin_seed=int(rng.integers(2**31)),
        noise=float(rng.uniform(0.0, 0.015)), noise_seed=int(rng.integers(2**31)))


@dataclass(frozen=True)
class EyeGeometry:
    """An appearance's geometry at one patch size, in pixels."""

    centre: tuple[float, float]  # eyeball centre = midpoint of the corners (x, y)
    half_width: float  # half the corner distance
    radius: float  # eyeball
    iris_radius: float
    pupil_radius: float
    upper: float  # upper-lid height above the corner line at the middle, zero gaze
    lower: float  # lower-lid depth below it
    tilt: float  # radians


def eye_geometry(appearance: EyeAppearance, size=PATCH_SIZE) -> EyeGeometry:
    """Pixel sizes and positions of ``appearance`` drawn in a ``size`` = (H, W) patch."""
    h, w = size
    width = appearance.eye_width * w
    radius = EYEBALL * width
    iris = appearance.iris_radius * radius
    opening = appearance.aspect * width
    centre = ((w - 1) / 2 + appearance.offset[0] * w, (h - 1) / 2 + appearance.offset[1] * w)
    return EyeGeometry(centre=centre, half_width=width / 2, radius=radius, iris_radius=iris,
                       pupil_radius=appearance.pupil * iris,
                       upper=0.55 * opening * appearance.openness, lower=0.45 * opening,
                       tilt=math.radians(appearance.tilt))


def gaze_vector(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """Unit gaze (x right, y up, z towards the camera) for yaw and pitch in degrees."""
    yaw, pitch = math.radians(yaw_deg), math.radians(pitch_deg)
    return np.array([math.sin(yaw) * math.cos(pitch), math.sin(pitch),
                     math.cos(yaw) * math.cos(pitch)])


def disc_centre(geometry: EyeGeometry, radius: float, yaw: float, pitch: float):
    """Image position (x, y) of the centre of a disc of ``radius`` on the eyeball.

    The iris and the pupil are spherical caps centred on the gaze ray; the cap's
    rim is a circle whose centre lies at depth ``d = sqrt(R^2 - r^2)`` along the
    gaze ``g``, so (orthographic view) it is seen at ``centre + d * (g_x, -g_y)``:
    an offset ``d cos(pitch) sin(yaw)`` across and ``d sin(pitch)`` up. The rim
    projects to an ellipse around that point, foreshortened along the gaze.
    """
    g = gaze_vector(yaw, pitch)
    d = math.sqrt(max(geometry.radius**2 - radius**2, 0.0))
    return geometry.centre[0] + d * g[0], geometry.centre[1] - d * g[1]


def lid_curves(geometry: EyeGeometry, x: np.ndarray, pitch: float):
    """Upper and lower eyelid margins ``y(x)``, and ``t`` (-1 at one corner, 1 at the other).

    Each lid is the corner line plus a bump ``(1 - t^2)^0.8`` (an almond eye).
    The lids follow vertical gaze as real ones do: the upper lid moves by
    ``UPPER_LID_FOLLOW`` times the iris's vertical shift ``R sin(pitch)`` (it
    lowers when looking down), the lower lid by ``LOWER_LID_FOLLOW`` times it.
    """
    cx, cy = geometry.centre
    t = (x - cx) / geometry.half_width
    line = cy - math.tan(geometry.tilt) * (x - cx)
    bump = np.clip(1 - t**2, 0, None) ** 0.8
    shift = geometry.radius * math.sin(math.radians(pitch))
    upper = line - (geometry.upper + UPPER_LID_FOLLOW * shift) * bump
    lower = line + (geometry.lower - LOWER_LID_FOLLOW * shift) * bump
    return upper, lower, t


def landmarks_of(appearance: EyeAppearance, yaw: float, pitch: float,
                 size=PATCH_SIZE) -> np.ndarray:
    """The K = 7 landmarks (x, y) of an eye, in pixels, in ``LANDMARK_NAMES`` order.

    The 6-point eye contour of the 68-point (iBUG/dlib) face annotation: a
    corner, two points on the upper lid (at 1/3 and 2/3 of the corner distance),
    the other corner, two on the lower lid, going round clockwise; then the pupil
    centre (:func:`disc_centre`). DeepWarp's own 7 points could not be checked
    here; like the paper, pairs carry the landmarks of the input image only.
    """
    geo = eye_geometry(appearance, size)
    cx = geo.centre[0]
    xs = cx + geo.half_width * np.array([-1, -1 / 3, 1 / 3, 1, 1 / 3, -1 / 3])
    upper, lower, _ = lid_curves(geo, xs, pitch)
    ys = np.where(np.arange(6) % 3 == 0, upper, np.where(np.arange(6) < 3, upper, lower))
    pupil = disc_centre(geo, geo.pupil_radius, yaw, pitch)
    return np.concatenate([np.stack([xs, ys], 1), [pupil]]).astype(np.float32)


def _smoothstep(edge0, edge1, x):
    t = np.clip((x - edge0) / (edge1 - edge0), 0, 1)
    return t * t * (3 - 2 * t)


def _iris_colour(appearance: EyeAppearance, rho, phi):
    """Iris RGB at radial fraction ``rho`` (0 centre, 1 rim) and angle ``phi``."""
    r = np.random.default_rng(appearance.iris_seed)
    streaks = np.zeros_like(rho)
    for n, a, p, b in zip(r.integers(8, 60, 7), r.uniform(0.3, 1, 7),
                          r.uniform(0, 2 * math.pi, 7), r.uniform(-2, 2, 7)):
        streaks += a * np.sin(n * phi + p + b * rho)  # radial fibres, slightly curved
    crypts = np.sin(r.integers(3, 9) * phi + 9 * rho + r.uniform(0, 6)) * np.sin(13 * rho)
    texture = (streaks / 2.0 + 0.5 * crypts) * appearance.iris_texture
    collarette = 0.25 * np.exp(-((rho - 0.5) / 0.08) ** 2)  # lighter ring round the pupil
    inner = 1 + 1.2 * appearance.iris_texture * _smoothstep(0.6, 0.2, rho)  # warmer centre
    limbus = 1 - appearance.limbus * _smoothstep(0.72, 1.0, rho)  # dark rim
    base = np.asarray(appearance.iris)
    shade = ((1 + texture + collarette * appearance.iris_texture * 2) * limbus)[..., None]
    return base * shade * inner[..., None] ** np.array([0.6, 1.0, 1.6])


def _skin_colour(appearance: EyeAppearance, geo: EyeGeometry, x, y, upper, t, size):
    """Skin with shading, a lid crease and a smooth blotchy texture."""
    h, w = size
    r = np.random.default_rng(appearance.skin_seed)
    blotch = np.zeros_like(x)
    for _ in range(6):
        k = r.normal(0, 0.25, 2)
        blotch += np.cos(k[0] * x + k[1] * y + r.uniform(0, 2 * math.pi)) / 6
    lx, ly = appearance.light
    gradient = (lx * (x - geo.centre[0]) - ly * (y - geo.centre[1])) / w
    crease_y = upper - 0.45 * geo.upper - 0.12 * geo.half_width
    crease = 0.18 * np.exp(-((y - crease_y) / 1.2) ** 2) * np.clip(1 - t**2, 0, 1)
    socket = 0.12 * np.exp(-(((x - geo.centre[0]) / (1.3 * geo.half_width)) ** 2
                             + ((y - geo.centre[1]) / (0.9 * geo.half_width)) ** 2))
    shade = 1 + appearance.light_strength * 0.8 * gradient + 0.08 * blotch - crease - socket
    return np.asarray(appearance.skin) * shade[..., None]


def _eyeball(appearance: EyeAppearance, geo: EyeGeometry, x, y, yaw, pitch, upper, t):
    """Sclera, textured iris and pupil (RGB), before lids and highlight."""
    px, py = x - geo.centre[0], geo.centre[1] - y  # y up
    rho2 = px**2 + py**2
    pz = np.sqrt(np.clip(geo.radius**2 - rho2, 0, None))
    g = gaze_vector(yaw, pitch)
    along = (px * g[0] + py * g[1] + pz * g[2]) / geo.radius  # cos(angle to the gaze)
    e1 = np.cross([0.0, 1.0, 0.0], g)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(g, e1)
    u, v = px * e1[0] + py * e1[1] + pz * e1[2], px * e2[0] + py * e2[1] + pz * e2[2]
    rho = np.hypot(u, v) / max(geo.iris_radius, 1e-6)  # radial fraction in the iris plane
    on_ball = rho2 < geo.radius**2
    iris = on_ball & (along > 0) & (rho < 1)
    pupil = iris & (rho < appearance.pupil)
    lx, ly = appearance.light
    normal_light = (px * lx + py * ly + pz * 0.8) / (geo.radius * math.hypot(lx, ly, 0.8))
    shade = 1 - appearance.light_strength * (1 - np.clip(normal_light, 0, 1)) * 0.6
    corner = 1 - 0.25 * np.clip(np.abs(t), 0, 1) ** 3
    lid_shadow = 1 - appearance.lid_shadow * np.exp(-np.clip(y - upper, 0, None) / 1.5)
    rgb = np.broadcast_to(np.asarray(appearance.sclera), x.shape + (3,)).copy()
    caruncle = _smoothstep(0.7, 0.95, appearance.nasal * t)
    rgb = rgb * (1 - caruncle[..., None]) + np.array([0.75, 0.42, 0.42]) * caruncle[..., None]
    rgb[iris] = _iris_colour(appearance, rho[iris], np.arctan2(v[iris], u[iris]))
    rgb[pupil] = 0.03
    return rgb * (shade * corner * lid_shadow)[..., None]


def _highlight_position(geo: EyeGeometry, appearance: EyeAppearance):
    """Where the corneal reflection of the light is seen; it depends on no gaze.

    The mirror normal is the half-vector of the light and the view (0, 0, 1),
    placed on a corneal sphere of radius 0.55 R; then kept inside the lid opening
    for any pitch within +-25 degrees, so that the lids never cover it.
    """
    lx, ly = appearance.light
    half = np.array([lx, ly, 1.0]) / math.hypot(lx, ly, 1.0) + [0, 0, 1]
    half /= np.linalg.norm(half)
    hx = geo.centre[0] + 0.55 * geo.radius * half[0]
    hy = geo.centre[1] - 0.55 * geo.radius * half[1]
    top = max(float(lid_curves(geo, np.array([hx]), p)[0][0]) for p in (-25, 25))
    bottom = min(float(lid_curves(geo, np.array([hx]), p)[1][0]) for p in (-25, 25))
    lo, hi = top + 1.5, bottom - 1.5
    return hx, (min(max(hy, lo), hi) if lo <= hi else (top + bottom) / 2)


def render_eye(appearance: EyeAppearance, gaze_yaw_deg: float, gaze_pitch_deg: float,
               size=PATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Draw an eye looking at (yaw, pitch) degrees: ``(image (H, W, 3) float32 in [0, 1],
    landmarks (7, 2) float32)``.

    A spherical eyeball seen frontally by an orthographic camera; the iris and the
    pupil are caps centred on the gaze ray, so they shift by ``d sin(angle)`` and
    foreshorten into ellipses (:func:`disc_centre`); the eyelids follow vertical
    gaze (:func:`lid_curves`) and hide the eyeball outside their opening; the
    specular highlight is a reflection of the fixed light and stays put in the
    image whatever the gaze. Every edge is anti-aliased by ``SUPERSAMPLE``^2
    samples per pixel. The noise pattern belongs to the appearance, so the same
    appearance and gaze always give the same image.
    """
    h, w = size
    s = SUPERSAMPLE
    geo = eye_geometry(appearance, size)
    y, x = np.meshgrid((np.arange(h * s) + 0.5) / s - 0.5, (np.arange(w * s) + 0.5) / s - 0.5,
                       indexing="ij")
    upper, lower, t = lid_curves(geo, x, gaze_pitch_deg)
    inside = ((y > upper) & (y < lower) & (np.abs(t) < 1))[..., None]
    skin = _skin_colour(appearance, geo, x, y, upper, t, size)
    lash = appearance.lashes * np.exp(-np.clip(upper - y, 0, None) / 1.1)
    lash *= np.clip(1 - np.abs(t) ** 4, 0, 1) * (y <= upper)
    skin *= (1 - lash)[..., None]
    lower_rim = 0.15 * np.exp(-np.clip(y - lower, 0, None) / 0.8) * (y >= lower)
    lower_rim *= np.clip(1 - t**2, 0, 1)
    skin *= (1 - lower_rim)[..., None]
    eye = _eyeball(appearance, geo, x, y, gaze_yaw_deg, gaze_pitch_deg, upper, t)
    if appearance.highlight > 0:
        hx, hy = _highlight_position(geo, appearance)
        sigma = 0.07 * geo.radius
        eye = eye + appearance.highlight * np.exp(-((x - hx) ** 2 + (y - hy) ** 2)
                                                  / (2 * sigma**2))[..., None]
    rgb = np.where(inside, eye, skin)
    image = rgb.reshape(h, s, w, s, 3).mean(axis=(1, 3))
    if appearance.noise > 0:
        image = image + np.random.default_rng(appearance.noise_seed).normal(
            0, appearance.noise, image.shape)
    image = np.clip(image, 0, 1).astype(np.float32)
    return image, landmarks_of(appearance, gaze_yaw_deg, gaze_pitch_deg, size)


def _redirection(rng, start, max_angle):
    """A redirection ``r`` with ``|r| <= max_angle`` and ``|start + r| <= max_angle``."""
    return rng.uniform(max(-max_angle, -max_angle - start), min(max_angle, max_angle - start))


def gaze_pair(rng: np.random.Generator, size=PATCH_SIZE, max_angle: float = MAX_ANGLE,
              vertical: bool = True, appearance: EyeAppearance | None = None,
              angle_in=None, redirection=None) -> dict:
    """One DeepWarp training example: the same eye with two gazes.

    Returns a dict: ``input`` and ``target`` images (H, W, 3), ``landmarks`` of
    the input (7, 2), ``target_landmarks`` (for evaluation only; DeepWarp sees the
    input's), and ``angle_in``, ``angle_out``, ``redirection`` = out - in, each
    (yaw, pitch) in degrees, float32. Both gazes and the redirection stay within
    ``max_angle``; with ``vertical`` only the pitch changes, as in the paper's
    vertical-redirection models. ``appearance``, ``angle_in`` and
    ``redirection`` override the random draws.
    """
    if appearance is None:
        appearance = sample_appearance(rng)
    if angle_in is None:
        angle_in = rng.uniform(-max_angle, max_angle, 2)
    angle_in = np.asarray(angle_in, np.float64)
    if redirection is None:
        redirection = np.array([0.0 if vertical else _redirection(rng, angle_in[0], max_angle),
                                _redirection(rng, angle_in[1], max_angle)])
    angle_out = angle_in + np.asarray(redirection, np.float64)
    source, marks = render_eye(appearance, *angle_in, size=size)
    target, target_marks = render_eye(appearance, *angle_out, size=size)
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    return dict(input=source, target=target, landmarks=marks, target_landmarks=target_marks,
                angle_in=f32(angle_in), angle_out=f32(angle_out),
                redirection=f32(angle_out - angle_in))


class PairBatches:
    """Reproducible batches of :func:`gaze_pair` examples, ``keras.utils.PyDataset``-style.

    ``batches[i]`` is a dict of stacked arrays (``input`` (B, H, W, 3), ...) that
    depends only on ``(seed, i)``, so batches can be drawn in any order or in
    parallel; ``len()`` is ``steps``.
    """

    def __init__(self, seed: int, batch: int, steps: int = 1000, size=PATCH_SIZE,
                 max_angle: float = MAX_ANGLE, vertical: bool = True):
        self.seed, self.batch, self.steps = seed, batch, steps
        self.kwargs = dict(size=tuple(size), max_angle=max_angle, vertical=vertical)

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.steps:
            raise IndexError(index)
        rng = np.random.default_rng([self.seed, index])
        pairs = [gaze_pair(rng, **self.kwargs) for _ in range(self.batch)]
        return {k: np.stack([p[k] for p in pairs]) for k in pairs[0]}


def pair_batches(seed: int, batch: int, steps: int | None = None, **kwargs) -> Iterator[dict]:
    """Yield ``steps`` batches of :class:`PairBatches` (forever when ``steps`` is None)."""
    source = PairBatches(seed, batch, steps=steps or 2**62, **kwargs)
    index = 0
    while steps is None or index < steps:
        yield source[index]
        index += 1


def tf_dataset(seed: int, batch: int, steps: int | None = None, size=PATCH_SIZE, **kwargs):
    """:func:`pair_batches` as a ``tf.data.Dataset`` of dicts (TensorFlow imported here only)."""
    import tensorflow as tf

    h, w = size
    spec = dict(input=(h, w, 3), target=(h, w, 3), landmarks=(NUM_LANDMARKS, 2),
                target_landmarks=(NUM_LANDMARKS, 2), angle_in=(2,), angle_out=(2,),
                redirection=(2,))
    signature = {k: tf.TensorSpec((batch, *shape), tf.float32) for k, shape in spec.items()}
    return tf.data.Dataset.from_generator(
        lambda: pair_batches(seed, batch, steps, size=size, **kwargs),
        output_signature=signature)




# -- Columbia Gaze Data Set ---------------------------------------------------------------

COLUMBIA_NAME = re.compile(r"^(\d+)_(\d+(?:\.\d+)?)m_(-?\d+)P_(-?\d+)V_(-?\d+)H\.jpe?g$",
                           re.IGNORECASE)


@dataclass(frozen=True)
class ColumbiaImage:
    """One Columbia image: ``0001_2m_-15P_10V_-5H.jpg`` is subject 1 at 2 m, head pose
    -15 degrees, vertical gaze 10, horizontal gaze -5 (Smith et al., UIST 2013)."""

    path: Path
    subject: int
    distance: float  # metres
    head_pose: int  # P, degrees
    vertical: int  # V, degrees: gaze pitch
    horizontal: int  # H, degrees: gaze yaw


def parse_columbia_name(path) -> ColumbiaImage | None:
    """The fields in a Columbia file name, or None if the name does not follow the pattern."""
    path = Path(path)
    m = COLUMBIA_NAME.match(path.name)
    if m is None:
        return None
    subject, dist, pose, v, hz = m.groups()
    return ColumbiaImage(path, int(subject), float(dist), int(pose), int(v), int(hz))


def columbia_files(root) -> list[ColumbiaImage]:
    """Every Columbia-named JPEG under ``root`` (any depth), sorted by path."""
    found = (parse_columbia_name(p) for p in sorted(Path(root).rglob("*")) if p.is_file())
    return [f for f in found if f is not None]


def columbia_pairs(files, vertical: bool = True, max_angle: float = MAX_ANGLE):
    """Ordered (input, target) pairs of one subject, distance and head pose.

    Only gaze differs in a pair. With ``vertical`` the horizontal gaze is the same
    and the vertical differs (DeepWarp's vertical redirection); else any two gazes.
    Pairs whose redirection exceeds ``max_angle`` on an axis are left out.
    """
    groups: dict[tuple, list[ColumbiaImage]] = {}
    for f in files:
        groups.setdefault((f.subject, f.distance, f.head_pose), []).append(f)
    pairs = []
    for key in sorted(groups):
        for a in groups[key]:
            for b in groups[key]:
                dv, dh = b.vertical - a.vertical, b.horizontal - a.horizontal
                if (dv, dh) == (0, 0) or (vertical and dh != 0):
                    continue
                if abs(dv) <= max_angle and abs(dh) <= max_angle:
                    pairs.append((a, b))
    return pairs








def load_columbia(root, find_eyes: Callable[[np.ndarray], list] | None = None,
                  size=PATCH_SIZE, vertical: bool = True, max_angle: float = MAX_ANGLE,
                  scale: float = 1.5) -> Iterator[dict]:
    """Gaze pairs of eye patches from a Columbia Gaze Data Set folder, one at a time.

    ``find_eyes(image uint8 (H, W, 3)) -> [landmarks (K, 2), ...]`` gives each
    eye's landmarks in image pixels, corners at indices 0 and 3 (the 6-point
    contour order of :func:`landmarks_of`). Both images of a pair are cropped with
    the box of the *input*'s eye (:func:`eye_box`): the head is still between
    them (chin rest), and the target must be aligned with the input. Yields dicts
    like :func:`gaze_pair`'s plus ``eye`` (index in ``find_eyes``' list),
    ``subject``, ``head_pose`` and ``paths``; angles are (H, V) = (yaw, pitch) as
    named in the files. Without ``find_eyes`` it yields the
    :func:`columbia_pairs` metadata only. Only one group (subject, distance,
    pose) of images is in memory at a time.
    """
    from PIL import Image

    pairs = columbia_pairs(columbia_files(root), vertical=vertical, max_angle=max_angle)
    if find_eyes is None:
        yield from (dict(paths=(a.path, b.path), subject=a.subject, head_pose=a.head_pose,
                         angle_in=np.float32([a.horizontal, a.vertical]),
                         angle_out=np.float32([b.horizontal, b.vertical])) for a, b in pairs)
        return
    cache: dict[Path, tuple] = {}
    group = None
    for a, b in pairs:
        if (a.subject, a.distance, a.head_pose) != group:
            group, cache = (a.subject, a.distance, a.head_pose), {}
        for f in (a, b):
            if f.path not in cache:
                with Image.open(f.path) as im:
                    pixels = np.asarray(im.convert("RGB"))
                cache[f.path] = (pixels, [np.asarray(m, np.float64) for m in find_eyes(pixels)])
        (source, eyes), (target, _) = cache[a.path], cache[b.path]
        angle_in = np.float32([a.horizontal, a.vertical])
        angle_out = np.float32([b.horizontal, b.vertical])
        for eye, marks in enumerate(eyes):
            box = eye_box(marks, size, scale)
            yield dict(input=crop_eye(source, box, size), target=crop_eye(target, box, size),
                       landmarks=box_landmarks(marks, box, size), angle_in=angle_in,
                       angle_out=angle_out, redirection=angle_out - angle_in, eye=eye,
                       subject=a.subject, head_pose=a.head_pose, paths=(a.path, b.path))


# -- looking at pairs ---------------------------------------------------------------------

def contact_sheet(pairs, scale: int = 4, gap: int = 2, marks: bool = True) -> np.ndarray:
    """A uint8 image with one row per pair: input (landmarks in red), target, |difference| x 3.

    ``pairs``: a list of :func:`gaze_pair` dicts, or one batch dict of stacked arrays.
    """
    if isinstance(pairs, dict):
        pairs = [{k: v[i] for k, v in pairs.items()} for i in range(len(pairs["input"]))]
    h, w = pairs[0]["input"].shape[:2]
    cell_h, cell_w = h * scale, w * scale
    sheet = np.full((len(pairs) * (cell_h + gap) + gap, 3 * (cell_w + gap) + gap, 3), 255,
                    np.uint8)
    for row, pair in enumerate(pairs):
        diff = np.clip(3 * np.abs(pair["target"] - pair["input"]), 0, 1)
        for col, img in enumerate((pair["input"], pair["target"], diff)):
            big = np.repeat(np.repeat(np.asarray(img), scale, 0), scale, 1)
            big = np.round(np.clip(big, 0, 1) * 255).astype(np.uint8)
            if col == 0 and marks:
                for x, y in pair["landmarks"]:
                    i, j = int(round((y + 0.5) * scale)), int(round((x + 0.5) * scale))
                    big[max(i - 1, 0):i + 1, max(j - 1, 0):j + 1] = (255, 0, 0)
            top, left = gap + row * (cell_h + gap), gap + col * (cell_w + gap)
            sheet[top:top + cell_h, left:left + cell_w] = big
    return sheet


def replace(appearance: EyeAppearance, **changes) -> EyeAppearance:
    """``dataclasses.replace`` for appearances (e.g. no highlight, flat iris)."""
    return dataclasses.replace(appearance, **changes)
