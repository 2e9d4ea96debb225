"""The Deep Image Prior part of the demo: text removed from a photo with no training data.

A bundled photo is shrunk to ``SIZE`` pixels, text is drawn over it (the mask is
where the text is), and a randomly initialised network is fitted to the visible
pixels only (Ulyanov et al., CVPR 2018, Sec. 3, "Inpainting"). The light
``demo`` preset and ``ITERATIONS`` steps keep it under a minute on 2 CPU cores;
the paper's inpainting setting (``zoo dip inpaint``) takes thousands of steps.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.image import imresize, read_image, to_uint8, write_image

PAPER = ("Deep Image Prior: Ulyanov, Vedaldi, Lempitsky, CVPR 2018. "
         "No training data: a random network is fitted to the visible pixels only.")
IMAGE = "coffee"
SIZE = 96  # pixels; the demo net has 4 scales, so sides are multiples of 16
ITERATIONS = 200  # 25-35 s of fitting on 2 cores (half of it compiling), +12 dB
TEXT = ["Deep Image", "Prior fills", "in the text", "it never saw"]


def text_mask(shape: tuple[int, int], lines: list[str] = TEXT) -> np.ndarray:
    """1 where the photo is kept, 0 under the drawn text (stroked so it is thick)."""
    from PIL import Image, ImageDraw, ImageFont

    h, w = shape
    canvas = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=max(8, h // 8))
    step = h / (len(lines) + 0.5)
    for i, line in enumerate(lines):
        draw.text((w * 0.06, step * (i + 0.25)), line, fill=0, font=font,
                  stroke_width=1, stroke_fill=0)
    return (np.asarray(canvas) > 127).astype(np.float32)[..., None]


def dip_section(images: list[Path], out: Path, iterations: int = ITERATIONS) -> Section:
    from zoo.models.dip.fit import Fit
    from zoo.models.dip.problems import Problem, psnr01

    section = Section("Inpainting without data: Deep Image Prior", PAPER,
                      columns=["input with text", "mask", "Deep Image Prior", "ground truth"])
    path = next((p for p in images if p.stem == IMAGE), images[0])
    photo = read_image(path)[:, :, :3].astype(np.float64) / 255.0
    clean = np.clip(imresize(photo, output_shape=(SIZE, SIZE)), 0, 1).astype(np.float32)
    mask = text_mask(clean.shape[:2])
    problem = Problem(clean * mask, mask=mask, clean=clean)
    start = time.perf_counter()
    result = Fit(problem, "demo", seed=0).run(iterations, log_every=iterations, progress=False)
    seconds = time.perf_counter() - start
    folder = out / "dip"
    files = {k: write_image(folder / f"{path.stem}_{k}.png", to_uint8(v)) for k, v in
             [("input", problem.observed), ("mask", np.repeat(mask, 3, axis=-1)),
              ("dip", result.image), ("truth", clean)]}
    rel = {k: str(v.relative_to(out)) for k, v in files.items()}
    before, after = psnr01(problem.observed, clean), result.psnr
    section.rows.append((f"{path.stem}, {SIZE}x{SIZE}", [
        Cell(rel["input"], f"{before:.2f} dB", width=2 * SIZE),
        Cell(rel["mask"], f"{100 * (1 - mask.mean()):.1f}% hidden", width=2 * SIZE),
        Cell(rel["dip"], f"{after:.2f} dB", width=2 * SIZE),
        Cell(rel["truth"], "PSNR on RGB", width=2 * SIZE),
    ]))
    section.notes.append(f"Inpainting gain of Deep Image Prior: {after - before:+.2f} dB "
                         f"after {iterations} steps of the 'demo' preset ({seconds:.1f} s of fitting).")
    return section
