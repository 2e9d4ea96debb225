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

SHARED_CUSTOM_OBJECT_MODULES = (
    "zoo.layers",  # instance norm, padding, sampler, Lanczos, DIP's state layers
    "zoo.models.perceptual.preprocessing",  # the VGG extractors' built-in preprocessing
)
"""Modules of Keras classes that no one family owns; each family names its own
(``Family.custom_objects``)."""


def custom_object_modules() -> tuple[str, ...]:
    """Every module that registers a Keras-serializable class of the zoo's models.

    Read from the family declarations. A model compiled by a training recipe also
    names that recipe's loss and optimizer classes, which only the recipe's module
    registers (``import zoo.training.vdsr``); ``zoo.load_model(path, compile=False)``
    loads such a model without them.
    """
    from zoo.models import families

    modules = list(SHARED_CUSTOM_OBJECT_MODULES)
    for family in families().values():
        modules.extend(m for m in family.custom_objects if m not in modules)
    return tuple(modules)


def register_custom_objects() -> None:
    """Import every module of :func:`custom_object_modules`, registering their classes."""
    for name in custom_object_modules():
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
