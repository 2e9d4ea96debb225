"""``zoo dip TASK IMAGE --out OUT``: Deep Image Prior, one corrupted image restored by fitting
a random network to it (no training data, no weights)."""

from __future__ import annotations

import sys

from zoo.cli.checks import check_output, check_snapshots, check_writable, write_json
from zoo.cli.fitting import note, snapshot_writer, state_dir, state_options
from zoo.cli.limits import check_dip
from zoo.errors import ZooError
from zoo.options import COUNT, COUNT_OR_ZERO, NON_NEGATIVE, SEED, number


def add_parser(commands):
    p = commands.add_parser("dip", help="Deep Image Prior: restore one image, no training data",
                            description="Fit a random network to one corrupted image "
                            "(Ulyanov et al., CVPR 2018).")
    p.add_argument("task", choices=("denoise", "inpaint", "sr", "restore"))
    p.add_argument("image", help="the corrupted image (for sr: the low-resolution one)")
    p.add_argument("--out", required=True, help="result image (.png, .jpg, .bmp)")
    p.add_argument("--mask", help="inpaint/restore: black-and-white image, black = missing")
    p.add_argument("--clean", help="ground truth, to print PSNR while fitting")
    p.add_argument("--add-noise", type=NON_NEGATIVE, metavar="SIGMA",
                   help="denoise: IMAGE is clean; add Gaussian noise of SIGMA (8-bit levels)")
    p.add_argument("--drop", type=number(0.0, 1.0), metavar="FRACTION",
                   help="restore: IMAGE is clean; drop this fraction of pixels at random")
    p.add_argument("--scale", type=int, default=4, help="sr: upscaling factor (default 4)")
    p.add_argument("--preset", help="a task preset of zoo.models.dip.TASKS (default: the task's)")
    p.add_argument("--iters", type=COUNT, help="iterations (default: the preset's, from the paper)")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--snapshot-every", type=COUNT_OR_ZERO, default=0, metavar="N",
                   help="also write OUT_<step>.png every N iterations")
    p.add_argument("--json", metavar="OUT", help="write iterations, time and PSNR as JSON")
    state_options(p)
    p.set_defaults(run=run)


def run(args):
    from pathlib import Path

    from zoo.image import write_image
    from zoo.models.dip.problems import task_for

    out = Path(args.out)
    check_output(out, inputs=[args.image, args.mask, args.clean])
    check_writable(args.json, inputs=[args.image, args.mask, args.clean, out])
    check_snapshots(out, args.snapshot_every)
    state = state_dir(args)
    problem = _problem(args)
    task = task_for(args.task, args.preset, args.scale)
    check_dip(problem.output_shape[:2], task, problem.scale)
    import keras  # only now: bad input fails fast, before TensorFlow or JAX loads

    from zoo.models.dip.fit import Fit, FitInterrupted, clear_state

    fit = Fit(problem, task, seed=args.seed)
    print(f"Deep Image Prior {args.task}: {task.description}; {fit.net.count_params():,} "
          f"parameters, {args.iters or task.iterations} iterations on {keras.backend.backend()}")
    try:
        result = fit.run(args.iters, snapshot_every=args.snapshot_every,
                         on_snapshot=snapshot_writer(out), state_dir=state,
                         state_every=args.state_every, notify=note)
    except FitInterrupted as stop:
        print(f"zoo: {stop}", file=sys.stderr)
        return 130
    write_image(out, result.image)
    clear_state(state)  # done: the next run of this command starts afresh
    print(f"wrote {out} ({result.steps} iterations, {result.seconds:.1f} s"
          + (f", PSNR {result.psnr:.2f} dB" if result.psnr is not None else "") + ")")
    if args.json:
        write_json(args.json, _report(args, problem, result, keras.backend.backend()))


def _problem(args):
    """The corrupted image and what is known of it, read and checked before Keras loads."""
    from zoo.image import read_image
    from zoo.models.dip import TASKS
    from zoo.models.dip.problems import build_problem

    if args.preset and args.preset not in TASKS:
        raise ZooError(f"unknown preset {args.preset!r}; known: {', '.join(TASKS)}")
    image = read_image(args.image)
    return build_problem(
        args.task, image, mask=read_image(args.mask) if args.mask else None,
        clean=read_image(args.clean) if args.clean else None, add_noise=args.add_noise,
        drop=args.drop, scale=args.scale, seed=args.seed)


def _report(args, problem, result, backend: str) -> dict:
    """The ``--json`` report: iterations, time and, given the clean image, PSNR."""
    from zoo.models.dip.problems import psnr01, task_for

    report = {"task": args.task, "preset": args.preset or task_for(args.task, None, args.scale)
              .description, "iterations": result.steps, "seconds": round(result.seconds, 2),
              "backend": backend, "restarts": result.restarts}
    if problem.clean is not None:
        report["psnr"] = result.psnr
        report["psnr_last"] = psnr01(result.last, problem.clean)
        if problem.scale == 1:
            report["psnr_input"] = psnr01(problem.observed, problem.clean)
    return report
