"""`zoo demo`, the command line's basics, and what the wheel installs."""

import os
import re
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from zoo.models.vdsr import PRESETS, VDSR
from zoo.weights import registry, sha256sum

from conftest import REPO, run_zoo


@pytest.fixture
def test_preset(tmp_path, monkeypatch):
    """Make `zoo.load("vdsr")` find a small preset (8 channels) through the download cache."""
    import keras

    keras.utils.set_random_seed(0)
    model = VDSR(filters=8)
    path = tmp_path / "vdsr_small.weights.h5"
    model.save_weights(path)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    presets = {"vdsr_small": {"description": "test", "config": {"filters": 8},
                              "file": path.name, "url": path.as_uri(), "sha256": sha256sum(path)}}
    for name in list(PRESETS):
        monkeypatch.delitem(PRESETS, name)
    for name, spec in presets.items():
        monkeypatch.setitem(PRESETS, name, spec)
    _default_is_first(monkeypatch, "vdsr")
    return path


def _default_is_first(monkeypatch, family: str) -> None:
    """The family's declared default (the best measured preset) is gone with the presets the
    test replaced: its first preset is the default instead, for the test's duration."""
    import dataclasses

    from zoo import models

    declaration = models.families()[family]
    monkeypatch.setitem(models._FAMILIES, family, dataclasses.replace(
        declaration, default_preset=None, default_why=None))


def test_demo_gallery(tmp_path, test_preset):
    from zoo.demo import demo_images, run_demo

    index = run_demo(tmp_path / "out", only=["vdsr"])
    html = index.read_text()
    images = demo_images()
    assert len(images) >= 3
    pngs = sorted((tmp_path / "out" / "vdsr").glob("*.png"))
    assert len(pngs) == len(images) * 3 * 4  # 3 scales x (input, bicubic, vdsr, truth)
    for png in pngs:
        assert png.name in html
    psnrs = [float(v) for v in re.findall(r"<figcaption>([0-9.]+) dB", html)]
    assert len(psnrs) == 2 * len(images) * 3 and all(15 < v < 60 for v in psnrs)


def test_demo_without_weights_says_so(tmp_path, monkeypatch):
    from zoo.models.deepwarp import PRESETS as DEEPWARP_PRESETS
    from zoo.models.stn import PRESETS as STN_PRESETS

    for presets in (PRESETS, STN_PRESETS, DEEPWARP_PRESETS):
        for name in list(presets):
            monkeypatch.delitem(presets, name)
    from zoo.demo import run_demo

    html = run_demo(tmp_path, only=["vdsr", "stn", "gaze"]).read_text()
    assert "skipped: vdsr has no pretrained weights yet" in html
    assert "skipped: stn has no pretrained weights yet" in html
    assert "skipped: deepwarp has no pretrained weights yet" in html


