"""Deep Image Prior reproduction: the paper's four experiments beside its figures.

    python benchmarks/dip.py                 # the paper's settings (a GPU job)
    python benchmarks/dip.py --quick         # reduced: 96x96 crops, a quarter of the steps
    python benchmarks/dip.py --only sr,restore --json dip.json

Experiments (images from ../shared/data, or $ZOO_DATA):

* super-resolution x4 on Set5: LR by MATLAB bicubic (RGB), DIP fits the LR
  image, PSNR on Y with 4 border pixels removed (the SR protocol of zoo.sr,
  close to the authors' evaluation script: Y, 4-pixel crop). Paper (CVPR 2018,
  Sec. 3, "Super-resolution"): 29.90 dB, bicubic 28.43.
* denoising of F16 (sigma 25, seeded noise): PSNR on RGB of the smoothed
  output. The paper gives no F16 figure, only the 9-image average (29.22 dB,
  30.43 with output averaging); the result image on the project page measures
  33.69 dB (computed, not printed in the paper).
* text inpainting of kate with its mask: PSNR on RGB. No PSNR in the paper
  (Fig. 7 top is qualitative); the project page's snapshot after 6000 steps
  measures 38.98 dB (computed).
* restoration of barbara with 50% of pixels missing (seeded Bernoulli mask):
  PSNR. Paper, Table 1: 32.22 dB (Papyan et al. 28.14).

Runs under TensorFlow or JAX (``KERAS_BACKEND=jax`` on the GPU machine). The
reduced mode changes the inputs and the schedule: its numbers show the method
working, not the paper's figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Every experiment builds its own model, so TensorFlow warns about "retracing".
logging.getLogger("tensorflow").setLevel(logging.ERROR)

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ZOO_DATA", REPO.parent / "shared" / "data"))

PAPER = {
    "sr": ("29.90 (bicubic 28.43)", "CVPR Sec. 3, Set5 x4 mean"),
    "denoise": ("no F16 figure; project-page image 33.69", "9-image mean 29.22 / 30.43 averaged"),
    "inpaint": ("no figure; project-page image 38.98", "Fig. 7 top is qualitative"),
    "restore": ("32.22 (Papyan et al. 28.14)", "CVPR Table 1, Barbara"),
}


# Per-image DIP PSNR on Set5 x4, measured on the project page's result images
# (Y, border 4); their mean is the paper's 29.90 within rounding.
SET5_PAPER = {"img_001": ("baby", 31.49), "img_002": ("bird", 31.80),
              "img_003": ("butterfly", 26.23), "img_004": ("head", 31.04),
              "img_005": ("woman", 28.93)}


def center_crop(image: np.ndarray, size: int | None) -> np.ndarray:
    if not size:
        return image
    h, w = image.shape[:2]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return image[top:top + size, left:left + size]


def fit(problem, task, iterations, seed):
    from zoo.models.dip.fit import Fit

    start = time.perf_counter()
    result = Fit(problem, task, seed=seed).run(iterations, progress=False)
    return result, time.perf_counter() - start


def run_sr(args, scale=4):
    from zoo.image import imresize, list_images, luminance, modcrop, psnr, read_image, to_uint8
    from zoo.models.dip.problems import Problem, task_for

    task = task_for("sr", None, scale)
    iters = max(1, int(task.iterations * args.iter_scale))
    rows = []
    for path in list_images(DATA / "sr" / "Set5"):
        hr = modcrop(center_crop(read_image(path)[..., :3], args.crop), scale)
        low = imresize(hr.astype(np.float64) / 255.0, 1.0 / scale)
        bicubic = to_uint8(imresize(low, output_shape=hr.shape[:2]))
        result, seconds = fit(Problem(np.clip(low, 0, 1), scale=scale), task, iters, args.seed)
        y = luminance(hr)
        rows.append({"image": path.stem, "dip": psnr(y, luminance(to_uint8(result.image)), scale),
                     "baseline": psnr(y, luminance(bicubic), scale), "seconds": seconds})
        name, paper = SET5_PAPER.get(path.stem, (path.stem, float("nan")))
        print(f"  sr {path.stem} ({name}): DIP {rows[-1]['dip']:.2f}, bicubic "
              f"{rows[-1]['baseline']:.2f}, paper's result {paper:.2f} ({seconds:.0f} s)", flush=True)
    return {"name": "sr", "title": "SR x4, Set5 (Y, border 4)", "iterations": iters,
            "dip": float(np.mean([r["dip"] for r in rows])),
            "baseline": float(np.mean([r["baseline"] for r in rows])), "baseline_name": "bicubic",
            "seconds": sum(r["seconds"] for r in rows), "images": rows}


def run_single(args, name):
    from zoo.image import read_image
    from zoo.models.dip.problems import (Problem, add_gaussian_noise, bernoulli_mask,
                                           mask_from_image, psnr01, task_for)

    rng = np.random.default_rng(args.seed + 1)
    kind = {"denoise": "denoise", "inpaint": "inpaint", "restore": "restore"}[name]
    task = task_for(kind, None, 1)
    if name == "denoise":
        clean = center_crop(read_image(DATA / "dip" / "denoising" / "F16_GT.png"), args.crop) / 255.0
        problem = Problem(add_gaussian_noise(clean, 25, rng), clean=clean)
        title, baseline_name = "denoising F16, sigma 25 (RGB)", "noisy input"
    elif name == "inpaint":
        clean = center_crop(read_image(DATA / "dip" / "inpainting" / "kate.png"), args.crop) / 255.0
        mask_image = center_crop(read_image(DATA / "dip" / "inpainting" / "kate_mask.png"), args.crop)
        mask = mask_from_image(mask_image, clean.shape[:2])
        problem = Problem(clean * mask, mask=mask, clean=clean)
        title, baseline_name = "text inpainting, kate (RGB)", "masked input"
    else:
        clean = center_crop(read_image(DATA / "dip" / "restoration" / "barbara.png"), args.crop) / 255.0
        mask = bernoulli_mask(clean.shape, 0.5, rng)
        problem = Problem(clean * mask, mask=mask, clean=clean)
        title, baseline_name = "restoration, barbara, 50% missing", "masked input"
    iters = max(1, int(task.iterations * args.iter_scale))
    result, seconds = fit(problem, task, iters, args.seed)
    print(f"  {name}: DIP {result.psnr:.2f} ({seconds:.0f} s)", flush=True)
    return {"name": name, "title": title, "iterations": iters, "dip": result.psnr,
            "dip_last": psnr01(result.last, clean), "restarts": result.restarts,
            "baseline": psnr01(problem.observed, clean), "baseline_name": baseline_name,
            "seconds": seconds}


def print_table(results: list[dict]) -> None:
    head = (f"{'experiment':<36}{'steps':>6}{'DIP dB':>8}  {'baseline':<20}  "
            f"{'paper':<42}{'time':>7}")
    print(head + "\n" + "-" * len(head))
    for r in results:
        baseline = f"{r['baseline']:.2f} {r['baseline_name']}"
        print(f"{r['title']:<36}{r['iterations']:>6}{r['dip']:>8.2f}  {baseline:<20}  "
              f"{PAPER[r['name']][0]:<42}{r['seconds']:>6.0f}s")


def device() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return f"{jax.devices()[0].device_kind} (jax)"
    import platform

    return f"{platform.processor() or platform.machine()} CPU, {os.cpu_count()} cores (tensorflow)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="reduced run for a CPU: 96x96 crops, a quarter of the steps")
    parser.add_argument("--crop", type=int, help="center-crop every image to this size")
    parser.add_argument("--iter-scale", type=float, default=1.0)
    parser.add_argument("--only", default="sr,denoise,inpaint,restore")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--show", metavar="JSON", help="print the table of an earlier --json run")
    args = parser.parse_args()
    if args.show:
        saved = json.loads(Path(args.show).read_text())
        print(f"{saved['device']}; {saved['mode']}")
        return print_table(saved["results"])
    if args.quick:
        args.crop = args.crop or 96
        args.iter_scale = 0.25 if args.iter_scale == 1.0 else args.iter_scale
    if not (DATA / "dip").is_dir():
        raise SystemExit(f"needs the shared data folder {DATA} (set ZOO_DATA)")
    mode = (f"reduced: {args.crop}x{args.crop} crops, {args.iter_scale:g} x the steps"
            if args.crop or args.iter_scale != 1 else "the paper's settings, whole images")
    print(f"Deep Image Prior reproduction on {device()}; {mode}")
    results = []
    for name in args.only.split(","):
        results.append(run_sr(args) if name == "sr" else run_single(args, name))
    print()
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"device": device(), "mode": mode,
                                               "results": results}, indent=2))


if __name__ == "__main__":
    main()
