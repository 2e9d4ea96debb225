"""DeepWarp (zoo.models.deepwarp) and its recipe (training/deepwarp.py)."""

import numpy as np
import pytest

from zoo.training import eyes

H, W = eyes.PATCH_SIZE


def random_inputs(rng, batch=2, angle_dims=2):
    return {"image": rng.random((batch, H, W, 3), dtype=np.float32),
            "anchors": rng.uniform(-1, 1, (batch, H, W, 14)).astype(np.float32),
            "angle": rng.uniform(-15, 15, (batch, angle_dims)).astype(np.float32)}


def perturb(model, rng, scale=0.3):
    """Give the zero-initialised heads random weights, so the model really warps and mixes."""
    for layer in model.layers:
        if layer.name.endswith("_flow") and hasattr(layer, "kernel"):
            layer.kernel.assign(rng.normal(0, scale, layer.kernel.shape).astype("float32"))
            layer.bias.assign(rng.normal(0, 0.3, layer.bias.shape).astype("float32"))
        if layer.name == "lightness":
            layer.strength.assign(0.5)


@pytest.mark.parametrize("coarse_to_fine", [True, False])
@pytest.mark.parametrize("lightness", [True, False])
def test_identity_at_initialisation(rng, coarse_to_fine, lightness):
    from zoo.models.deepwarp import DeepWarp, flow_model

    model = DeepWarp(coarse_to_fine=coarse_to_fine, lightness=lightness)
    x = random_inputs(rng)
    out, flow = flow_model(model)(x)
    assert out.shape == (2, H, W, 3) and flow.shape == (2, H, W, 2)
    np.testing.assert_allclose(np.asarray(out), x["image"], atol=1e-6)
    assert np.abs(np.asarray(flow)).max() == 0.0
    assert model.get_layer("image").batch_shape == (None, 41, 51, 3)  # the paper's patch


def constant_flow_bias(model, layer, flow, scale):
    model.get_layer(layer).bias.assign(np.arctanh(np.asarray(flow, np.float32) / scale))


@pytest.mark.parametrize("coarse_to_fine", [True, False])
def test_constant_flow_is_applied_with_bilinear_sampling(rng, coarse_to_fine):
    """A constant flow set through the head's bias equals bilinear_sample of a shifted grid."""
    from zoo.layers.sampling import bilinear_sample, identity_grid
    from zoo.models.deepwarp import DeepWarp, flow_model
    from zoo.models.deepwarp.deepwarp import MAX_FLOW, MAX_RESIDUAL

    model = DeepWarp(coarse_to_fine=coarse_to_fine, lightness=False)
    if coarse_to_fine:  # coarse + residual; a constant coarse flow stays constant when upsampled
        constant_flow_bias(model, "coarse_flow", (1.25, -0.5), MAX_FLOW)
        constant_flow_bias(model, "fine_flow", (0.25, -0.2), MAX_RESIDUAL)
    else:
        constant_flow_bias(model, "fine_flow", (1.5, -0.7), MAX_FLOW)
    x = random_inputs(rng)
    out, flow = (np.asarray(t) for t in flow_model(model)(x))
    np.testing.assert_allclose(flow, np.broadcast_to([1.5, -0.7], flow.shape), atol=1e-5)
    grid = identity_grid(H, W, "pixels") + np.array([1.5, -0.7], np.float32)
    expected = np.asarray(bilinear_sample(x["image"], grid, "pixels", border="clamp"))
    np.testing.assert_allclose(out, expected, atol=1e-5)
    # and it is a real shift: an interior pixel reads between its neighbours
    assert np.abs(out - x["image"]).max() > 0.05


def test_embedding_at_input_joins_the_angle_to_each_module_input_only(rng):
    """``embedding_at="input"`` (B's choice): one join per warping module instead of four,
    and the angle still steers the flow."""
    from zoo.models.deepwarp import DeepWarp, flow_model

    def joins(model):  # the layers that take a tiled angle embedding as an input
        return sorted(layer.name for layer in model.layers
                      for node in layer._inbound_nodes[:1]
                      if any(t._keras_history.operation.name.endswith("_angle_tile")
                             for t in node.input_tensors))

    every, first = DeepWarp(angle_dims=1), DeepWarp(angle_dims=1, embedding_at="input")
    assert joins(every) == sorted(f"{m}{i}_in" for m in ("coarse", "fine") for i in range(1, 5))
    assert joins(first) == ["coarse1_in", "fine1_in"]
    assert first.count_params() < every.count_params()
    perturb(first, rng)
    x = random_inputs(rng, batch=1, angle_dims=1)
    flows = [np.asarray(flow_model(first)({**x, "angle": np.full((1, 1), a, np.float32)})[1])
             for a in (-15.0, 15.0)]
    assert np.abs(flows[0] - flows[1]).max() > 1e-3
    with pytest.raises(ValueError, match="embedding_at"):
        DeepWarp(embedding_at="everywhere")


def test_lightness_correction_mixes_with_the_palette(rng):
    from zoo.models.deepwarp import DeepWarp

    model = DeepWarp(lightness=True)
    lcm = model.get_layer("lightness")
    lcm.strength.assign(1.0)
    logits = model.get_layer("lcm_logits")
    logits.kernel.assign(np.zeros(logits.kernel.shape))
    logits.bias.assign([-30.0, 30.0])  # all weight on the palette
    out = np.asarray(model(random_inputs(rng)))
    colour = np.asarray(lcm.colours())[0]
    np.testing.assert_allclose(out, np.broadcast_to(colour, out.shape), atol=1e-5)
    assert colour.min() > 0.9  # starts bright (the eyeball's white)


