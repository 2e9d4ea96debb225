"""``zoo export MODEL``: convert to ``.tflite`` (builtin ops only) and validate against Keras.

The models are the families that declare an :class:`~zoo.family.ExportSpec`
(:func:`zoo.export.family.exportable`); what ``--calibration`` is for comes from each
spec's ``calibration_images``.
"""

from __future__ import annotations

import sys

from zoo.cli.checks import check_output
from zoo.errors import ZooError
from zoo.options import COUNT


def add_parser(commands):
    from zoo.export.family import exportable
    from zoo.export.tflite import QUANTIZATIONS

    p = commands.add_parser("export", help="convert to .tflite (builtin ops only) and validate")
    p.add_argument("model", choices=tuple(exportable()))
    p.add_argument("--quantize", choices=QUANTIZATIONS, default="float32")
    p.add_argument("--out", required=True, metavar="F.tflite")
    p.add_argument("--weights", help="a .weights.h5 file (default: the pretrained preset)")
    p.add_argument("--preset", help="another preset of the model (e.g. deepwarp_rendered_fast_cpu)")
    p.add_argument("--calibration", metavar="DIR", help=calibration_help())
    p.add_argument("--size", type=COUNT, default=256,
                   help="calibration and validation side of a model whose inputs have no fixed "
                        "size (a texture generator's: a multiple of 2^(K-1); the .tflite itself "
                        "takes any such size)")
    p.add_argument("--shape", metavar="HxW", help=(
        "fix every dimension: batch 1 and this image size, e.g. 384x384 (the browser runtime, "
        "LiteRT.js, refuses dynamic dimensions; default: dynamic, or the family's own)"))
    p.add_argument("--also-output", metavar="LAYERS", type=_names, default=(), help=(
        "comma-separated layers of the Keras model whose outputs the .tflite also gives, after "
        "its own (e.g. deepwarp: flow,warp, which the web app's feathered blend needs)"))
    p.set_defaults(run=run)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def calibration_help() -> str:
    """What ``--calibration`` gives each family that calibrates on images."""
    uses = [f"{name}: {text}" for name, text in _calibration_images().items()]
    return "; ".join(uses) + "; the others calibrate on data of their own"


def _calibration_images() -> dict[str, str]:
    """``{family: what its --calibration images are for}``, where it takes any."""
    from zoo.models import families

    return {name: family.export.calibration_images for name, family in families().items()
            if family.export is not None and family.export.calibration_images}


def run(args):
    import zoo

    check_output(args.out, (".tflite",), inputs=[args.weights])
    _check_outputs(args)
    shape = _shape(args)
    _check_preset(args.model, args.preset)
    if args.calibration:
        from zoo.image import list_images

        list_images(args.calibration)  # a missing or empty folder: one line, before the work
    model = zoo.load(args.preset or args.model, weights=args.weights or "default")
    from zoo.export.family import export_model, export_spec, uses_images

    if args.calibration and not uses_images(args.model, model):
        raise ZooError(f"--calibration: {args.preset or args.model} takes no images (it is "
                       f"for {' and '.join(_calibration_images())}; see `zoo export --help`)")
    print(f"converting {args.weights or args.preset or args.model} to .tflite ({args.quantize}"
          + (", calibrated: up to a minute on 2 cores)" if args.quantize == "int8" else ")"),
          flush=True)
    report = export_model(args.model, model, args.quantize, args.out, args.calibration,
                          args.size, shape or export_spec(args.model).fixed_shape,
                          weights=args.weights or args.preset or _default_preset(args.model),
                          also=args.also_output)
    reports = report if "bytes" not in report else {"": report}
    for part, figures in reports.items():
        _print_report(args, figures, export_spec(args.model).warn_below_psnr)


def _default_preset(family: str) -> str:
    from zoo.weights import registry

    return registry.presets(family)[0].name


def _check_outputs(args) -> None:
    """Every file the export writes (each part's ``.tflite`` and its ``.json``) writable,
    before any work."""
    from zoo.export.family import part_path, parts
    from zoo.export.metadata import metadata_path

    for part in parts(args.model):
        path = part_path(args.out, part)
        check_output(path, (".tflite",), inputs=[args.weights])
        check_output(metadata_path(path), (".json",), inputs=[args.weights, path])


def _shape(args):
    if args.shape is None:
        return None
    from zoo.export.tflite import parse_shape

    return parse_shape(args.shape)


def _check_preset(family: str, preset: str | None) -> None:
    from zoo.weights import registry

    known = [p.name for p in registry.presets(family)]
    if preset and preset not in known:
        raise ZooError(f"{preset!r} is not a preset of {family}; known: {', '.join(known)}")


def _print_report(args, report: dict, warn_below: float) -> None:
    print(f"wrote {report['path']} ({report['bytes'] / 1e6:.2f} MB, {args.quantize}) and "
          f"{report['metadata']}; "
          f"against Keras: max |diff| {report['max_abs']:.4g}, mean {report['mean_abs']:.3g}, "
          f"PSNR {report['psnr']:.2f} dB")
    if "mse_tflite" in report:
        print(f"held-out rendered pairs, MSE to the true eye: tflite {report['mse_tflite']:.3e}, "
              f"keras {report['mse_keras']:.3e}, no warp {report['mse_no_warp']:.3e}")
    if report["psnr"] < warn_below:
        print(f"warning: the {args.quantize} model differs visibly from Keras (PSNR "
              f"{report['psnr']:.1f} dB < {warn_below:g}); float16 or dynamic keep the "
              "output (see the model card)", file=sys.stderr)
