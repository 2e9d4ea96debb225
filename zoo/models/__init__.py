"""The model families: one folder per paper, one registration line each.

Each ``zoo/models/<family>/__init__.py`` declares ``FAMILY = Family(...)``
(:mod:`zoo.family`); everything that lists models (``zoo list``, the command
line's choices, the demo, :func:`zoo.load_model`) reads the declarations
through :func:`families`. Importing this package is cheap: no Keras.

Adding a family: its folder, its recipe ``training/<family>.py``, its tests,
the README table, and one line here.
"""

from __future__ import annotations

import importlib

FAMILY_MODULES = [
    "zoo.models.vdsr",
    "zoo.models.dip",
    "zoo.models.stn",
    "zoo.models.deepwarp",
    "zoo.models.texture_nets",
    "zoo.models.johnson",
    "zoo.models.adain",
    "zoo.models.crn",
    "zoo.models.chairs",
]
"""The registration lines, in the order ``zoo list`` and the demo show them."""


def register(module: str) -> None:
    """Add the family declared in ``module`` (a plug-in, or a test's toy family)."""
    if module not in FAMILY_MODULES:
        FAMILY_MODULES.append(module)
        _FAMILIES.clear()


def unregister(module: str) -> None:
    if module in FAMILY_MODULES:
        FAMILY_MODULES.remove(module)
        _FAMILIES.clear()


_FAMILIES: dict = {}


def families() -> dict:
    """``{name: Family}`` of every registered family, in registration order."""
    if not _FAMILIES:
        for module_name in FAMILY_MODULES:
            family = importlib.import_module(module_name).FAMILY
            _FAMILIES[family.name] = family
    return dict(_FAMILIES)


def family_module(name: str):
    """The package that declares family ``name``."""
    for module_name in FAMILY_MODULES:
        module = importlib.import_module(module_name)
        if module.FAMILY.name == name:
            return module
    raise KeyError(name)


def names() -> list[str]:
    return list(families())


class _FamilyNames:
    """``FAMILIES``: the registered names, read afresh (``name in FAMILIES``, iteration)."""

    def __contains__(self, name) -> bool:
        return name in families()

    def __iter__(self):
        return iter(families())

    def __len__(self) -> int:
        return len(families())


FAMILIES = _FamilyNames()
