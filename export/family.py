"""One export path for every family: its declaration's :class:`~zoo.family.ExportSpec`
says what to convert and what to calibrate and validate on; :mod:`zoo.export.tflite`
converts, checks the ops and compares with Keras.

    >>> from zoo.export.family import export_model
    >>> report = export_model("vdsr", zoo.load("vdsr"), "int8", "vdsr_int8.tflite")
    >>> report["psnr"]          # the .tflite against Keras, dB
"""

from __future__ import annotations

from pathlib import Path

from zoo.family import ExportSpec, resolve
from zoo.models import families

from .tflite import ExportError, to_tflite, validate, write_tflite


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


def phone_model(family: str, model):
    """The graph a phone runs (for DeepWarp: landmarks in, anchor maps computed inside)."""
    spec = export_spec(family)
    return resolve(spec.phone_model)(model) if spec.phone_model else model


def family_tflite(family: str, model, quantize: str, images=None, size: int | None = None
                  ) -> bytes:
    """The ``.tflite`` bytes of ``model``'s phone graph in mode ``quantize``: int8 calibrated on
    the family's representative data, with its ``float_ops`` left in float."""
    spec = export_spec(family)
    calibration = (resolve(spec.calibration)(model, images, size) if quantize == "int8"
                   else None)
    return to_tflite(phone_model(family, model), quantize, calibration,
                     float_ops=spec.float_ops if quantize == "int8" else ())


def export_model(family: str, model, quantize: str, out: str | Path, images=None,
                 size: int | None = None) -> dict:
    """Convert ``model`` of ``family`` in mode ``quantize``, write ``out``, compare with Keras.

    ``images`` is a folder for calibration and validation where the family takes one;
    ``size`` the validation (and calibration) side where the family's inputs have none.
    Returns ``{"bytes", "max_abs", "mean_abs", "psnr", ...}`` and the family's own figures.
    """
    spec = export_spec(family)
    phone = phone_model(family, model)
    data = family_tflite(family, model, quantize, images, size)
    write_tflite(data, out)
    inputs, target = resolve(spec.validation)(model, images, size)
    report = {"bytes": len(data), **validate(phone, data, inputs, target)}
    if spec.report and target is not None:
        report.update(resolve(spec.report)(model, inputs, target))
    return report
