"""``zoo style CONTENT STYLE --out OUT``: neural style transfer by optimising the pixels
(Gatys, Ecker, Bethge, CVPR 2016)."""

from __future__ import annotations

from zoo.cli.checks import check_output, check_snapshots, check_writable
from zoo.cli.fitting import gatys_options, gatys_run, state_dir
from zoo.cli.limits import check_gatys, check_levels
from zoo.errors import ZooError
from zoo.options import NON_NEGATIVE, integer


def add_parser(commands):
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
    gatys_options(p, 300)
    p.set_defaults(run=run)


def run(args):
    from zoo.image import read_image

    check_output(args.out, inputs=[args.content, args.style])
    check_writable(args.json, inputs=[args.content, args.style, args.out])
    check_snapshots(args.out, args.snapshot_every)
    check_weights(args.content_weight, args.style_weight)
    state_dir(args)
    content, style = read_image(args.content), read_image(args.style)
    check_sizes(args, content.shape, style.shape)
    from zoo.models.texture_nets.gatys import transfer_style

    return gatys_run(args, "style", lambda **common: transfer_style(
        content, style, args.backbone, content_weight=args.content_weight,
        style_weight=args.style_weight, init=args.init, preserve_color=args.preserve_color,
        size=args.size, style_size=args.style_size, **common))


FLOAT32_MAX = 3.4028234663852886e38  # the loss is float32: a larger weight makes it infinite


def check_weights(content_weight: float, style_weight: float | None) -> None:
    """Refuse weights that make the float32 loss infinite whatever the images."""
    for name, weight in (("--content-weight", content_weight), ("--style-weight", style_weight)):
        if weight is not None and weight >= FLOAT32_MAX:
            raise ZooError(f"{name} {weight:g} overflows the float32 loss (at most "
                           f"{FLOAT32_MAX:.4g}); use a smaller weight")


def check_sizes(args, content_shape, style_shape) -> None:
    """The output (and the style image, resized as the fit does) fits in memory, and its
    coarsest level is not below the smallest size."""
    from zoo.image.resize import fit_side

    out = fit_side(content_shape, args.size)
    check_levels(args.levels, out)
    what = f"--size {args.size}" if args.size else f"the {out[1]}x{out[0]} content image"
    check_gatys(what, out)
    if args.style_size:
        check_gatys(f"--style-size {args.style_size}", fit_side(style_shape, args.style_size),
                    "--style-size")
