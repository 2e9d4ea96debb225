"""Generative ConvNets in Keras: pretrained models, training, Set5 evaluation and TFLite export.

examples:
  zoo list
  zoo demo [--out DIR]
  zoo train vdsr --data DIR [DIR ...] --out RUN_DIR
  zoo train texture_nets --texture IMG [--content DIR] --out RUN_DIR
  zoo eval vdsr --data DIR --scales 2,3,4 [--weights W | --tflite F] [--json OUT]
  zoo export vdsr --quantize int8 --out vdsr.tflite
  zoo export deepwarp --quantize int8 --out deepwarp.tflite
  zoo export texture_nets --weights RUN_DIR/final.weights.h5 --quantize float16 --out texture.tflite
  zoo upscale IN OUT --scale S
  zoo dip denoise IN --out OUT
  zoo gaze IN OUT --angle DEG
  zoo texture SRC --size N --out OUT [--iters K --optimizer lbfgs|adam --backbone random]
  zoo style CONTENT STYLE --out OUT [--style-weight W --init content --preserve-color]
  zoo stylize CONTENT OUT --style STYLE [--alpha A --mask M]   (or --model johnson-NAME)
  zoo synth LAYOUT.png --out OUT.png [--outputs K --weights W]
  zoo chairs OUT.png --chair N --azimuth A --elevation E   (or --morph N1 N2, --views)

'zoo COMMAND --help' lists a command's options and their defaults.
"""

# This module only parses arguments and calls library functions; the docstring above is the
# top-level `zoo --help` (first paragraph: description; the rest: epilog). Each command is a
# module of zoo.cli with add_parser(commands) and run(args): the core ones below, then those
# the model families declare (Family.commands), in registration order.

from __future__ import annotations

import argparse
import errno
import sys

from zoo.cli.helptext import show_defaults
from zoo.errors import ZooError
from zoo.native_output import quiet_tensorflow_import

CORE_COMMANDS = ("zoo.cli.listing", "zoo.cli.demo", "zoo.cli.train", "zoo.cli.eval",
                 "zoo.cli.export")


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
    except OSError as err:
        if err.errno != errno.ENAMETOOLONG:
            raise
        print(f"zoo: error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = argparse.ArgumentParser(prog="zoo", description=description, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for module in command_modules():
        module.add_parser(commands)
    show_defaults(parser)
    return parser


def command_modules() -> list:
    """The command modules: the core ones, then every family's ``commands`` in order."""
    from zoo.family import resolve
    from zoo.models import families

    references = list(CORE_COMMANDS)
    for family in families().values():
        references += [r for r in family.commands if r not in references]
    return [resolve(reference) for reference in references]


if __name__ == "__main__":
    sys.exit(main())
