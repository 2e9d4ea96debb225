"""VDSR benchmark: Set5 table, training throughput, TFLite size and latency per quantization.

    python benchmarks/vdsr.py [--weights W] [--set5 DIR] [--train-steps N] [--threads 2]

Prints tables; not part of the timed test suite. The int8 row also gives the
Set5 x2 PSNR of each ``.tflite`` beside float32 (the export acceptance check:
int8 may lose at most 0.1 dB).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET5 = Path(os.environ.get("ZOO_DATA", REPO.parent / "shared" / "data")) / "sr" / "Set5"


def device_name() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return f"{jax.devices()[0].device_kind} (jax)"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"{tf.config.experimental.get_device_details(gpus[0]).get('device_name', 'GPU')}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def training_throughput(steps: int, batch: int = 64) -> float:
    """Patches per second of VDSR training steps (paper optimizer), after warm-up."""
    import keras

    from zoo.models.vdsr import VDSR
    from zoo.training.losses import half_squared_error
    from zoo.training.optimizers import AdjustableClipSGD

    model = VDSR()
    model.compile(optimizer=AdjustableClipSGD(), loss=half_squared_error)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 41, 41, 1), dtype=np.float32)
    y = np.clip(x + 0.01, 0, 1)
    for _ in range(2):
        model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    keras.backend.clear_session()
    return steps * batch / (time.perf_counter() - start)


def median_latency(lite, shape, repeats: int) -> float:
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    lite(x)  # allocate and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        lite(x)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", help=".weights.h5 (default: the pretrained preset)")
    parser.add_argument("--set5", type=Path, default=DEFAULT_SET5)
    parser.add_argument("--train-steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()

    import zoo
    from zoo.export import LiteModel, tflite_predictor
    from zoo.export.family import family_tflite
    from zoo.image import list_images
    from zoo.sr import evaluate, format_table, keras_predictor

    model = zoo.load("vdsr", weights=args.weights or "default")
    print(f"device: {device_name()}")
    have_set5 = args.set5.is_dir()
    if have_set5:
        files = list_images(args.set5)
        table = evaluate(files, [2, 3, 4], keras_predictor(model), progress=False)
        print(format_table(table, f"\nSet5 ({args.weights or 'pretrained preset'})"))
    else:
        print(f"\nSet5 not found at {args.set5}: quality rows skipped")

    if args.train_steps:
        rate = training_throughput(args.train_steps)
        print(f"\ntraining throughput: {rate:.1f} patches/s (batch 64 of 41x41, "
              f"{args.train_steps} steps, {device_name()})")

    print(f"\nTFLite, 256x256 input, {args.threads} threads, median of {args.repeats} runs")
    head = f"{'mode':<10}{'size MB':>9}{'latency ms':>12}"
    head += f"{'Set5 x2 dB':>12}" if have_set5 else ""
    print(head + "\n" + "-" * len(head))
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("float32", "float16", "dynamic", "int8"):
            data = family_tflite("vdsr", model, mode)
            path = Path(tmp) / f"vdsr_{mode}.tflite"
            path.write_bytes(data)
            latency = median_latency(LiteModel(data, args.threads), (1, 256, 256, 1), args.repeats)
            row = f"{mode:<10}{len(data) / 1e6:>9.2f}{latency * 1000:>12.1f}"
            if have_set5:
                scores = evaluate(files, [2], tflite_predictor(path, args.threads), progress=False)
                row += f"{scores['2']['model']['psnr']:>12.2f}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
