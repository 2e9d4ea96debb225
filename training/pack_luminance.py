"""Shrink SR training folders to their luminance: one gray PNG per image.

    python -m zoo.training.pack_luminance ../shared/data/sr/T91 ../shared/data/sr/BSD200 --out y291

VDSR trains on Y only, and a gray image is read as its own Y, so the packed
folder gives exactly the same patches as the colour originals (a test checks
this) at about a third of the size: small enough to send the 291 images to a
remote GPU machine with the code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zoo.image import list_images, luminance, read_image, write_image


def pack(folders: list[str | Path], out: str | Path) -> list[Path]:
    out = Path(out)
    written = []
    for folder in folders:
        for path in list_images(folder):
            target = out / Path(folder).name / f"{path.stem}.png"
            written.append(write_image(target, luminance(read_image(path))))
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    written = pack(args.folders, args.out)
    size = sum(p.stat().st_size for p in written)
    print(f"{len(written)} images, {size / 1e6:.1f} MB in {args.out}")


if __name__ == "__main__":
    main()
