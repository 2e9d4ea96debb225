"""``zoo stylize``: the command gives the same pixels as the Python API, and refuses bad
input in one line before loading a model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from conftest import run_zoo


def _photo(path, h, w, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([np.sin(6 * x + seed), np.cos(5 * y), x * y], -1) * 0.4 + 0.5
    image = np.clip(base + 0.05 * rng.standard_normal((h, w, 3)), 0, 1)
    Image.fromarray((image * 255).round().astype(np.uint8)).save(path)
    return np.asarray(Image.open(path), np.float32) / 255.0


def _run_dir(tmp_path, name, family, model_config, model):
    run = tmp_path / name
    run.mkdir()
    model.save_weights(run / "final.weights.h5")
    (run / "config.json").write_text(json.dumps({"model": family, "model_config": model_config}))
    return run / "final.weights.h5"


@pytest.fixture(scope="module")
def adain_run(tmp_path_factory):
    from zoo.models.adain.network import build

    config = {"backbone": "random", "decoder": "light", "seed": 0}
    model = build(**config)
    return model, _run_dir(tmp_path_factory.mktemp("adain"), "run", "adain", config, model)


def test_adain_command_matches_the_python_api(tmp_path, adain_run):
    from zoo.models.adain.inference import stylize

    model, weights = adain_run
    content = _photo(tmp_path / "c.png", 40, 56, 0)
    a, b = _photo(tmp_path / "a.png", 48, 48, 1), _photo(tmp_path / "b.png", 32, 64, 2)
    out = tmp_path / "out.png"
    result = run_zoo("stylize", str(tmp_path / "c.png"), str(out), "--style", str(tmp_path / "a.png"),
                     "--style", str(tmp_path / "b.png"), "--style-weights", "3,1", "--alpha", "0.6",
                     "--weights", str(weights))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wrote" in result.stdout and "56x40" in result.stdout
    got = np.asarray(Image.open(out), np.float32) / 255.0
    want = stylize(model, content, [a, b], weights=[0.75, 0.25], alpha=0.6)
    # 8-bit output: within one grey level of the API (and the result is not the content)
    assert np.abs(got - want).max() <= 1.01 / 255, np.abs(got - want).max()
    assert np.abs(got - content).mean() > 0.02


def test_adain_mask_gives_each_half_its_style(tmp_path, adain_run):
    from zoo.models.adain.inference import stylize

    model, weights = adain_run
    content = _photo(tmp_path / "c.png", 32, 64, 0)
    a, b = _photo(tmp_path / "a.png", 48, 48, 1), _photo(tmp_path / "b.png", 48, 48, 2)
    mask = np.zeros((32, 64), np.uint8)
    mask[:, 32:] = 200
    Image.fromarray(mask).save(tmp_path / "m.png")
    out = tmp_path / "out.png"
    result = run_zoo("stylize", str(tmp_path / "c.png"), str(out), "--style", str(tmp_path / "a.png"),
                     "--style", str(tmp_path / "b.png"), "--mask", str(tmp_path / "m.png"),
                     "--weights", str(weights))
    assert result.returncode == 0, result.stderr[-2000:]
    got = np.asarray(Image.open(out), np.float32) / 255.0
    labels = (mask > 0).astype(np.int32)
    want = stylize(model, content, [a, b], mask=labels)
    assert np.abs(got - want).max() <= 1.01 / 255
    # darkest grey level = first style: the swapped assignment is a different picture
    swapped = stylize(model, content, [a, b], mask=1 - labels)
    assert np.abs(got - swapped).mean() > 10 * np.abs(got - want).mean() + 1e-3


def test_johnson_command_matches_the_python_api(tmp_path):
    from zoo.models.johnson.inference import stylize
    from zoo.models.johnson.transform_net import build

    config = {"width": "phone", "normalization": "instance", "variant": "resize",
              "task": "style", "scale": 4}
    model = build(**config)
    weights = _run_dir(tmp_path, "run", "johnson", config, model)
    content = _photo(tmp_path / "c.png", 36, 50, 3)
    out = tmp_path / "out.png"
    result = run_zoo("stylize", str(tmp_path / "c.png"), str(out), "--model", "johnson",
                     "--weights", str(weights))
    assert result.returncode == 0, result.stderr[-2000:]
    got = np.asarray(Image.open(out), np.float32) / 255.0
    assert np.abs(got - stylize(model, content)).max() <= 1.01 / 255


@pytest.mark.parametrize("args, message", [
    (["c.png", "o.png"], "AdaIN needs a style"),
    (["missing.png", "o.png", "--style", "a.png"], "missing.png: no such file"),
    (["c.png", "o.txt", "--style", "a.png"], "output must end in"),
    (["c.png", "o.png", "--style", "a.png", "--mask", "m.png"], "two or more --style"),
    (["c.png", "o.png", "--style", "a.png", "--style", "a.png", "--mask", "m3.png"],
     "has 3 grey levels; give one per --style (2)"),
    (["c.png", "o.png", "--style", "a.png", "--style-weights", "1,2"], "2 weights for 1"),
    (["c.png", "o.png", "--model", "johnson-nosuch"], "is not a Johnson preset"),
    (["c.png", "o.png", "--model", "johnson", "--style", "a.png"], "--style is for AdaIN"),
    (["c.png", "o.png", "--model", "johnson"], "needs --weights"),
    (["c.png", "o.png", "--alpha", "1.5", "--style", "a.png"], "1.5"),
])
def test_bad_input_is_one_line(tmp_path, args, message):
    _photo(tmp_path / "c.png", 16, 16, 0)
    _photo(tmp_path / "a.png", 16, 16, 1)
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "m.png")
    three = np.zeros((16, 16), np.uint8)
    three[:, 5:], three[:, 10:] = 100, 200
    Image.fromarray(three).save(tmp_path / "m3.png")
    result = run_zoo("stylize", *args, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 or "usage" in result.stderr, result.stderr
    assert message in result.stderr, result.stderr
    assert not (tmp_path / "o.png").exists()