def test_lightness_strength_stays_a_convex_mix():
    """An optimizer step that pushes the gate below 0 (darkening) is clipped back to [0, 1]."""
    import keras

    from zoo.models.deepwarp import DeepWarp

    lcm = DeepWarp(lightness=True).get_layer("lightness")
    optimizer = keras.optimizers.SGD(1.0)
    optimizer.apply([np.float32(0.5)], [lcm.strength])  # gradient +0.5: strength 0 -> -0.5
    assert float(lcm.strength.numpy()) == 0.0
    optimizer.apply([np.float32(-3.0)], [lcm.strength])  # 0 -> 3
    assert float(lcm.strength.numpy()) == 1.0


def test_recipe_training_beats_the_no_warp_baseline(tmp_path):
    """40 Adam steps on 64 rendered pairs: held-out MSE drops well below output = input."""
    from zoo.training.deepwarp import Config, evaluate, render_pairs, train

    recipe = Config(bank_pairs=64, processes=1, batch_size=16, epochs=2, steps_per_epoch=20)
    run = {"out_dir": tmp_path, "checkpoint_every": 20, "verbose": 0, "tensorboard": False}
    model, history = train(recipe, run)
    assert (tmp_path / "final.weights.h5").is_file() and (tmp_path / "bank.npz").is_file()
    loss = history.history["loss"]
    assert loss[-1] < loss[0]
    held_out = render_pairs(24, seed=12345)
    result = evaluate(model, pairs=held_out)
    print(result)
    assert result["n_pairs"] == 24
    assert result["model"] < 0.8 * result["no_warp"], result


def test_run_folder_bank_and_model_checks(tmp_path, capsys):
    """A damaged bank.npz is rendered again (the same pairs: they are seeded); a run folder
    of another model is refused before any rendering, and its bank is left as it was."""
    import dataclasses

    from zoo.errors import ZooError
    from zoo.training.deepwarp import Config, load_bank, train

    recipe = Config(bank_pairs=32, processes=1, batch_size=8, epochs=1, steps_per_epoch=2)
    run = {"out_dir": tmp_path, "checkpoint_every": 2, "verbose": 0, "tensorboard": False}
    train(recipe, run)
    bank = tmp_path / "bank.npz"
    first = load_bank(recipe, tmp_path)
    bank.write_bytes(bank.read_bytes()[:1000])
    capsys.readouterr()
    again = load_bank(recipe, tmp_path)
    assert "bank.npz is unreadable" in capsys.readouterr().out
    np.testing.assert_array_equal(again["input"], first["input"])
    before = bank.read_bytes()
    other = dataclasses.replace(recipe, lightness=False, bank_pairs=64)
    with pytest.raises(ZooError, match="holds a run of deepwarp"):
        train(other, run)
    assert bank.read_bytes() == before and "rendering" not in capsys.readouterr().out


def _convert(model, quantize=False):
    import tensorflow as tf

    from zoo.export.tflite import check_builtin_only

    specs = [tf.TensorSpec([None, *t.shape[1:]], tf.float32, name=n)
             for n, t in zip(("image", "anchors", "angle"), model.inputs)]

    @tf.function(input_signature=specs, autograph=False)
    def serve(image, anchors, angle):
        return model([image, anchors, angle], training=False)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    data = converter.convert()
    check_builtin_only(data)
    return data


def _run_lite(data, inputs):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data)
    index = {d["name"]: d["index"] for d in interpreter.get_input_details()}
    feeds = {next(i for n, i in index.items() if key in n): value for key, value in inputs.items()}
    for i, value in feeds.items():
        interpreter.resize_tensor_input(i, value.shape)
    interpreter.allocate_tensors()
    for i, value in feeds.items():
        interpreter.set_tensor(i, value)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_tflite_builtin_conversion_matches_keras(rng):
    """Three inputs, builtin ops only; float32 matches Keras, dynamic-range int8 approximately."""
    from zoo.export import op_names
    from zoo.models.deepwarp import DeepWarp

    model = DeepWarp(angle_dims=1)
    perturb(model, rng)
    x = random_inputs(rng, batch=3, angle_dims=1)
    expected = np.asarray(model(x, training=False))
    assert np.abs(expected - x["image"]).max() > 0.05  # the perturbed model warps

    data = _convert(model)
    assert {"GATHER", "CONV_2D", "SOFTMAX"} <= set(op_names(data))
    np.testing.assert_allclose(_run_lite(data, x), expected, atol=1e-4)

    int8 = _convert(model, quantize=True)
    assert len(int8) < 0.6 * len(data)
    error = np.abs(_run_lite(int8, x) - expected)
    assert error.mean() < 0.02 and error.max() < 0.5, (error.mean(), error.max())


def test_zoo_train_deepwarp_command(tmp_path):
    """`zoo train deepwarp` trains on rendered pairs and prints the held-out MSE beside no-warp."""
    import re

    from conftest import run_zoo

    out = tmp_path / "run"
    result = run_zoo("train", "deepwarp", "--out", str(out), "--epochs", "1",
                     "--steps-per-epoch", "3", "--batch-size", "4", "--bank-pairs", "16",
                     "--processes", "1", "--eval-pairs", "8", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    scores = re.search(r"held-out MSE on 8 pairs: model ([0-9.e+-]+), no warp ([0-9.e+-]+)",
                       result.stdout)
    assert scores and float(scores.group(2)) > 0
    assert (out / "final.weights.h5").is_file() and (out / "bank.npz").is_file()
