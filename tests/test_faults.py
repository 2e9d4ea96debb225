"""The fault matrix (issue 26, "Nothing lost, nothing crashes"): what a new user tried, and
the one line each gets.

Every :class:`Fault` runs ``zoo.cli.main.main(argv)`` in this process, in a fresh folder that
its setup filled (a small image ``src.png``, a damaged saved fit, a run folder...), with this
machine's memory taken as :data:`MEMORY` so that the limits read the same everywhere. It must
exit with ``status``; with 2, stderr is exactly the one line ``message``, and every file that
was there before is still there, unchanged. ``{dir}`` in ``argv`` and ``message`` is the
case's folder. ``pytest -s tests/test_faults.py -k matrix`` prints the counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

MEMORY = 4 * 2**30  # what zoo.cli.limits.memory_bytes says during the cases


@dataclass(frozen=True)
class Fault:
    name: str
    argv: tuple[str, ...]
    message: str  # the exact stderr line (status 2), or a line of the output (status 0)
    setup: str = ""  # a key of SETUPS: what the folder holds besides src.png
    status: int = 2


TEXTURE = ("texture", "{dir}/src.png", "--out", "{dir}/out.png")
STYLE = ("style", "{dir}/src.png", "{dir}/src.png", "--out", "{dir}/out.png")
TRAIN = ("train", "vdsr", "--data", "{dir}/images", "--out", "{dir}/run", "--depth", "3",
         "--filters", "4", "--batch-size", "4", "--epochs", "1", "--steps-per-epoch", "2")
RESTART = "; run the same command with --restart to discard it and start afresh"
CHECKPOINT = ("zoo: error: {dir}/run/checkpoints: the checkpoint does not load: it is damaged, "
              "or was saved by another model or optimizer ({why}); resume with the settings in "
              "the run's config.json, or give another --out")

CASES = [
    # damaged saved fits (dip, texture, style): one line naming the file, and --restart
    Fault("texture: empty saved fit", (*TEXTURE, "--size", "16"),
          "zoo: error: {dir}/out_fit_state/state.npz: the saved fit is damaged (No data left "
          "in file)" + RESTART, setup="empty state"),
    Fault("dip: truncated saved fit",
          ("dip", "restore", "{dir}/src.png", "--drop", "0.5", "--out", "{dir}/out.png"),
          "zoo: error: {dir}/out_fit_state/state.npz: the saved fit is damaged (File is not a "
          "zip file)" + RESTART, setup="truncated state"),
    Fault("style: bit-flipped saved fit", STYLE,
          "zoo: error: {dir}/out_fit_state/state.npz: the saved fit is damaged (Bad CRC-32 "
          "for file 'x.npy')" + RESTART, setup="flipped state"),
    # sizes, levels and scales against the machine, before any model is built
    Fault("texture size beyond memory", (*TEXTURE, "--size", "100000"),
          "zoo: error: --size 100000 needs about 38,147 GiB of memory, more than this "
          "machine's 4.0 GiB; use a smaller --size (at most about 1024 here)"),
    Fault("texture levels below the smallest level", (*TEXTURE, "--size", "16", "--levels", "99"),
          "zoo: error: --levels 99: a 16x16 output has at most 2 levels (each halves the size; "
          "the coarsest must be at least 8 pixels a side)"),
    Fault("style size beyond memory", (*STYLE, "--size", "50000"),
          "zoo: error: --size 50000 needs about 9,537 GiB of memory, more than this "
          "machine's 4.0 GiB; use a smaller --size (at most about 1024 here)"),
    Fault("dip scale beyond memory",
          ("dip", "sr", "{dir}/src.png", "--scale", "1000", "--out", "{dir}/out.png"),
          "zoo: error: --scale 1000 (a 24000x24000 result) needs about 5,081 GiB of memory, "
          "more than this machine's 4.0 GiB; give a smaller image or --scale (the longer side "
          "at most about 673 here)"),
    Fault("upscale result beyond memory",
          ("upscale", "{dir}/large.png", "{dir}/out.png", "--scale", "8"),
          "zoo: error: --scale 8 (a 27200x27200 result) needs about 4.1 GiB of memory, more "
          "than this machine's 4.0 GiB; use a smaller --scale or image (the longer side at "
          "most about 26754 here)", setup="large image"),
    Fault("train batch beyond memory",
          ("train", "vdsr", "--data", "{dir}/images", "--out", "{dir}/run", "--batch-size",
           "1000000"),
          "zoo: error: --batch-size 1000000 of 41x41 patches needs about 16,031 GiB of memory, "
          "more than this machine's 4.0 GiB; use a smaller --batch-size (at most about 249 "
          "here)", setup="images"),
    # a loss that overflows: refused up front, or stopped at the first step
    Fault("style weight beyond float32", (*STYLE, "--style-weight", "1e308"),
          "zoo: error: --style-weight 1e+308 overflows the float32 loss (at most 3.403e+38); "
          "use a smaller weight"),
    Fault("style loss infinite at the first step",
          (*STYLE, "--content-weight", "3e38", "--style-weight", "3e38", "--backbone",
           "random", "--optimizer", "adam", "--iters", "2"),
          "zoo: error: the loss is inf, not a finite number: the float32 loss overflows (use a "
          "smaller --content-weight or --style-weight)"),
    # a checkpoint's place that is not one: a damaged checkpoint
    Fault("checkpoint epoch not an integer", TRAIN,
          CHECKPOINT.replace("{why}", "its epoch 'x' and step 0 are not both non-negative "
                             "integers"), setup="checkpoint epoch x"),
    Fault("checkpoint epoch negative", TRAIN,
          CHECKPOINT.replace("{why}", "its epoch -5 and step 0 are not both non-negative "
                             "integers"), setup="checkpoint epoch -5"),
    Fault("checkpoint step beyond its epoch", TRAIN,
          CHECKPOINT.replace("{why}", "its step 9 is not within its epochs of 9 steps"),
          setup="checkpoint step 9 of 9"),
    # a damaged patch cache is made again by itself
    Fault("vdsr patch cache truncated", (*TRAIN, "--cache-dir", "{dir}/cache"),
          "note: the patch cache {cache} is damaged (File is not a zip file); making it again",
          setup="truncated patch cache", status=0),
    # wording
    Fault("unreadable input", ("upscale", "{dir}/src.png", "{dir}/out.png"),
          "zoo: error: {dir}/src.png: cannot be read (permission denied)",
          setup="permission denied"),
    Fault("device as input", ("upscale", "/dev/zero", "{dir}/out.png"),
          "zoo: error: /dev/zero: is not a regular file"),
    Fault("another family's preset as weights",
          ("eval", "vdsr", "--data", "{dir}/images", "--weights", "deepwarp_rendered_cpu"),
          "zoo: error: deepwarp_rendered_cpu is a preset of deepwarp, not vdsr; `zoo list` "
          "shows vdsr's", setup="images"),
]

# ---------------------------------------------------------------- outputs, checked before work
# A read-only existing output (refused for root too: the zoo writes by renaming over the
# target, which would replace a file the user protected), an output that is a folder or one
# of the command's inputs: one line before any model is built, the old file intact, nothing
# written (the other outputs of these cases are named new*; test_refused_outputs_write_nothing).
READ_ONLY = "zoo: error: {dir}/%s: is read-only; give another output or make it writable"
IS_FOLDER = "zoo: error: {dir}/%s: is a folder; give a file name"
IS_INPUT = "zoo: error: {dir}/%s: is already one of this command's files; give another output"
DIP = ("dip", "denoise", "{dir}/src.png")
EVAL = ("eval", "vdsr", "--data", "{dir}/images", "--bicubic-only")

OUTPUT_CASES = [
    Fault("export over a read-only .tflite", ("export", "vdsr", "--out", "{dir}/out.tflite"),
          READ_ONLY % "out.tflite", setup="read-only out.tflite"),
    Fault("export to a folder", ("export", "vdsr", "--out", "{dir}/out.tflite"),
          IS_FOLDER % "out.tflite", setup="folder out.tflite"),
    Fault("upscale over a read-only image", ("upscale", "{dir}/src.png", "{dir}/out.png"),
          READ_ONLY % "out.png", setup="read-only out.png"),
    Fault("gaze over a read-only image", ("gaze", "{dir}/src.png", "{dir}/out.png"),
          READ_ONLY % "out.png", setup="read-only out.png"),
    Fault("gaze --eyes over a read-only image",
          ("gaze", "{dir}/src.png", "{dir}/new.png", "--eyes", "{dir}/out.png"),
          READ_ONLY % "out.png", setup="read-only out.png"),
    Fault("dip over a read-only image", (*DIP, "--out", "{dir}/out.png"),
          READ_ONLY % "out.png", setup="read-only out.png"),
    Fault("dip --json over a read-only file",
          (*DIP, "--out", "{dir}/new.png", "--json", "{dir}/out.json"),
          READ_ONLY % "out.json", setup="read-only out.json"),
    Fault("dip --json over its input", (*DIP, "--out", "{dir}/new.png", "--json", "{dir}/src.png"),
          IS_INPUT % "src.png"),
    Fault("dip snapshot over a read-only image",
          (*DIP, "--out", "{dir}/out.png", "--snapshot-every", "10"),
          READ_ONLY % "out_00010.png", setup="read-only out_00010.png"),
    Fault("dip saved fit read-only", (*DIP, "--out", "{dir}/out.png"),
          READ_ONLY % "out_fit_state/state.npz", setup="read-only saved fit"),
    Fault("dip --state a file", (*DIP, "--out", "{dir}/new.png", "--state", "{dir}/src.png"),
          "zoo: error: {dir}/src.png: is a file, not a folder"),
    Fault("texture over a read-only image", (*TEXTURE, "--size", "16"),
          READ_ONLY % "out.png", setup="read-only out.png"),
    Fault("texture --json a folder",
          ("texture", "{dir}/src.png", "--size", "16", "--out", "{dir}/new.png", "--json",
           "{dir}/out.json"), IS_FOLDER % "out.json", setup="folder out.json"),
    Fault("style over a read-only image", STYLE, READ_ONLY % "out.png",
          setup="read-only out.png"),
    Fault("style --json over a read-only file",
          ("style", "{dir}/src.png", "{dir}/src.png", "--out", "{dir}/new.png", "--json",
           "{dir}/out.json"), READ_ONLY % "out.json", setup="read-only out.json"),
    Fault("eval --json over a read-only file", (*EVAL, "--json", "{dir}/out.json"),
          READ_ONLY % "out.json", setup="images, read-only out.json"),
    Fault("demo over a read-only gallery", ("demo", "--out", "{dir}/gallery"),
          READ_ONLY % "gallery/index.html", setup="read-only gallery/index.html"),
    Fault("train over a read-only config.json", TRAIN, READ_ONLY % "run/config.json",
          setup="images, read-only run/config.json"),
    Fault("train over read-only final weights", TRAIN, READ_ONLY % "run/final.weights.h5",
          setup="images, read-only run/final.weights.h5"),
    Fault("train --out a file",
          ("train", "vdsr", "--data", "{dir}/images", "--out", "{dir}/src.png"),
          "zoo: error: {dir}/src.png: is a file, not a folder", setup="images"),
]

FAULTS = CASES + OUTPUT_CASES  # other lists of Fault join here: FAULTS = CASES + OTHER_CASES


# ---------------------------------------------------------------- setups
def _saved_fit(folder: Path) -> Path:
    from zoo.fit_state import save_state

    state = save_state(folder / "out_fit_state", {"fingerprint": "f", "step": 3},
                       {"x": np.zeros((16, 16, 3), np.float32)})
    return state


def _empty_state(folder, patch):
    _saved_fit(folder).write_bytes(b"")


def _truncated_state(folder, patch):
    state = _saved_fit(folder)
    state.write_bytes(state.read_bytes()[:200])


def _flipped_state(folder, patch):
    state = _saved_fit(folder)
    data = bytearray(state.read_bytes())
    at = data.index(b"x.npy") + 5 + 30 + 128 + 1000  # in the array's data, past its header
    data[at] ^= 0x10
    state.write_bytes(bytes(data))


def _images(folder, patch):
    from zoo.image import imresize, write_image

    rng = np.random.default_rng(0)
    (folder / "images").mkdir()
    for k in range(3):
        small = rng.random((12, 12, 3))
        write_image(folder / "images" / f"{k}.png",
                    np.clip(imresize(small, output_shape=(96, 96)), 0, 1))


def _checkpoint(place: dict):
    def setup(folder, patch):
        import h5py

        _images(folder, patch)
        (folder / "run" / "checkpoints").mkdir(parents=True)
        with h5py.File(folder / "run" / "checkpoints" / "latest.h5", "w") as f:
            f.attrs["progress"] = json.dumps(place)
            f.create_group("model")
            f.create_group("optimizer")
    return setup


def _truncated_patch_cache(folder, patch):
    from zoo.training import sr_data

    _images(folder, patch)
    sr_data.cached_patch_bank(sr_data.image_files([folder / "images"]), folder / "cache",
                              progress=False)
    cache, = (folder / "cache").glob("*.npz")
    cache.write_bytes(cache.read_bytes()[:1000])
    return {"cache": str(cache)}


def _large_image(folder, patch):
    from PIL import Image

    Image.new("RGB", (3400, 3400)).save(folder / "large.png")


def _permission_denied(folder, patch):
    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    patch.setattr("PIL.Image.open", denied)


SETUPS = {
    "": lambda folder, patch: None,
    "empty state": _empty_state,
    "truncated state": _truncated_state,
    "flipped state": _flipped_state,
    "images": _images,
    "checkpoint epoch x": _checkpoint({"epoch": "x", "step": 0}),
    "checkpoint epoch -5": _checkpoint({"epoch": -5, "step": 0}),
    "checkpoint step 9 of 9": _checkpoint({"epoch": 0, "step": 9, "steps_per_epoch": 9}),
    "truncated patch cache": _truncated_patch_cache,
    "large image": _large_image,
    "permission denied": _permission_denied,
}


def _read_only(name: str, images: bool = False):
    """A setup: ``name`` in the case's folder, an old file the user made read-only."""
    def setup(folder, patch):
        if images:
            _images(folder, patch)
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"the user's previous file")
        path.chmod(0o444)
    return setup


