"""``zoo upscale IN OUT --scale S``: a photo of any size upscaled by VDSR, tile by tile."""

from __future__ import annotations

from zoo.cli.checks import check_output
from zoo.cli.limits import check_upscale
from zoo.cli.loading import WEIGHTS_HELP, predictor
from zoo.errors import ZooError
from zoo.options import integer


def add_parser(commands):
    p = commands.add_parser("upscale", help="upscale a photo with VDSR (any size, tiled)")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--scale", type=int, default=2, help="integer factor (VDSR is trained on 2-4)")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--weights", help=WEIGHTS_HELP)
    source.add_argument("--tflite", help="use an exported .tflite model instead")
    p.add_argument("--tile", type=integer(16), default=256, help="tile size in input pixels")
    p.set_defaults(run=run)


def run(args):
    from zoo.image import read_image, write_image
    from zoo.image.io import check_writable_as
    from zoo.sr import upscale

    check_output(args.output, inputs=[args.input, args.weights, args.tflite])
    image = read_image(args.input)
    check_writable_as(args.output, image)  # e.g. RGBA to JPEG: refused before the work
    if args.scale < 2 or args.scale > 8:
        raise ZooError(f"--scale must be an integer from 2 to 8, got {args.scale}")
    check_upscale(image.shape, args.scale)
    predict = predictor("vdsr", args.weights, args.tflite)
    result = upscale(image, args.scale, predict, tile=args.tile, progress=True)
    write_image(args.output, result)
    h, w = image.shape[:2]
    print(f"wrote {args.output}: {w}x{h} -> {result.shape[1]}x{result.shape[0]}")
