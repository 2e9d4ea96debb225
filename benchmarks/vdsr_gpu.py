"""Train VDSR with ``zoo train`` on a GPU lent for a fixed time: how ``vdsr_291_h200`` was made.

    KERAS_BACKEND=jax python benchmarks/vdsr_gpu.py --data y291/T91 y291/BSD200 \\
        --out /tmp/vdsr --deadline 530 -- --optimizer adam --lr 2e-4 --stride 21

The GPU machine is lent for minutes, not hours, so the number of steps is fitted
to the time left rather than fixed in advance:

1. a calibration run (``zoo train vdsr`` for ``--calibration-steps`` steps, same
   options, in a process of its own) measures the seconds per step after compilation;
2. the real run is ``zoo train vdsr`` with ``--epochs`` epochs of as many steps as
   fit before ``--deadline`` (seconds after this script started), leaving time
   for compilation and saving.

Everything after ``--`` goes to both ``zoo train vdsr`` commands unchanged. The
real command is printed (``command:``) and written to ``OUT/command.txt``: that
is the command a model card quotes. ``--eval DIR`` then prints the ``zoo eval
vdsr`` table of the result on DIR (e.g. Set5 packed to Y with
``zoo.training.pack_luminance``) and writes it to ``OUT/eval.json``, so that a
short lease shows at once whether another run is worth its time.

The data and optimizer of twtygqyy/pytorch-vdsr (reported there at 37.65 / 33.77 /
31.45 dB on Set5; its released weights measure 37.59 / 33.75 / 31.43 dB with ``zoo
eval``, see ``vdsr_port_pytorch_vdsr``), which the Adam runs of ``vdsr_291_h200``
(37.35 / 33.47 / 31.17) did not use, ran on an H200 on 2026-11-28::

    KERAS_BACKEND=jax python benchmarks/vdsr_gpu.py --data y291/T91 y291/BSD200 \\
        --out /tmp/vdsr --deadline 520 --epochs 40 --eval set5y/Set5 -- --clip norm \\
        --no-biases --downscales 1,0.7,0.5 --batch-size 128 --lr-decay-epochs 10 \\
        --steps-per-execution 16 --checkpoint-every 4000

Its patch set is pytorch-vdsr's: at stride 41 with the copies shrunk by 0.7 and
0.5, the 291 images give 92,636 patches (pytorch-vdsr's ``data/generate_train.m``
makes the same ones; it adds no rotations or flips, we draw one of the 8 per
patch). Its 50 epochs at batch 128 are 36,185 iterations (4.6 million patches).
Measured: calibration 8.1 ms per step of 128 and 104 s of start-up (93 s of it
cutting the patches), then 40 epochs of 848 steps (33,920, 94% of the reference
schedule) in 294 s. Set5: 37.13 / 33.33 / 31.03 dB, below ``vdsr_291_h200`` and
0.40-0.46 dB below the released weights of the same recipe: one short run of the recipe,
not what its released weights do, and not shipped (``vdsr_291_h200``'s card has the details).

``benchmarks/vdsr_gpu_lease.sh`` wraps this for a lease: ``prepare`` builds here what
must travel (wheels, the 291 images and Set5 packed to Y, 29 MB in ``.gpu/``), ``A`` runs
the command above on the GPU machine and ``B`` a fallback fine-tune of the shipped weights.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

START = time.monotonic()


def zoo_train(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "zoo.cli.main", "train", "vdsr", *args]


def measure(train_args: list[str]) -> dict:
    """Run ``zoo train vdsr TRAIN_ARGS`` for one epoch in this process, timing its steps.

    Returns the seconds per step after compilation and the seconds from the start
    until the first steps were done (data preparation and compilation).
    """
    import keras

    from zoo.cli.main import build_parser
    from zoo.cli.train import recipe_config
    from zoo.training.trainer import RunConfig
    from zoo.training.vdsr import train

    marks = []

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            float(logs["loss"])  # wait for the device
            marks.append((batch, time.monotonic()))

    began = time.monotonic()
    args = build_parser().parse_args(["train", "vdsr", *train_args])
    recipe = recipe_config(args)
    train(recipe, RunConfig(out_dir=args.out, epochs=1, steps_per_epoch=recipe.steps_per_epoch,
                            checkpoint_every=10**9, callbacks=[Clock()]))
    if len(marks) < 3:
        raise SystemExit(f"calibration saw {len(marks)} step marks: give --calibration-steps "
                         "at least 3 times --steps-per-execution")
    (b0, t1), (b1, t2) = marks[len(marks) // 3], marks[-1]
    return {"step_s": (t2 - t1) / (b1 - b0), "startup_s": marks[0][1] - began}


def calibrate(data, out: Path, steps: int, extra: list[str]) -> dict:
    """:func:`measure` in a process of its own, so that the real run starts afresh."""
    cmd = [sys.executable, __file__, "--measure", "--data", *data, "--out", str(out),
           "--epochs", "1", "--steps-per-epoch", str(steps), *extra]
    found = [line for line in run(cmd) if line.startswith("CALIBRATION ")]
    if not found:
        raise SystemExit("calibration failed: see its output above")
    return json.loads(found[-1].split(" ", 1)[1])


def run(cmd: list[str]) -> list[str]:
    print("$", shlex.join(cmd), flush=True)
    lines = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            lines.append(line.rstrip("\n"))
    if proc.returncode:
        raise SystemExit(f"command failed with exit status {proc.returncode}")
    return lines


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        print("CALIBRATION", json.dumps(measure(argv[1:])), flush=True)
        return
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--deadline", type=float, required=True,
                        help="seconds after start by which the real run must have finished")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps-multiple", type=int, default=16,
                        help="steps per epoch are rounded down to a multiple of this")
    parser.add_argument("--calibration-steps", type=int, default=480)
    parser.add_argument("--margin", type=float, default=20.0,
                        help="seconds kept for saving and the unexpected")
    parser.add_argument("--eval", metavar="DIR",
                        help="afterwards, print the zoo eval vdsr table of the result on DIR")
    args = parser.parse_args(own)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cache = ["--cache-dir", str(out / "cache")]

    timing = calibrate(args.data, out / "calibration", args.calibration_steps, extra + cache)
    left = args.deadline - (time.monotonic() - START) - timing["startup_s"] - args.margin
    steps = int(left / timing["step_s"] / args.epochs) // args.steps_multiple * args.steps_multiple
    if steps <= 0:
        raise SystemExit(f"no time left to train ({left:.0f} s)")
    print(f"calibration: {timing['step_s'] * 1e3:.2f} ms/step, startup {timing['startup_s']:.0f} s;"
          f" {left:.0f} s left: {args.epochs} epochs of {steps} steps", flush=True)
    real = ["--data", *args.data, "--out", str(out / "run"), "--epochs", str(args.epochs),
            "--steps-per-epoch", str(steps), *extra, *cache]
    command = "zoo train vdsr " + shlex.join(real)
    print("command:", command, flush=True)
    (out / "command.txt").write_text(command + "\n")
    began = time.monotonic()
    run(zoo_train(real))
    elapsed = time.monotonic() - began
    (out / "timing.json").write_text(json.dumps({
        **timing, "steps": steps * args.epochs, "train_command_s": elapsed,
        "backend": os.environ.get("KERAS_BACKEND", "")}, indent=2))
    print(f"done: {steps * args.epochs} steps in {elapsed:.0f} s", flush=True)
    if args.eval:
        run([sys.executable, "-m", "zoo.cli.main", "eval", "vdsr", "--data", args.eval,
             "--scales", "2,3,4", "--weights", str(out / "run" / "final.weights.h5"),
             "--json", str(out / "eval.json")])


if __name__ == "__main__":
    main()