@pytest.mark.slow
def test_readme_main_job_zoo_demo(tmp_path):
    """The README's first command: `zoo demo` with what ships, in a fresh process."""
    result = run_zoo("demo", "--out", str(tmp_path / "demo"), timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    html = (tmp_path / "demo" / "index.html").read_text()
    if registry.presets("vdsr"):
        gain = float(re.search(r"Mean gain of VDSR over bicubic: ([+-][0-9.]+) dB", html).group(1))
        assert gain > 0.5
    # Deep Image Prior inpainting: a real gain, in under a minute of fitting on 2 cores.
    note = re.search(r"Inpainting gain of Deep Image Prior: ([+-][0-9.]+) dB after (\d+) steps"
                     r".*?\(([0-9.]+) s of fitting\)", html)
    assert float(note.group(1)) > 8 and float(note.group(3)) < 60
    assert len(list((tmp_path / "demo" / "dip").glob("*.png"))) == 4
    # The spatial transformer reads most of the distorted font digits (7 of 10 when measured).
    if registry.presets("stn"):
        read = int(re.search(r"The ST-CNN reads (\d+) of 10", html).group(1))
        assert read >= 5 and len(list((tmp_path / "demo" / "stn").glob("*.png"))) == 20
    # Gaze correction on the bundled photo: both eyes found and moved.
    if registry.presets("deepwarp"):
        flow = float(re.search(r"largest flow at \+15 degrees: ([0-9.]+) patch pixels", html).group(1))
        assert flow > 1.0 and len(list((tmp_path / "demo" / "gaze").glob("*.png"))) == 8
    # Gatys synthesis from the four bundled exemplars, random features: a large Gram reduction.
    low = float(re.search(r"Gram loss reduced ([0-9.]+)x to", html).group(1))
    assert low > 100 and len(list((tmp_path / "demo" / "texture").glob("*_gatys.png"))) == 4


def test_demo_sections_named_in_the_cli_exist():
    from zoo.cli.demo import section_names
    from zoo.demo import sections

    assert tuple(sections()) == section_names()
    result = run_zoo("demo", "--only", "vdsr,nope")
    assert result.returncode == 2 and "unknown section nope" in result.stderr


def test_demo_text_mask_hides_the_text_only():
    from zoo.models.dip.demo import text_mask

    mask = text_mask((128, 128))
    assert mask.shape == (128, 128, 1) and set(np.unique(mask)) == {0.0, 1.0}
    hidden = 1 - mask.mean()
    assert 0.08 < hidden < 0.4  # visible text, but most of the photo is kept
    assert text_mask((128, 128), []).min() == 1.0


def test_cli_help_and_errors():
    assert run_zoo("--help").returncode == 0
    result = run_zoo("eval", "vdsr", "--data", "/nonexistent", "--bicubic-only")
    assert result.returncode == 2
    assert result.stderr.strip() == "zoo: error: /nonexistent: no such folder"
    result = run_zoo("eval", "vdsr", "--data", ".", "--scales", "2,x")
    assert result.returncode == 2 and "scales must be integers" in result.stderr
    result = run_zoo("export", "vdsr", "--out", "vdsr_int8")
    assert result.returncode == 2
    assert result.stderr.strip() == "zoo: error: vdsr_int8: output must end in .tflite"


@pytest.mark.parametrize("argv, message", [
    ("train vdsr --data d --out r --batch-size 0", "argument --batch-size: must be at least 1"),
    ("train vdsr --data d --out r --lr-decay-epochs 0", "--lr-decay-epochs: must be at least 1"),
    ("train vdsr --data d --out r --patch-size 0", "--patch-size: must be at least 1, got 0"),
    ("train vdsr --data d --out r --lr -0.1", "--lr: must be in (0, inf), got -0.1"),
    ("train vdsr --data d --out r --lr nan", "--lr: must be in (0, inf), got nan"),
    ("train vdsr --data d --out r --momentum 1", "--momentum: must be in [0, 1), got 1"),
    ("train vdsr --data d --out r --epochs two", "--epochs: expected an integer, got 'two'"),
    ("train stn --out r --batch-size 0", "--batch-size: must be at least 1"),
    ("train deepwarp --out r --bank-pairs -1", "--bank-pairs: must be at least 0, got -1"),
    ("dip restore a.png --out b.png --drop 1.5", "--drop: must be in [0, 1), got 1.5"),
    ("dip denoise a.png --out b.png --iters 0", "--iters: must be at least 1, got 0"),
    ("texture a.png --size 4 --out b.png", "--size: must be at least 8, got 4"),
    ("style a.png b.png --out c.png --style-weight -1", "--style-weight: must be in [0, inf)"),
    ("gaze a.png b.png --angle 20", "--angle: must be in [-15, 15], got 20"),
    ("upscale a.png b.png --tile 8", "--tile: must be at least 16, got 8"),
    ("train stn --out r --seed -1", "--seed: must be at least 0, got -1"),
    ("train deepwarp --out r --seed 4294967296", "--seed: must be at most 4294967295"),
])
def test_cli_refuses_out_of_range_numbers_before_any_work(argv, message, capsys):
    """Zero batches, negative rates, ... fail in parsing, in one line (they once raised
    ZeroDivisionError or ran with nonsense)."""
    from zoo.cli.main import main

    with pytest.raises(SystemExit) as exit_:
        main(argv.split())
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_cli_out_of_memory_is_one_line(monkeypatch, capsys):
    """A result too large for memory (zoo upscale of a huge photo) ends in one line, not numpy's
    traceback."""
    import zoo.cli.main as cli
    import zoo.cli.upscale

    def allocate(args):
        raise MemoryError("Unable to allocate 7.50 GiB for an array with shape (40000, 60000, 3)")

    monkeypatch.setattr(zoo.cli.upscale, "run", allocate)
    assert cli.main(["upscale", "in.png", "out.png"]) == 2
    assert capsys.readouterr().err == ("zoo: error: out of memory: Unable to allocate 7.50 GiB "
                                       "for an array with shape (40000, 60000, 3)\n")


def test_cli_refuses_an_output_it_cannot_write_before_any_work(tmp_path, capsys):
    from zoo.cli.main import main

    (tmp_path / "taken").write_text("a file")
    for argv in (["gaze", "missing.jpg", str(tmp_path / "taken" / "out.png")],
                 ["dip", "denoise", "missing.png", "--out", str(tmp_path / "taken/a/b.png")],
                 ["export", "vdsr", "--out", str(tmp_path / "taken" / "v.tflite")],
                 ["eval", "vdsr", "--data", "missing", "--json", str(tmp_path / "taken/t.json")],
                 ["texture", "missing.png", "--size", "64", "--out", "t.png",
                  "--json", str(tmp_path / "taken" / "t.json")],
                 ["train", "stn", "--out", str(tmp_path / "taken" / "run")],
                 ["demo", "--out", str(tmp_path / "taken" / "gallery")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("zoo: error: ") and "taken is a file, not a folder" in err, err
        assert "any file" not in err  # the name _check_folder once tried, shown to the user
    for argv in (["train", "vdsr", "--data", "d", "--out", str(tmp_path / "taken")],
                 ["train", "deepwarp", "--out", str(tmp_path / "taken")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == f"zoo: error: {tmp_path / 'taken'}: is a file, not a folder\n"
    assert main(["eval", "vdsr", "--data", str(tmp_path / "taken"), "--bicubic-only"]) == 2
    assert "taken: is a file; give the folder that holds the images" in capsys.readouterr().err


def test_cli_angle_limit_is_the_trained_range():
    from zoo.cli.gaze import MAX_REDIRECTION
    from zoo.training import deepwarp, eyes

    assert MAX_REDIRECTION == eyes.MAX_ANGLE == deepwarp.DeepWarpRecipe().max_angle


def test_cli_help_shows_defaults():
    """Each option's help ends with its default (`zoo train vdsr --help`, as a user runs it)."""
    result = run_zoo("train", "vdsr", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--batch-size BATCH_SIZE global batch (all replicas) (default: 64)" in text
    assert "--scales SCALES default: 2,3,4" in text
    assert "--stride STRIDE between patches (default: the patch size)" in text  # not repeated
    assert "--no-biases biases fixed at zero" in text and "default: True" not in text


def test_cli_top_level_help_has_an_example_per_command():
    """`zoo --help` tells a user what the zoo is and shows one example line for every command."""
    result = run_zoo("--help")
    assert result.returncode == 0
    head, examples = result.stdout.split("examples:\n")
    assert "Generative ConvNets in Keras" in head and "``" not in head
    listed = re.findall(r"^    (\w+)  ", head.split("COMMAND\n", 1)[1], flags=re.M)
    assert len(listed) == 13
    shown = set(re.findall(r"^  zoo (\w+)", examples, flags=re.M))
    assert shown == set(listed)


def test_wheel_installs_only_the_zoo_package(tmp_path):
    """`training/` and `export/` must land as `zoo.training` and `zoo.export`, data included."""
    # Build from a copy without `build/`: setuptools reuses a stale build/lib,
    # which would hide a package missing from setup.cfg.
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        "build", "dist", ".venv", "runs", "*.egg-info", "__pycache__", ".git", ".pytest_cache"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(tmp_path), str(source)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"zoo"}
    # Every source file of the three trees must ship (a package missing from
    # setup.cfg's explicit list would otherwise only show up on a clean install).
    sources = [f"zoo/{p.relative_to(REPO / 'zoo').as_posix()}" for p in (REPO / "zoo").rglob("*.py")]
    for tree in ["training", "export"]:
        sources += [f"zoo/{tree}/{p.relative_to(REPO / tree).as_posix()}"
                    for p in (REPO / tree).rglob("*.py")]
    missing = sorted(set(sources) - set(names))
    assert not missing, f"not in the wheel (add the package to setup.cfg): {missing}"
    for needed in ["zoo/demo/images/astronaut.png", "zoo/demo/images/SOURCES.md"]:
        assert needed in names, needed
    for preset in registry.available_presets().values():
        assert f"zoo/weights/files/{preset.file}" in names
        assert f"zoo/weights/cards/{preset.card}" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "zoo = zoo.cli.main:main" in zipfile.ZipFile(wheel).read(entry).decode()


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_an_unwritable_folder_is_found_even_as_root(capsys):
    """os.access says every folder is writable for root (CI runs as root); /proc is not."""
    from zoo.cli.main import main

    assert main(["upscale", "missing.png", "/proc/out.png"]) == 2
    assert capsys.readouterr().err.strip() == (
        "zoo: error: /proc/out.png: cannot be written, /proc is not writable")


TOY_FAMILY = '''
from zoo.cli.eval import Evaluation
from zoo.family import ExportSpec, Family

FAMILY = Family(name="cli_toy", papers=("A toy",), builders={"toy": "cli_toy_family:build"},
                evaluation="cli_toy_family:evaluation", commands=("cli_toy_family",),
                export=ExportSpec(calibration="cli_toy_family:c", validation="cli_toy_family:v",
                                  calibration_images="toy pictures"))


def add_parser(commands):
    commands.add_parser("cli_toy", help="a toy command").set_defaults(run=run)


def run(args):
    print("toy ran")


def add_eval_arguments(p):
    p.add_argument("--rounds", type=int, default=1)


evaluation = Evaluation(help="a toy table", add_arguments=add_eval_arguments,
                        run=lambda args: print(f"{args.model}: {args.rounds} rounds"))
'''


def test_cli_commands_and_choices_come_from_the_family_declarations(tmp_path, monkeypatch,
                                                                    capsys):
    """A registered family's commands, evaluation and export appear without touching zoo/cli."""
    import argparse

    from zoo.cli.main import build_parser, main
    from zoo.models import register, unregister

    (tmp_path / "cli_toy_family.py").write_text(TOY_FAMILY)
    monkeypatch.syspath_prepend(str(tmp_path))
    register("cli_toy_family")
    try:
        commands = next(a for a in build_parser()._actions
                        if isinstance(a, argparse._SubParsersAction))
        assert list(commands.choices) == ["list", "demo", "train", "eval", "export", "upscale",
                                          "dip", "gaze", "texture", "style", "stylize", "synth",
                                          "chairs", "cli_toy"]
        assert main(["cli_toy"]) == 0 and capsys.readouterr().out == "toy ran\n"
        assert main(["eval", "cli_toy", "--rounds", "3"]) == 0
        assert capsys.readouterr().out == "cli_toy: 3 rounds\n"
        with pytest.raises(SystemExit):
            main(["export", "--help"])
        help_text = " ".join(capsys.readouterr().out.split())
        assert "cli_toy: toy pictures" in help_text
        assert "{vdsr,deepwarp,texture_nets,johnson,adain,crn,chairs,cli_toy}" in help_text
    finally:
        unregister("cli_toy_family")
