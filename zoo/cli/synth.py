"""``zoo synth LAYOUT.png --out OUT.png``: a cascaded refinement network (Chen and Koltun,
ICCV 2017) draws photographs of a semantic layout.

The layout is a PNG (:mod:`zoo.models.crn.labels`): one channel of Cityscapes trainIds
(0-18, others void; ``--ids label`` for the labelIds of ``*_gtFine_labelIds.png``), or RGB
in the Cityscapes palette (black is void). It is resized (nearest) to the net's resolution
unless ``--keep-size``. ``--outputs k`` writes the first k of the net's images side by side
(three a row); 1 writes the first alone.
"""

from __future__ import annotations

import time

from zoo.cli.checks import check_output
from zoo.cli.loading import WEIGHTS_HELP, load
from zoo.errors import ZooError
from zoo.options import COUNT


def add_parser(commands):
    p = commands.add_parser(
        "synth", help="photographs of a semantic layout (cascaded refinement network)",
        description="Photographic image synthesis from a semantic layout with a cascaded "
                    "refinement network (Chen and Koltun, ICCV 2017). LAYOUT is a PNG of "
                    "Cityscapes trainIds (one channel; 255 = void) or colour-coded with the "
                    "Cityscapes palette (RGB; black = void).")
    p.add_argument("layout", metavar="LAYOUT.png")
    p.add_argument("--out", required=True, metavar="OUT.png")
    p.add_argument("--outputs", type=COUNT, default=1, metavar="K",
                   help="how many of the net's k images to write, side by side (default 1)")
    p.add_argument("--ids", choices=("train", "label"), default="train",
                   help="what a one-channel layout holds: trainIds (0-18) or Cityscapes "
                        "labelIds (gtFine *_labelIds.png)")
    p.add_argument("--keep-size", action="store_true",
                   help="run at the layout's own size (sides multiples of the net's) instead "
                        "of resizing it to the net's training resolution")
    p.add_argument("--weights", metavar="W.weights.h5", help=WEIGHTS_HELP)
    p.set_defaults(run=run)


def run(args):
    from zoo.image import write_image
    from zoo.models.crn.inference import grid, resize_ids, synthesize
    from zoo.models.crn.labels import read_layout

    check_output(args.out, inputs=[args.layout])
    ids = read_layout(args.layout, args.ids)
    model = load("crn", args.weights)
    from zoo.models.crn.network import outputs_of, resolution_of, size_multiple

    if args.outputs > outputs_of(model):
        raise ZooError(f"--outputs {args.outputs}: this net draws {outputs_of(model)} images")
    if args.keep_size:
        m = size_multiple(model)
        if ids.shape[0] % m or ids.shape[1] % m:
            raise ZooError(f"{args.layout}: {ids.shape[1]}x{ids.shape[0]} is not a multiple of "
                           f"{m} on each side (drop --keep-size to resize it)")
    else:
        ids = resize_ids(ids, resolution_of(model))
    start = time.perf_counter()
    images = synthesize(model, ids)[:args.outputs]
    seconds = time.perf_counter() - start
    write_image(args.out, images[0] if args.outputs == 1 else grid(images))
    h, w = ids.shape
    print(f"wrote {args.out} ({args.outputs} of {outputs_of(model)} images, {w}x{h} each; "
          f"{seconds:.2f} s on this machine)")
