"""What a model family is: one declaration that the rest of the zoo reads.

Every paper's folder ``zoo/models/<family>/`` ends its ``__init__.py`` with one
``FAMILY = Family(...)``; :mod:`zoo.models` lists the folders, one line each.
``zoo list``, the choices and help of ``zoo train / eval / export``, the demo
sections, the Keras classes that :func:`zoo.load_model` registers and the
extra commands of the command line are all read from these declarations.

A declaration imports nothing heavy. Code is named by a *reference*, a string
``"package.module:attribute"`` (or just ``"package.module"``), resolved only when
it is used, so that listing the zoo or parsing a command line loads neither
Keras nor TensorFlow, and so that a declaration in ``zoo/`` can name its
training recipe (``zoo.training.<family>``) without importing it: only the
command line, which sits above both, follows that reference.

    >>> FAMILY = Family(
    ...     name="vdsr",
    ...     papers=("Kim, Lee, Lee, ..., CVPR 2016",),
    ...     builders={"VDSR": "zoo.models.vdsr.vdsr:VDSR"},
    ...     presets=PRESETS,
    ...     recipe="zoo.training.vdsr",
    ...     export=ExportSpec(...),
    ...     demo=Demo("vdsr", "zoo.models.vdsr.demo:vdsr_section"),
    ...     commands=("zoo.cli.upscale",),
    ... )
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field


def resolve(reference: str):
    """The module, or the attribute of a module, that ``"pkg.module[:attr]"`` names."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class Demo:
    """A section of ``zoo demo``: its name (``--only NAME``) and the function that makes it,
    ``section(images: list[Path], out: Path) -> zoo.demo.gallery.Section``."""

    name: str
    section: str  # reference to the section function


@dataclass(frozen=True)
class ExportSpec:
    """How ``zoo export`` turns a trained model into a phone model (:mod:`zoo.export`).

    ``phone_model(model)`` is the graph to convert (default: the model itself);
    ``calibration(model, images, size)`` gives the int8 representative batches (a list
    of input lists) and ``validation(model, images, size)`` the held-out
    ``(inputs, target or None)`` Keras and the ``.tflite`` are compared on; ``images``
    is the ``--calibration`` folder or ``None``. ``float_ops`` are TFLite op types kept
    in float in an int8 model; ``fixed_shape`` is the default (H, W) of a phone model
    (``None``: dynamic); ``calibration_images`` says, where the family calibrates on
    images, what ``--calibration`` is for (``uses_images(model)`` decides per model);
    ``report(model, phone, tflite_bytes, inputs, target)`` adds task figures.
    ``metadata(model)`` gives what an app needs beyond the tensor shapes (value ranges,
    normalization, layout, size multiple; :mod:`zoo.export.metadata` writes it beside
    the ``.tflite``). ``parts`` splits a family into several phone models, one
    ``.tflite`` each, named ``OUT_<part>.tflite`` (AdaIN: a style encoder run once per
    style, a stylizer run per frame); each part is an ``ExportSpec`` of its own.
    """

    calibration: str | None = None
    validation: str | None = None
    phone_model: str | None = None
    float_ops: tuple[str, ...] = ()
    fixed_shape: tuple[int, int] | None = None
    calibration_images: str | None = None
    uses_images: str | None = None
    report: str | None = None
    warn_below_psnr: float = 30.0  # dB against Keras; measured int8: DeepWarp 33, texture 11
    metadata: str | None = None
    parts: Mapping[str, "ExportSpec"] = field(default_factory=dict)


@dataclass(frozen=True)
class Family:
    """One paper's models, as the zoo sees them (see the module docstring)."""

    name: str
    papers: tuple[str, ...]
    builders: Mapping[str, str]  # name -> reference; the first one is ``build``
    presets: Mapping[str, dict] = field(default_factory=dict)
    default_preset: str | None = None  # the preset zoo.load(name) gives; None: the first
    default_why: str | None = None  # one line: why that preset (printed by ``zoo list``)
    no_weights: str | None = None  # why there are no presets, where there are none by design
    card: str | None = None  # the family's own card in zoo/weights/cards, where it has no preset
    recipe: str | None = None  # reference to the training recipe module (``zoo train NAME``)
    recipe_help: str = ""  # its one line in ``zoo train --help`` (read without importing it)
    evaluation: str | None = None  # reference to the module behind ``zoo eval NAME``
    export: ExportSpec | None = None  # ``zoo export NAME``
    demo: Demo | None = None
    commands: tuple[str, ...] = ()  # references to the command modules it adds (``zoo gaze``)
    custom_objects: tuple[str, ...] = ()  # modules that register its Keras classes

    def build(self, **config):
        """A fresh model from the first builder."""
        return resolve(next(iter(self.builders.values())))(**config)
