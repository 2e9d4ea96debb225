"""``zoo stylize CONTENT OUT``: feed-forward style transfer, one forward pass.

* AdaIN (Huang and Belongie, ICCV 2017), any style image: ``--style S.jpg`` (several
  ``--style`` with ``--style-weights`` interpolate, with ``--mask`` each style paints
  its own region), ``--alpha`` the content-style trade-off, ``--preserve-color``.
* A Johnson et al. (ECCV 2016) transform net trained for one style:
  ``--model johnson-<name>`` (a preset, ``zoo list``) or ``--model johnson --weights
  RUN/final.weights.h5``.

Optimisation-based transfer (Gatys et al.) is ``zoo style``.
"""

from __future__ import annotations

import time

from zoo.cli.checks import check_output
from zoo.errors import ZooError
from zoo.options import integer, number

unit_interval = number(0.0, 1.0)

MAX_STYLES = 8


def add_parser(commands):
    p = commands.add_parser(
        "stylize", help="feed-forward style transfer: AdaIN with any style, or a Johnson net",
        description="Feed-forward style transfer (one forward pass): AdaIN (Huang and "
                    "Belongie, ICCV 2017) with any --style image, or a Johnson et al. (ECCV "
                    "2016) net trained for one style (--model johnson-NAME). Optimising the "
                    "pixels instead (Gatys et al.) is `zoo style`.")
    p.add_argument("content", metavar="CONTENT")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--style", action="append", metavar="STYLE",
                   help="a style image (AdaIN); repeat it to mix several styles")
    p.add_argument("--style-weights", metavar="W1,W2,...",
                   help="interpolation weights of the --style images (default: equal)")
    p.add_argument("--alpha", type=unit_interval, default=1.0,
                   help="content-style trade-off in [0, 1]: 0 the content, 1 full style "
                        "(AdaIN Eq. 14; default 1)")
    p.add_argument("--mask", metavar="M.png",
                   help="spatial control (AdaIN Sec. 7): a label image of the content's size "
                        "with one grey level per --style, darkest for the first (give the "
                        "content photo itself as a --style to keep it in a region)")
    p.add_argument("--preserve-color", action="store_true",
                   help="keep the content's colours (the style's colours matched to the "
                        "content's first)")
    p.add_argument("--model", default="adain",
                   help="adain (default), or johnson-NAME for a trained Johnson net "
                        "(`zoo list`), or johnson with --weights")
    p.add_argument("--weights", metavar="W.weights.h5",
                   help="weights of --model (default: its pretrained preset)")
    p.add_argument("--size", type=integer(16), metavar="N",
                   help="the output's longer side (default: the content's, at most 1024)")
    p.set_defaults(run=run)


def run(args):
    from zoo.image import as_rgb01, read_image, write_image

    family, preset = model_choice(args)
    check_output(args.out, inputs=[args.content, args.mask, *(args.style or [])])
    weights = style_weights(args)
    content = as_rgb01(read_image(args.content), "content")
    styles = [as_rgb01(read_image(path), "style") for path in args.style or []]
    mask = read_mask(args.mask, len(styles)) if args.mask else None
    if mask is not None and weights is not None:
        raise ZooError("--style-weights mixes styles everywhere, --mask puts each in its region: "
                       "give one of them")
    shape = output_shape(content.shape, args.size)
    content = resized(content, shape)
    if mask is not None:
        mask = resized_labels(mask, shape, args.mask)
    model = load(family, preset, args.weights)
    start = time.perf_counter()
    image = stylized(family, model, content, styles, weights, mask, args)
    seconds = time.perf_counter() - start
    write_image(args.out, image)
    h, w = image.shape[:2]
    print(f"wrote {args.out} ({w}x{h}; {family} {preset or args.weights or ''}, "
          f"{seconds:.2f} s on this machine)")


def stylized(family, model, content, styles, weights, mask, args):
    if family == "adain":
        from zoo.models.adain.inference import stylize

        return stylize(model, content, styles, weights=weights, alpha=args.alpha, mask=mask,
                       preserve_color=args.preserve_color)
    from zoo.models.johnson.inference import stylize

    return stylize(model, content)


def output_shape(shape, size: int | None) -> tuple[int, int]:
    """The output's ``(H, W)``: the content's with its longer side ``size`` (default: the
    content's own, at most :data:`MAX_SIDE`)."""
    from zoo.image.resize import fit_side

    return fit_side(shape, size or min(MAX_SIDE, max(shape[:2])))


