"""Whole models saved with ``model.save("m.keras")``, loaded back with ``safe_mode`` on.

Keras finds a custom layer of a ``.keras`` file by its registered name
(``zoo>InstanceNormalization``), and a name is registered only once the module
defining the class has been imported. ``import zoo`` does not import Keras (it
stays cheap for the command line), so a fresh process that calls
``keras.models.load_model`` right after ``import zoo`` would not find them:

    >>> import zoo
    >>> model = zoo.load_model("stylize.keras")   # every zoo layer registered first

or, to use Keras' own function, ``zoo.register_custom_objects()`` before it.
Lambda layers are never used in the zoo, so nothing needs ``safe_mode=False``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from zoo.errors import ZooError, summarize

CUSTOM_OBJECT_MODULES = (
    "zoo.layers",  # instance norm, padding, sampler, Lanczos, DIP's state layers
    "zoo.models.deepwarp.deepwarp",
    "zoo.models.perceptual.preprocessing",
    "zoo.models.stn.stn",
    "zoo.models.texture_nets.generator",
    "zoo.training.losses",  # a compiled model's loss, metric and optimizer
    "zoo.training.optimizers",
    "zoo.training.stn",
    "zoo.training.texture_nets",
)
"""Every module that registers a Keras-serializable class of the zoo."""


def register_custom_objects() -> None:
    """Import every module of :data:`CUSTOM_OBJECT_MODULES`, registering their classes."""
    for name in CUSTOM_OBJECT_MODULES:
        importlib.import_module(name)


def load_model(path: str | os.PathLike, compile: bool = True):
    """``keras.saving.load_model(path)`` for a ``.keras`` file of a zoo model (safe mode)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise ZooError(f"{path}: no such model file")
    if path.suffix != ".keras":
        hint = (" (a weights file: load it with zoo.load(NAME, weights=FILE))"
                if path.name.endswith(".weights.h5") else "")
        raise ZooError(f"{path}: expected a '.keras' file saved by model.save{hint}")
    register_custom_objects()
    try:
        return keras.saving.load_model(path, compile=compile)
    except (OSError, ValueError, TypeError) as err:
        raise ZooError(f"{path}: cannot load ({type(err).__name__}: {summarize(err)})") from None
