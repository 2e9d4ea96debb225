"""Texture benchmark: Gatys pixel optimisation against a Texture Network sample; quality run.

    python benchmarks/texture.py [--iterations 5] [--sizes 256,512] [--weights W]
                                 [--threads 2] [--runs 20] [--skip-tflite]
    python benchmarks/texture.py --synthesize [--textures a.jpg,b.jpg,...]
                                 [--synth-size 128] [--synth-iters 100] [--sheet sheet.png]

Speed (always): seconds per L-BFGS iteration of :func:`zoo.models.texture_nets.gatys.synthesize_texture`
(backbone ``random``, and ``vgg19`` when its ImageNet weights are in the Keras
cache) and seconds per Texture Network sample (Keras ``predict_on_batch``,
batch 1) at each of ``--sizes``, and their ratio: how many generator samples
one optimisation step costs (the lecture quotes about 10 s against 0.06 s).
Then the generator's ``.tflite`` size and median latency with ``--threads``
threads for float32 and int8 (``zoo.export.family``).

Tracing is excluded from every time:

* L-BFGS: ``synthesize_texture`` is run with ``levels=1`` and a per-iteration
  callback (``snapshot_every=1``) that records ``time.perf_counter()``; the
  time per iteration is ``(t_last - t_first) / (n - 1)`` between the first and
  the last callback. Building and rescaling the backbone, the exemplar's Gram
  targets and the tracing of the loss-and-gradient function all happen before
  the first callback (the starting loss is evaluated, and traced, before the
  first step). One iteration may take more than one loss-and-gradient
  evaluation (the line search); the table gives evaluations per iteration.
* Generator: two warm-up calls per size (the first traces), then the median
  of ``--runs`` calls.
* TFLite: a warm-up call per size (allocation), then the median of ``--runs``.

Latency does not depend on training: without ``--weights`` the pretrained
preset is used if ``zoo.load("texture_nets")`` has one, else a fresh
(randomly initialised) default generator, with a note.

Quality (``--synthesize``): with the random-feature backbone
(:func:`zoo.models.perceptual.RandomMultiscale`) and L-BFGS, one
``--synth-size`` texture per exemplar of ``--textures`` (files in
``../shared/data/textures``, or ``$ZOO_DATA/textures``, or paths), each
exemplar first resized so its longer side is ``--exemplar-side``. One level
(``levels=1``), so the start is the uniform noise itself. The table gives the
Gram loss (``sum_l w_l E_l``, positions-normalised, the quantity optimised) at
the start and the end and their ratio, and the colour-histogram distance to
the exemplar of the start noise and of the result:

    d(x, e) = (1/3) sum_{c in R,G,B} sum_{b=1..32} |p_c(b) - q_c(b)|

with ``p_c``, ``q_c`` the 32-bin histograms over [0, 1] of channel ``c`` of
``x`` and of the exemplar, each normalised to sum 1; ``d`` is in [0, 2], 0 for
identical per-channel colour distributions. It is not what is optimised (the
Gram matrices constrain colour only through second moments of the features), so
it is an independent check. Seconds are the whole call (tracing included).
``--sheet`` writes a contact sheet PNG, one row per exemplar: the exemplar as
used (after resizing) | the result, both at the same pixel scale.
Not part of the timed test suite.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from vdsr import device_name  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEXTURES = Path(os.environ.get("ZOO_DATA", REPO.parent / "shared" / "data")) / "textures"
DEFAULT_TEXTURES = ("pebbles.jpg", "bricks.jpg", "red-peppers256.o.jpg", "dcor_Texture13.png",
                    "slicedw_berry.jpg")
HISTOGRAM_BINS = 32


# ---------------------------------------------------------------- helpers

def read_rgb01(path) -> np.ndarray:
    from zoo.image import read_image
    from zoo.image import as_rgb01

    return as_rgb01(read_image(path), str(path))


def speed_exemplar() -> np.ndarray:
    """The exemplar for the timing runs (its content does not change the cost)."""
    from importlib import resources

    path = TEXTURES / "pebbles.jpg"
    if not path.is_file():
        path = Path(str(resources.files("zoo.demo") / "images" / "astronaut.png"))
    return read_rgb01(path)


def colour_histogram_distance(image: np.ndarray, exemplar: np.ndarray,
                              bins: int = HISTOGRAM_BINS) -> float:
    """Mean over R, G, B of the L1 distance of normalised ``bins``-bin histograms (0 to 2)."""
    total = 0.0
    for c in range(3):
        p, _ = np.histogram(np.clip(image[..., c], 0, 1), bins=bins, range=(0.0, 1.0))
        q, _ = np.histogram(np.clip(exemplar[..., c], 0, 1), bins=bins, range=(0.0, 1.0))
        total += np.abs(p / p.sum() - q / q.sum()).sum()
    return float(total / 3)


def lbfgs_seconds_per_iteration(exemplar, size: int, backbone: str, iterations: int) -> dict:
    """Seconds per L-BFGS iteration between the first and last iteration callbacks."""
    from zoo.models.texture_nets.gatys import synthesize_texture

    stamps = []
    result = synthesize_texture(exemplar, size, backbone, iterations=max(2, iterations),
                                optimizer="lbfgs", levels=1, progress=False, snapshot_every=1,
                                on_snapshot=lambda step, image: stamps.append(time.perf_counter()))
    per_iteration = ((stamps[-1] - stamps[0]) / (len(stamps) - 1)) if len(stamps) > 1 else math.nan
    return {"seconds": per_iteration, "iterations": result.iterations,
            "evals_per_iteration": result.evaluations / max(1, result.iterations),
            "total": result.seconds}


def generator_seconds(model, size: int, runs: int) -> float:
    """Median seconds of one Keras ``predict_on_batch`` (batch 1) after two warm-up calls."""
    from zoo.models.texture_nets import generator_inputs

    inputs = _inputs(model, size, generator_inputs)
    for _ in range(2):
        model.predict_on_batch(inputs)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        model.predict_on_batch(inputs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _inputs(model, size, generator_inputs):
    from zoo.models.texture_nets.export import content_crops, is_stylization

    content = content_crops(1, size, seed=0) if is_stylization(model) else None
    return generator_inputs(model, size, 1, seed=0, content=content)


def tflite_latency(lite, inputs, runs: int) -> float:
    lite(*inputs)  # allocate and warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        lite(*inputs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_generator(weights: str | None):
    import zoo
    from zoo.errors import WeightsError

    if weights:
        return zoo.load("texture_nets", weights=weights), weights
    try:
        return zoo.load("texture_nets"), "pretrained preset"
    except WeightsError as err:
        from zoo.models.texture_nets import build

        print(f"note: {err}; timing a fresh default generator (latency does not depend on "
              "training)")
        return build(), "fresh default generator"


# ---------------------------------------------------------------- speed

def speed(args, sizes: list[int]) -> None:
    from zoo.models.texture_nets import size_multiple
    from zoo.models.texture_nets.gatys import vgg19_cached
    from zoo.models.perceptual import IMAGENET_WEIGHTS
    from zoo.models.perceptual.vgg import keras_home

    model, label = load_generator(args.weights)
    bad = [s for s in sizes if s % size_multiple(model)]
    if bad:
        sys.exit(f"sizes {bad} are not multiples of 2^(K-1) = {size_multiple(model)}")
    backbones = ["random"]
    if vgg19_cached():
        backbones.append("vgg19")
    exemplar = speed_exemplar()
    sample = {s: generator_seconds(model, s, args.runs) for s in sizes}
    print(f"\nGatys L-BFGS ({args.iterations} iterations, one level) against one Texture Network "
          f"sample ({label}, Keras predict_on_batch, batch 1); {device_name()}")
    print("| backbone | size | s / L-BFGS iteration | evaluations / iteration | s / sample "
          "| iteration / sample | 300 iterations / sample |")
    print("|---|---|---|---|---|---|---|")
    for backbone in backbones:
        for s in sizes:
            t = lbfgs_seconds_per_iteration(exemplar, s, backbone, args.iterations)
            ratio = t["seconds"] / sample[s]
            print(f"| {backbone} | {s}x{s} | {t['seconds']:.3f} | {t['evals_per_iteration']:.2f} | "
                  f"{sample[s]:.4f} | {ratio:.3g}x | {300 * ratio:.3g}x |", flush=True)
    if "vgg19" not in backbones:
        print(f"vgg19 skipped: {IMAGENET_WEIGHTS['vgg19'].file} is not in "
              f"{keras_home() / 'models'} (this benchmark downloads nothing)")
    if args.skip_tflite:
        return
    tflite_table(model, sizes, args.threads, args.runs)


def tflite_table(model, sizes: list[int], threads: int, runs: int) -> None:
    from zoo.export import LiteModel
    from zoo.export.family import export_model
    from zoo.models.texture_nets.export import sample_inputs

    cells = " | ".join(f"median ms {s}x{s}" for s in sizes)
    print(f"\nTexture Network .tflite, {threads} threads, median of {runs} runs, batch 1; "
          f"vs Keras on validation noise at {sizes[0]}x{sizes[0]}")
    print(f"| mode | size | {cells} | max abs vs Keras | PSNR vs Keras |")
    print("|---|---|" + "---|" * len(sizes) + "---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("float32", "int8"):
            path = Path(tmp) / f"texture_{mode}.tflite"
            report = export_model("texture_nets", model, mode, path, size=sizes[0])
            lite = LiteModel(path, threads=threads)
            ms = [tflite_latency(lite, sample_inputs(model, s, 1, seed=0), runs) * 1e3
                  for s in sizes]
            print(f"| {mode} | {report['bytes'] / 1e3:.0f} kB | "
                  + " | ".join(f"{m:.1f}" for m in ms)
                  + f" | {report['max_abs']:.2e} | {report['psnr']:.1f} dB |", flush=True)


# ---------------------------------------------------------------- quality

def texture_paths(names: list[str]) -> list[Path]:
    paths = [Path(n) if Path(n).is_file() else TEXTURES / n for n in names]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"error: exemplar(s) not found: {', '.join(missing)}\n"
              f"put the textures in {TEXTURES} (or set ZOO_DATA to the data folder), "
              "or pass --textures with existing files", file=sys.stderr)
        sys.exit(1)
    return paths


def synthesize(args) -> None:
    from zoo.models.texture_nets.gatys import fit_side, resize_to, synthesize_texture

    names = args.textures.split(",") if args.textures else list(DEFAULT_TEXTURES)
    paths = texture_paths(names)
    if len(paths) < 4:
        print(f"note: {len(paths)} exemplars; the issue asks for at least four")
    size = args.synth_size
    rows = []
    print(f"\nGatys synthesis, random multi-scale backbone, L-BFGS, {args.synth_iters} iterations, "
          f"{size}x{size} output, exemplars resized to a longer side of {args.exemplar_side}; "
          f"{device_name()}")
    print("| exemplar | Gram loss start -> end | reduction | colour hist. dist. noise -> result "
          "| iterations | seconds |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        exemplar = read_rgb01(path)
        exemplar = resize_to(exemplar, fit_side(exemplar.shape, args.exemplar_side))
        result = synthesize_texture(exemplar, size, "random", iterations=args.synth_iters,
                                    optimizer="lbfgs", levels=1, seed=args.seed, progress=False)
        noise = np.random.default_rng(args.seed).uniform(0.0, 1.0, (size, size, 3))
        d0 = colour_histogram_distance(noise, exemplar)
        d1 = colour_histogram_distance(result.image, exemplar)
        reduction = result.initial_loss / result.final_loss if result.final_loss > 0 else math.inf
        print(f"| {path.name} | {result.initial_loss:.4g} -> {result.final_loss:.4g} | "
              f"{reduction:.1f}x | {d0:.3f} -> {d1:.3f} | {result.iterations} | "
              f"{result.seconds:.1f} |", flush=True)
        rows.append((exemplar, result.image))
    if args.sheet:
        contact_sheet(rows, args.sheet)
        print(f"wrote {args.sheet}: one row per exemplar ({', '.join(p.name for p in paths)}), "
              "exemplar | result at the same pixel scale")


def contact_sheet(rows, path: str, gap: int = 4) -> None:
    from zoo.image import write_image

    height = max(max(e.shape[0], r.shape[0]) for e, r in rows)
    width = max(e.shape[1] for e, _ in rows) + gap + max(r.shape[1] for _, r in rows)
    sheet = np.ones((len(rows) * (height + gap) - gap, width, 3), np.float32)
    left = max(e.shape[1] for e, _ in rows) + gap
    for i, (exemplar, result) in enumerate(rows):
        top = i * (height + gap)
        sheet[top:top + exemplar.shape[0], :exemplar.shape[1]] = exemplar
        sheet[top:top + result.shape[0], left:left + result.shape[1]] = result
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_image(path, np.round(np.clip(sheet, 0, 1) * 255).astype(np.uint8))


# ---------------------------------------------------------------- main

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=5,
                        help="L-BFGS iterations timed per backbone and size (at least 2)")
    parser.add_argument("--sizes", default="256,512", help="comma-separated square sizes")
    parser.add_argument("--weights", help="generator .weights.h5 (default: the pretrained "
                                          "preset, else a fresh generator)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20,
                        help="timed calls per size (Keras generator and TFLite)")
    parser.add_argument("--skip-speed", action="store_true", help="only the --synthesize run")
    parser.add_argument("--skip-tflite", action="store_true")
    parser.add_argument("--synthesize", action="store_true",
                        help="also synthesize textures from the exemplars (quality table)")
    parser.add_argument("--textures", help="comma-separated exemplars (names in "
                                           f"{TEXTURES} or paths); default: "
                                           + ",".join(DEFAULT_TEXTURES))
    parser.add_argument("--synth-size", type=int, default=128)
    parser.add_argument("--synth-iters", type=int, default=100)
    parser.add_argument("--exemplar-side", type=int, default=256,
                        help="resize each exemplar so its longer side is this")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sheet", metavar="PNG", help="write the contact sheet here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.synthesize:  # fail on missing data before the long timing runs
        texture_paths(args.textures.split(",") if args.textures else list(DEFAULT_TEXTURES))
    if not args.skip_speed:
        speed(args, sizes)
    if args.synthesize:
        synthesize(args)


if __name__ == "__main__":
    main()
