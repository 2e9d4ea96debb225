"""Procedural street scenes: a semantic layout and a matching synthetic photo from a seed.

No real data set is at hand on this machine (Cityscapes needs a registration and a manual
download), so training and tests use scenes drawn here, in the Cityscapes class numbering
of :mod:`zoo.models.crn.labels`: sky above a horizon, a row of buildings on it, a road
narrowing towards a vanishing point, sidewalks on both sides, cars on the road and people
on the sidewalks, each smaller the farther away. The photo paints each class with its own
colour and structure (a sky gradient, facade colours with window grids, asphalt with lane
marks, paving, cars with a random body colour, dark windows and wheels, people with a head
and a shirt of a random colour), shading and a little noise.

Everything is NumPy and deterministic: ``scene(seed, (H, W))`` gives the same pair on every
machine. The photo is not a function of the layout alone (car and shirt colours, facade
colours and window rows are drawn): the one-to-many mapping the paper's diversity loss is
for.
"""

from __future__ import annotations

import numpy as np

ROAD, SIDEWALK, BUILDING, SKY, PERSON, CAR = 0, 1, 2, 10, 11, 13
SCENE_CLASSES = (ROAD, SIDEWALK, BUILDING, SKY, PERSON, CAR)


def _layout(rng, h: int, w: int):
    ids = np.full((h, w), SKY, np.uint8)
    horizon = int(h * rng.uniform(0.38, 0.5))
    vanish = w * rng.uniform(0.35, 0.65)
    rows, cols = np.mgrid[0:h, 0:w]
    # buildings: a row of blocks standing on the horizon
    buildings = []
    x = int(-rng.uniform(0, 0.1) * w)
    while x < w:
        width = int(w * rng.uniform(0.08, 0.22))
        top = int(horizon - h * rng.uniform(0.12, 0.38))
        buildings.append((max(x, 0), min(x + width, w), max(top, 0)))
        ids[max(top, 0):horizon, max(x, 0):min(x + width, w)] = BUILDING
        x += width + int(w * rng.uniform(0.0, 0.04))
    # road: a trapezoid from the vanishing point; sidewalks beside it
    depth = np.clip((rows - horizon) / max(h - horizon, 1), 0, 1)  # 0 at the horizon, 1 at the bottom
    half_road = (0.02 + rng.uniform(0.35, 0.5) * depth) * w
    half_walk = half_road + (0.01 + rng.uniform(0.12, 0.2) * depth) * w
    below = rows >= horizon
    ids[below & (np.abs(cols - vanish) <= half_walk)] = SIDEWALK
    ids[below & (np.abs(cols - vanish) <= half_road)] = ROAD
    ids[below & (np.abs(cols - vanish) > half_walk)] = BUILDING  # facades on the near sides
    # cars on the road, people on the sidewalks, far ones first (near ones cover them)
    objects = []
    for _ in range(rng.integers(1, 5)):
        d = rng.uniform(0.15, 0.95)
        objects.append((d, CAR, rng.uniform(-0.8, 0.8)))
    for _ in range(rng.integers(0, 5)):
        d = rng.uniform(0.15, 0.95)
        objects.append((d, PERSON, rng.choice((-1, 1)) * rng.uniform(1.05, 1.35)))
    placed = []
    for d, kind, lateral in sorted(objects):
        base = horizon + d * (h - horizon)
        road_half = (0.02 + 0.42 * d) * w
        cx = vanish + lateral * road_half
        if kind == CAR:
            cw, ch = 0.55 * road_half, 0.3 * road_half
            box = (int(base - ch), int(base), int(cx - cw / 2), int(cx + cw / 2))
            ids[max(box[0], 0):max(box[1], 0), max(box[2], 0):max(box[3], 0)] = CAR
        else:
            ph, pw = 0.55 * road_half, 0.12 * road_half
            top = base - ph
            ellipse = (((rows - (top + base) / 2) / (ph / 2)) ** 2
                       + ((cols - cx) / max(pw / 2, 0.6)) ** 2) <= 1
            ids[ellipse] = PERSON
            box = (int(top), int(base), int(cx - pw / 2), int(cx + pw / 2))
        placed.append((kind, box))
    return ids, horizon, vanish, buildings, placed


