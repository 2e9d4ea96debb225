"""The stylization part of the demo: one forward pass (Johnson, AdaIN) against Gatys'
optimisation, on the same photo and style, with the time each took.

The style is Turner's *The Shipwreck* (public domain, ``zoo/demo/styles``); the photo is
the first bundled one. Gatys' method optimises the pixels for ``ITERATIONS`` L-BFGS
iterations on the random multi-scale backbone (ImageNet VGG cannot be downloaded here);
the feed-forward nets are the shipped presets, whose cards say what loss network trained
them. Everything runs at ``SIZE`` on the longer side so that the times compare; the
feed-forward nets also run at ``LARGE``.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import as_rgb01, read_image, to_uint8, write_image

PAPER = ("Johnson, Alahi, Fei-Fei, Perceptual Losses for Real-Time Style Transfer, ECCV 2016 "
         "(one net per style); Huang and Belongie, Arbitrary Style Transfer in Real-time with "
         "Adaptive Instance Normalization, ICCV 2017 (one net, any style); against Gatys, "
         "Ecker, Bethge, CVPR 2016 (the pixels optimised for each image).")
SIZE = 128
LARGE = 384
ITERATIONS = 40


def style_image() -> np.ndarray:
    path = Path(str(resources.files("zoo.demo") / "styles" / "shipwreck.png"))
    return as_rgb01(read_image(path))


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    from zoo.image import imresize
    from zoo.image.resize import fit_side

    return imresize(image, output_shape=fit_side(image.shape, side)).clip(0, 1).astype(np.float32)


def _save(out: Path, name: str, image: np.ndarray, caption: str, width: int = 192) -> Cell:
    path = write_image(out / "stylize" / name, to_uint8(np.clip(image, 0, 1)))
    return Cell(str(path.relative_to(out)), caption, width=width)


def _timed(run, repeats: int = 3) -> tuple[np.ndarray, float]:
    """The output of ``run()`` and its median time after one warm-up call."""
    result = run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, float(np.median(times))


def _preset_label(family: str) -> str:
    from zoo.weights.registry import default_preset

    preset, _ = default_preset(family)
    return preset.description if preset else ""


def gatys_cell(out: Path, content, style, section: Section) -> tuple[Cell, float]:
    from zoo.models.texture_nets.gatys import transfer_style

    start = time.perf_counter()
    result = transfer_style(content, style, backbone="random", iterations=ITERATIONS,
                            progress=False, notify=lambda m: None)
    seconds = time.perf_counter() - start
    section.notes.append(f"Gatys: {result.iterations} L-BFGS iterations on the random "
                         f"multi-scale backbone (ImageNet VGG cannot be downloaded here), "
                         f"{seconds:.1f} s.")
    return _save(out, "gatys.png", result.image, f"Gatys, {seconds:.1f} s"), seconds


def feedforward_cells(out: Path, family: str, stylize, content, large, section: Section,
                      gatys_seconds: float) -> list[Cell]:
    import zoo

    try:
        model = zoo.load(family)
    except WeightsError as err:
        section.notes.append(f"{family}: skipped: {err}")
        return []
    small, seconds = _timed(lambda: stylize(model, content))
    big, big_seconds = _timed(lambda: stylize(model, large), repeats=1)
    section.notes.append(f"{family}: {seconds * 1e3:.0f} ms at {SIZE} px, {big_seconds:.2f} s at "
                         f"{LARGE} px (Keras, this machine): {gatys_seconds / seconds:.0f}x faster "
                         f"than Gatys here. Weights: {_preset_label(family)}")
    return [_save(out, f"{family}.png", small, f"{family}, {seconds * 1e3:.0f} ms"),
            _save(out, f"{family}_{LARGE}.png", big, f"{family} at {LARGE} px, "
                  f"{big_seconds:.2f} s", width=LARGE)]


def stylize_section(images: list[Path], out: Path) -> Section:
    from zoo.models.adain.inference import stylize as adain
    from zoo.models.johnson.inference import stylize as johnson

    section = Section("Stylization: one forward pass against optimisation", PAPER,
                      columns=["photo", "style", "result", f"{LARGE} px"])
    photo = as_rgb01(read_image(images[0]))
    content, large, style = _fit(photo, SIZE), _fit(photo, LARGE), style_image()
    inputs = [_save(out, "content.png", content, f"photo ({SIZE} px)"),
              _save(out, "style.png", style, "Turner, The Shipwreck")]
    gatys, gatys_seconds = gatys_cell(out, content, style, section)
    section.rows.append(("Gatys et al.", [*inputs, gatys]))
    nets = {"johnson": johnson, "adain": lambda model, image: adain(model, image, [style])}
    for family, stylize in nets.items():
        cells = feedforward_cells(out, family, stylize, content, large, section, gatys_seconds)
        if cells:
            section.rows.append((family, [*inputs, *cells]))
    return section
