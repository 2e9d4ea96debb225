"""Texture Networks generator to .tflite: equal to Keras at any size, builtin ops, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_zoo

pytest.importorskip("ai_edge_litert")


def test_float32_export_matches_keras_at_two_sizes(tmp_path):
    import keras

    from zoo.export import LiteModel, op_names
    from zoo.export.family import export_model
    from zoo.models.texture_nets.export import sample_inputs
    from zoo.models.texture_nets import TextureNetwork

    keras.utils.set_random_seed(0)
    generator = TextureNetwork(scales=3, mode="texture")
    out = tmp_path / "texture.tflite"
    report = export_model("texture_nets", generator, "float32", out, size=32)
    assert out.stat().st_size == report["bytes"] > 0
    assert report["max_abs"] < 1e-4
    ops = set(op_names(out.read_bytes()))
    assert not {op for op in ops if op.startswith("Flex") or op in ("CUSTOM", "DELEGATE")}
    lite = LiteModel(out)
    assert lite.input_names == ["noise_0", "noise_1", "noise_2"]
    for size in (40, (24, 56)):  # neither is the export size: the .tflite is dynamic
        inputs = sample_inputs(generator, size, 1, seed=11) if np.isscalar(size) else \
            [np.random.default_rng(3).uniform(0, 1, (1, size[0] >> k, size[1] >> k, 3))
             .astype("float32") for k in range(3)]
        expected = np.asarray(generator(inputs, training=False))
        actual = lite(*inputs)
        assert actual.shape == expected.shape
        np.testing.assert_allclose(actual, expected, atol=1e-4)


def test_cli_export_texture_nets(tmp_path):
    from zoo.models.texture_nets import build

    weights = tmp_path / "generator.weights.h5"
    build().save_weights(str(weights))  # the registry's defaults: what `zoo.load` rebuilds
    out = tmp_path / "texture.tflite"
    result = run_zoo("export", "texture_nets", "--weights", str(weights), "--out", str(out),
                     "--size", "32", timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.is_file() and out.stat().st_size > 0
    assert "wrote" in result.stdout and "PSNR" in result.stdout
