"""Chair images with their class and view, real or procedural, as arrays and as tf.data.

Real: the ``rendered_chairs`` set of Aubry, Maturana, Efros, Russell, Sivic, "Seeing 3D
Chairs", CVPR 2014 (https://www.di.ens.fr/willow/research/seeing3Dchairs/), which
Dosovitskiy et al. train on: one folder per chair model, ``<model>/renders/`` holding 62
PNGs of 600x600 on white, ``image_XXX_pEEE_tAAA_r096.png`` (elevation ``p`` 20 or 30 deg,
azimuth ``t`` in 31 steps, distance ``r``). The CVPR paper keeps 809 of the 1,393 models
(near-duplicates removed; the list is not part of the archive, so every model found is
used, or the first ``max_chairs``) and crops each render to the chair with a small border,
then resizes (:func:`crop_to_chair`); the mask is every pixel that is not white.

Procedural (:func:`procedural_chairs`): parametric chairs with known ground truth -- seat,
legs (square, round or a pedestal with feet), back (solid, slats or a frame, tilted), arms
or not, proportions and colours drawn per chair -- built from trimesh boxes and cylinders
and rendered by pyrender (OpenGL, headless through EGL; ``PYOPENGL_PLATFORM`` overrides)
from the same 62 views, RGB on white and the coverage mask. Rendered at twice the size and
averaged 2x2 (anti-aliasing). Rendered sets are cached as ``.npz`` (trimesh and pyrender:
``pip install ".[chairs]"``; OSMesa needs PyOpenGL 3.1.4 or newer, EGL works with the 3.1.0
that pyrender pins).

Both give a :class:`ChairSet`; :func:`tf_dataset` streams ``((class one-hot, view,
transform), {"rgb", "mask"})`` batches, shuffled with a seed, as the recipe trains on them.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zoo.atomic import atomic_path
from zoo.errors import ZooError

ELEVATIONS = (20.0, 30.0)  # Aubry et al.'s two elevations (p020, p030)
AZIMUTH_STEPS = 31  # 31 azimuths each: 62 views per chair
AZIMUTHS = tuple(360.0 * np.arange(AZIMUTH_STEPS) / AZIMUTH_STEPS)
BORDER = 0.05  # the crop's margin around the chair, a fraction of its larger side (decision)
WHITE = 250  # a pixel with every channel at least this is background
NAME = re.compile(r"image_(\d+)_p(\d+)_t(\d+)_r(\d+)\.png$", re.IGNORECASE)


@dataclass
class ChairSet:
    """Images of chairs from views: ``rgb`` ``(N, S, S, 3)`` and ``mask`` ``(N, S, S, 1)``
    uint8, and per image the chair index, azimuth and elevation (degrees) and the index of
    its azimuth among the 31 (``view``)."""

    rgb: np.ndarray
    mask: np.ndarray
    chair: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray
    view: np.ndarray
    num_chairs: int
    names: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.chair)

    def subset(self, keep: np.ndarray) -> "ChairSet":
        return ChairSet(self.rgb[keep], self.mask[keep], self.chair[keep], self.azimuth[keep],
                        self.elevation[keep], self.view[keep], self.num_chairs, self.names)

    def save(self, path: Path) -> None:
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, rgb=self.rgb, mask=self.mask, chair=self.chair, azimuth=self.azimuth,
                     elevation=self.elevation, view=self.view, num_chairs=self.num_chairs,
                     names=np.asarray(self.names, dtype=str))

    @classmethod
    def load(cls, path: Path) -> "ChairSet":
        with np.load(path) as f:
            return cls(f["rgb"], f["mask"], f["chair"], f["azimuth"], f["elevation"], f["view"],
                       int(f["num_chairs"]), list(f["names"]))


def held_out(views: np.ndarray, every: int) -> np.ndarray:
    """Which images are held out: azimuth index ``i`` with ``i % every == every // 2``
    (both elevations), so each held-out view has seen neighbours on both sides; ``every``
    0: none."""
    views = np.asarray(views)
    return (views % every == every // 2) if every else np.zeros(len(views), bool)


def split(data: ChairSet, every: int) -> tuple[ChairSet, ChairSet]:
    """``(training views, held-out views)`` of the same chairs."""
    out = held_out(data.view, every)
    return data.subset(~out), data.subset(out)


def default_cache() -> Path:
    from zoo.weights.registry import keras_home

    return Path(os.environ.get("ZOO_CHAIRS_CACHE", keras_home() / "zoo_cache" / "chairs"))


# ---- the real set ---------------------------------------------------------------------


def chair_folders(root: str | os.PathLike) -> list[Path]:
    """The chair folders under ``root`` (each with ``renders/`` of PNGs), sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise ZooError(f"{root}: no such folder (expected Aubry et al.'s rendered_chairs/)")
    folders = sorted(p for p in root.iterdir() if (p / "renders").is_dir())
    if not folders:
        raise ZooError(f"{root}: no chair folders with renders/ inside (expected "
                       "rendered_chairs/<model>/renders/image_XXX_pEEE_tAAA_r096.png)")
    return folders


