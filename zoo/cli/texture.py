"""``zoo texture SRC --size N --out OUT``: texture synthesis by matching Gram matrices of CNN
features (Gatys, Ecker, Bethge, NIPS 2015)."""

from __future__ import annotations

from zoo.cli.checks import check_output, check_snapshots, check_writable
from zoo.cli.fitting import gatys_options, gatys_run, state_dir
from zoo.cli.limits import check_gatys, check_levels
from zoo.options import integer


def add_parser(commands):
    p = commands.add_parser("texture", help="synthesise a texture like an exemplar (Gatys 2015)",
                            description="Texture synthesis by matching Gram matrices of CNN "
                            "features (Gatys, Ecker, Bethge, NIPS 2015).")
    p.add_argument("source", metavar="SRC", help="the exemplar texture image")
    p.add_argument("--size", type=integer(8), required=True, metavar="N",
                   help="output side (N x N)")
    p.add_argument("--exemplar-size", type=integer(8), metavar="N",
                   help="resize the exemplar so its longer side is N first (default: as is)")
    gatys_options(p, 300)
    p.set_defaults(run=run)


def run(args):
    from zoo.image import read_image

    check_output(args.out, inputs=[args.source])
    check_writable(args.json, inputs=[args.source, args.out])
    check_snapshots(args.out, args.snapshot_every)
    size = (args.size, args.size)
    check_levels(args.levels, size)
    check_gatys(f"--size {args.size}", size)
    state_dir(args)
    exemplar = read_image(args.source)
    from zoo.image.resize import fit_side

    if args.exemplar_size:
        check_gatys(f"--exemplar-size {args.exemplar_size}",
                    fit_side(exemplar.shape, args.exemplar_size), "--exemplar-size")
    from zoo.image import as_rgb01
    from zoo.models.texture_nets.gatys import resize_to, synthesize_texture

    exemplar = as_rgb01(exemplar, args.source)
    if args.exemplar_size:
        exemplar = resize_to(exemplar, fit_side(exemplar.shape, args.exemplar_size))
    return gatys_run(args, "texture", lambda **common: synthesize_texture(
        exemplar, args.size, args.backbone, **common))
