"""The gaze-correction part of the demo: the bundled astronaut photo, eyes redirected.

The photo is ``images/astronaut.png`` (public domain, NASA; see
``images/SOURCES.md``). Its eyes are found with MediaPipe's face mesh and iris models
(fetched once; OpenCV's Haar cascades where they cannot be had), redirected by the pretrained DeepWarp (trained on rendered eyes only) at
-15, +10 and +15 degrees, and blended back (:mod:`zoo.models.deepwarp.gaze`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import as_rgb, read_image, write_image

PAPER = ("DeepWarp: Ganin, Kononenko, Sungatullina, Lempitsky, ECCV 2016. A network predicts "
         "where each eye pixel should be read from; the photo itself is warped, so nothing is painted.")
ANGLES = (-15.0, 10.0, 15.0)
ZOOM = 4


def _eye_strip(image: np.ndarray, eyes) -> np.ndarray:
    """The region around both eyes, enlarged ``ZOOM`` times (nearest) for the gallery."""
    from PIL import Image

    x0 = int(min(e.box[0] for e in eyes)) - 4
    x1 = int(max(e.box[2] for e in eyes)) + 4
    y0 = int(min(e.box[1] for e in eyes)) - 4
    y1 = int(max(e.box[3] for e in eyes)) + 4
    crop = Image.fromarray(image).crop((x0, y0, x1, y1))
    return np.asarray(crop.resize((crop.width * ZOOM, crop.height * ZOOM), Image.LANCZOS))


def gaze_section(images: list[Path], out: Path) -> Section:
    section = Section("DeepWarp: gaze redirection on a photo", PAPER,
                      columns=["original"] + [f"{a:+.0f} degrees" for a in ANGLES])
    try:
        import zoo

        model = zoo.load("deepwarp")
    except WeightsError as err:
        section.status = f"skipped: {err}"
        return section
    from zoo.models.deepwarp.gaze import EyeNotFoundError, find_eyes, redirect_gaze

    photo = next(p for p in images if p.name == "astronaut.png")
    image = as_rgb(read_image(photo))
    finder = "MediaPipe's face mesh and iris models"
    try:
        try:
            landmarks = find_eyes(image)  # once, for every angle
        except EyeNotFoundError as err:  # the face models could not be fetched (offline)
            landmarks = find_eyes(image, "haar")
            finder = f"OpenCV's Haar cascades ({err})"
        results = {a: redirect_gaze(model, image, a, landmarks=landmarks) for a in ANGLES}
    except EyeNotFoundError as err:
        section.status = f"skipped: {err}"
        return section
    eyes = results[ANGLES[0]].eyes
    folder = out / "gaze"
    cells, strips = [], []
    for label, picture in [("original", image)] + [(f"{a:+.0f}", r.image) for a, r in results.items()]:
        name = "original" if label == "original" else f"angle{label}"
        path = write_image(folder / f"{name}.png", picture)
        cells.append(Cell(str(path.relative_to(out)), "" if label == "original" else f"{label} deg"))
        strip = write_image(folder / f"{name}_eyes.png", _eye_strip(picture, eyes))
        strips.append(Cell(str(strip.relative_to(out)), "eyes, x4"))
    section.rows.append(("photo", cells))
    section.rows.append(("eyes", strips))
    moved = max(float(np.abs(e.flow).max()) for e in results[ANGLES[-1]].eyes)
    section.notes.append(f"Eyes found by {finder}; largest flow at "
                         f"{ANGLES[-1]:+.0f} degrees: {moved:.1f} patch pixels. Trained on rendered "
                         "eyes only (see the model card).")
    return section
