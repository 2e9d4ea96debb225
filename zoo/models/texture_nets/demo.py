"""The texture part of the demo: Gatys synthesis from four exemplars, and a Texture Network.

The exemplars ship with the package (``textures/``, CC0 crops of scikit-image's
sample images; see ``textures/SOURCES.md``). Each is synthesised afresh by
Gatys' pixel optimisation (L-BFGS) on the random multi-scale backbone, which
needs no downloaded weights, at ``SIZE`` x ``SIZE`` with ``ITERATIONS``
iterations (a demo budget; ``zoo texture`` defaults to 300). The pretrained
Texture Network (gravel) then draws samples from fresh noise in one forward
pass each, at two sizes: the same network, fully convolutional.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

import numpy as np

from zoo.demo.gallery import Cell, Section
from zoo.errors import WeightsError
from zoo.image import as_rgb01, read_image, to_uint8, write_image

PAPER = ("Gatys, Ecker, Bethge, Texture Synthesis Using Convolutional Neural Networks, NIPS 2015 "
         "(pixels optimised to match Gram matrices); Ulyanov, Lebedev, Vedaldi, Lempitsky, Texture "
         "Networks, ICML 2016, with the instance norm of CVPR 2017 (one forward pass per sample).")
SIZE = 64
ITERATIONS = 30


def exemplars() -> list[Path]:
    folder = resources.files("zoo.demo") / "textures"
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".png"))


def _rgb01(path: Path) -> np.ndarray:
    return as_rgb01(read_image(path))


def _save(out: Path, name: str, image: np.ndarray, caption: str, width: int = 128) -> Cell:
    path = write_image(out / "texture" / name, to_uint8(np.clip(image, 0, 1)))
    return Cell(str(path.relative_to(out)), caption, width=width)


def _downsample(image: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    pil = Image.fromarray(to_uint8(image))
    return np.asarray(pil.resize((size, size), Image.LANCZOS), np.float32) / 255.0


def gatys_rows(out: Path, section: Section) -> None:
    from zoo.models.texture_nets.gatys import synthesize_texture

    reductions = []
    for path in exemplars():
        exemplar = _downsample(_rgb01(path), SIZE)
        result = synthesize_texture(exemplar, SIZE, backbone="random", iterations=ITERATIONS,
                                    optimizer="auto", progress=False, notify=lambda m: None)
        reduction = result.initial_loss / max(result.final_loss, 1e-30)
        reductions.append(reduction)
        section.rows.append((path.stem, [
            _save(out, f"{path.stem}_exemplar.png", exemplar, f"exemplar ({SIZE}x{SIZE})"),
            _save(out, f"{path.stem}_gatys.png", result.image,
                  f"Gatys, {result.iterations} iterations, Gram loss / {reduction:.0f}")]))
    section.notes.append(f"Gatys synthesis on the random multi-scale backbone: Gram loss reduced "
                         f"{min(reductions):.0f}x to {max(reductions):.0f}x.")


def generator_row(out: Path, section: Section) -> None:
    try:
        import zoo

        generator = zoo.load("texture_nets")
    except WeightsError as err:
        section.notes.append(f"Texture Network: skipped: {err}")
        return
    from zoo.models.texture_nets import sample

    start = time.perf_counter()
    small = sample(generator, 128, n=2, seed=7)
    seconds = (time.perf_counter() - start) / 2
    large = sample(generator, 256, n=1, seed=8)
    exemplar = _rgb01(next(p for p in exemplars() if p.stem == "gravel"))
    section.rows.append(("Texture Network (gravel)", [
        _save(out, "tn_exemplar.png", exemplar, "exemplar (128x128)"),
        _save(out, "tn_sample1.png", small[0], "sample, noise seed 7"),
        _save(out, "tn_sample2.png", small[1], "another noise draw"),
        _save(out, "tn_sample256.png", large[0], "256x256, same network", width=256)]))
    section.notes.append(f"Texture Network: {seconds * 1e3:.0f} ms per 128x128 sample (Keras, "
                         "2 cores); two samples from different noise differ but share the "
                         "exemplar's statistics.")


def texture_section(images: list[Path], out: Path) -> Section:
    section = Section("Textures: Gatys synthesis and Texture Networks", PAPER,
                      columns=["exemplar", "result", "", ""])
    gatys_rows(out, section)
    generator_row(out, section)
    return section
