"""``zoo gaze IN OUT --angle DEG``: redirect the gaze of both eyes in a face photo (DeepWarp)."""

from __future__ import annotations

from zoo.cli.checks import check_output
from zoo.cli.loading import WEIGHTS_HELP, load
from zoo.options import number

# The largest redirection DeepWarp saw in training, beyond which the net extrapolates:
# zoo.models.deepwarp.eyes.MAX_ANGLE (not imported here, so that parsing stays light; a test ties them).
MAX_REDIRECTION = 15.0


def add_parser(commands):
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
    p.add_argument("--finder", choices=("mediapipe", "haar"), default="mediapipe",
                   help="how the eyes are found: MediaPipe's face mesh and iris models (default; "
                        "fetched once from the mediapipe 0.10.21 wheel into the zoo's cache) or "
                        "OpenCV's Haar cascades (offline, weaker: misses many real photos)")
    p.set_defaults(run=run)


def run(args):
    import numpy as np

    from zoo.models.deepwarp.gaze import find_eyes, redirect_gaze
    from zoo.image import as_rgb, read_image, write_image

    check_output(args.output, inputs=[args.input, args.weights])
    if args.eyes:
        check_output(args.eyes, inputs=[args.input, args.weights, args.output])
    image = as_rgb(read_image(args.input))
    landmarks = find_eyes(image, args.finder)  # before loading Keras: a photo without a face fails fast
    model = load("deepwarp", args.weights)
    result = redirect_gaze(model, image, args.angle, landmarks=landmarks)
    write_image(args.output, result.image)
    flows = ", ".join(f"{float(np.abs(e.flow).max()):.1f}" for e in result.eyes)
    print(f"wrote {args.output}: {len(result.eyes)} eyes redirected by {args.angle:+.1f} degrees "
          f"(largest flow per eye, in patch pixels: {flows})")
    if args.eyes:
        _write_eye_sheet(args.eyes, result.eyes)


def _write_eye_sheet(path, eyes) -> None:
    """One row per eye: input patch, output patch, flow as colour."""
    import numpy as np

    from zoo.image import write_image
    from zoo.models.deepwarp import flow_to_colour

    rows = [np.concatenate([e.patch, np.clip(e.output, 0, 1), flow_to_colour(e.flow, 6.0)], 1)
            for e in eyes]
    sheet = np.concatenate(rows, 0)
    write_image(path, np.round(sheet * 255).astype(np.uint8))
    print(f"wrote {path} (rows: eyes; columns: input, output, flow)")
