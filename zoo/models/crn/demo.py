"""The CRN part of the demo: a semantic layout and the images the shipped net draws from it.

The layouts are procedural street scenes (:mod:`zoo.models.crn.procedural`) from seeds the
preset never trained on, shown in the Cityscapes colours beside the net's outputs and the
scene's own synthetic photo; the caption says what data trained the net (its preset's
description). Skipped, with the reason, where no preset is available.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import to_uint8, write_image

PAPER = ("Chen and Koltun, Photographic Image Synthesis with Cascaded Refinement Networks, "
         "ICCV 2017: a layout in, k photographs out, trained with a VGG19 feature loss and a "
         "per-class diversity loss.")
SEEDS = (90_001, 90_002)
SHOWN_OUTPUTS = 3


def _save(out: Path, name: str, image: np.ndarray, caption: str) -> Cell:
    path = write_image(out / "crn" / name, to_uint8(np.clip(image, 0, 1)))
    return Cell(str(path.relative_to(out)), caption, width=256)


def crn_section(images: list[Path], out: Path) -> Section:
    section = Section("Cascaded refinement network: layout to photograph", PAPER)
    try:
        import zoo

        model = zoo.load("crn")
    except WeightsError as err:
        section.status = f"skipped: {err}"
        return section
    from zoo.models.crn.inference import synthesize
    from zoo.models.crn.labels import colorize
    from zoo.models.crn.network import outputs_of, resolution_of
    from zoo.models.crn.procedural import scene
    from zoo.weights.registry import default_preset

    preset, _ = default_preset("crn")
    shown = min(SHOWN_OUTPUTS, outputs_of(model))
    section.columns = ["layout", *[f"output {u + 1}" for u in range(shown)], "scene's photo"]
    for seed in SEEDS:
        ids, photo = scene(seed, resolution_of(model))
        outputs = synthesize(model, ids)
        cells = [_save(out, f"layout_{seed}.png", colorize(ids) / 255.0, f"layout (seed {seed})")]
        cells += [_save(out, f"synth_{seed}_{u + 1}.png", outputs[u], f"output {u + 1}")
                  for u in range(shown)]
        cells.append(_save(out, f"photo_{seed}.png", photo, "the scene's synthetic photo"))
        section.rows.append((f"seed {seed}", cells))
    section.notes.append(f"Weights: {preset.description if preset else 'a given file'}. "
                         f"Trained on procedural scenes, not Cityscapes: the layouts come "
                         f"from the same generator (seeds never trained on).")
    return section
