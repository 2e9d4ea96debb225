"""The weights registry: presets, cache, checksums, offline errors, `zoo list`."""

import numpy as np
import pytest

import zoo
from zoo.errors import WeightsError
from zoo.models.vdsr import PRESETS, VDSR
from zoo.models.vdsr.presets import DEFAULT
from zoo.weights import registry, sha256sum

from conftest import run_zoo


@pytest.fixture
def small_weights(tmp_path):
    model = VDSR(depth=3, filters=4)
    path = tmp_path / "small.weights.h5"
    model.save_weights(path)
    return model, path


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def add_preset(monkeypatch, name, **spec):
    spec = {"description": "test preset", "config": {"depth": 3, "filters": 4}, **spec}
    monkeypatch.setitem(PRESETS, name, spec)


def output(model, rng_seed=0):
    x = np.random.default_rng(rng_seed).random((1, 12, 12, 1)).astype("float32")
    return np.asarray(model(x))


def test_fresh_model_and_weights_file(small_weights):
    model, path = small_weights
    loaded = zoo.load("vdsr", weights=path, depth=3, filters=4)
    np.testing.assert_array_equal(output(loaded), output(model))
    fresh = zoo.load("vdsr", weights=None, depth=3, filters=4)
    assert not np.allclose(output(fresh), output(model))


def test_bad_weights_paths(tmp_path, small_weights):
    with pytest.raises(WeightsError, match="no such weights file"):
        zoo.load("vdsr", weights=tmp_path / "missing.weights.h5")
    # a preset-like name, not a file: the hint names the family's default preset
    with pytest.raises(WeightsError, match=r"vdsr_x4: no such weights file \(a preset loads by "
                                           rf"name: zoo.load\('{DEFAULT}'\)"):
        zoo.load("vdsr", weights="vdsr_x4")
    other = tmp_path / "x.h5"
    other.write_bytes(b"x")
    with pytest.raises(WeightsError, match="weights.h5"):
        zoo.load("vdsr", weights=other)
    _, path = small_weights
    with pytest.raises(WeightsError, match="does not fit"):
        zoo.load("vdsr", weights=path)  # a 3-layer file into the 20-layer model


def test_run_folder_gives_the_architecture(tmp_path, small_weights):
    """A file beside a `zoo train` run's config.json loads with that run's builder arguments;
    another family's config, or none (a copied file), leaves the defaults."""
    import json
    import shutil

    model, path = small_weights
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(path, run / "final.weights.h5")
    config = {"model": "vdsr", "model_config": {"depth": 3, "filters": 4}, "epochs": 2}
    (run / "config.json").write_text(json.dumps(config))
    assert registry.run_model_config("vdsr", run / "final.weights.h5") == {"depth": 3, "filters": 4}
    np.testing.assert_array_equal(output(zoo.load("vdsr", weights=run / "final.weights.h5")),
                                  output(model))
    (run / "config.json").write_text(json.dumps({**config, "model": "stn"}))
    assert registry.run_model_config("vdsr", run / "final.weights.h5") == {}
    with pytest.raises(WeightsError, match="does not fit"):
        zoo.load("vdsr", weights=run / "final.weights.h5")
    for text in ("{not json", "[1, 2]", '{"model": "vdsr", "model_config": 3}'):
        (run / "config.json").write_text(text)
        assert registry.run_model_config("vdsr", run / "final.weights.h5") == {}
    (run / "config.json").write_text(json.dumps({**config, "model_config": {"layers": 3}}))
    with pytest.raises(WeightsError, match="config.json beside it records"):
        zoo.load("vdsr", weights=run / "final.weights.h5")


def test_unknown_model():
    with pytest.raises(WeightsError, match="unknown model or preset 'nope'"):
        zoo.load("nope")


def test_preset_downloaded_into_cache_and_verified(monkeypatch, keras_home, small_weights):
    model, path = small_weights
    add_preset(monkeypatch, "vdsr_test", file="vdsr_test.weights.h5", url=path.as_uri(),
               sha256=sha256sum(path))
    loaded = zoo.load("vdsr_test")
    np.testing.assert_array_equal(output(loaded), output(model))
    cached = keras_home / "models" / "zoo" / "vdsr_test.weights.h5"
    assert cached.is_file()
    path.unlink()  # the second load needs no network
    np.testing.assert_array_equal(output(zoo.load("vdsr_test")), output(model))


def test_checksum_mismatch_is_refused(monkeypatch, keras_home, small_weights):
    _, path = small_weights
    add_preset(monkeypatch, "vdsr_bad", file="vdsr_bad.weights.h5", url=path.as_uri(),
               sha256="0" * 64)
    with pytest.raises(WeightsError, match="does not match preset 'vdsr_bad'.*refusing"):
        zoo.load("vdsr_bad")
    assert not (keras_home / "models" / "zoo" / "vdsr_bad.weights.h5").exists()


def test_offline_error_names_the_file_and_where_to_put_it(monkeypatch, keras_home):
    add_preset(monkeypatch, "vdsr_far", file="vdsr_far.weights.h5",
               url="http://127.0.0.1:9/vdsr_far.weights.h5", sha256="1" * 64)
    with pytest.raises(WeightsError) as info:
        zoo.load("vdsr_far")
    message = str(info.value)
    assert "vdsr_far.weights.h5" in message
    assert str(keras_home / "models" / "zoo" / "vdsr_far.weights.h5") in message


def test_every_shipped_preset_verifies():
    for name, preset in registry.available_presets().items():
        path = registry.resolve_weights(preset)  # raises on a checksum mismatch
        assert path.is_file(), name


def test_zoo_list_prints_every_model():
    result = run_zoo("list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("vdsr: VDSR: Kim, Lee and Lee")
    for name in registry.available_presets():
        assert name in result.stdout
