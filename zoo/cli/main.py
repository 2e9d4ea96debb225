"""Generative ConvNets in Keras: pretrained models, training, Set5 evaluation and TFLite export.

examples:
  zoo list
  zoo demo [--out DIR]
  zoo train vdsr --data DIR [DIR ...] --out RUN_DIR
  zoo train texture_nets --texture IMG [--content DIR] --out RUN_DIR
  zoo eval vdsr --data DIR --scales 2,3,4 [--weights W | --tflite F] [--json OUT]
  zoo export vdsr --quantize int8 --out vdsr.tflite
  zoo export deepwarp --quantize int8 --out deepwarp.tflite
  zoo export texture_nets --weights generator.weights.h5 --quantize float16 --out texture.tflite
  zoo upscale IN OUT --scale S
  zoo dip denoise IN --out OUT
  zoo gaze IN OUT --angle DEG
  zoo texture SRC --size N --out OUT [--iters K --optimizer lbfgs|adam --backbone random]
  zoo style CONTENT STYLE --out OUT [--style-weight W --init content --preserve-color]

'zoo COMMAND --help' lists a command's options and their defaults.
"""
# This module only parses arguments and calls library functions; the docstring above is the
# top-level `zoo --help` (first paragraph: description; the rest: epilog).

from __future__ import annotations

import argparse
import os
import sys

from zoo.cli.checks import (check_folder, check_output, check_writable,
                            write_json)
from zoo.errors import ZooError
from zoo.native_output import quiet_tensorflow_import
from zoo.options import (COUNT, COUNT_OR_ZERO, NON_NEGATIVE, POSITIVE, SEED, downscales,
                         integer, number, scales)

