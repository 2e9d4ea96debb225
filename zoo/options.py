"""Types of command-line values, each one checked with a one-line message.

Used by the command line (:mod:`zoo.cli`) and by whatever declares options for it:
a training recipe's config fields (:func:`option`), a family's commands. Light: no
Keras, only ``argparse``.

    >>> from zoo.options import COUNT, POSITIVE, option
    >>> epochs: int = option(80, type=COUNT, help="Sec. 4.1")
"""

from __future__ import annotations

import argparse
import dataclasses
import math


def option(default=dataclasses.MISSING, *, help: str | None = None, flag: str | None = None,
           cli: bool = True, default_factory=dataclasses.MISSING, **argparse_kwargs):
    """A config dataclass field that is also a command-line option.

    ``flag`` overrides the option's name (default ``--field-name``); ``cli=False`` keeps the
    field out of the command line; the other keywords go to ``add_argument`` (``type``,
    ``choices``, ``nargs``, ``metavar``, ``action``, ``required``).
    """
    metadata = {"help": help, "flag": flag, "cli": cli, "argparse": argparse_kwargs}
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def integer(minimum: int, maximum: int | None = None):
    """argparse type: an integer of at least ``minimum`` (a count, a size, a period)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value
    return parse


def number(low: float, high: float | None = None, low_open: bool = False,
            high_open: bool = True):
    """argparse type: a finite float from ``low`` to ``high`` (``None``: no bound), each end
    included unless ``low_open`` / ``high_open``; the default is [low, high)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    interval = f"{left}{low:g}, {'inf' if high is None else f'{high:g}'}{right}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        below = value <= low if low_open else value < low
        above = high is not None and (value >= high if high_open else value > high)
        if below or above or not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text.strip()}")
        return value
    return parse


COUNT = integer(1)          # epochs, batch sizes, steps, layers, pixels
COUNT_OR_ZERO = integer(0)  # where 0 means none or never (--snapshot-every, --eval-pairs)
SEED = integer(0, 2**32 - 1)  # keras.utils.set_random_seed's range
POSITIVE = number(0.0, low_open=True)     # learning rates, clipping thresholds
NON_NEGATIVE = number(0.0)                # weights of loss terms, weight decay, noise


def scales(text: str) -> list[int]:
    try:
        scales = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"scales must be integers like 2,3,4, got {text!r}")
    if not scales or any(s < 2 for s in scales):
        raise argparse.ArgumentTypeError(f"scales must be integers of at least 2, got {text!r}")
    return scales


def downscales(text: str) -> list[float]:
    try:
        factors = [float(f) for f in text.split(",") if f.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"downscales must be numbers like 1,0.7,0.5, got {text!r}")
    if not factors or any(not 0 < f <= 1 for f in factors):
        raise argparse.ArgumentTypeError(f"downscales must be in (0, 1], got {text!r}")
    return factors
