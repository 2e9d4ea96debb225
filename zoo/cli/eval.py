"""``zoo eval MODEL``: a family's evaluation, the table of its paper.

A family offers one by naming an :class:`Evaluation` in its declaration
(``Family.evaluation``, e.g. ``"zoo.cli.eval:super_resolution"``); each becomes a
sub-command ``zoo eval NAME`` with its own options.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from zoo.cli.checks import check_writable, write_json
from zoo.cli.loading import WEIGHTS_HELP, predictor
from zoo.options import scales


@dataclass(frozen=True)
class Evaluation:
    """What ``zoo eval NAME`` does: ``add_arguments(parser)`` declares its options and
    ``run(args)`` evaluates (``args.model`` is the family's name)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int | None]


def add_parser(commands):
    evaluations = _evaluations()
    p = commands.add_parser("eval", help="PSNR/SSIM table of bicubic and the model")
    models = p.add_subparsers(dest="model", required=True,
                              metavar="{" + ",".join(evaluations) + "}")
    for name, evaluation in evaluations.items():
        sub = models.add_parser(name, help=evaluation.help)
        evaluation.add_arguments(sub)
        sub.set_defaults(run=evaluation.run)


def _evaluations() -> dict[str, Evaluation]:
    """``{family: Evaluation}`` of the families that declare one, in registration order."""
    from zoo.family import resolve
    from zoo.models import families

    return {name: resolve(family.evaluation) for name, family in families().items()
            if family.evaluation}


# ---------------------------------------------------------------- super-resolution
def _sr_arguments(p):
    p.add_argument("--data", required=True, metavar="DIR", help="ground-truth images")
    p.add_argument("--scales", type=scales, default=[2, 3, 4])
    source = p.add_mutually_exclusive_group()
    source.add_argument("--weights", help=WEIGHTS_HELP)
    source.add_argument("--tflite", help="evaluate an exported .tflite file instead")
    source.add_argument("--bicubic-only", action="store_true", help="no model, bicubic row only")
    p.add_argument("--json", metavar="OUT", help="write the table as JSON")


def _run_sr(args):
    from zoo.image import list_images
    from zoo.sr import evaluate, format_table

    check_writable(args.json, inputs=[args.weights, args.tflite])
    files = list_images(args.data)
    predict = None if args.bicubic_only else predictor(args.model, args.weights, args.tflite)
    table = evaluate(files, args.scales, predict)
    source = args.tflite or args.weights or ("bicubic only" if args.bicubic_only
                                             else f"{args.model} pretrained")
    print(format_table(table, f"{args.data}: {len(files)} images, {source}"))
    if args.json:
        write_json(args.json, {k: v for k, v in table.items() if k != "images"})
        print(f"wrote {args.json}")


super_resolution = Evaluation(
    help="PSNR/SSIM (luminance) of bicubic and the model on ground-truth images, per scale",
    add_arguments=_sr_arguments, run=_run_sr)
"""Super-resolution: PSNR/SSIM on the luminance of ground-truth images, per scale."""
