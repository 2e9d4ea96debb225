"""Spatial Transformer Networks (zoo.models.stn) and the recipe zoo.training.stn."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import data_dir


@pytest.fixture(scope="module")
def mnist():
    from zoo.training import mnist_distort

    return mnist_distort.load_mnist_idx(data_dir("mnist"))


@pytest.mark.parametrize("size", [28, 42])
def test_transformer_is_the_identity_at_initialisation(rng, size):
    """The fresh ST passes the image through exactly, so ST-CNN = CNN with the same classifier."""
    from zoo.models.stn import CNN, STN, copy_classifier, transformer

    stn = STN(input_size=size)
    cnn = CNN(input_size=size)
    copy_classifier(stn, cnn)
    images = rng.random((4, size, size, 1), dtype=np.float32)
    np.testing.assert_array_equal(np.asarray(transformer(stn)(images)), images)
    np.testing.assert_allclose(np.asarray(stn(images)), np.asarray(cnn(images)), rtol=0, atol=1e-6)
    bias = stn.get_layer("loc_theta").get_weights()[1]
    np.testing.assert_array_equal(bias, [1, 0, 0, 0, 1, 0])


def test_build_and_parameter_counts():
    from zoo.models.stn import build, parameter_counts

    assert build(kind="cnn", input_size=42).output_shape == (None, 10)
    sampler = build(kind="stn", input_size=42).get_layer("st_sampler")
    assert sampler.output.shape == (None, 42, 42, 1)
    with pytest.raises(ValueError):
        build(kind="mlp")
    counts = parameter_counts(28)
    assert counts == {"stn": 97826, "localisation": 11896, "classifier": 85930, "cnn": 85930}
    assert parameter_counts(42)["stn"] == 105626


def test_a_few_steps_on_distorted_digits_lower_the_loss(mnist):
    """Gradients reach the localisation net through the sampler, and the loss falls."""
    import keras

    from zoo.training import mnist_distort, stn

    keras.utils.set_random_seed(0)
    images, labels = mnist
    x = mnist_distort.distort(images[:64], "R", np.random.default_rng(0))[..., None]
    y = labels[:64].astype(np.int32)
    config = stn.Config(kind="R", model="stn")
    model = stn.compile(stn.build(config), config)
    before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    for _ in range(10):
        model.train_on_batch(x, y)
    after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert after < 0.8 * before, (before, after)
    theta = model.get_layer("loc_theta").get_weights()
    assert np.abs(theta[0]).max() > 0 and not np.allclose(theta[1], [1, 0, 0, 0, 1, 0])


def test_localisation_learning_rate_scale(rng):
    """``loc_lr_scale=0`` freezes the loc_* layers and only them."""
    from zoo.training import stn

    config = stn.Config(kind="R", model="stn", loc_lr_scale=0.0)
    model = stn.compile(stn.build(config), config)
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    x = rng.random((8, 28, 28, 1), dtype=np.float32)
    model.train_on_batch(x, np.arange(8) % 10)
    for v in model.trainable_variables:
        moved = not np.array_equal(before[v.path], v.numpy())
        assert moved != v.path.startswith("loc_"), v.path


def test_recipe_trains_through_the_trainer(mnist, tmp_path, monkeypatch):
    from zoo.training import mnist_distort, stn
    from zoo.training.trainer import RunConfig

    recipe = stn.Config(kind="R", model="stn", epochs=1)
    images, labels = mnist
    split = mnist_distort.make_split(images[:600], labels[:600], "R", train_count=500)  # fast
    monkeypatch.setattr(stn, "load_split", lambda config: split)
    run = RunConfig(out_dir=tmp_path, epochs=1, steps_per_epoch=3, verbose=0, tensorboard=False)
    model, history = stn.train(recipe, run)
    assert (tmp_path / "final.weights.h5").is_file() and (tmp_path / "metrics.csv").is_file()
    assert len(history.history["loss"]) == 1
    error = stn.evaluate(model, split)
    assert 0.0 <= error <= 100.0
    from zoo.models.stn import build

    again = build(**stn.model_config(recipe))
    again.load_weights(str(tmp_path / "final.weights.h5"))
    assert stn.evaluate(again, split) == error


def test_stn_classifier_exports_to_builtin_tflite(rng):
    """The ST-CNN (with a non-identity transform) converts to builtin ops and matches Keras."""
    pytest.importorskip("tensorflow")
    from zoo.export import op_names, to_tflite, validate
    from zoo.models.stn import STN

    model = STN(input_size=28)
    kernel, _ = model.get_layer("loc_theta").get_weights()
    angle = 0.3  # rotate and shift, so the sampler interpolates between pixels
    model.get_layer("loc_theta").set_weights([
        rng.normal(0, 0.01, kernel.shape).astype(np.float32),
        np.array([np.cos(angle), -np.sin(angle), 0.1, np.sin(angle), np.cos(angle), -0.05],
                 np.float32)])
    data = to_tflite(model)  # raises on any Flex or custom op
    assert "GATHER" in set(op_names(data)) and "CONV_2D" in set(op_names(data))
    report = validate(model, data, rng.random((3, 28, 28, 1), dtype=np.float32))
    assert report["max_abs"] < 1e-4, report


def test_shipped_rts_weights_load_in_one_line_and_keep_their_error(mnist):
    """`zoo.load("stn")` gives the preset of the model card, with the card's 2.55% RTS error."""
    import zoo
    from zoo.training import stn

    model = zoo.load("stn")
    split = stn.load_split(stn.Config(kind="RTS"))
    assert model.input_shape[1:3] == (42, 42)
    assert stn.evaluate(model, split) == pytest.approx(2.55, abs=0.051)


def test_zoo_train_stn_command(mnist, tmp_path):
    """`zoo train stn` runs the recipe through the trainer and prints the test error."""
    from conftest import run_zoo

    out = tmp_path / "run"
    result = run_zoo("train", "stn", "--out", str(out), "--epochs", "1", "--batch-size", "2000",
                     "--distortion", "R", "--data", str(data_dir("mnist")), timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    error = float(re.search(r"test error \(R, last 2,000 t10k digits\): ([0-9.]+)%",
                            result.stdout).group(1))
    assert 0 < error < 100 and (out / "final.weights.h5").is_file()
    assert (out / "metrics.csv").is_file() and (out / "config.json").is_file()


def test_a_batch_larger_than_the_training_digits_is_named(tmp_path):
    from zoo.errors import ZooError
    from zoo.training.stn import Config, train

    with pytest.raises(ZooError, match="a batch of 9000 is larger than the 8,000 training "
                                       "digits"):
        train(Config(batch_size=9000), tmp_path)
