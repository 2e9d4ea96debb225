"""``zoo demo``: every model that has pretrained weights, on images bundled with the package.

Each family declares its section (``Family.demo``, read by :func:`sections`); a
section whose weights are absent says so in the gallery instead of failing. The output folder gets the
PNGs and an ``index.html`` that shows them side by side with their scores.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from zoo.demo.gallery import Section, write_gallery
from zoo.family import resolve


def sections() -> dict[str, str]:
    """``{section name: reference to its function}``, from the family declarations."""
    from zoo.models import families

    return {f.demo.name: f.demo.section for f in families().values() if f.demo is not None}


def bundled_images_dir() -> Path:
    """The photos that ship with the package (``zoo/demo/images``): the demo's inputs and the
    default int8 calibration source of ``zoo export``, never an evaluation set."""
    return Path(str(resources.files("zoo.demo") / "images"))


def demo_images() -> list[Path]:
    return sorted(p for p in bundled_images_dir().iterdir() if p.suffix == ".png")


def run_demo(out: str | Path = "zoo_demo", only: list[str] | None = None) -> Path:
    """Run every section (or those named in ``only``) into ``out``; returns ``index.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made: list[Section] = []
    for name, reference in sections().items():
        if only is not None and name not in only:
            continue
        start = time.perf_counter()
        section = resolve(reference)(demo_images(), out)
        section.seconds = time.perf_counter() - start
        print(f"{section.title}: {section.status} ({section.seconds:.1f} s)")
        made.append(section)
    return write_gallery(out, made)


__all__ = ["bundled_images_dir", "demo_images", "run_demo", "sections"]
