"""Whole-model saving, mixed precision, layer argument forms and zoo.load's one-line errors."""

from __future__ import annotations

import json
import warnings

import keras
import numpy as np
import pytest
from conftest import run_python

import zoo
from zoo.errors import ModelArgumentError, WeightsError, ZooError
from zoo.layers import InstanceNormalization, LanczosDownsampler, ReflectionPadding2D
from zoo.layers.padding import ReplicationPadding2D
from zoo.layers.statistics import content_loss, gram_matrix, mean_std


def _saved_models(rng):
    """(name, model, inputs) for every family with a custom layer, small where it can be."""
    from zoo.models.deepwarp.deepwarp import landmark_model
    from zoo.models.perceptual.random_features import RandomMultiscale
    from zoo.models.texture_nets import make_noise

    deepwarp = zoo.load("deepwarp")
    features = RandomMultiscale(filters=4, scales=(3, 5))
    return [
        ("vdsr", zoo.load("vdsr", weights=None, depth=3, filters=4),
         [rng.random((1, 9, 7, 1))]),
        ("dip", zoo.load("dip", weights=None), [rng.random((1, 64, 64, 32))]),
        ("stn", zoo.load("stn"), [rng.random((2, 42, 42, 1))]),
        ("deepwarp", deepwarp, [rng.random((1, 41, 51, 3)), rng.random((1, 41, 51, 14)),
                                rng.random((1, 1))]),
        ("deepwarp_landmarks", landmark_model(deepwarp),
         [rng.random((1, 41, 51, 3)), rng.random((1, 7, 2)) * 40, rng.random((1, 1))]),
        ("texture_nets", zoo.load("texture_nets"), make_noise(32, seed=3)),
        ("random_features", keras.Model(features.inputs, features.outputs[0]),
         [rng.random((1, 12, 10, 3))]),
    ]