def parse_name(path) -> tuple[float, float] | None:
    """``(elevation, azimuth)`` in degrees from a render's name, or None."""
    m = NAME.search(Path(path).name)
    return (float(m.group(2)), float(m.group(3))) if m else None


def crop_to_chair(image: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A render (uint8, RGB on white, or RGBA) cropped to the chair's bounding box with a
    :data:`BORDER` margin, made square on white, resized to ``size``: ``(rgb, mask)`` uint8."""
    from PIL import Image

    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, -1)
    if image.shape[-1] == 4:
        alpha = image[..., 3] > 0
        rgb = np.where(alpha[..., None], image[..., :3], 255).astype(np.uint8)
    else:
        rgb = image[..., :3]
        alpha = rgb.min(-1) < WHITE
    ys, xs = np.nonzero(alpha)
    if len(ys) == 0:
        raise ZooError("a render with no chair in it (all white)")
    cy, cx = (ys.min() + ys.max() + 1) / 2, (xs.min() + xs.max() + 1) / 2
    side = int(np.ceil(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) * (1 + 2 * BORDER)))
    top, left = int(round(cy - side / 2)), int(round(cx - side / 2))
    canvas = np.full((side, side, 3), 255, np.uint8)
    cmask = np.zeros((side, side), np.uint8)
    h, w = alpha.shape
    y0, y1, x0, x1 = max(top, 0), min(top + side, h), max(left, 0), min(left + side, w)
    canvas[y0 - top:y1 - top, x0 - left:x1 - left] = rgb[y0:y1, x0:x1]
    cmask[y0 - top:y1 - top, x0 - left:x1 - left] = alpha[y0:y1, x0:x1] * 255
    out = np.asarray(Image.fromarray(canvas).resize((size, size), Image.LANCZOS))
    mask = np.asarray(Image.fromarray(cmask).resize((size, size), Image.BILINEAR))
    return out, mask[..., None]


def _view_index(azimuth: float) -> int:
    return int(round(azimuth / (360.0 / AZIMUTH_STEPS))) % AZIMUTH_STEPS


def load_rendered_chairs(root: str | os.PathLike, size: int, max_chairs: int | None = None,
                         cache: str | os.PathLike | None = None) -> ChairSet:
    """Aubry et al.'s renders under ``root``, cropped and resized to ``size`` (cached in
    ``cache``, default :func:`default_cache`, keyed by the folder, size and count)."""
    from zoo.image import read_image

    folders = chair_folders(root)[:max_chairs]
    key = hashlib.sha256(f"{Path(root).resolve()}|{size}|{len(folders)}".encode()).hexdigest()
    path = Path(cache or default_cache()) / f"rendered_{key[:16]}.npz"
    if path.is_file():
        return ChairSet.load(path)
    rgb, mask, chair, az, el, names = [], [], [], [], [], []
    for index, folder in enumerate(folders):
        renders = sorted(p for p in (folder / "renders").iterdir() if parse_name(p))
        if not renders:
            raise ZooError(f"{folder}/renders: no image_XXX_pEEE_tAAA_rDDD.png files")
        for render in renders:
            elevation, azimuth = parse_name(render)
            image, m = crop_to_chair(read_image(render), size)
            rgb.append(image), mask.append(m), chair.append(index)
            az.append(azimuth), el.append(elevation)
        names.append(folder.name)
    az = np.asarray(az, np.float32)
    data = ChairSet(np.stack(rgb), np.stack(mask), np.asarray(chair, np.int32), az,
                    np.asarray(el, np.float32),
                    np.asarray([_view_index(a) for a in az], np.int32), len(folders), names)
    data.save(path)
    return data


# ---- procedural chairs ----------------------------------------------------------------

PALETTE = np.array([[0.55, 0.35, 0.2], [0.75, 0.6, 0.4], [0.25, 0.25, 0.3], [0.8, 0.15, 0.1],
                    [0.15, 0.35, 0.7], [0.2, 0.55, 0.3], [0.85, 0.75, 0.2], [0.9, 0.9, 0.88],
                    [0.45, 0.2, 0.45], [0.1, 0.1, 0.1]])
LEGS = ("square", "round", "pedestal")
BACKS = ("solid", "slats", "frame")


@dataclass(frozen=True)
class ChairSpec:
    """One procedural chair (units: the seat's width is about 1)."""

    seat_width: float
    seat_depth: float
    seat_height: float
    seat_thickness: float
    legs: str
    leg_thickness: float
    back: str
    back_height: float
    back_thickness: float
    back_tilt: float  # degrees, backwards
    slats: int
    arms: bool
    arm_height: float
    seat_colour: tuple
    leg_colour: tuple


def sample_chair(rng: np.random.Generator) -> ChairSpec:
    def colour():
        c = PALETTE[rng.integers(len(PALETTE))] + rng.normal(0, 0.05, 3)
        return tuple(float(v) for v in np.clip(c, 0.02, 0.98))

    return ChairSpec(
        seat_width=float(rng.uniform(0.8, 1.3)), seat_depth=float(rng.uniform(0.75, 1.2)),
        seat_height=float(rng.uniform(0.6, 1.1)), seat_thickness=float(rng.uniform(0.05, 0.2)),
        legs=LEGS[rng.integers(len(LEGS))], leg_thickness=float(rng.uniform(0.05, 0.14)),
        back=BACKS[rng.integers(len(BACKS))], back_height=float(rng.uniform(0.5, 1.3)),
        back_thickness=float(rng.uniform(0.05, 0.15)), back_tilt=float(rng.uniform(0, 20)),
        slats=int(rng.integers(2, 6)), arms=bool(rng.random() < 0.35),
        arm_height=float(rng.uniform(0.2, 0.35)), seat_colour=colour(), leg_colour=colour())


def _box(extents, centre):
    import trimesh

    mesh = trimesh.creation.box(extents=extents)
    mesh.apply_translation(centre)
    return mesh


def _post(radius, height, centre):
    """A vertical cylinder (y up) of ``height`` centred at ``centre``."""
    import trimesh

    mesh = trimesh.creation.cylinder(radius=radius, height=height, sections=16)
    mesh.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    mesh.apply_translation(centre)
    return mesh


def chair_parts(spec: ChairSpec) -> list[tuple[object, tuple]]:
    """``[(trimesh.Trimesh, rgb colour)]``: the chair's parts, y up, its front towards +z."""
    import trimesh

    w, d, h, t = spec.seat_width, spec.seat_depth, spec.seat_height, spec.seat_thickness
    lt, seat, legc = spec.leg_thickness, spec.seat_colour, spec.leg_colour
    parts = [(_box((w, t, d), (0, h, 0)), seat)]
    corners = [(sx * (w / 2 - lt), sz * (d / 2 - lt)) for sx in (-1, 1) for sz in (-1, 1)]
    foot = h - t / 2
    if spec.legs == "square":
        parts += [(_box((lt, foot, lt), (x, foot / 2, z)), legc) for x, z in corners]
    elif spec.legs == "round":
        parts += [(_post(lt / 2, foot, (x, foot / 2, z)), legc) for x, z in corners]
    else:  # a pedestal on five feet
        parts.append((_post(lt * 0.8, foot, (0, foot / 2, 0)), legc))
        for k in range(5):
            angle = 2 * np.pi * k / 5
            arm = _box((lt, lt, 0.5 * max(w, d)), (0, lt / 2, 0.25 * max(w, d)))
            arm.apply_transform(trimesh.transformations.rotation_matrix(angle, [0, 1, 0]))
            parts.append((arm, legc))
    bh, bt, top = spec.back_height, spec.back_thickness, h + t / 2
    back = []
    if spec.back == "solid":
        back.append(_box((w, bh, bt), (0, top + bh / 2, 0)))
    else:
        back += [_box((lt * 1.2, bh, bt), (sx * (w / 2 - lt * 0.6), top + bh / 2, 0))
                 for sx in (-1, 1)]
        back.append(_box((w, bh * 0.18, bt), (0, top + bh * 0.91, 0)))  # the top rail
        if spec.back == "slats":
            for x in np.linspace(-w / 2, w / 2, spec.slats + 2)[1:-1]:
                back.append(_box((w / (3 * spec.slats + 3), bh * 0.82, bt * 0.6),
                                 (x, top + bh * 0.41, 0)))
        else:
            back.append(_box((w, bh * 0.12, bt * 0.8), (0, top + bh * 0.45, 0)))
    tilt = trimesh.transformations.rotation_matrix(np.radians(-spec.back_tilt), [1, 0, 0],
                                                   [0, top, 0])
    for mesh in back:
        mesh.apply_transform(tilt)
        mesh.apply_translation((0, 0, -d / 2 + bt / 2))
        parts.append((mesh, seat))
    if spec.arms:
        ah = top + spec.arm_height
        for sx in (-1, 1):
            x = sx * (w / 2 + lt / 2)
            parts.append((_box((lt * 1.5, lt, d * 0.85), (x, ah, 0.05 * d)), seat))
            parts.append((_box((lt, spec.arm_height, lt), (x, top + spec.arm_height / 2,
                                                           d * 0.4)), legc))
    return parts


def _look_at(position: np.ndarray) -> np.ndarray:
    z = position / np.linalg.norm(position)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, np.cross(z, x), z, position
    return pose


CAMERA_DISTANCE = 2.8  # the chair fits a unit sphere; yfov 0.75 rad shows all of it
CAMERA_FOV = 0.75


def camera_pose(azimuth: float, elevation: float) -> np.ndarray:
    """The camera's pose (OpenGL: looking down -z) at ``azimuth`` round the y axis (0: in
    front of the chair, +z) and ``elevation`` above the seat plane, looking at the origin."""
    az, el = np.radians(azimuth), np.radians(elevation)
    position = CAMERA_DISTANCE * np.array([np.cos(el) * np.sin(az), np.sin(el),
                                           np.cos(el) * np.cos(az)])
    return _look_at(position)


def _pyrender():
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    try:
        import pyrender
        import trimesh  # noqa: F401
    except ImportError as err:
        raise ZooError(f"procedural chairs need trimesh and pyrender ({err.name} is missing): "
                       "pip install \".[chairs]\"") from None
    return pyrender


def render_chair(spec: ChairSpec, size: int, views, renderer=None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(rgb (V, S, S, 3), mask (V, S, S, 1))`` uint8 of ``spec`` from ``views``, a list of
    ``(azimuth, elevation)`` in degrees."""
    pyrender = _pyrender()
    parts = chair_parts(spec)
    points = np.concatenate([m.vertices for m, _ in parts])
    centre = (points.min(0) + points.max(0)) / 2
    scale = 1.0 / np.linalg.norm(points - centre, axis=1).max()
    scene = pyrender.Scene(bg_color=[1.0, 1.0, 1.0, 0.0], ambient_light=[0.35] * 3)
    for mesh, colour in parts:
        mesh = mesh.copy()
        mesh.apply_translation(-centre)
        mesh.apply_scale(scale)
        material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[*colour, 1.0],
                                                      metallicFactor=0.0, roughnessFactor=0.8)
        scene.add(pyrender.Mesh.from_trimesh(mesh, material=material, smooth=False))
    camera = scene.add(pyrender.PerspectiveCamera(yfov=CAMERA_FOV))
    light = scene.add(pyrender.DirectionalLight(intensity=2.5))
    top = scene.add(pyrender.DirectionalLight(intensity=1.5),
                    pose=_look_at(np.array([0.3, 1.0, 0.2])))
    del top
    own = renderer is None
    renderer = renderer or pyrender.OffscreenRenderer(2 * size, 2 * size)
    rgb, mask = [], []
    try:
        for azimuth, elevation in views:
            pose = camera_pose(azimuth, elevation)
            scene.set_pose(camera, pose)
            key = _look_at(pose[:3, 3] + np.array([1.0, 1.5, 0.0]))  # from above, off-axis
            scene.set_pose(light, key)
            colour, depth = renderer.render(scene)
            colour = colour.astype(np.float32).reshape(size, 2, size, 2, 3).mean((1, 3))
            cover = (depth > 0).astype(np.float32).reshape(size, 2, size, 2).mean((1, 3))
            rgb.append(np.round(colour).astype(np.uint8))
            mask.append(np.round(cover * 255).astype(np.uint8)[..., None])
    finally:
        if own:
            renderer.delete()
    return np.stack(rgb), np.stack(mask)


def all_views() -> list[tuple[float, float]]:
    """The 62 views: 31 azimuths at each of the 2 elevations."""
    return [(a, e) for e in ELEVATIONS for a in AZIMUTHS]


def procedural_chairs(n: int, size: int, seed: int = 0,
                      cache: str | os.PathLike | None = None, progress: bool = False
                      ) -> ChairSet:
    """``n`` procedural chairs (chair ``i`` drawn from ``seed`` and ``i``) from the 62 views
    at ``size``, cached in ``cache`` (default :func:`default_cache`)."""
    path = Path(cache or default_cache()) / f"procedural_n{n}_s{size}_seed{seed}.npz"
    if not path.is_file():
        # In a process of its own: pyrender's EGL context and TensorFlow in one process
        # crash (measured: a segmentation fault in the first render once TF is imported).
        _pyrender()  # a missing package fails here, with its one-line error
        done = subprocess.run([sys.executable, "-m", "zoo.training.chair_data", str(n),
                               str(size), str(seed), str(path)] + (["-v"] if progress else []))
        if done.returncode or not path.is_file():
            raise ZooError(f"rendering {n} procedural chairs failed (exit status "
                           f"{done.returncode}); the renderer's messages are above")
    return ChairSet.load(path)


def render_set(n: int, size: int, seed: int, path: Path, progress: bool = False) -> None:
    """Render ``n`` procedural chairs and save them at ``path`` (this process: keep
    TensorFlow out of it, see :func:`procedural_chairs`)."""
    pyrender = _pyrender()
    views = all_views()
    renderer = pyrender.OffscreenRenderer(2 * size, 2 * size)
    rgb, mask = [], []
    try:
        for i in range(n):
            spec = sample_chair(np.random.default_rng([seed, i]))
            r, m = render_chair(spec, size, views, renderer)
            rgb.append(r), mask.append(m)
            if progress:
                print(f"\rrendered chair {i + 1}/{n}", end="", flush=True)
    finally:
        renderer.delete()
    if progress:
        print()
    az = np.tile(np.asarray([a for a, _ in views], np.float32), n)
    el = np.tile(np.asarray([e for _, e in views], np.float32), n)
    data = ChairSet(np.concatenate(rgb), np.concatenate(mask),
                    np.repeat(np.arange(n, dtype=np.int32), len(views)), az, el,
                    np.asarray([_view_index(a) for a in az], np.int32), n,
                    [f"procedural_{seed}_{i}" for i in range(n)])
    data.save(Path(path))


# ---- tf.data --------------------------------------------------------------------------


def view_vectors(azimuth, elevation) -> np.ndarray:
    from zoo.models.chairs.inference import view_vector

    return view_vector(azimuth, elevation)


def model_inputs(data: ChairSet, transform_dim: int) -> list[np.ndarray]:
    """``[class one-hot, view, transform]`` of every image of ``data`` (float32)."""
    classes = np.eye(data.num_chairs, dtype=np.float32)[data.chair]
    return [classes, view_vectors(data.azimuth, data.elevation),
            np.zeros((len(data), transform_dim), np.float32)]


def targets(data: ChairSet) -> dict:
    return {"rgb": data.rgb.astype(np.float32) / 255.0,
            "mask": data.mask.astype(np.float32) / 255.0}


def tf_dataset(data: ChairSet, batch: int, transform_dim: int, seed: int = 0):
    """An endless, seeded, shuffled stream of ``((class, view, transform), {"rgb", "mask"})``
    batches of ``data`` (images kept as uint8 until batched)."""
    import tensorflow as tf

    views = view_vectors(data.azimuth, data.elevation)
    stream = tf.data.Dataset.from_tensor_slices((data.chair, views, data.rgb, data.mask))
    stream = stream.shuffle(len(data), seed=seed, reshuffle_each_iteration=True).repeat()

    def example(chair, view, rgb, mask):
        inputs = (tf.one_hot(chair, data.num_chairs), view, tf.zeros((transform_dim,)))
        return inputs, {"rgb": tf.cast(rgb, tf.float32) / 255.0,
                        "mask": tf.cast(mask, tf.float32) / 255.0}

    return stream.map(example).batch(batch, drop_remainder=True).prefetch(2)


__all__ = ["AZIMUTHS", "ELEVATIONS", "ChairSet", "ChairSpec", "all_views", "chair_folders",
           "chair_parts", "crop_to_chair", "held_out", "load_rendered_chairs", "model_inputs",
           "parse_name", "procedural_chairs", "render_chair", "sample_chair", "split",
           "targets", "tf_dataset"]


if __name__ == "__main__":  # python -m zoo.training.chair_data N SIZE SEED OUT.npz [-v]
    render_set(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]),
               progress="-v" in sys.argv[5:])