def _photo(rng, ids, horizon, vanish, buildings, placed):
    h, w = ids.shape
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    image = np.zeros((h, w, 3), np.float32)
    # sky: blue at the top to pale at the horizon
    t = np.clip(rows / max(horizon, 1), 0, 1)[..., None]
    blue = np.array([0.35, 0.55, 0.85]) + rng.uniform(-0.05, 0.05, 3)
    image = np.where((ids == SKY)[..., None], (1 - t) * blue + t * np.array([0.85, 0.88, 0.92]),
                     image)
    # buildings: one facade colour each, a grid of darker windows
    facade = np.zeros((h, w, 3), np.float32)
    for x0, x1, top in buildings:
        colour = rng.uniform(0.35, 0.75) * np.ones(3) + rng.uniform(-0.12, 0.12, 3)
        facade[:, x0:x1] = colour
        pitch = max(2, int(h * rng.uniform(0.05, 0.08)))
        window = ((rows - top) % pitch < pitch * 0.5) & ((cols - x0) % pitch < pitch * 0.5)
        region = np.zeros((h, w), bool)
        region[:, x0:x1] = True
        facade[window & region] *= 0.45
    near = (ids == BUILDING) & (rows >= horizon)
    facade[near] = np.array([0.55, 0.5, 0.45]) * (0.8 + 0.2 * rng.uniform())
    image = np.where((ids == BUILDING)[..., None], facade, image)
    # road: asphalt darker at the bottom, dashed centre line
    depth = np.clip((rows - horizon) / max(h - horizon, 1), 0, 1)
    road = (0.33 - 0.08 * depth)[..., None] * np.ones(3)
    dash = (np.abs(cols - vanish) < 0.005 * w + 0.01 * w * depth) & (
        (np.sqrt(np.maximum(rows - horizon, 0)) * 2.0) % 2 < 1)
    road = np.where(dash[..., None], np.array([0.9, 0.9, 0.85]), road)
    image = np.where((ids == ROAD)[..., None], road, image)
    # sidewalks: light paving with joints
    walk = np.array([0.62, 0.58, 0.6]) * np.ones((h, w, 3))
    joints = (np.sqrt(np.maximum(rows - horizon, 0)) * 3.0) % 1 < 0.15
    walk[joints] *= 0.8
    image = np.where((ids == SIDEWALK)[..., None], walk, image)
    # cars and people, drawn in their boxes where the layout says so
    for kind, (top, bottom, left, right) in placed:
        box = (rows >= top) & (rows < bottom) & (cols >= left) & (cols < right)
        height = max(bottom - top, 1)
        v = (rows - top) / height
        if kind == CAR:
            body = rng.uniform(0.05, 0.95, 3)
            car = np.where((v < 0.4)[..., None], np.array([0.15, 0.18, 0.22]), body)
            car = np.where((v > 0.8)[..., None], np.array([0.05, 0.05, 0.05]), car)
            image = np.where((box & (ids == CAR))[..., None], car, image)
        else:
            shirt = rng.uniform(0.1, 0.9, 3)
            person = np.where((v < 0.22)[..., None], np.array([0.85, 0.65, 0.5]), shirt)
            person = np.where((v > 0.6)[..., None], np.array([0.15, 0.15, 0.2]), person)
            image = np.where((box & (ids == PERSON))[..., None], person, image)
    light = 0.9 + 0.2 * rng.uniform() - 0.1 * (cols / w - 0.5)[..., None]
    image = image * light + rng.normal(0, 0.015, image.shape)
    return np.clip(image, 0, 1).astype(np.float32)


def scene(seed: int, size: tuple[int, int] = (64, 128)) -> tuple[np.ndarray, np.ndarray]:
    """``(ids (H, W) uint8 Cityscapes channel ids, photo (H, W, 3) float32 in [0, 1])``."""
    h, w = int(size[0]), int(size[1])
    if h < 8 or w < 8:
        raise ValueError(f"a scene needs at least 8 x 8 pixels, not {h} x {w}")
    rng = np.random.default_rng(int(seed))
    ids, horizon, vanish, buildings, placed = _layout(rng, h, w)
    return ids, _photo(rng, ids, horizon, vanish, buildings, placed)


def scenes(n: int, size: tuple[int, int] = (64, 128), seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray]:
    """``n`` scenes from seeds ``seed * 1_000_003 + i``: ids ``(n, H, W)`` uint8 and photos
    ``(n, H, W, 3)`` uint8 (quantised as a photo file would be)."""
    pairs = [scene(seed * 1_000_003 + i, size) for i in range(n)]
    ids = np.stack([p[0] for p in pairs])
    photos = np.stack([np.round(p[1] * 255) for p in pairs]).astype(np.uint8)
    return ids, photos


__all__ = ["CAR", "PERSON", "ROAD", "SCENE_CLASSES", "SIDEWALK", "SKY", "BUILDING", "scene",
           "scenes"]