def test_a_saved_model_loads_in_a_fresh_process_after_import_zoo(tmp_path, rng):
    """``model.save("m.keras")``, then in a new process ``import zoo; zoo.load_model``: same output.

    Keras finds custom layers only once their module is imported, and ``import zoo``
    imports no Keras; ``zoo.load_model`` (or ``zoo.register_custom_objects``) does it.
    """
    cases = []
    for name, model, inputs in _saved_models(rng):
        inputs = [np.asarray(x, "float32") for x in inputs]
        model.save(tmp_path / f"{name}.keras")
        np.savez(tmp_path / f"{name}.npz", *inputs, expected=np.asarray(model(inputs)))
        cases.append(name)
    code = f"""
import json, numpy as np, zoo
from pathlib import Path
folder, diffs = Path({str(tmp_path)!r}), {{}}
for name in {cases!r}:
    data = np.load(folder / f"{{name}}.npz")
    inputs = [data[f"arr_{{i}}"] for i in range(len(data.files) - 1)]
    if name == "vdsr":  # Keras' own function, after registering
        import keras
        zoo.register_custom_objects()
        model = keras.models.load_model(folder / "vdsr.keras")
    else:
        model = zoo.load_model(folder / f"{{name}}.keras")
    diffs[name] = float(np.abs(np.asarray(model(inputs)) - data["expected"]).max())
print(json.dumps(diffs))
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-2000:]
    diffs = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(diffs) == set(cases)
    assert max(diffs.values()) < 1e-5, diffs


def test_load_model_refuses_bad_paths_in_one_line(tmp_path):
    with pytest.raises(ZooError, match="no such model file"):
        zoo.load_model(tmp_path / "missing.keras")
    weights = tmp_path / "a.weights.h5"
    weights.write_bytes(b"x")
    with pytest.raises(ZooError, match=r"expected a '\.keras' file .*zoo\.load"):
        zoo.load_model(weights)
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ZooError, match="cannot load"):
        zoo.load_model(broken)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_instance_norm_statistics_are_float32_under_mixed_precision(rng):
    """In float16 the sum of squares of a 64x64 map near 100 overflows (65504 is the largest)."""
    x = (rng.normal(size=(2, 64, 64, 3)) * 100 + 50).astype("float32")
    half = np.asarray(InstanceNormalization(dtype="mixed_float16")(x)).astype("float64")
    mean = x.mean(axis=(1, 2), keepdims=True)
    reference = (x - mean) / np.sqrt(x.var(axis=(1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(half, reference, atol=5e-3)  # float16 output, ~3 digits


def test_gram_and_losses_are_float32_for_float16_features(rng):
    """Raw Gram sums of 64x64 maps near 30 reach 1e6: computed in float32, not as inf."""
    x = (rng.random((1, 64, 64, 4)) * 30).astype("float32")
    half = keras.ops.cast(x, "float16")
    flat = x.reshape(1, -1, 4).astype("float64")
    gram = np.asarray(gram_matrix(half))
    assert gram.dtype == np.float32
    np.testing.assert_allclose(gram, flat.transpose(0, 2, 1) @ flat, rtol=2e-3)
    assert np.isfinite(np.asarray(content_loss(half, np.zeros_like(x)))).all()
    mean, std = mean_std(half)
    assert keras.backend.standardize_dtype(mean.dtype) == "float16"
    np.testing.assert_allclose(np.asarray(std, "float64")[0, 0, 0], x.std(axis=(1, 2))[0],
                               rtol=2e-3)


def test_phone_and_texture_models_run_close_to_float32_under_mixed_precision(
        rng, mixed_precision):
    """DeepWarp's landmark model (AnchorMaps mixed float32 and float16 constants) and the
    gravel texture network (instance norm) under ``mixed_float16``: close to float32."""
    from zoo.models.deepwarp.deepwarp import landmark_model
    from zoo.models.texture_nets import make_noise

    inputs = [rng.random((1, 41, 51, 3)).astype("float32"),
              (rng.random((1, 7, 2)) * [51, 41]).astype("float32"),
              np.full((1, 1), 0.5, "float32")]
    noise = make_noise(32, seed=1)
    half = [np.asarray(landmark_model(zoo.load("deepwarp"))(inputs), "float64"),
            np.asarray(zoo.load("texture_nets")(noise), "float64")]
    keras.mixed_precision.set_global_policy("float32")
    full = [np.asarray(landmark_model(zoo.load("deepwarp"))(inputs)),
            np.asarray(zoo.load("texture_nets")(noise))]
    assert np.abs(half[0] - full[0]).max() < 0.01  # images in [0, 1]
    assert np.abs(half[1] - full[1]).max() < 0.05  # it was 0.36 with float16 statistics


def test_padding_takes_keras_forms_and_refuses_negative(rng):
    x = rng.random((1, 5, 6, 2)).astype("float32")
    np.testing.assert_array_equal(np.asarray(ReflectionPadding2D((1, 2))(x))[0],
                                  np.pad(x[0], ((1, 1), (2, 2), (0, 0)), mode="reflect"))
    np.testing.assert_array_equal(np.asarray(ReplicationPadding2D(((0, 2), (3, 1)))(x))[0],
                                  np.pad(x[0], ((0, 2), (3, 1), (0, 0)), mode="edge"))
    for bad in (-1, (1, -2), "1", (1, 2, 3)):
        with pytest.raises(ValueError, match="padding"):
            ReflectionPadding2D(bad)
    layer = ReflectionPadding2D((1, 2))
    assert ReflectionPadding2D.from_config(layer.get_config()).padding == ((1, 1), (2, 2))


def test_circular_padding_wraps_like_numpy_and_refuses_what_it_cannot(rng):
    from zoo.models.texture_nets.generator import CircularPadding2D

    x = rng.random((1, 4, 5, 2)).astype("float32")
    for p in (0, 1, 3):
        np.testing.assert_array_equal(np.asarray(CircularPadding2D(p)(x))[0],
                                      np.pad(x[0], ((p, p), (p, p), (0, 0)), mode="wrap"))
    with pytest.raises(ValueError, match="at least 5x5"):
        CircularPadding2D(5)(x)
    with pytest.raises(ValueError, match="negative"):
        CircularPadding2D(-1)


def test_flow_warp_refuses_an_unknown_border_when_built():
    from zoo.models.deepwarp.deepwarp import FlowWarp

    with pytest.raises(ValueError, match="border must be one of"):
        FlowWarp("bogus")


def test_lanczos_downsampler_builds_without_warnings(rng):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LanczosDownsampler(2)(rng.random((1, 8, 8, 3)).astype("float32"))


def test_zoo_load_names_each_problem_in_one_line(tmp_path):
    from zoo.weights.registry import available_presets, resolve_weights

    shipped = resolve_weights(available_presets()["vdsr_291_h200"])
    cut = tmp_path / "cut.weights.h5"
    cut.write_bytes(shipped.read_bytes()[:4000])
    with pytest.raises(WeightsError, match="not a readable weights file, damaged or cut short"):
        zoo.load("vdsr", weights=cut)
    with pytest.raises(WeightsError, match="does not fit deepwarp: its layers or shapes differ"):
        zoo.load("deepwarp", weights=shipped)
    for bad in ("", 123):
        with pytest.raises(WeightsError, match="weights must be 'default', None, a preset"):
            zoo.load("vdsr", weights=bad)
    with pytest.raises(ModelArgumentError, match="vdsr: .*'dept'"):
        zoo.load("vdsr", weights=None, dept=3)


def test_zoo_load_takes_a_presets_name_as_weights(rng):
    """As ``--weights`` of the command line: ``weights=NAME`` is that preset; the default
    preset's name gives what ``zoo.load("vdsr")`` gives, another preset's something else."""
    from zoo.models.vdsr.presets import DEFAULT, PRESETS

    x = rng.random((1, 12, 12, 1)).astype("float32")
    default = np.asarray(zoo.load("vdsr")(x))
    np.testing.assert_array_equal(np.asarray(zoo.load("vdsr", weights=DEFAULT)(x)), default)
    for other in set(PRESETS) - {DEFAULT}:
        by_name = np.asarray(zoo.load("vdsr", weights=other)(x))
        np.testing.assert_array_equal(by_name, np.asarray(zoo.load(other)(x)))
        assert not np.array_equal(by_name, default)
