"""The super-resolution part of the demo: bicubic against VDSR at x2, x3 and x4.

Each bundled image is the ground truth; its low-resolution input is MATLAB
bicubic downscaling (rounded to 8 bits, as a real small image would be); the
PSNR is measured on Y with a border of ``scale`` pixels removed, as in the papers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import imresize, luminance, modcrop, psnr, read_image, to_uint8, write_image

SCALES = (2, 3, 4)
PAPER = ("VDSR: Kim, Lee, Lee, \"Accurate Image Super-Resolution Using Very Deep "
         "Convolutional Networks\", CVPR 2016.")


def vdsr_section(images: list[Path], out: Path) -> Section:
    section = Section("Super-resolution: VDSR", PAPER,
                      columns=["input (enlarged)", "bicubic", "VDSR", "ground truth"])
    try:
        import zoo
        from zoo.sr import keras_predictor, upscale

        model = zoo.load("vdsr")
    except WeightsError as err:
        section.status = f"skipped: {err}"
        return section
    predict = keras_predictor(model)
    folder = out / "vdsr"
    gains = []
    for path in images:
        truth_full = read_image(path)[:, :, :3]
        for s in SCALES:
            truth = modcrop(truth_full, s)
            small = to_uint8(imresize(truth.astype(np.float64) / 255.0, 1.0 / s))
            bicubic = to_uint8(imresize(small.astype(np.float64) / 255.0, s))
            result = upscale(small, s, predict)
            stem = f"{path.stem}_x{s}"
            files = {k: write_image(folder / f"{stem}_{k}.png", v) for k, v in
                     [("input", small), ("bicubic", bicubic), ("vdsr", result), ("truth", truth)]}
            y = luminance(truth)
            score = {k: psnr(y, luminance(v), border=s) for k, v in
                     [("bicubic", bicubic), ("vdsr", result)]}
            gains.append(score["vdsr"] - score["bicubic"])
            rel = {k: str(v.relative_to(out)) for k, v in files.items()}
            section.rows.append((f"{path.stem} x{s}", [
                Cell(rel["input"], f"{small.shape[1]}x{small.shape[0]}", pixelated=True,
                     width=truth.shape[1]),
                Cell(rel["bicubic"], f"{score['bicubic']:.2f} dB"),
                Cell(rel["vdsr"], f"{score['vdsr']:.2f} dB ({gains[-1]:+.2f})"),
                Cell(rel["truth"], "PSNR on Y, border = scale"),
            ]))
    section.notes.append(f"Mean gain of VDSR over bicubic: {np.mean(gains):+.2f} dB "
                         f"over {len(gains)} images and scales.")
    return section