def _folder(name: str):
    def setup(folder, patch):
        (folder / name).mkdir()
    return setup


def _read_only_saved_fit(folder, patch):
    _saved_fit(folder).chmod(0o444)


OUTPUT_SETUPS = {
    **{f"read-only {name}": _read_only(name) for name in (
        "out.tflite", "out.png", "out.json", "out_00010.png", "gallery/index.html")},
    **{f"images, read-only {name}": _read_only(name, images=True) for name in (
        "out.json", "run/config.json", "run/final.weights.h5")},
    **{f"folder {name}": _folder(name) for name in ("out.tflite", "out.json")},
    "read-only saved fit": _read_only_saved_fit,
}
SETUPS.update(OUTPUT_SETUPS)


# ---------------------------------------------------------------- running a case
@dataclass
class Outcome:
    status: int
    out: str
    err: str
    lost: list  # files there before that are gone or changed (by a case that failed)
    expected: str  # the case's message, its placeholders filled


_OUTCOMES: dict[str, Outcome] = {}


def run_case(fault: Fault, root: Path) -> Outcome:
    """Run ``fault`` once per session (the matrix reuses the parametrized tests' runs)."""
    if fault.name not in _OUTCOMES:
        _OUTCOMES[fault.name] = _run(fault, root / fault.name.replace(" ", "_"))
    return _OUTCOMES[fault.name]


