"""Keras model to ``.tflite`` with builtin ops only, in four quantization modes.

* ``float32``: plain conversion.
* ``float16``: weights stored as float16 (half the size, float compute).
* ``dynamic``: weights int8, activations quantized on the fly.
* ``int8``: weights and activations int8 from a calibration set
  (``representative_dataset``), float input and output so callers need not
  know the scales.

Every conversion allows ``TFLITE_BUILTINS`` only (``keras.Model.export(format=
"litert")`` silently enables Flex ops, which the stock runtime cannot run), and
the result is checked op by op: a Flex or custom op fails the export loudly.
The model is traced with a dynamic batch and spatial size, so a phone can
resize the input at run time (a static-size model cannot be resized under
XNNPACK).
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from zoo.atomic import write_bytes
from zoo.errors import ZooError
from zoo.native_output import LITERT_INFO, QUANTIZER_SETTINGS, held_stderr

QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
CONVERTER_NOISE = re.compile(f"{QUANTIZER_SETTINGS.pattern}|{LITERT_INFO.pattern}")
"""What conversion prints and :func:`held_stderr` drops: the quantizer's settings, and
LiteRT's XNNPACK line where calibration runs an interpreter."""


class ExportError(ZooError):
    """Conversion failed, or produced ops the stock LiteRT runtime cannot run."""


def _tensorflow():
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ExportError("TFLite export traces the model with TensorFlow; run it with "
                          f"KERAS_BACKEND=tensorflow (now {keras.backend.backend()})")
    import tensorflow as tf

    return tf


def _input_specs(tf, model, shape: tuple[int, int] | None = None) -> list:
    """One ``TensorSpec`` per model input: batch and any size Keras left open dynamic, or,
    with ``shape``, every dimension fixed (batch 1, open image sides ``shape``)."""
    shapes = per_input(shape, len(model.inputs))
    return [tf.TensorSpec(fixed_dims(tensor.shape, shapes[i]) if shape else
                          [None, *tensor.shape[1:]], tf.float32, name=_input_name(tensor, i))
            for i, tensor in enumerate(model.inputs)]


def per_input(shape, count: int) -> list:
    """``shape`` as one (H, W) per input: the same for all, or already a list of them (a
    Texture Network's noise inputs, each half the size of the one before)."""
    if shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return [shape] * count


def fixed_dims(dims, shape: tuple[int, int]) -> list[int]:
    """``(B, H, W, C)`` with batch 1 and the open sides of an image input set to ``shape``."""
    dims = list(dims)
    if None in dims[3:] or None in dims[1:] and len(dims) != 4:
        raise ExportError(f"a fixed shape needs the other dimensions known, got {tuple(dims)}")
    if len(dims) == 4:
        dims[1:3] = [s if d is None else d for d, s in zip(dims[1:3], shape)]
    return [1, *dims[1:]]