MAX_SIDE = 1024


def model_choice(args) -> tuple[str, str | None]:
    """``(family, preset or None)`` from ``--model``, checked against the other options."""
    name = args.model.replace("-", "_")
    if name == "adain":
        if not args.style:
            raise ZooError("AdaIN needs a style: give --style STYLE.jpg (or --model johnson-NAME "
                           "for a net trained on one style)")
        return "adain", None
    if not name.startswith("johnson"):
        raise ZooError(f"--model {args.model}: use adain or johnson-NAME (`zoo list` shows the "
                       "Johnson presets)")
    for option in ("style", "mask", "style_weights"):
        if getattr(args, option):
            raise ZooError(f"--{option.replace('_', '-')} is for AdaIN; a Johnson net is trained "
                           "for one style (drop it, or use --model adain)")
    if args.preserve_color or args.alpha != 1.0:
        raise ZooError("--alpha and --preserve-color are for AdaIN (use --model adain)")
    if name == "johnson":
        if not args.weights:
            raise ZooError("--model johnson needs --weights RUN/final.weights.h5, or name a "
                           "preset: --model johnson-NAME (`zoo list`)")
        return "johnson", None
    return "johnson", johnson_preset(name)


def johnson_preset(name: str) -> str:
    """The Johnson preset ``johnson_NAME`` names: exact, or the only one it starts."""
    from zoo.weights import registry

    known = [p.name for p in registry.presets("johnson")]
    matches = [p for p in known if p == name] or [p for p in known if p.startswith(name + "_")]
    if len(matches) != 1:
        listed = ", ".join(k.replace("_", "-", 1) for k in known) or "none yet"
        what = "is ambiguous" if matches else "is not a Johnson preset"
        raise ZooError(f"--model {name.replace('_', '-', 1)} {what}; known: {listed}")
    return matches[0]


def style_weights(args) -> list[float] | None:
    if not args.style_weights:
        return None
    try:
        weights = [float(w) for w in args.style_weights.split(",")]
    except ValueError:
        raise ZooError(f"--style-weights {args.style_weights!r}: give numbers separated by "
                       "commas, e.g. 0.7,0.3") from None
    if len(weights) != len(args.style or []):
        raise ZooError(f"--style-weights has {len(weights)} weights for "
                       f"{len(args.style or [])} --style images")
    if any(not w >= 0 for w in weights) or sum(weights) <= 0:
        raise ZooError("--style-weights must be non-negative with a positive sum")
    if len(args.style or []) > MAX_STYLES:
        raise ZooError(f"at most {MAX_STYLES} --style images")
    total = sum(weights)
    return [w / total for w in weights]


def read_mask(path: str, styles: int):
    """A label map ``(H, W)`` of ints 0..K-1 from a grey (or colour) image: its grey levels
    in increasing order, one per style."""
    import numpy as np

    from zoo.image import read_image

    if styles < 2:
        raise ZooError("--mask paints each --style in its own region: give two or more --style "
                       "(the content photo itself as one keeps it in its region)")
    image = np.asarray(read_image(path))
    grey = image if image.ndim == 2 else image[..., :3].mean(axis=-1)
    levels, labels = np.unique(grey, return_inverse=True)
    if len(levels) != styles:
        raise ZooError(f"{path}: has {len(levels)} grey levels; give one per --style ({styles})")
    return labels.reshape(grey.shape).astype("int32")


def resized(image, shape):
    from zoo.image import imresize

    if tuple(image.shape[:2]) == tuple(shape):
        return image
    return imresize(image, output_shape=tuple(shape)).clip(0, 1).astype("float32")


def resized_labels(labels, shape, path):
    """A label map brought to ``shape`` by nearest neighbour, after checking its aspect."""
    import numpy as np

    h, w = labels.shape
    if abs(h / w - shape[0] / shape[1]) > 0.02:
        raise ZooError(f"{path}: its {w}x{h} does not have the content's aspect ratio "
                       f"({shape[1]}x{shape[0]})")
    rows = (np.arange(shape[0]) * h // shape[0]).clip(0, h - 1)
    cols = (np.arange(shape[1]) * w // shape[1]).clip(0, w - 1)
    return labels[rows][:, cols]


def load(family: str, preset: str | None, weights: str | None):
    import zoo

    return zoo.load(preset or family, weights=weights or "default")
