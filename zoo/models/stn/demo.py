"""The spatial-transformer part of the demo: distorted digits and what the transformer makes of them.

MNIST does not ship with the package, so the digits are drawn with Pillow's
bundled font (white on black, the digit in a 20x20 box centred in 28x28, as
MNIST's preprocessing), then rotated, scaled and placed in a 42x42 image with
the RTS distortion of :mod:`zoo.models.stn.distortions`. The ST-CNN was trained
on handwriting, not a font: the captions say how many it reads right.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import to_uint8, write_image

PAPER = ("Spatial Transformer Networks: Jaderberg, Simonyan, Zisserman, Kavukcuoglu, NIPS 2015. "
         "The network learns to undo the distortion before classifying.")
SEED = 3


def font_digits(size: int = 28, box: int = 20) -> np.ndarray:
    """The digits 0-9 as (10, size, size) float32 in [0, 1], MNIST-like framing."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=64)
    digits = []
    for d in range(10):
        canvas = Image.new("L", (96, 96), 0)
        ImageDraw.Draw(canvas).text((48, 48), str(d), fill=255, font=font, anchor="mm")
        glyph = canvas.crop(canvas.getbbox())
        scale = box / max(glyph.size)
        glyph = glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))),
                             Image.LANCZOS)
        frame = Image.new("L", (size, size), 0)
        frame.paste(glyph, ((size - glyph.width) // 2, (size - glyph.height) // 2))
        digits.append(np.asarray(frame, np.float32) / 255.0)
    return np.stack(digits)


def stn_section(images: list[Path], out: Path) -> Section:
    section = Section("Spatial transformer: RTS-distorted digits", PAPER,
                      columns=[f"digit {d}" for d in range(10)])
    try:
        import zoo
        from zoo.models.stn import transformer

        model = zoo.load("stn")
    except WeightsError as err:
        section.status = f"skipped: {err}"
        return section
    from zoo.models.stn.distortions import distort

    inputs = distort(font_digits(), "RTS", np.random.default_rng(SEED))[..., None]
    warped = np.asarray(transformer(model).predict(inputs, verbose=0))
    predicted = np.argmax(np.asarray(model.predict(inputs, verbose=0)), axis=-1)
    folder = out / "stn"
    rows = {"input (RTS, 42x42)": inputs, "transformed by the ST": warped}
    for label, batch in rows.items():
        cells = []
        for d, image in enumerate(batch):
            name = f"{'input' if label.startswith('input') else 'transformed'}_{d}.png"
            path = write_image(folder / name, to_uint8(np.clip(image[..., 0], 0, 1)))
            caption = f"read as {predicted[d]}" if label.startswith("transformed") else ""
            cells.append(Cell(str(path.relative_to(out)), caption, pixelated=True, width=84))
        section.rows.append((label, cells))
    section.notes.append(f"The ST-CNN reads {int(np.sum(predicted == np.arange(10)))} of 10 "
                         "font digits right (trained on handwriting only).")
    return section