TRAINABLE = ("vdsr", "stn", "deepwarp", "texture_nets")
WEIGHTS_HELP = "a .weights.h5 file or a preset's name (`zoo list`; default: the pretrained one)"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    quiet_tensorflow_import()
    try:
        return args.run(args) or 0
    except ZooError as err:
        print(f"zoo: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = getattr(args, "on_interrupt", None)
        print("zoo: interrupted" + (f"; {hint.format(**vars(args))}" if hint else ""),
              file=sys.stderr)
        return 130
    except MemoryError as err:  # e.g. numpy's "Unable to allocate 7.5 GiB for an array ..."
        print(f"zoo: error: out of memory{': ' + str(err) if str(err) else ''}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog="zoo", description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from zoo.cli import train

    for add in (_add_list, _add_demo, train.add_parser, _add_eval, _add_export, _add_upscale, _add_dip,
                _add_gaze, _add_texture, _add_style):
        add(commands)
    _show_defaults(parser)
    return parser


def _show_defaults(parser: argparse.ArgumentParser) -> None:
    """End the help of every option (here and in all sub-commands) with its default."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _show_defaults(sub)
        elif action.option_strings and _worth_showing(action.default):
            help_text = action.help or ""
            if "default" not in help_text:
                default = action.default
                if isinstance(default, (list, tuple)):
                    default = ",".join(str(d) for d in default)
                shown = f"default: {default}".replace("%", "%%")
                action.help = f"{help_text} ({shown})" if help_text else shown


def _worth_showing(default) -> bool:
    return default is not None and not isinstance(default, bool) and default != [] \
        and default is not argparse.SUPPRESS


# ---------------------------------------------------------------- list
def _add_list(commands):
    p = commands.add_parser("list", help="every model and the pretrained weights it has")
    p.set_defaults(run=_run_list)


def _run_list(args):
    from zoo.weights import list_models

    for family in list_models():
        print(f"{family['name']}: {family['paper']}")
        if not family["presets"]:
            print(f"    {family['no_weights'] or 'no pretrained weights yet'} "
                  "(zoo.load(..., weights=None) gives a fresh model)")
        for p in family["presets"]:
            metrics = "; ".join(f"{k}: {v}" for k, v in p["metrics"].items())
            print(f"    {p['name']:<16} [{p['where']}] {p['description']}")
            if metrics:
                print(f"    {'':<16} {metrics}")
            if p["card"]:
                print(f"    {'':<16} model card: zoo/weights/cards/{p['card']}")


# ---------------------------------------------------------------- demo
def _add_demo(commands):
    p = commands.add_parser("demo", help="run every model that has weights on bundled images")
    p.add_argument("--out", default="zoo_demo", help="output folder (default: ./zoo_demo)")
    p.add_argument("--only", type=_demo_sections, metavar="SECTIONS",
                   help=f"comma-separated sections to run (default: all of {','.join(DEMO_SECTIONS)})")
    p.set_defaults(run=_run_demo)


# zoo.demo.SECTIONS, named here so that parsing stays light
DEMO_SECTIONS = ("vdsr", "dip", "stn", "gaze", "texture")


def _demo_sections(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in DEMO_SECTIONS]
    if unknown or not names:
        bad = ", ".join(unknown) or repr(text)
        raise argparse.ArgumentTypeError(f"unknown section {bad}; use {', '.join(DEMO_SECTIONS)}")
    return names


def _run_demo(args):
    check_folder(args.out)
    from zoo.demo import run_demo

    index = run_demo(args.out, only=args.only)
    print(f"gallery: {index}")


# ---------------------------------------------------------------- eval
def _add_eval(commands):
    p = commands.add_parser("eval", help="PSNR/SSIM table of bicubic and the model")
    p.add_argument("model", choices=("vdsr",))
    p.add_argument("--data", required=True, metavar="DIR", help="ground-truth images")
    p.add_argument("--scales", type=scales, default=[2, 3, 4])
    source = p.add_mutually_exclusive_group()
    source.add_argument("--weights", help=WEIGHTS_HELP)
    source.add_argument("--tflite", help="evaluate an exported .tflite file instead")
    source.add_argument("--bicubic-only", action="store_true", help="no model, bicubic row only")
    p.add_argument("--json", metavar="OUT", help="write the table as JSON")
    p.set_defaults(run=_run_eval)


def _predictor(model: str, weights: str | None, tflite: str | None):
    if tflite:
        from zoo.export import tflite_predictor

        return tflite_predictor(tflite)
    from zoo.sr import keras_predictor

    return keras_predictor(_load(model, weights))


def _load(family: str, weights: str | None):
    """``family``'s pretrained model, or with ``weights``: a preset's name or a file."""
    import zoo

    return zoo.load(family, weights=weights or "default")


def _run_eval(args):
    from zoo.image import list_images
    from zoo.sr import evaluate, format_table

    check_writable(args.json)
    files = list_images(args.data)
    predict = None if args.bicubic_only else _predictor(args.model, args.weights, args.tflite)
    table = evaluate(files, args.scales, predict)
    source = args.tflite or args.weights or ("bicubic only" if args.bicubic_only
                                             else f"{args.model} pretrained")
    print(format_table(table, f"{args.data}: {len(files)} images, {source}"))
    if args.json:
        write_json(args.json, {k: v for k, v in table.items() if k != "images"})
        print(f"wrote {args.json}")


# ---------------------------------------------------------------- export
def _add_export(commands):
    from zoo.export.tflite import QUANTIZATIONS

    p = commands.add_parser("export", help="convert to .tflite (builtin ops only) and validate")
    p.add_argument("model", choices=("vdsr", "deepwarp", "texture_nets"))
    p.add_argument("--quantize", choices=QUANTIZATIONS, default="float32")
    p.add_argument("--out", required=True, metavar="F.tflite")
    p.add_argument("--weights", help="a .weights.h5 file (default: the pretrained preset)")
    p.add_argument("--preset", help="another preset of the model (e.g. deepwarp_rendered_fast_cpu)")
    p.add_argument("--calibration", metavar="DIR",
                   help="VDSR: images for int8 calibration (default: the bundled demo images); "
                        "DeepWarp calibrates on rendered eye pairs; Texture Networks "
                        "(stylization): content images for calibration and validation")
    p.add_argument("--size", type=COUNT, default=256,
                   help="Texture Networks: calibration and validation size (a multiple of "
                        "2^(K-1); the .tflite itself takes any such size)")
    p.set_defaults(run=_run_export)


def _uses_content_images(family: str, model) -> bool:
    from zoo.export.family import uses_images

    return uses_images(family, model)


EXPORT_WARN_PSNR = 30.0  # dB against Keras; measured int8: DeepWarp 33, Texture Network 11


def _run_export(args):
    import zoo

    from zoo.weights import registry

    check_output(args.out, (".tflite",))
    known = [p.name for p in registry.presets(args.model)]
    if args.preset and args.preset not in known:
        raise ZooError(f"{args.preset!r} is not a preset of {args.model}; "
                       f"known: {', '.join(known)}")
    if args.calibration:
        from zoo.image import list_images

        list_images(args.calibration)  # a missing or empty folder: one line, before the work
    model = zoo.load(args.preset or args.model, weights=args.weights or "default")
    if args.calibration and not _uses_content_images(args.model, model):
        raise ZooError(f"--calibration: {args.preset or args.model} takes no images (it is "
                       "for vdsr and stylization texture networks)")
    print(f"converting {args.weights or args.preset or args.model} to .tflite ({args.quantize}"
          + (", calibrated: up to a minute on 2 cores)" if args.quantize == "int8" else ")"),
          flush=True)
    from zoo.export.family import export_model

    report = export_model(args.model, model, args.quantize, args.out, args.calibration,
                          args.size if args.model == "texture_nets" else None)
    print(f"wrote {args.out} ({report['bytes'] / 1e6:.2f} MB, {args.quantize}); "
          f"against Keras: max |diff| {report['max_abs']:.4g}, mean {report['mean_abs']:.3g}, "
          f"PSNR {report['psnr']:.2f} dB")
    if "mse_tflite" in report:
        print(f"held-out rendered pairs, MSE to the true eye: tflite {report['mse_tflite']:.3e}, "
              f"keras {report['mse_keras']:.3e}, no warp {report['mse_no_warp']:.3e}")
    if report["psnr"] < EXPORT_WARN_PSNR:
        print(f"warning: the {args.quantize} model differs visibly from Keras (PSNR "
              f"{report['psnr']:.1f} dB < {EXPORT_WARN_PSNR:g}); float16 or dynamic keep the "
              "output (see the model card)", file=sys.stderr)


# ---------------------------------------------------------------- upscale
def _add_upscale(commands):
    p = commands.add_parser("upscale", help="upscale a photo with VDSR (any size, tiled)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--scale", type=int, default=2, help="integer factor (VDSR is trained on 2-4)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--weights", help=WEIGHTS_HELP)
    source.add_argument("--tflite", help="use an exported .tflite model instead")
    p.add_argument("--tile", type=integer(16), default=256, help="tile size in input pixels")
    p.set_defaults(run=_run_upscale)


def _run_upscale(args):
    from zoo.image import read_image, write_image
    from zoo.image.io import check_writable_as
    from zoo.sr import upscale

    check_output(args.output, inputs=[args.input])
    image = read_image(args.input)
    check_writable_as(args.output, image)  # e.g. RGBA to JPEG: refused before the work
    if args.scale < 2 or args.scale > 8:
        raise ZooError(f"--scale must be an integer from 2 to 8, got {args.scale}")
    predict = _predictor("vdsr", args.weights, args.tflite)
    result = upscale(image, args.scale, predict, tile=args.tile, progress=True)
    write_image(args.output, result)
    h, w = image.shape[:2]
    print(f"wrote {args.output}: {w}x{h} -> {result.shape[1]}x{result.shape[0]}")


# ---------------------------------------------------------------- dip
def _add_dip(commands):
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
    _state_options(p)
    p.set_defaults(run=_run_dip)


def _state_options(p):
    """Where and how often an image optimisation (dip, texture, style) saves itself."""
    p.add_argument("--state", metavar="DIR",
                   help="where the unfinished fit is saved; the same command continues it after "
                        "a kill or Ctrl-C (default: OUT's name + _fit_state, removed once done)")
    p.add_argument("--state-every", type=NON_NEGATIVE, default=60.0, metavar="SECONDS",
                   help="save the unfinished fit this often (0: only on Ctrl-C)")


def _note(message: str) -> None:
    """A long run's notes (a fallback taken, a saved fit continued) go to stderr."""
    print(message, file=sys.stderr)


def _state_dir(args):
    """Where the fit is saved (``--state``, or OUT's name + ``_fit_state``), checked now."""
    from pathlib import Path

    out = Path(args.out)
    state = Path(args.state or out.with_name(f"{out.stem}_fit_state"))
    check_folder(state)
    return state


def _run_dip(args):
    from pathlib import Path

    from zoo.image import read_image, write_image
    from zoo.models.dip import TASKS
    from zoo.models.dip.problems import build_problem, psnr01, task_for

    out = Path(args.out)
    check_output(out, inputs=[args.image, args.mask, args.clean])
    check_writable(args.json)
    state = _state_dir(args)
    if args.preset and args.preset not in TASKS:
        raise ZooError(f"unknown preset {args.preset!r}; known: {', '.join(TASKS)}")
    image = read_image(args.image)
    problem = build_problem(
        args.task, image, mask=read_image(args.mask) if args.mask else None,
        clean=read_image(args.clean) if args.clean else None, add_noise=args.add_noise,
        drop=args.drop, scale=args.scale, seed=args.seed)
    task = task_for(args.task, args.preset, args.scale)
    import keras  # only now: bad input fails fast, before TensorFlow or JAX loads

    from zoo.models.dip.fit import Fit, FitInterrupted, clear_state

    fit = Fit(problem, task, seed=args.seed)
    print(f"Deep Image Prior {args.task}: {task.description}; {fit.net.count_params():,} "
          f"parameters, {args.iters or task.iterations} iterations on {keras.backend.backend()}")

    def snapshot(step, img):
        write_image(out.with_name(f"{out.stem}_{step:05d}{out.suffix}"), img)

    try:
        result = fit.run(args.iters, snapshot_every=args.snapshot_every, on_snapshot=snapshot,
                         state_dir=state, state_every=args.state_every,
                         notify=_note)
    except FitInterrupted as stop:
        print(f"zoo: {stop}", file=sys.stderr)
        return 130
    write_image(out, result.image)
    clear_state(state)  # done: the next run of this command starts afresh
    report = {"task": args.task, "preset": args.preset or task_for(args.task, None, args.scale)
              .description, "iterations": result.steps, "seconds": round(result.seconds, 2),
              "backend": keras.backend.backend(), "restarts": result.restarts}
    if problem.clean is not None:
        report["psnr"] = result.psnr
        report["psnr_last"] = psnr01(result.last, problem.clean)
        if problem.scale == 1:
            report["psnr_input"] = psnr01(problem.observed, problem.clean)
    print(f"wrote {out} ({result.steps} iterations, {result.seconds:.1f} s"
          + (f", PSNR {result.psnr:.2f} dB" if result.psnr is not None else "") + ")")
    if args.json:
        write_json(args.json, report)



# ---------------------------------------------------------------- gaze
# The largest redirection DeepWarp saw in training, beyond which the net extrapolates:
# zoo.models.deepwarp.eyes.MAX_ANGLE (not imported here, so that parsing stays light; a test ties them).
MAX_REDIRECTION = 15.0


def _add_gaze(commands):
    p = commands.add_parser("gaze", help="redirect the gaze of both eyes in a face photo (DeepWarp)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--angle", type=number(-MAX_REDIRECTION, MAX_REDIRECTION, high_open=False),
                   default=10.0,
                   help="degrees upwards (negative: down), at most the trained range of "
                        f"+-{MAX_REDIRECTION:g}; default 10, roughly from the screen to a camera "
                        "above it")
    p.add_argument("--weights", help=WEIGHTS_HELP)
    p.add_argument("--eyes", metavar="F.png", help="also save the eye crops: input, output, flow")
    p.set_defaults(run=_run_gaze)


def _run_gaze(args):
    import numpy as np

    from zoo.models.deepwarp.gaze import find_eyes, redirect_gaze
    from zoo.image import as_rgb, read_image, write_image

    check_output(args.output, inputs=[args.input])
    if args.eyes:
        check_output(args.eyes, inputs=[args.input, args.output])
    image = as_rgb(read_image(args.input))
    landmarks = find_eyes(image)  # before loading Keras: a photo without a face fails fast
    model = _load("deepwarp", args.weights)
    result = redirect_gaze(model, image, args.angle, landmarks=landmarks)
    write_image(args.output, result.image)
    flows = ", ".join(f"{float(np.abs(e.flow).max()):.1f}" for e in result.eyes)
    print(f"wrote {args.output}: {len(result.eyes)} eyes redirected by {args.angle:+.1f} degrees "
          f"(largest flow per eye, in patch pixels: {flows})")
    if args.eyes:
        from zoo.models.deepwarp import flow_to_colour

        rows = [np.concatenate([e.patch, np.clip(e.output, 0, 1), flow_to_colour(e.flow, 6.0)], 1)
                for e in result.eyes]
        sheet = np.concatenate(rows, 0)
        write_image(args.eyes, np.round(sheet * 255).astype(np.uint8))
        print(f"wrote {args.eyes} (rows: eyes; columns: input, output, flow)")


# ---------------------------------------------------------------- texture and style (Gatys)
def _gatys_options(p, iterations: int):
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
    _state_options(p)


def _add_texture(commands):
    p = commands.add_parser("texture", help="synthesise a texture like an exemplar (Gatys 2015)",
                            description="Texture synthesis by matching Gram matrices of CNN "
                            "features (Gatys, Ecker, Bethge, NIPS 2015).")
    p.add_argument("source", metavar="SRC", help="the exemplar texture image")
    p.add_argument("--size", type=integer(8), required=True, metavar="N",
                   help="output side (N x N)")
    p.add_argument("--exemplar-size", type=integer(8), metavar="N",
                   help="resize the exemplar so its longer side is N first (default: as is)")
    _gatys_options(p, 300)
    p.set_defaults(run=_run_texture)


def _add_style(commands):
    p = commands.add_parser("style", help="paint a photo in the style of a painting (Gatys 2016)",
                            description="Neural style transfer by optimising the pixels "
                            "(Gatys, Ecker, Bethge, CVPR 2016).")
    p.add_argument("content", metavar="CONTENT")
    p.add_argument("style", metavar="STYLE")
    p.add_argument("--size", type=integer(8), metavar="N",
                   help="output's longer side (default: the content's)")
    p.add_argument("--style-size", type=integer(8), metavar="N",
                   help="style image's longer side (default: the output's)")
    p.add_argument("--content-weight", type=NON_NEGATIVE, default=1.0, help="alpha (default 1)")
    p.add_argument("--style-weight", type=NON_NEGATIVE,
                   help="beta (default: vgg19 1e3, alpha/beta = 1e-3 as the paper's Sec. 3; "
                        "random 1e7, its content layer is much larger)")
    p.add_argument("--init", choices=("noise", "content"), default="noise",
                   help="start from white noise (the paper) or from the content image")
    p.add_argument("--preserve-color", action="store_true",
                   help="luminance-only transfer: keep the content's colours (Cb, Cr)")
    _gatys_options(p, 300)
    p.set_defaults(run=_run_style)


def _gatys_run(args, label, make):
    """Runs ``make(**common)`` with snapshots, then writes the image and the JSON report
    (after Ctrl-C too: the image so far; exit status 130)."""
    from pathlib import Path

    from zoo.image import write_image

    out = Path(args.out)

    def snapshot(step, img):
        write_image(out.with_name(f"{out.stem}_{step:05d}{out.suffix}"), img)

    import keras  # only now: bad input fails fast, before TensorFlow or JAX loads

    from zoo.fit_state import clear_state

    state = _state_dir(args)
    result = make(iterations=args.iters, optimizer=args.optimizer, learning_rate=args.lr,
                  levels=args.levels, seed=args.seed, snapshot_every=args.snapshot_every,
                  on_snapshot=snapshot, notify=_note, state_dir=state,
                  state_every=args.state_every)
    write_image(out, result.image)
    if not result.interrupted:
        clear_state(state)  # done: the next run of this command starts afresh
    if args.json:
        report = {"command": label, "backbone": result.backbone, "optimizer": result.optimizer,
                  "sizes": [list(s) for s in result.sizes], "iterations": result.iterations,
                  "evaluations": result.evaluations, "seconds": round(result.seconds, 2),
                  "initial_loss": result.initial_loss, "final_loss": result.final_loss,
                  "backend": keras.backend.backend(), "interrupted": result.interrupted,
                  "resumed_from": result.resumed_from}
        write_json(args.json, report)
    if result.interrupted:
        planned = args.iters * len(result.sizes)
        print(f"zoo: interrupted after {result.iterations} of {planned} iterations; wrote the "
              f"image so far to {out}; the fit is saved in {state}: run the same command "
              "again to continue", file=sys.stderr)
        return 130
    sizes = " -> ".join(f"{w}x{h}" for h, w in result.sizes)
    print(f"wrote {out} ({label}, {result.backbone} backbone, {result.optimizer}, {sizes}, "
          f"{result.iterations} iterations"
          + (f", {result.resumed_from} of them before a restart" if result.resumed_from else "")
          + f", {result.seconds:.1f} s; loss "
          f"{result.initial_loss:.4g} -> {result.final_loss:.4g})")


def _run_texture(args):
    from zoo.image import read_image

    check_output(args.out, inputs=[args.source])
    check_writable(args.json)
    _state_dir(args)
    exemplar = read_image(args.source)
    from zoo.image import as_rgb01
    from zoo.models.texture_nets.gatys import fit_side, resize_to, synthesize_texture

    exemplar = as_rgb01(exemplar, args.source)
    if args.exemplar_size:
        exemplar = resize_to(exemplar, fit_side(exemplar.shape, args.exemplar_size))
    return _gatys_run(args, "texture", lambda **common: synthesize_texture(
        exemplar, args.size, args.backbone, **common))


def _run_style(args):
    from zoo.image import read_image

    check_output(args.out, inputs=[args.content, args.style])
    check_writable(args.json)
    _state_dir(args)
    content, style = read_image(args.content), read_image(args.style)
    from zoo.models.texture_nets.gatys import transfer_style

    return _gatys_run(args, "style", lambda **common: transfer_style(
        content, style, args.backbone, content_weight=args.content_weight,
        style_weight=args.style_weight, init=args.init, preserve_color=args.preserve_color,
        size=args.size, style_size=args.style_size, **common))


if __name__ == "__main__":
    sys.exit(main())