def _run(fault: Fault, folder: Path) -> Outcome:
    from zoo.cli.main import main
    from zoo.image import write_image

    folder.mkdir(parents=True)
    write_image(folder / "src.png", (np.random.default_rng(0).random((24, 24, 3)) * 255)
                .astype(np.uint8))
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("zoo.cli.limits.memory_bytes", lambda: MEMORY)
        places = {"dir": str(folder), **(SETUPS[fault.setup](folder, patch) or {})}
        before = _files(folder)
        argv = [arg.format(**places) for arg in fault.argv]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(argv)
            except SystemExit as exit_:
                status = exit_.code
            except Exception:  # noqa: BLE001 - a crash is what the matrix counts
                traceback.print_exc()
                status = 1
    after = _files(folder)
    lost = [p for p in before if p not in after or (status != 0 and after[p] != before[p])]
    return Outcome(status, out.getvalue(), err.getvalue(), lost, fault.message.format(**places))


def _files(folder: Path) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("faults")


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault(fault, root):
    outcome = run_case(fault, root)
    assert "Traceback" not in outcome.err, outcome.err
    assert outcome.status == fault.status, outcome.err
    if fault.status == 2:
        assert outcome.err.splitlines() == [outcome.expected]
    else:
        assert outcome.expected in (outcome.out + outcome.err).splitlines()
    assert outcome.lost == []


