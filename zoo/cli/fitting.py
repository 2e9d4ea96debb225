"""What the image optimisations (``zoo dip``, ``zoo texture``, ``zoo style``) share: where
and how often the unfinished fit is saved, and the Gatys run of texture and style."""

from __future__ import annotations

import sys

from zoo.cli.checks import check_folder, write_json
from zoo.options import COUNT, COUNT_OR_ZERO, NON_NEGATIVE, POSITIVE, SEED


def state_options(p):
    """Where and how often an image optimisation (dip, texture, style) saves itself."""
    p.add_argument("--state", metavar="DIR",
                   help="where the unfinished fit is saved; the same command continues it after "
                        "a kill or Ctrl-C (default: OUT's name + _fit_state, removed once done)")
    p.add_argument("--state-every", type=NON_NEGATIVE, default=60.0, metavar="SECONDS",
                   help="save the unfinished fit this often (0: only on Ctrl-C)")
    p.add_argument("--restart", action="store_true",
                   help="discard a saved unfinished fit (a damaged one too) and start afresh")


def note(message: str) -> None:
    """A long run's notes (a fallback taken, a saved fit continued) go to stderr."""
    print(message, file=sys.stderr)


def state_dir(args):
    """Where the fit is saved (``--state``, or OUT's name + ``_fit_state``), checked now: a
    damaged saved fit is refused (or with ``--restart``, any saved fit discarded)."""
    from pathlib import Path

    from zoo.fit_state import STATE_FILE, check_state, clear_state

    out = Path(args.out)
    state = Path(args.state or out.with_name(f"{out.stem}_fit_state"))
    check_folder(state, files=(STATE_FILE,))
    if args.restart:
        clear_state(state)
    check_state(state)
    return state


def snapshot_writer(out):
    """``snapshot(step, image)``: writes ``OUT_<step>.png`` beside ``out`` (a Path)."""
    from zoo.image import write_image

    def snapshot(step, img):
        write_image(out.with_name(f"{out.stem}_{step:05d}{out.suffix}"), img)

    return snapshot


# ---------------------------------------------------------------- texture and style (Gatys)
def gatys_options(p, iterations: int):
    """The options texture synthesis and style transfer share."""
    p.add_argument("--out", required=True, help="result image (.png, .jpg, .bmp)")
    p.add_argument("--iters", type=COUNT, default=iterations,
                   help=f"iterations at each resolution level (default {iterations})")
    p.add_argument("--optimizer", choices=("auto", "lbfgs", "adam"), default="auto",
                   help="lbfgs: L-BFGS-B as the papers (needs SciPy); adam; auto: lbfgs if "
                        "SciPy is installed")
    p.add_argument("--lr", type=POSITIVE, default=0.02, help="adam: step size on [0, 1] pixels")
    p.add_argument("--backbone", choices=("auto", "vgg19", "random"), default="auto",
                   help="vgg19: ImageNet VGG19 (cached weights file); random: random multi-scale "
                        "filters, no download; auto: vgg19 if cached, else random")
    p.add_argument("--levels", type=COUNT, metavar="L",
                   help="coarse-to-fine levels, each half the size of the next "
                        "(default: until the coarsest side is at most 256)")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--snapshot-every", type=COUNT_OR_ZERO, default=0, metavar="N",
                   help="also write OUT_<iteration>.png every N iterations")
    p.add_argument("--json", metavar="OUT", help="write losses, iterations and time as JSON")
    state_options(p)


def gatys_run(args, label, make):
    """Runs ``make(**common)`` with snapshots, then writes the image and the JSON report
    (after Ctrl-C too: the image so far; exit status 130)."""
    from pathlib import Path

    from zoo.image import write_image

    out = Path(args.out)
    import keras  # only now: bad input fails fast, before TensorFlow or JAX loads

    from zoo.fit_state import clear_state

    state = state_dir(args)
    result = make(iterations=args.iters, optimizer=args.optimizer, learning_rate=args.lr,
                  levels=args.levels, seed=args.seed, snapshot_every=args.snapshot_every,
                  on_snapshot=snapshot_writer(out), notify=note, state_dir=state,
                  state_every=args.state_every)
    write_image(out, result.image)
    if not result.interrupted:
        clear_state(state)  # done: the next run of this command starts afresh
    if args.json:
        write_json(args.json, _gatys_report(label, result, keras.backend.backend()))
    if result.interrupted:
        planned = args.iters * len(result.sizes)
        print(f"zoo: interrupted after {result.iterations} of {planned} iterations; wrote the "
              f"image so far to {out}; the fit is saved in {state}: run the same command "
              "again to continue", file=sys.stderr)
        return 130
    _print_gatys_done(out, label, result)


def _gatys_report(label, result, backend: str) -> dict:
    """The ``--json`` report of a Gatys run."""
    return {"command": label, "backbone": result.backbone, "optimizer": result.optimizer,
            "sizes": [list(s) for s in result.sizes], "iterations": result.iterations,
            "evaluations": result.evaluations, "seconds": round(result.seconds, 2),
            "initial_loss": result.initial_loss, "final_loss": result.final_loss,
            "backend": backend, "interrupted": result.interrupted,
            "resumed_from": result.resumed_from}


def _print_gatys_done(out, label, result) -> None:
    sizes = " -> ".join(f"{w}x{h}" for h, w in result.sizes)
    print(f"wrote {out} ({label}, {result.backbone} backbone, {result.optimizer}, {sizes}, "
          f"{result.iterations} iterations"
          + (f", {result.resumed_from} of them before a restart" if result.resumed_from else "")
          + f", {result.seconds:.1f} s; loss "
          f"{result.initial_loss:.4g} -> {result.final_loss:.4g})")
