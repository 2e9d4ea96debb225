"""``zoo chairs OUT``: draw chairs with Dosovitskiy et al.'s generator (CVPR 2015).

* ``--chair N --azimuth A --elevation E``: one chair from one view;
* ``--morph N1 N2 --steps K``: a strip of K images, the class input interpolated from
  chair N1 to chair N2 (the paper's Fig. 9);
* ``--views``: a turntable strip of chair N (``--count`` azimuths, default 31).

``--weights`` takes a preset's name or a run's ``final.weights.h5`` (default: the family's
preset).
"""

from __future__ import annotations

from zoo.cli.checks import check_output
from zoo.errors import ZooError
from zoo.options import integer, number

CHAIR = integer(0)
ANGLE = number(-360.0, 360.0, high_open=False)
ELEVATION = number(-90.0, 90.0, high_open=False)


def add_parser(commands):
    p = commands.add_parser(
        "chairs", help="draw chairs from a chair index and a view (Dosovitskiy et al.)",
        description="Draw chairs with the up-convolutional generator of Dosovitskiy, "
                    "Springenberg, Brox (CVPR 2015): one view, a morph between two chairs "
                    "(--morph) or a turntable (--views).")
    p.add_argument("out", metavar="OUT", help="the image to write (.png)")
    p.add_argument("--chair", type=CHAIR, default=0, metavar="N",
                   help="the chair's index (its class input; default 0)")
    p.add_argument("--azimuth", type=ANGLE, default=30.0, metavar="DEG",
                   help="degrees round the chair (default 30)")
    p.add_argument("--elevation", type=ELEVATION, default=20.0, metavar="DEG",
                   help="degrees above (default 20; the data: 20 and 30)")
    p.add_argument("--morph", type=CHAIR, nargs=2, metavar=("N1", "N2"),
                   help="a strip from chair N1 to chair N2")
    p.add_argument("--steps", type=integer(2, 64), default=8, metavar="K",
                   help="images in the --morph strip (default 8)")
    p.add_argument("--views", action="store_true",
                   help="a turntable of --chair: --count azimuths in one strip")
    p.add_argument("--count", type=integer(1, 72), default=31, metavar="K",
                   help="azimuths of --views (default 31, the data's)")
    p.add_argument("--weights", metavar="W",
                   help="a preset's name or a final.weights.h5 (default: the preset)")
    p.set_defaults(run=run)


def run(args):
    from zoo.image import write_image

    if args.morph and args.views:
        raise ZooError("--morph and --views draw different strips: give one of them")
    check_output(args.out)
    model = load(args.weights)
    from zoo.models.chairs import inference

    if args.morph:
        image = inference.morph(model, *args.morph, steps=args.steps, azimuth=args.azimuth,
                                elevation=args.elevation)
        what = f"chair {args.morph[0]} to {args.morph[1]} in {args.steps} steps"
    elif args.views:
        image = inference.turntable(model, args.chair, views=args.count,
                                    elevation=args.elevation)
        what = f"chair {args.chair}, {args.count} azimuths"
    else:
        image = inference.generate(model, args.chair, args.azimuth, args.elevation)
        what = f"chair {args.chair} at azimuth {args.azimuth:g}, elevation {args.elevation:g}"
    write_image(args.out, image)
    print(f"{args.out}: {what} ({image.shape[1]}x{image.shape[0]})")
    return 0


def load(weights):
    import zoo

    if weights is None:
        return zoo.load("chairs")
    return zoo.load("chairs", weights=weights)
