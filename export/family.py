"""One export path for every family: its declaration's :class:`~zoo.family.ExportSpec`
says what to convert and what to calibrate and validate on; :mod:`zoo.export.tflite`
converts, checks the ops and compares with Keras.

    >>> from zoo.export.family import export_model
    >>> report = export_model("vdsr", zoo.load("vdsr"), "int8", "vdsr_int8.tflite")
    >>> report["psnr"]          # the .tflite against Keras, dB
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.family import ExportSpec, resolve
from zoo.models import families

from .metadata import build_metadata, write_metadata
from .tflite import (ExportError, fit_to_shape, fixed_dims, per_input, to_tflite, validate,
                     write_tflite)


def export_spec(family: str) -> ExportSpec:
    spec = families()[family].export
    if spec is None:
        raise ExportError(f"{family} has no export (`zoo export --help` lists those that do)")
    return spec


def exportable() -> list[str]:
    """The families that ``zoo export`` takes."""
    return [name for name, family in families().items() if family.export is not None]


def uses_images(family: str, model) -> bool:
    """Whether ``model`` of ``family`` calibrates on images (what ``--calibration`` gives)."""
    spec = export_spec(family)
    if spec.calibration_images is None:
        return False
    return spec.uses_images is None or bool(resolve(spec.uses_images)(model))


def parts(family: str) -> dict[str, ExportSpec]:
    """``{part: spec}``: the phone models of ``family``, one ``.tflite`` each; a family that
    is not split has one part, named ``""``."""
    spec = export_spec(family)
    return dict(spec.parts) if spec.parts else {"": spec}


def part_path(out: str | Path, part: str) -> Path:
    """Where part ``part`` goes: ``OUT`` itself, or ``OUT_<part>.tflite`` beside it."""
    out = Path(out)
    return out if not part else out.with_name(f"{out.stem}_{part}{out.suffix}")


def phone_model(family: str, model, spec: ExportSpec | None = None, also: tuple[str, ...] = ()):
    """The graph a phone runs (for DeepWarp: landmarks in, anchor maps computed inside);
    ``also`` names layers of ``model`` whose outputs it gives after its own."""
    spec = spec or export_spec(family)
    model = with_layer_outputs(model, also)
    return resolve(spec.phone_model)(model) if spec.phone_model else model


def with_layer_outputs(model, names: tuple[str, ...] = ()):
    """``model`` with the outputs of its layers ``names`` after its own output (e.g. DeepWarp's
    ``flow`` and ``warp``, which an app that blends the eyes itself needs), same weights."""
    if not names:
        return model
    import keras

    known = [layer.name for layer in model.layers]
    missing = [n for n in names if n not in known]
    if missing:
        raise ExportError(f"--also-output: {', '.join(missing)} is not a layer of {model.name} "
                          f"(its layers: {', '.join(known)})")
    return keras.Model(model.inputs, [model.output, *(model.get_layer(n).output for n in names)],
                       name=model.name)


def _size(size, shape):
    """The size the family's data functions are asked for: the fixed ``shape`` where given
    (its side where square, as the families' ``size: int`` expects), else ``size``."""
    if shape is None:
        return size
    return shape[0] if shape[0] == shape[1] else tuple(shape)


def family_tflite(family: str, model, quantize: str, images=None, size: int | None = None,
                  shape: tuple[int, int] | None = None, spec: ExportSpec | None = None,
                  also: tuple[str, ...] = ()) -> bytes:
    """The ``.tflite`` bytes of ``model``'s phone graph in mode ``quantize``: int8 calibrated on
    the family's representative data, with its ``float_ops`` left in float; ``shape`` fixes
    every dimension (batch 1, that image size)."""
    spec = spec or export_spec(family)
    calibration = (resolve(spec.calibration)(model, images, _size(size, shape))
                   if quantize == "int8" else None)
    return to_tflite(phone_model(family, model, spec, also), quantize, calibration,
                     float_ops=spec.float_ops if quantize == "int8" else (),
                     shape=input_shapes(model, spec, images, size, shape))


def input_shapes(model, spec: ExportSpec, images, size, shape):
    """The fixed (H, W) of each image input for ``shape``: where the family's own validation
    inputs at that size differ in size from one another (a Texture Network's noise pyramid,
    ``noise_k`` at ``shape / 2^k``), theirs; else ``shape`` itself."""
    if shape is None:
        return None
    inputs, _ = resolve(spec.validation)(model, images, _size(size, shape))
    inputs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    sizes = [tuple(np.shape(x)[1:3]) if np.ndim(x) == 4 else tuple(shape) for x in inputs]
    return sizes if len(set(sizes)) > 1 else shape


def export_model(family: str, model, quantize: str, out: str | Path, images=None,
                 size: int | None = None, shape: tuple[int, int] | None = None,
                 weights: str = "", also: tuple[str, ...] = ()) -> dict:
    """Convert ``model`` of ``family`` in mode ``quantize``, write ``out`` and its metadata JSON
    (:mod:`zoo.export.metadata`), compare with Keras.

    ``images`` is a folder for calibration and validation where the family takes one;
    ``size`` the validation (and calibration) side where the family's inputs have none;
    ``shape`` a fixed (height, width); ``also`` layer names whose outputs the file gives after
    the model's own (:func:`with_layer_outputs`; validated too, listed in the metadata's
    ``outputs`` as ``layer``). Returns ``{"bytes", "max_abs", "mean_abs", "psnr",
    "path", "metadata", ...}`` and the family's own figures; a family made of parts
    returns ``{part: that dict}`` (files ``OUT_<part>.tflite``).
    """
    reports = {part: _export_part(family, model, quantize, part_path(out, part), spec, images,
                                  size, shape, weights, tuple(also))
               for part, spec in parts(family).items()}
    return reports[""] if "" in reports else reports


def _export_part(family, model, quantize, out, spec, images, size, shape, weights, also) -> dict:
    phone = phone_model(family, model, spec, also)
    data = family_tflite(family, model, quantize, images, size, shape, spec, also)
    write_tflite(data, out)
    inputs, target = resolve(spec.validation)(model, images, _size(size, shape))
    if shape:
        shapes = per_input(input_shapes(model, spec, images, size, shape), len(phone.inputs))
        inputs = fit_to_shape(inputs if isinstance(inputs, (list, tuple)) else [inputs],
                              [type("Spec", (), {"shape": fixed_dims(t.shape, s)})
                               for t, s in zip(phone.inputs, shapes)])
        inputs = inputs if len(inputs) > 1 else inputs[0]
        target = None  # the family's targets are for its own sizes
    report = {"bytes": len(data), "path": str(out), **validate(phone, data, inputs, target)}
    if spec.report and target is not None:
        report.update(resolve(spec.report)(model, inputs, target))
    described = resolve(spec.metadata)(model) if spec.metadata else None
    if also:  # the outputs in the file's order: the model's own, then each named layer's
        described = dict(described or {})
        own = dict(described.get("outputs", {}))
        first = next(iter(own.values()), {})
        described["outputs"] = {"output": {**first, "layer": "output"},
                                **{f"layer:{n}": {"layer": n} for n in also}}
    meta = build_metadata(data, out, family, weights, quantize, shape, described, report)
    report["metadata"] = str(write_metadata(meta, out))
    return report
