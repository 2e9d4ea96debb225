"""The family contract: a family declared in one folder is found everywhere.

``toy_family`` (this folder's ``toy_family/``) is a whole family that lives in the test
tree only: a declaration, a network with a custom Keras layer, an export spec, a demo
section, a command, and a recipe in the shape of ``training/<family>.py``. Registered with
one call (what the registration line in zoo/models/__init__.py does for the shipped ones),
it shows up in ``zoo list``, ``zoo train`` (options derived from its config), ``zoo export``,
``zoo demo``, ``zoo.load``, ``zoo.load_model`` and its own command, and it trains through
the shared resumable trainer, with no file outside its folder changed.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_python

from zoo.cli.main import main
from zoo.models import register, unregister

TOY = "toy_family"


@pytest.fixture
def toy():
    register(TOY)
    try:
        yield
    finally:
        unregister(TOY)


def test_zoo_list_shows_the_toy(toy, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy: Toy: a family that lives in the test tree only" in out
    assert "a toy trained by its test" in out
    assert out.index("texture_nets:") < out.index("toy:")  # registration order


def test_zoo_train_help_lists_the_toy_and_its_config_options(toy, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "toy" in out and "the toy recipe of the family-contract test" in out
    with pytest.raises(SystemExit):
        main(["train", "toy", "--help"])
    out = capsys.readouterr().out
    for option in ("--epochs", "--steps-per-epoch", "--batch-size", "--lr", "--filters",
                   "--out", "--strategy", "--checkpoint-every"):
        assert option in out, option
    assert "Adam's step size (default: 0.05)" in " ".join(out.split())


def test_the_toy_trains_resumes_and_reports(toy, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "toy", "--out", str(out), "--epochs", "2", "--lr", "0.1"]) == 0
    printed = capsys.readouterr().out
    assert f"weights: {out / 'final.weights.h5'}" in printed
    for name in ("final.weights.h5", "metrics.csv", "config.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "config.json").read_text())["learning_rate"] == 0.1
    with open(out / "metrics.csv") as f:
        losses = [float(row["loss"]) for row in csv.DictReader(f)]
    assert len(losses) == 2 and losses[1] < losses[0]
    import zoo

    model = zoo.load("toy", weights=str(out / "final.weights.h5"))
    x = np.random.default_rng(5).random((1, 8, 8, 3), dtype=np.float32)
    before = float(np.mean((np.asarray(zoo.load("toy", weights=None)(x)) - 2 * x) ** 2))
    after = float(np.mean((np.asarray(model(x)) - 2 * x) ** 2))
    assert after < before
    assert main(["train", "toy", "--out", str(out), "--epochs", "2"]) == 0
    assert "nothing left to train" in capsys.readouterr().out


def test_zoo_export_takes_the_toy(toy, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "toy" in capsys.readouterr().out
    out = tmp_path / "toy.tflite"
    assert main(["export", "toy", "--weights", _trained(tmp_path), "--quantize", "int8",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    psnr = float(printed.split("PSNR ")[1].split(" dB")[0])
    assert out.is_file() and psnr > 30, printed


def _trained(tmp_path) -> str:
    import zoo

    path = tmp_path / "toy.weights.h5"
    zoo.load("toy", weights=None).save_weights(path)
    return str(path)


def test_zoo_demo_runs_the_toy_section(toy, tmp_path, capsys):
    assert main(["demo", "--only", "toy", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "index.html").read_text()
    assert "Toy family" in page and (tmp_path / "toy" / "toy.png").is_file()


def test_the_toys_command_and_saved_model(toy, tmp_path, capsys):
    """Its command runs; a saved toy loads in a fresh process, where only the declaration
    says which module registers its custom layer."""
    assert main(["toy", "--name", "you"]) == 0
    assert capsys.readouterr().out == "hello you from the toy family\n"
    import zoo

    model = zoo.load("toy", weights=None)
    model.save(tmp_path / "toy.keras")
    x = np.ones((1, 4, 4, 3), np.float32)
    np.save(tmp_path / "expected.npy", np.asarray(model(x)))
    code = f"""
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
import numpy as np, zoo
from zoo.models import register
register("toy_family")
assert "toy_family.model" not in sys.modules
model = zoo.load_model({str(tmp_path / "toy.keras")!r})
diff = np.abs(np.asarray(model(np.ones((1, 4, 4, 3), np.float32)))
              - np.load({str(tmp_path / "expected.npy")!r})).max()
print("max diff", float(diff))
"""
    done = run_python(code)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split("max diff")[-1]) < 1e-6


def test_unregistered_the_toy_is_gone(capsys):
    assert main(["list"]) == 0
    assert "toy:" not in capsys.readouterr().out
