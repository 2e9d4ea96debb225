"""TFLite export: builtin ops only, every quantization mode checked against Keras."""

import numpy as np
import pytest

from zoo.export import ExportError, LiteModel, op_names, to_tflite, validate
from zoo.export.tflite import check_builtin_only
from zoo.models.vdsr import VDSR


@pytest.fixture(scope="module")
def model():
    import keras

    keras.utils.set_random_seed(0)
    return VDSR(depth=6, filters=16)


@pytest.fixture(scope="module")
def calibration():
    rng = np.random.default_rng(0)
    return [rng.random((1, 48, 48, 1), dtype=np.float32) for _ in range(16)]


# Bounds on the difference to Keras (images in [0, 1]) for a random 6-layer net.
TOLERANCE = {"float32": 1e-5, "float16": 5e-3, "dynamic": 0.1, "int8": 0.1}


@pytest.mark.parametrize("quantize", ["float32", "float16", "dynamic", "int8"])
def test_every_mode_is_builtin_and_close_to_keras(model, calibration, quantize, rng):
    data = to_tflite(model, quantize, calibration)
    ops = set(op_names(data))
    assert ops <= {"CONV_2D", "ADD", "DEQUANTIZE", "QUANTIZE"}, ops
    sample = rng.random((1, 37, 53, 1), dtype=np.float32)  # not the traced size: resizable
    report = validate(model, data, sample)
    assert report["max_abs"] < TOLERANCE[quantize], report
    if quantize == "int8":
        assert "QUANTIZE" in ops  # really integer inside
    lite = LiteModel(data)
    assert lite(rng.random((2, 20, 24, 1), dtype=np.float32)).shape == (2, 20, 24, 1)


def test_int8_can_keep_the_residual_add_in_float(model, calibration, rng):
    """``float_ops``: the ADD computes in float, every convolution stays int8, builtins only."""
    from ai_edge_litert.interpreter import Interpreter

    data = to_tflite(model, "int8", calibration, float_ops=("ADD",))
    check_builtin_only(data)
    interpreter = Interpreter(model_content=data)
    tensors = interpreter.get_tensor_details()
    out_dtype = {op["op_name"]: {tensors[i]["dtype"] for i in op["outputs"]}
                 for op in interpreter._get_ops_details() if op["op_name"] in ("ADD", "CONV_2D")}
    assert out_dtype["ADD"] == {np.float32}
    convs = [op for op in interpreter._get_ops_details() if op["op_name"] == "CONV_2D"]
    assert all(tensors[op["outputs"][0]]["dtype"] == np.int8 for op in convs)
    # the sum is no longer rounded to the int8 grid: closer to Keras than the all-int8 model
    sample = rng.random((1, 40, 40, 1), dtype=np.float32)
    mixed = validate(model, data, sample)["mean_abs"]
    full = validate(model, to_tflite(model, "int8", calibration), sample)["mean_abs"]
    assert mixed < full, (mixed, full)


