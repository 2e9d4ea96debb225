"""``zoo demo``: every model that has pretrained weights, on images bundled with the package.

Each model contributes a section (``SECTIONS``); a section whose weights are
absent says so in the gallery instead of failing. The output folder gets the
PNGs and an ``index.html`` that shows them side by side with their scores.
"""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path

from zoo.demo.dip import dip_section
from zoo.demo.gallery import Section, write_gallery
from zoo.demo.gaze import gaze_section
from zoo.demo.stn import stn_section
from zoo.demo.texture import texture_section
from zoo.demo.vdsr import vdsr_section

SECTIONS = {"vdsr": vdsr_section, "dip": dip_section, "stn": stn_section, "gaze": gaze_section,
            "texture": texture_section}


def demo_images() -> list[Path]:
    folder = resources.files("zoo.demo") / "images"
    return sorted(Path(str(p)) for p in folder.iterdir() if str(p).endswith(".png"))


def run_demo(out: str | Path = "zoo_demo", only: list[str] | None = None) -> Path:
    """Run every section (or those named in ``only``) into ``out``; returns ``index.html``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    for name, make in SECTIONS.items():
        if only is not None and name not in only:
            continue
        start = time.perf_counter()
        section = make(demo_images(), out)
        section.seconds = time.perf_counter() - start
        print(f"{section.title}: {section.status} ({section.seconds:.1f} s)")
        sections.append(section)
    return write_gallery(out, sections)


__all__ = ["run_demo", "demo_images", "SECTIONS"]