def parse_shape(text: str) -> tuple[int, int]:
    """``"384x256"`` -> ``(384, 256)`` (height x width); one-line error otherwise."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.isdigit() and 0 < int(p) <= 8192 for p in parts):
        raise ZooError(f"--shape {text!r}: give HEIGHTxWIDTH, e.g. 384x384 (1 to 8192 each)")
    return int(parts[0]), int(parts[1])


def _input_name(tensor, index: int) -> str:
    name = getattr(tensor, "name", None) or ""
    name = name.split(":")[0]
    return name if name.isidentifier() else f"input_{index}"


def to_tflite(model, quantize: str = "float32", calibration: Iterable | None = None,
              float_ops: tuple[str, ...] = (), shape: tuple[int, int] | None = None) -> bytes:
    """Convert a Keras model; ``calibration`` yields input batches (needed for ``int8``).

    A model with several inputs is exported with one named input each (the Keras
    input names); its calibration items are lists of arrays, in the model's input
    order. ``float_ops`` (TFLite op types, e.g. ``("ADD",)``) stay in float in an
    ``int8`` model: selective quantization through TensorFlow's quantization
    debugger, still builtin ops only. ``shape`` (height, width) fixes every dimension:
    batch 1 and that image size, as runtimes that refuse dynamic dimensions need
    (LiteRT.js in the browser); it also drops the SHAPE arithmetic of a dynamic graph.
    A list of (height, width), one per input, fixes inputs of different sizes.
    """
    tf = _tensorflow()
    if quantize not in QUANTIZATIONS:
        raise ExportError(f"unknown quantization {quantize!r}; use one of {', '.join(QUANTIZATIONS)}")
    specs = _input_specs(tf, model, shape)

    @tf.function(input_signature=specs, autograph=False)
    def serve(*inputs):
        return model(list(inputs) if len(inputs) > 1 else inputs[0], training=False)

    # Without the model as `trackable_obj` the converter freezes the weights into
    # constants; with it, Keras 3 variables stay resource variables that the
    # interpreter cannot read.
    with _absl_quiet("trackable_obj"):  # that deprecation notice is the choice explained above
        converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize == "int8":
        if calibration is None:
            raise ExportError("int8 quantization needs calibration inputs")
        batches = list(calibration)
        if not batches:
            raise ExportError("the calibration set is empty")
        if shape:
            batches = [fit_to_shape(_as_list(b), specs) for b in batches]
        converter.representative_dataset = lambda: (_as_list(b) for b in batches)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                                               tf.lite.OpsSet.TFLITE_BUILTINS]
    try:
        with warnings.catch_warnings(), held_stderr(drop=CONVERTER_NOISE):
            # float in/out int8 models: expected, not a problem
            warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
            if quantize == "int8" and float_ops:
                data = _selectively_quantized(tf, converter, batches[:1], float_ops)
            else:
                data = converter.convert()
    except Exception as err:  # the converter raises ConverterError, ValueError, ...
        first = next((l for l in str(err).splitlines() if "error" in l.lower()), str(err))
        raise ExportError(f"conversion to builtin TFLite ops failed: {first.strip()[:300]}") from None
    check_builtin_only(data)
    return data


@contextlib.contextmanager
def _absl_quiet(fragment: str):
    """Drop TensorFlow's (absl) log records that contain ``fragment`` for the block."""
    def keep(record):
        return fragment not in record.getMessage()

    logger = logging.getLogger("absl")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _selectively_quantized(tf, converter, debug_batches, float_ops) -> bytes:
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(float_ops))
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")  # its own use
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=lambda: (_as_list(b) for b in debug_batches),
        debug_options=options)
    return debugger.get_nondebug_quantized_model()


def write_tflite(data: bytes, out: str | Path) -> Path:
    """Write a converted model to ``out``, creating its folder; atomically (:mod:`zoo.atomic`):
    a kill mid-write keeps the previous file. A failed write is a one-line ExportError."""
    try:
        return write_bytes(out, data)
    except OSError as err:
        raise ExportError(f"{out}: cannot write ({err.strerror or err})") from None


def _as_list(inputs) -> list[np.ndarray]:
    items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    return [np.asarray(x, np.float32) for x in items]


def op_names(tflite: bytes) -> list[str]:
    """The op of every node of a ``.tflite`` model, e.g. ``['CONV_2D', 'ADD']``."""
    from ai_edge_litert.interpreter import Interpreter

    with held_stderr(drop=LITERT_INFO):
        interpreter = Interpreter(model_content=tflite)
    return [op["op_name"] for op in interpreter._get_ops_details()]


