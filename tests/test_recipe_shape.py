"""Every training recipe has the same shape, and ``zoo train FAMILY`` derives its options from
the recipe's ``Config`` (zoo.cli.train), importing the recipe only when the command names it."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from conftest import run_python

SHAPE = {
    "build": ["config"],
    "data": ["config", "examples"],
    "train": ["config", "run"],
    "report": ["model", "config", "out_dir"],
}
LOSS = {"compile": ["model", "config"], "loss": ["config"]}  # a recipe has one of the two


def recipes() -> dict[str, str]:
    from zoo.models import families

    return {name: family.recipe for name, family in families().items() if family.recipe}


def recipe(family: str):
    from zoo.family import resolve

    return resolve(recipes()[family])


def flag(field: dataclasses.Field) -> str:
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def test_the_four_papers_have_recipes():
    assert {"vdsr", "stn", "deepwarp", "texture_nets"} <= set(recipes())


@pytest.mark.parametrize("family", list(recipes()))
def test_every_recipe_has_the_same_shape(family):
    """A Config dataclass whose fields are declared with zoo.options.option, and the same
    functions with the same parameters in the same order."""
    module = recipe(family)
    assert dataclasses.is_dataclass(module.Config) and isinstance(module.Config, type)
    for field in dataclasses.fields(module.Config):
        assert "cli" in field.metadata, f"{family}: {field.name} is not an option(...) field"
    for name, parameters in SHAPE.items():
        assert list(inspect.signature(getattr(module, name)).parameters) == parameters, name
    losses = [name for name, parameters in LOSS.items() if hasattr(module, name)
              and list(inspect.signature(getattr(module, name)).parameters) == parameters]
    assert losses, f"{family}: neither compile(model, config) nor loss(config)"


@pytest.mark.parametrize("family", list(recipes()))
def test_zoo_train_help_lists_the_options_of_the_config(family, capsys):
    from zoo.cli.main import build_parser
    from zoo.cli.train import RUN_FIELDS

    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", family, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for field in dataclasses.fields(recipe(family).Config):
        if field.metadata["cli"]:
            assert flag(field) in text, field.name
            if field.metadata["help"]:
                assert " ".join(field.metadata["help"].split()) in text, field.name
        elif field.name not in RUN_FIELDS:
            assert f"{flag(field)} " not in text, field.name


@pytest.mark.parametrize("argv, expected", [
    ("vdsr --data a b --lr 0.01 --no-biases --scales 2,3 --seed 7",
     {"data": ["a", "b"], "learning_rate": 0.01, "biases": False, "scales": (2, 3), "seed": 7,
      "stride": 41}),
    ("stn --distortion R --model cnn --data mnist",
     {"kind": "R", "model": "cnn", "data": "mnist", "learning_rate": None}),
    ("deepwarp --bank-pairs 0 --no-lightness --eval-pairs 8",
     {"bank_pairs": None, "lightness": False, "eval_pairs": 8}),
    ("texture_nets --texture t.jpg --content photos --lr 0.05",
     {"texture": "t.jpg", "content": "photos", "mode": "stylization", "learning_rate": 0.05}),
    ("texture_nets --texture t.jpg", {"mode": "texture", "content": None}),
])
def test_a_command_line_gives_the_recipe_config(argv, expected):
    from zoo.cli.main import build_parser
    from zoo.cli.train import recipe_config

    args = build_parser().parse_args(["train", *argv.split(), "--out", "run"])
    config = recipe_config(args)
    assert isinstance(config, recipe(argv.split()[0]).Config)
    assert {key: getattr(config, key) for key in expected} == expected


def test_a_value_the_config_refuses_is_one_line(tmp_path, capsys):
    from zoo.cli.main import main

    argv = ["train", "texture_nets", "--texture", "t.jpg", "--image-size", "100",
            "--out", str(tmp_path / "run")]
    assert main(argv) == 2
    assert capsys.readouterr().err == "zoo: error: image_size 100 must be a multiple of 16\n"
    assert not (tmp_path / "run").exists()


def test_help_imports_no_recipe_until_the_command_names_one():
    """`zoo --help` and `zoo train --help` load no recipe and no Keras; `zoo train vdsr
    --help` loads VDSR's recipe alone."""
    code = """
import contextlib, io, sys
from zoo.cli.main import main

def loaded():
    return sorted(m for m in sys.modules if m in ("keras", "tensorflow")
                  or m.startswith("zoo.training."))

for argv in (["--help"], ["train", "--help"], ["train", "vdsr", "--help"]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            main(argv)
        except SystemExit:
            pass
    print(" ".join(argv), "->", [m for m in loaded() if m in ("keras", "tensorflow")
                                 or m.split(".")[2] in ("vdsr", "stn", "deepwarp", "texture_nets")])
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()[-3:]
    assert lines[0] == "--help -> []" and lines[1] == "train --help -> []", lines
    assert "zoo.training.vdsr" in lines[2] and "keras" in lines[2]
    assert not any(f"zoo.training.{other}'" in lines[2]
                   for other in ("stn", "deepwarp", "texture_nets")), lines[2]
