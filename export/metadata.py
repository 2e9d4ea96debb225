"""The metadata JSON written beside every exported ``.tflite``: what an app needs to run it.

``F.tflite`` gets ``F.json``. An app (the web app in ``mobile/``, a Kotlin or
Swift project) reads the tensors' names, shapes and types from it, and from the
family's own part (:attr:`zoo.family.ExportSpec.metadata`) the value range,
colour order and normalization of each input and output, so that no constant is
copied by hand into app code. Fields:

* ``format``: ``"zoo-tflite-metadata/1"``; ``family``, ``weights`` (preset or file),
  ``quantization``, ``fixed_shape`` (``[H, W]`` or ``null``);
* ``file``, ``bytes``, ``sha256`` of the ``.tflite`` it describes;
* ``inputs`` / ``outputs``: in the interpreter's order, each ``{"name", "shape",
  "shape_signature" (-1 where dynamic), "dtype"}`` read from the file itself,
  merged with the family's description of the tensor of that name;
* ``validation``: the figures of the comparison with Keras (max and mean absolute
  difference, PSNR in dB) on held-out inputs;
* everything else the family adds (e.g. ``size_multiple``, ``notes``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from zoo.atomic import write_text
from zoo.native_output import LITERT_INFO, held_stderr

FORMAT = "zoo-tflite-metadata/1"
VALIDATION_FIGURES = ("max_abs", "mean_abs", "psnr", "mse_keras", "mse_tflite")


def metadata_path(tflite_path: str | Path) -> Path:
    """``F.tflite`` -> ``F.json``."""
    return Path(tflite_path).with_suffix(".json")


def tensor_details(tflite: bytes) -> tuple[list[dict], list[dict]]:
    """``(inputs, outputs)`` of a ``.tflite``: name, shape, shape signature, dtype."""
    from ai_edge_litert.interpreter import Interpreter

    with held_stderr(drop=LITERT_INFO):
        interpreter = Interpreter(model_content=tflite)

    def describe(detail):
        return {"name": detail["name"].split(":")[0], "shape": [int(d) for d in detail["shape"]],
                "shape_signature": [int(d) for d in detail["shape_signature"]],
                "dtype": detail["dtype"].__name__}

    return ([describe(d) for d in interpreter.get_input_details()],
            [describe(d) for d in interpreter.get_output_details()])


def build_metadata(tflite: bytes, out: str | Path, family: str, weights: str, quantize: str,
                   shape: tuple[int, int] | None, described: dict | None,
                   validation: dict) -> dict:
    """The metadata dict of one exported file (module docstring)."""
    described = dict(described or {})
    inputs, outputs = tensor_details(tflite)
    named_inputs, named_outputs = described.pop("inputs", {}), described.pop("outputs", {})
    _merge(inputs, named_inputs)
    _merge(outputs, named_outputs)
    return {"format": FORMAT, "family": family, "weights": weights, "quantization": quantize,
            "fixed_shape": list(shape) if shape else None, "file": Path(out).name,
            "bytes": len(tflite), "sha256": hashlib.sha256(tflite).hexdigest(),
            "inputs": inputs, "outputs": outputs,
            "validation": {k: round(float(v), 6) for k, v in validation.items()
                           if k in VALIDATION_FIGURES},
            **described}


def _merge(tensors: list[dict], described: dict) -> None:
    """Add the family's description of each tensor; an output the family describes under
    another name (the converter names outputs itself) goes to the tensor in that position."""
    unmatched = [v for k, v in described.items() if k not in {t["name"] for t in tensors}]
    for tensor in tensors:
        if tensor["name"] in described:
            tensor.update(described[tensor["name"]])
        elif unmatched:
            tensor.update(unmatched.pop(0))


def write_metadata(meta: dict, tflite_path: str | Path) -> Path:
    """Write ``meta`` to ``F.json`` beside ``F.tflite``, atomically."""
    path = metadata_path(tflite_path)
    write_text(path, json.dumps(meta, indent=2) + "\n")
    return path