def check_builtin_only(tflite: bytes) -> None:
    foreign = sorted({op for op in op_names(tflite)
                      if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")})
    if foreign:
        raise ExportError(f"the converted model needs ops the stock runtime lacks: {', '.join(foreign)}")


class LiteModel:
    """A ``.tflite`` model run with ``ai_edge_litert``, resizing its inputs as needed.

    Call it with the inputs in the Keras model's order (``lite(x)`` or
    ``lite(image, anchors, angle)``), or with a dict keyed by input name.
    """

    def __init__(self, tflite: bytes | str | Path, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        source = "model bytes"
        if isinstance(tflite, (str, Path)):
            path = source = Path(tflite)
            if not path.is_file():
                raise ExportError(f"{path}: no such .tflite file")
            tflite = path.read_bytes()
        try:
            with held_stderr(drop=LITERT_INFO):
                self.interpreter = Interpreter(model_content=tflite, num_threads=threads)
        except (ValueError, RuntimeError) as err:
            raise ExportError(
                f"{source}: not a valid .tflite model ({str(err).splitlines()[0]})") from None
        # Converted from one concrete function, the inputs keep the Keras order and names.
        self.inputs = self.interpreter.get_input_details()
        self.input_names = [d["name"].split(":")[0] for d in self.inputs]
        self.input = self.inputs[0]
        self.output_indices = [d["index"] for d in self.interpreter.get_output_details()]
        self.output_index = self.output_indices[0]
        self._shapes = None

    def __call__(self, *inputs) -> np.ndarray:
        if len(inputs) == 1 and isinstance(inputs[0], dict):
            inputs = [inputs[0][name] for name in self.input_names]
        if len(inputs) != len(self.inputs):
            raise ExportError(f"the model takes {len(self.inputs)} inputs "
                              f"({', '.join(self.input_names)}), got {len(inputs)}")
        arrays = [np.asarray(x, np.float32) for x in inputs]
        shapes = [a.shape for a in arrays]
        if self._shapes != shapes:
            for detail, shape in zip(self.inputs, shapes):
                self.interpreter.resize_tensor_input(detail["index"], shape, strict=False)
            with held_stderr(drop=LITERT_INFO):  # the first allocation makes the delegate
                self.interpreter.allocate_tensors()
            self._shapes = shapes
        for detail, array in zip(self.inputs, arrays):
            self.interpreter.set_tensor(detail["index"], array)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output_index)

    def all_outputs(self, *inputs) -> list[np.ndarray]:
        """Every output of one call (a model exported with several), in the file's order;
        a fixed-shape model runs the examples one by one."""
        n = len(np.asarray(inputs[0])) if self.fixed else 1
        runs = []
        for i in range(n):
            self(*[np.asarray(x)[i:i + 1] for x in inputs] if self.fixed else inputs)
            runs.append([self.interpreter.get_tensor(k).copy() for k in self.output_indices])
        return [np.concatenate(parts) for parts in zip(*runs)]

    @property
    def fixed(self) -> bool:
        """Whether every input dimension is fixed (exported with ``--shape``)."""
        return all(-1 not in d["shape_signature"] for d in self.inputs)

    def each(self, *inputs) -> np.ndarray:
        """Like calling it, but a fixed-shape model (batch 1) runs the examples one by one."""
        if not self.fixed:
            return self(*inputs)
        n = len(np.asarray(inputs[0]))
        return np.concatenate([self(*[np.asarray(x)[i:i + 1] for x in inputs]) for i in range(n)])


def fit_to_shape(arrays: list[np.ndarray], specs) -> list[np.ndarray]:
    """Each example batch of ``arrays`` resized (bilinear) to its fixed spec's image size,
    one example per batch (calibration and validation data made for dynamic sizes)."""
    fitted = []
    for array, spec in zip(arrays, specs):
        dims = list(spec.shape)
        array = np.asarray(array, np.float32)
        if array.ndim == 4 and tuple(array.shape[1:3]) != tuple(dims[1:3]):
            from keras import ops

            array = np.asarray(ops.image.resize(array, tuple(dims[1:3]), interpolation="bilinear"),
                               np.float32)
        fitted.append(array)
    return fitted


def tflite_predictor(tflite: bytes | str | Path, threads: int = 2):
    """A ``(H, W) -> (H, W)`` function for one-channel image models such as VDSR."""
    lite = LiteModel(tflite, threads)
    return lambda y: lite(np.asarray(y, np.float32)[None, :, :, None])[0, :, :, 0]


def validate(model, tflite: bytes, sample: np.ndarray, target: np.ndarray | None = None) -> dict:
    """Run Keras and TFLite on ``sample`` (a batch, or a list of batches, one per input);
    max/mean absolute difference and PSNR. With the true outputs ``target``, also the
    mean squared error of each (``mse_keras``, ``mse_tflite``)."""
    from keras import ops

    expected = model(sample, training=False)
    inputs = sample if isinstance(sample, (list, tuple)) else [sample]
    if isinstance(expected, (list, tuple)):  # several outputs: all of them, in order
        expected = [np.asarray(ops.convert_to_numpy(e), np.float64) for e in expected]
        actual = [a.astype(np.float64) for a in LiteModel(tflite).all_outputs(*inputs)]
        if [e.shape for e in expected] != [a.shape for a in actual]:
            raise ExportError(f"the .tflite's outputs {[a.shape for a in actual]} are not the "
                              f"model's {[e.shape for e in expected]}")
        diff = np.concatenate([np.abs(e - a).ravel() for e, a in zip(expected, actual)])
        expected, actual = expected[0], actual[0]  # the targets are the model's own output's
    else:
        expected = np.asarray(ops.convert_to_numpy(expected), np.float64)
        actual = LiteModel(tflite).each(*inputs).astype(np.float64)
        diff = np.abs(expected - actual)
    mse = float(np.mean(diff**2))
    report = {"max_abs": float(diff.max()), "mean_abs": float(diff.mean()),
              "psnr": float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))}
    if target is not None:
        report["mse_keras"] = float(np.mean((expected - target) ** 2))
        report["mse_tflite"] = float(np.mean((actual - target) ** 2))
    return report
