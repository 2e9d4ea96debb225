"""Johnson et al.'s super-resolution nets on Set5, beside bicubic and VDSR, with the repo's protocol.

    python benchmarks/johnson_sr.py --run runs/johnson_sr4 [--set5 DIR] [--out benchmarks/results]

``--run`` is a folder written by ``zoo train johnson --task sr`` (its ``config.json``
gives the net's settings, ``final.weights.h5`` its weights);
``--weights F --scale 4 [--normalization batch]`` names a file directly. Prints one
table and writes ``johnson_sr_x<f>.md`` and ``johnson_sr_x<f>.png`` (a crop of each Set5
image: bicubic, VDSR, Johnson, ground truth) into ``--out``.

Scoring (:mod:`zoo.sr`, ``shared/notes/sr-evaluation-protocol.md``): PSNR and SSIM on
Y (MATLAB ``rgb2ycbcr``), outputs rounded to uint8, ``f`` pixels of border removed.
VDSR sees Y shrunk and bicubic-upscaled (the published protocol); Johnson's net sees
the RGB image shrunk by the same MATLAB bicubic (:func:`zoo.sr.evaluate_rgb`), and a
bicubic row on that same RGB input is printed beside it. The paper trains on images
blurred (Gaussian, sigma 1.0) before the shrink (Sec. 4.2) and so does the recipe; the
evaluation uses the standard unblurred shrink, as the Set5 tables of the SR
literature do.

Expect Johnson's feature-loss net below bicubic in PSNR: the paper says so (Sec. 4.2:
PSNR and SSIM reward the per-pixel loss, and its feature-loss results score lower
while looking sharper); the table is here so that the claim is measured, not assumed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET5 = Path(os.environ.get("ZOO_DATA", REPO.parent / "shared" / "data")) / "sr" / "Set5"


def run_weights(run: Path) -> tuple[dict, Path]:
    """``(model_config, weights file)`` of a ``zoo train johnson --task sr`` folder."""
    config = json.loads((run / "config.json").read_text())["model_config"]
    final = run / "final.weights.h5"
    if not final.is_file():
        raise SystemExit(f"{run}: no final.weights.h5 yet (the run has not finished)")
    return config, final


def training_command(run: Path | None) -> str:
    """The ``zoo train`` settings of a run folder, as a line of the report."""
    if run is None:
        return ""
    c = json.loads((run / "config.json").read_text())
    keys = ("content", "task", "scale", "width", "variant", "normalization", "backbone",
            "steps", "batch_size", "image_size", "learning_rate")
    return "Trained by `zoo train johnson` with " + ", ".join(f"{k}={c[k]}" for k in keys) + ".\n"


def johnson_predictor(net):
    from zoo.models.johnson.inference import super_resolve

    return lambda low: super_resolve(net, low)


def rows(files, scale: int, net, vdsr) -> list[tuple[str, dict, float]]:
    """``[(method, {"psnr", "ssim"}, seconds per image)]`` on ``files`` at ``scale``."""
    from zoo.sr import evaluate, evaluate_rgb, keras_predictor

    start = time.perf_counter()
    y = evaluate(files, [scale], keras_predictor(vdsr), progress=False)[str(scale)]
    vdsr_time = (time.perf_counter() - start) / len(files)
    start = time.perf_counter()
    rgb = evaluate_rgb(files, scale, johnson_predictor(net), progress=False)[str(scale)]
    johnson_time = (time.perf_counter() - start) / len(files)
    return [("bicubic (Y shrunk; the published row)", y["bicubic"], float("nan")),
            ("bicubic (RGB shrunk; Johnson's input)", rgb["bicubic"], float("nan")),
            ("VDSR (zoo default preset, Y)", y["model"], vdsr_time),
            ("Johnson SR, feature loss (RGB)", rgb["model"], johnson_time)]


def format_rows(table, scale: int) -> str:
    head = f"| method | x{scale} PSNR dB | SSIM | s / image (incl. scoring) |"
    lines = [head, "| --- | --- | --- | --- |"]
    for name, score, seconds in table:
        t = "" if np.isnan(seconds) else f"{seconds:.2f}"
        lines.append(f"| {name} | {score['psnr']:.2f} | {score['ssim']:.4f} | {t} |")
    return "\n".join(lines)


def comparison_grid(files, scale: int, net, vdsr, crop: int = 96) -> np.ndarray:
    """Per Set5 image a centre crop: bicubic | VDSR | Johnson | ground truth (uint8 RGB)."""
    from zoo.image import imresize, read_image, to_uint8
    from zoo.sr import degrade_rgb, keras_predictor, upscale

    strips = []
    for path in files:
        image = read_image(path)
        truth, low = degrade_rgb(image, scale)
        bicubic = to_uint8(imresize(low, output_shape=truth.shape[:2]))
        vdsr_rgb = upscale(to_uint8(low), scale, keras_predictor(vdsr))
        johnson = to_uint8(johnson_predictor(net)(low))
        h, w = truth.shape[:2]
        i, j = (h - crop) // 2, (w - crop) // 2
        cells = [a[i:i + crop, j:j + crop, :3] for a in (bicubic, vdsr_rgb, johnson, truth)]
        strips.append(np.concatenate(cells, axis=1))
    return np.concatenate(strips, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="a `zoo train johnson --task sr` folder")
    source.add_argument("--weights", type=Path, help="a .weights.h5 of an SR net")
    parser.add_argument("--scale", type=int, default=4, choices=(4, 8))
    parser.add_argument("--normalization", default="batch", choices=("batch", "instance"))
    parser.add_argument("--set5", type=Path, default=DEFAULT_SET5)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    if not args.set5.is_dir():
        raise SystemExit(f"Set5 not found at {args.set5} (set ZOO_DATA)")

    import zoo
    from zoo.image import list_images, write_image

    if args.run:
        config, weights = run_weights(args.run)
    else:
        config = {"task": "sr", "scale": args.scale, "normalization": args.normalization}
        weights = args.weights
    scale = int(config["scale"])
    net = zoo.load("johnson", weights=str(weights), **config)
    vdsr = zoo.load("vdsr")
    files = list_images(args.set5)
    table = rows(files, scale, net, vdsr)
    text = format_rows(table, scale)
    print(f"Set5, {len(files)} images, weights {weights}\n{text}")
    args.out.mkdir(parents=True, exist_ok=True)
    grid = args.out / f"johnson_sr_x{scale}.png"
    write_image(grid, comparison_grid(files, scale, net, vdsr))
    report = args.out / f"johnson_sr_x{scale}.md"
    report.write_text(
        f"# Johnson SR x{scale} on Set5 (`python benchmarks/johnson_sr.py`)\n\n"
        f"Weights: `{weights}`; net settings {json.dumps(config)}.\n"
        f"{training_command(args.run)}\n{text}\n\n"
        f"Crops (bicubic, VDSR, Johnson, ground truth): `{grid.name}`.\n")
    print(f"wrote {report} and {grid}")


if __name__ == "__main__":
    main()
