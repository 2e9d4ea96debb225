"""What every recipe's ``train(config, run)`` takes as its ``run``, and the files it names.

``run`` is a :class:`~zoo.training.trainer.RunConfig`, used as it is (its epochs and steps
per epoch win over the recipe's), or the run options alone, which the recipe completes with
its own schedule: a mapping of ``RunConfig``'s other fields, such as ``{"out_dir":
"runs/x", "strategy": "mirrored", "checkpoint_every": 100, "verbose": 0, "tensorboard":
False}``, or just the run folder (a path).

Shared by the recipes (which must not import each other); not a recipe itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Union

from .trainer import RunConfig

Run = Union[RunConfig, Mapping, str, os.PathLike]


def run_dir(run: Run) -> Path:
    """The run folder that ``run`` names."""
    if isinstance(run, RunConfig):
        return Path(run.out_dir)
    if isinstance(run, Mapping):
        return Path(run["out_dir"])
    return Path(run)


def run_config(run: Run, epochs: int, steps_per_epoch: int) -> RunConfig:
    """``run`` as a ``RunConfig``: as it is, or its options with the recipe's schedule."""
    if isinstance(run, RunConfig):
        return run
    options = dict(run) if isinstance(run, Mapping) else {}
    options["out_dir"] = run_dir(run)
    return RunConfig(epochs=epochs, steps_per_epoch=steps_per_epoch, **options)


def final_weights(out_dir: str | os.PathLike) -> str:
    """``RUN_DIR/final.weights.h5``, the file a run ships, as ``zoo train`` prints it."""
    return os.path.join(out_dir, "final.weights.h5")
