"""The chairs part of the demo: a morph between two chairs (the class input interpolated)
and a turntable of one chair, drawn by the shipped generator, labelled with the data that
trained it."""

from __future__ import annotations

from pathlib import Path

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import write_image

PAPER = ("Dosovitskiy, Springenberg, Brox, Learning to Generate Chairs with Convolutional "
         "Neural Networks, CVPR 2015: an up-convolutional network draws a chair from its "
         "index and a view.")
MORPH = (0, 1)
STEPS = 8
VIEWS = 12


def chairs_section(images: list[Path], out: Path) -> Section:
    section = Section("Chairs: class and view in, image out", PAPER, columns=["strip"])
    try:
        import zoo
        from zoo.weights.registry import default_preset

        model = zoo.load("chairs")
    except WeightsError as err:
        section.status = f"skipped: {err}"
        return section
    from zoo.models.chairs.inference import morph, turntable

    preset, _ = default_preset("chairs")
    folder = out / "chairs"
    strip = write_image(folder / "morph.png", morph(model, *MORPH, steps=STEPS))
    table = write_image(folder / "turntable.png", turntable(model, MORPH[0], views=VIEWS))
    size = int(model.outputs[0].shape[1])
    section.rows.append((f"morph: chair {MORPH[0]} to {MORPH[1]}",
                         [Cell(str(strip.relative_to(out)), f"{STEPS} steps",
                               width=STEPS * size)]))
    section.rows.append((f"turntable: chair {MORPH[0]}",
                         [Cell(str(table.relative_to(out)), f"{VIEWS} azimuths at 20 deg",
                               width=VIEWS * size)]))
    section.notes.append(f"Weights: {preset.description}" if preset else "")
    return section