def input_quantization_scale(data: bytes) -> float:
    """The scale of the QUANTIZE op that turns the float input into int8."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    tensors = interpreter.get_tensor_details()
    input_index = interpreter.get_input_details()[0]["index"]
    (scale,) = [tensors[op["outputs"][0]]["quantization"][0]
                for op in interpreter._get_ops_details()
                if op["op_name"] == "QUANTIZE" and op["inputs"][0] == input_index]
    return scale


@pytest.mark.parametrize("float_ops", [(), ("ADD",)])
def test_int8_calibrates_on_every_batch_not_the_first(model, float_ops, rng):
    """TFLite post-training quantization: an activation's int8 range is the min/max over the
    whole representative dataset, the input's here: [0, 1] maps to 256 levels, a scale of 1/255
    (zero included). A first batch in [0, 0.1] alone would give 0.1/255 and clip brighter
    pixels to 0.1."""
    first = 0.1 * rng.random((1, 48, 48, 1), dtype=np.float32)
    rest = [rng.random((1, 48, 48, 1), dtype=np.float32) for _ in range(5)]
    data = to_tflite(model, "int8", [first, *rest], float_ops=float_ops)
    top = max(float(b.max()) for b in rest)
    assert input_quantization_scale(data) == pytest.approx(top / 255, rel=0.01)
    report = validate(model, data, rng.random((1, 32, 32, 1), dtype=np.float32))
    assert report["max_abs"] < TOLERANCE["int8"], report


def test_vdsr_int8_calibrates_on_every_crop_of_the_folder(model, tmp_path):
    """VDSR's calibration (zoo.models.vdsr.export): 96x96 bicubic-Y crops of every image at x2, x3
    and x4, all of them fed to the converter. The first file (by name) is dark, Y <= 25/255;
    the second, a smooth sinusoid, spans [0, 1]: the input scale must be about 1/255."""
    from zoo.export.family import family_tflite
    from zoo.image import write_image

    wave = 127.5 * (1 + np.sin(2 * np.pi * np.arange(120) / 40))  # smooth: little overshoot
    write_image(tmp_path / "a_dark.png",
                np.round(np.add.outer(wave, wave) / 510 * 25).astype(np.uint8))
    write_image(tmp_path / "b_bright.png", np.round(np.tile(wave, (120, 1))).astype(np.uint8))
    data = family_tflite("vdsr", model, "int8", tmp_path)
    assert input_quantization_scale(data) == pytest.approx(1 / 255, rel=0.02)


def test_sizes_shrink_with_quantization(model, calibration):
    sizes = {q: len(to_tflite(model, q, calibration)) for q in ("float32", "float16", "int8")}
    assert sizes["float16"] < 0.6 * sizes["float32"]
    assert sizes["int8"] < 0.4 * sizes["float32"]


def test_flex_ops_fail_loudly():
    """A model converted with Select TF ops (as `Model.export(format='litert')` does) is refused."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
    def needs_flex(x):
        return tf.math.cumprod(x, axis=1)  # no TFLite builtin: becomes FlexCumprod

    converter = tf.lite.TFLiteConverter.from_concrete_functions([needs_flex.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS,
                                           tf.lite.OpsSet.SELECT_TF_OPS]
    with pytest.raises(ExportError, match="Flex"):
        check_builtin_only(converter.convert())


def test_int8_needs_calibration(model):
    with pytest.raises(ExportError, match="calibration"):
        to_tflite(model, "int8")
    with pytest.raises(ExportError, match="unknown quantization"):
        to_tflite(model, "int4")


def test_model_needing_a_non_builtin_op_fails_at_conversion():
    import keras

    class CumProd(keras.layers.Layer):
        def call(self, x):
            return keras.ops.cumprod(x, axis=1)

    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, CumProd()(keras.layers.Conv2D(1, 3, padding="same")(inputs)))
    with pytest.raises(ExportError, match="conversion to builtin TFLite ops failed"):
        to_tflite(model, "float32")


def test_a_file_that_is_not_tflite_is_named_in_the_error(tmp_path):
    (tmp_path / "vdsr.tflite").write_bytes(b"\x89PNG not a flatbuffer")
    with pytest.raises(ExportError, match=r"vdsr\.tflite: not a valid \.tflite model"):
        LiteModel(tmp_path / "vdsr.tflite")
    with pytest.raises(ExportError, match="no such .tflite file"):
        LiteModel(tmp_path / "missing.tflite")