def test_matrix(root):
    """The session-end summary: every case run (or its run reused), counted."""
    outcomes = {f.name: run_case(f, root) for f in FAULTS}
    one_line = sum(o.status == 2 and len(o.err.splitlines()) == 1
                   and o.err.startswith("zoo: error: ") for o in outcomes.values())
    recovered = sum(o.status == 0 for o in outcomes.values())
    tracebacks = sum("Traceback" in o.err for o in outcomes.values())
    lost = sum(len(o.lost) for o in outcomes.values())
    print(f"\nfault matrix: {len(outcomes)} cases tried, {one_line} one-line errors, "
          f"{recovered} recovered by themselves, {tracebacks} tracebacks, {lost} files lost")
    assert tracebacks == 0 and lost == 0
    assert one_line + recovered == len(outcomes)


# ---------------------------------------------------------------- what the table cannot hold
@pytest.mark.parametrize("fault", OUTPUT_CASES, ids=[f.name for f in OUTPUT_CASES])
def test_refused_outputs_write_nothing(fault, root):
    """A refused output leaves no new file (the cases' other outputs are named new*), no
    temporary file of zoo.atomic, and no saved fit or run folder begun."""
    from zoo.atomic import MARK

    run_case(fault, root)
    folder = root / fault.name.replace(" ", "_")
    made = [p.relative_to(folder) for p in folder.rglob("*")
            if p.name.startswith("new") or MARK in p.name or p.name == "checkpoints"
            or (p.name == "out_fit_state" and fault.setup != "read-only saved fit")]
    assert made == []


def test_restart_discards_a_damaged_saved_fit(root):
    """The flag the damaged-fit message names: the fit starts afresh and ends."""
    from zoo.cli.main import main

    folder = root / "restart"
    folder.mkdir()
    _images(folder, None)
    _empty_state(folder, None)
    status = main(["texture", str(folder / "images" / "0.png"), "--size", "16", "--iters", "2",
                   "--backbone", "random", "--optimizer", "adam", "--restart",
                   "--out", str(folder / "out.png")])
    assert status == 0
    assert (folder / "out.png").is_file() and not (folder / "out_fit_state").exists()


LITE = """
import keras, numpy as np
from zoo.export.tflite import LiteModel, to_tflite
model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(1, 3, padding="same")])
lite = LiteModel(to_tflite(model))
print("OUT", lite(np.zeros((1, 8, 8, 1), np.float32)).shape)
"""


def test_litert_says_nothing_on_stderr():
    """LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." (once a process,
    hence a fresh one) is held back, on every `zoo export`, `--tflite` eval and upscale."""
    from conftest import run_python

    result = run_python(LITE)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OUT (1, 8, 8, 1)" in result.stdout
    assert "XNNPACK" not in result.stderr, result.stderr
