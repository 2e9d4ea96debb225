"""Spatial Transformer Networks, distorted MNIST (Sec. 4.1, Table 1): ST-CNN vs CNN test error.

    python benchmarks/stn.py                          # 20 epochs per model, all four distortions
    python benchmarks/stn.py --epochs 8 --only R,RTS --json stn.json
    python benchmarks/stn.py --only RTS --rts-weights stn_rts.weights.h5 --grid stn_grid.png

For each distortion (R, RTS, P, E) trains the affine ST-CNN and the plain CNN
with the same classifier (``zoo.training.stn`` recipe) and prints both test
errors beside Table 1 of the paper (ST-CNN Aff and CNN rows). Our data are
not the paper's: 8,000 training digits (the first of MNIST t10k, freshly
distorted every epoch) and a test set of the last 2,000 t10k digits,
distorted once; and the training budget is far shorter than the paper's
150k iterations. The numbers show whether the transformer helps, not the
paper's figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import numpy as np  # noqa: E402

# Table 1 of the paper, error %: ST-CNN (affine) and CNN rows.
PAPER = {"stn": {"R": 0.7, "RTS": 0.5, "P": 0.8, "E": 1.2},
         "cnn": {"R": 1.2, "RTS": 0.8, "P": 1.5, "E": 1.4}}
KINDS = ("R", "RTS", "P", "E")
MODELS = ("stn", "cnn")


def device_name() -> str:
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            names = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                     for g in gpus]
            return ", ".join(names)
    elif keras.backend.backend() == "jax":
        import jax

        devices = jax.devices()
        if devices[0].platform != "cpu":
            return ", ".join(d.device_kind for d in devices)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"CPU ({cores} cores, {platform.processor() or platform.machine()})"


def save_grid(model, images: np.ndarray, path: Path, zoom: int = 3) -> None:
    """Two rows of ``len(images)``: the inputs (top) and the ST-CNN's transformed images."""
    from PIL import Image

    from zoo.models.stn import transformer

    warped = np.asarray(transformer(model).predict(images, verbose=0))
    n, size = len(images), images.shape[1]
    gap = 2
    canvas = np.full((2 * size + 3 * gap, n * size + (n + 1) * gap), 0.5, np.float32)
    for row, batch in enumerate((images, warped)):
        for i in range(n):
            top, left = gap + row * (size + gap), gap + i * (size + gap)
            canvas[top:top + size, left:left + size] = np.clip(batch[i, ..., 0], 0, 1)
    pixels = (canvas * 255 + 0.5).astype(np.uint8)
    img = Image.fromarray(pixels).resize((pixels.shape[1] * zoom, pixels.shape[0] * zoom),
                                         Image.NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per model (125 steps each)")
    parser.add_argument("--only", default=",".join(KINDS),
                        help="distortions to run, comma-separated (R,RTS,P,E)")
    parser.add_argument("--models", default="stn,cnn", help="stn, cnn or both")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--optimizer", default="adam", choices=("adam", "sgd"))
    parser.add_argument("--loc-lr-scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/stn_bench", help="run folders go under here")
    parser.add_argument("--fresh", action="store_true", help="delete earlier run folders first")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--rts-weights", help="copy the RTS ST-CNN's final weights here")
    parser.add_argument("--grid", help="save inputs / transformed images of the RTS ST-CNN here")
    args = parser.parse_args(argv)

    import keras

    from zoo.models.stn import parameter_counts
    from zoo.models.stn import distortions
    from zoo.training import stn

    kinds = [k.strip().upper() for k in args.only.split(",") if k.strip()]
    models = [m.strip().lower() for m in args.models.split(",") if m.strip()]
    bad = [k for k in kinds if k not in KINDS] + [m for m in models if m not in MODELS]
    if bad:
        parser.error(f"unknown distortion or model: {', '.join(bad)}")
    device = device_name()
    print(f"STN distorted-MNIST benchmark: {args.epochs} epochs x {8000 // args.batch} steps "
          f"of {args.batch}, {args.optimizer}, backend {keras.backend.backend()}, device {device}",
          flush=True)
    results = {"device": device, "backend": keras.backend.backend(), "epochs": args.epochs,
               "batch": args.batch, "optimizer": args.optimizer, "runs": {}}
    for kind in kinds:
        counts = parameter_counts(distortions.output_size(kind))
        for model_kind in models:
            recipe = stn.Config(kind=kind, model=model_kind, epochs=args.epochs,
                                batch_size=args.batch, optimizer=args.optimizer,
                                loc_lr_scale=args.loc_lr_scale, seed=args.seed)
            out = Path(args.out) / f"{model_kind}_{kind}"
            if args.fresh and out.exists():
                shutil.rmtree(out)
            split = stn.load_split(recipe)
            start = time.perf_counter()
            model, _ = stn.train(recipe, {"out_dir": out, "verbose": 2, "tensorboard": False})
            seconds = time.perf_counter() - start
            error = stn.evaluate(model, split)
            params = counts[model_kind]
            results["runs"][f"{model_kind}_{kind}"] = {
                "kind": kind, "model": model_kind, "error": error,
                "paper": PAPER[model_kind][kind], "seconds": seconds, "params": params,
                "recipe": asdict(recipe)}
            paper = PAPER[model_kind][kind]
            print(f"[{kind} {model_kind}] test error {error:.2f}% (paper {paper}%), "
                  f"{params:,} parameters, {seconds:.0f} s", flush=True)
            if model_kind == "stn" and kind == "RTS":
                if args.rts_weights:
                    shutil.copyfile(out / "final.weights.h5", args.rts_weights)
                    print(f"RTS ST-CNN weights -> {args.rts_weights}")
                if args.grid:
                    save_grid(model, split.test_images[:8], Path(args.grid))
                    print(f"grid -> {args.grid}")
            keras.backend.clear_session()

    print_table(results, kinds, models)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return results


def print_table(results: dict, kinds, models) -> None:
    runs = results["runs"]
    print(f"\nDistorted MNIST test error, % (ours: t10k last 2,000; {results['epochs']} epochs of "
          f"{8000 // results['batch']} steps; {results['device']})")
    header = f"{'':6}" + "".join(f"{'ST-CNN':>9}{'paper':>7}{'time':>7}" if m == "stn" else
                                 f"{'CNN':>9}{'paper':>7}{'time':>7}" for m in models)
    print(header)
    for kind in kinds:
        line = f"{kind:6}"
        for m in models:
            run = runs.get(f"{m}_{kind}")
            if run is None:
                line += f"{'-':>9}{PAPER[m][kind]:>7.1f}{'-':>7}"
            else:
                line += f"{run['error']:>9.2f}{PAPER[m][kind]:>7.1f}{run['seconds']:>6.0f}s"
        print(line)


if __name__ == "__main__":
    main()