def test_calibration_needs_an_image_of_one_crop(tmp_path):
    from zoo.errors import ImageError
    from zoo.models.vdsr.export import calibration_crops
    from zoo.image import write_image

    write_image(tmp_path / "small.png", np.zeros((60, 95, 3), np.uint8))
    write_image(tmp_path / "dot.png", np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(ImageError, match="no calibration image is at least 96x96 pixels"):
        calibration_crops([tmp_path / "small.png", tmp_path / "dot.png"])


def test_calibration_folder_is_checked_and_refused_where_unused(tmp_path, capsys):
    from zoo.cli.main import main
    from zoo.image import write_image

    out = str(tmp_path / "x.tflite")
    assert main(["export", "vdsr", "--quantize", "int8", "--out", out,
                 "--calibration", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip().endswith("nowhere: no such folder")
    write_image(tmp_path / "photos" / "a.png", np.zeros((100, 100, 3), np.uint8))
    assert main(["export", "deepwarp", "--out", out, "--calibration",
                 str(tmp_path / "photos")]) == 2
    assert "--calibration: deepwarp takes no images" in capsys.readouterr().err
    assert not (tmp_path / "x.tflite").exists()


def test_a_fixed_shape_fixes_every_dimension_and_keeps_the_numbers(model, calibration, rng):
    from zoo.export.tflite import fixed_dims, parse_shape

    assert parse_shape("96x128") == (96, 128)
    assert fixed_dims((None, None, None, 3), (96, 128)) == [1, 96, 128, 3]
    assert fixed_dims((None, 1, 1, 1024), (96, 128)) == [1, 1, 1, 1024]  # a statistics input
    dynamic = to_tflite(model, "float32")
    fixed = to_tflite(model, "float32", shape=(40, 56))
    lite = LiteModel(fixed)
    assert lite.fixed and not LiteModel(dynamic).fixed
    assert [list(d["shape_signature"]) for d in lite.inputs] == [[1, 40, 56, 1]]
    assert "SHAPE" not in op_names(fixed)
    sample = rng.random((3, 40, 56, 1), dtype=np.float32)  # run one by one, batch 1 each
    report = validate(model, fixed, sample)
    assert report["max_abs"] < TOLERANCE["float32"], report
    fixed_int8 = to_tflite(model, "int8", calibration, shape=(40, 56))  # 48x48 data resized
    assert validate(model, fixed_int8, sample)["max_abs"] < TOLERANCE["int8"]


@pytest.mark.parametrize("text", ["384", "0x10", "10x", "axb", "99999x4"])
def test_a_bad_shape_is_one_line(text):
    from zoo.errors import ZooError
    from zoo.export.tflite import parse_shape

    with pytest.raises(ZooError, match="HEIGHTxWIDTH"):
        parse_shape(text)


def test_export_writes_the_metadata_json_beside_the_tflite(tmp_path):
    import hashlib
    import json

    from conftest import run_zoo

    out = tmp_path / "v.tflite"
    result = run_zoo("export", "vdsr", "--quantize", "float16", "--shape", "64x80",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    meta = json.loads((tmp_path / "v.json").read_text())
    data = out.read_bytes()
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["bytes"] == len(data)
    assert meta["fixed_shape"] == [64, 80] and meta["quantization"] == "float16"
    assert meta["inputs"][0]["shape_signature"] == [1, 64, 80, 1]
    assert meta["outputs"][0]["shape"] == [1, 64, 80, 1]
    assert meta["validation"]["psnr"] > 60
    assert meta["weights"] == "vdsr_port_pytorch_vdsr"
    bad = run_zoo("export", "vdsr", "--shape", "64", "--out", str(tmp_path / "w.tflite"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert not (tmp_path / "w.tflite").exists()


def test_also_output_gives_named_layers_after_the_models_own_in_order(tmp_path):
    """DeepWarp's flow and warp as extra outputs (the web app's feathered blend needs them):
    the file gives them after the image, in that order, equal to the Keras layers', and the
    metadata names each output's layer."""
    import json

    import keras

    from zoo.export.family import export_model, with_layer_outputs
    from zoo.models.deepwarp import build, landmark_model

    model = build()
    out = tmp_path / "dw.tflite"
    export_model("deepwarp", model, "float32", out, shape=(41, 51), also=("flow", "warp"))
    meta = json.loads((tmp_path / "dw.json").read_text())
    assert [o["layer"] for o in meta["outputs"]] == ["output", "flow", "warp"]
    assert [o["shape"][-1] for o in meta["outputs"]] == [3, 2, 3]
    rng = np.random.default_rng(3)
    inputs = [rng.random((1, 41, 51, 3), np.float32), rng.random((1, 7, 2), np.float32) * 40,
              np.full((1, 1), 10.0, np.float32)]
    expected = [keras.ops.convert_to_numpy(t) for t in
                landmark_model(with_layer_outputs(model, ("flow", "warp")))(inputs)]
    actual = LiteModel(out).all_outputs(*inputs)
    for e, a in zip(expected, actual, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-4)
    with pytest.raises(ExportError, match="not a layer"):
        with_layer_outputs(model, ("nope",))


def test_a_fixed_shape_sizes_each_noise_input_of_a_texture_network(tmp_path):
    """--shape 32x32 on a 3-scale Texture Network: noise_k is fixed at 32 / 2^k (the
    family's own input sizes), not every input at 32x48 (the concatenation failed before)."""
    import json

    import keras

    from zoo.export.family import export_model
    from zoo.models.texture_nets import TextureNetwork

    keras.utils.set_random_seed(0)
    generator = TextureNetwork(scales=3, mode="texture")
    out = tmp_path / "t.tflite"
    report = export_model("texture_nets", generator, "float32", out, shape=(32, 32))
    assert report["max_abs"] < 1e-4
    meta = json.loads((tmp_path / "t.json").read_text())
    assert [i["shape_signature"] for i in meta["inputs"]] == [
        [1, 32, 32, 3], [1, 16, 16, 3], [1, 8, 8, 3]]
    assert meta["outputs"][0]["shape"] == [1, 32, 32, 3]
