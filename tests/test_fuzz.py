"""Fuzzing (issue 26, "nothing crashes"): the image reader and the command line end in a
result or a one-line error, never in a traceback.

Hypothesis, deterministic (``derandomize``: the same examples on every run, no example
database written) and bounded (``max_examples``): the whole file takes well under a minute on
2 CPU cores, most of it Keras' import when ``zoo train FAMILY`` derives its options.

* :func:`read_image` on random bytes, and on small real PNG, JPEG, BMP, GIF, TIFF and WebP
  files made here with Pillow, then mutated (bytes flipped, size fields set to extremes,
  truncated, another format's header spliced on, spans repeated or cut): a ``uint8`` array of a
  sane shape, or a one-line :class:`ZooError`.
* ``zoo``'s parser on random argument lists for every command, of its real option names and
  random tokens (nan, inf, -0, 1e308, huge integers, empty strings, unicode, paths): a
  namespace, or argparse's usage error (exit status 2, one ``error:`` line); every option's
  type on any text, line breaks included: a value or a one-line refusal.
* ``main(argv)`` on plausible argument lists for every command, with the heavy work (models,
  training, fitting, the demo) replaced by :class:`Reached`: only that, a result, or a
  one-line ``zoo: error:`` comes out (and within 20 s: a check that hangs fails).

What they found is kept as examples (:data:`FOUND`). Decompression bombs (a small file whose
header claims a huge image) are tested at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import signal
import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image

from zoo.errors import ImageError, ZooError
from zoo.image import read_image
from zoo.image import io as image_io

# No example database (database=None), and Hypothesis' caches (Unicode tables, constants of
# the code under test) go to a temporary folder rather than .hypothesis/ in the repository.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "zoo-hypothesis")
FUZZ = dict(derandomize=True, database=None, deadline=None, print_blob=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                   HealthCheck.filter_too_much])


def assert_one_line(message: str) -> None:
    """``message`` is one line of text (a trailing line break aside)."""
    assert message.strip() and len(message.strip().splitlines()) == 1, message


# ---------------------------------------------------------------- the image reader
def _seed_specs() -> dict[str, tuple[str, str, dict]]:
    """``{name: (mode, format, save options)}`` of the small files the mutations start from."""
    return {"rgb.png": ("RGB", "PNG", {}), "palette.png": ("P", "PNG", {"transparency": 0}),
            "bilevel.png": ("1", "PNG", {}), "la.png": ("LA", "PNG", {}),
            "rgb.jpg": ("RGB", "JPEG", {}), "cmyk.jpg": ("CMYK", "JPEG", {}),
            "progressive.jpg": ("RGB", "JPEG", {"progressive": True}),
            "rgb.bmp": ("RGB", "BMP", {}), "palette.bmp": ("P", "BMP", {}),
            "palette.gif": ("P", "GIF", {}), "rgb.tif": ("RGB", "TIFF", {}),
            "lzw.tif": ("RGBA", "TIFF", {"compression": "tiff_lzw"}),
            "lossless.webp": ("RGBA", "WEBP", {"lossless": True}),
            "lossy.webp": ("RGB", "WEBP", {"quality": 50})}


EXIF_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP")


def _make_seeds() -> dict[str, bytes]:
    """The encoded bytes of every seed file: a 7x6 image, with an EXIF rotation tag where the
    format keeps one (so that mutations reach the EXIF reader too)."""
    pixels = np.random.default_rng(0).integers(0, 256, (6, 7, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    seeds = {}
    for name, (mode, fmt, options) in _seed_specs().items():
        buffer = io.BytesIO()
        extra = {"exif": exif} if fmt in EXIF_FORMATS else {}
        Image.fromarray(pixels).convert(mode).save(buffer, format=fmt, **options, **extra)
        seeds[name] = buffer.getvalue()
    return seeds | _frames_and_deep_seeds(pixels)


def _frames_and_deep_seeds(pixels: np.ndarray) -> dict[str, bytes]:
    """Animations and pages (two frames: only the first is read), a JPEG-compressed TIFF, and
    files of more than 8 bits (:data:`REFUSED_SEEDS`)."""
    first, second = Image.fromarray(pixels), Image.fromarray(255 - pixels)
    frames = {"save_all": True, "append_images": [second]}
    files = {"animated.gif": (first.convert("P"), "GIF", {
                 "save_all": True, "append_images": [second.convert("P")], "duration": 10}),
             "animated.png": (first, "PNG", frames), "animated.webp": (first, "WEBP", frames),
             "pages.tif": (first, "TIFF", frames), "jpeg.tif": (first, "TIFF",
                                                               {"compression": "jpeg"}),
             "gray16.png": (Image.fromarray(pixels[..., 0].astype(np.uint16) * 257), "PNG", {}),
             "float.tif": (Image.fromarray(pixels[..., 0].astype(np.float32)), "TIFF", {})}
    seeds = {}
    for name, (image, fmt, options) in files.items():
        buffer = io.BytesIO()
        image.save(buffer, format=fmt, **options)
        seeds[name] = buffer.getvalue()
    return seeds


REFUSED_SEEDS = ("gray16.png", "float.tif")


SEEDS = _make_seeds()
MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"BM", b"GIF89a", b"GIF87a", b"II*\x00",
         b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"RIFF\x00\x00\x00\x00WEBPVP8L")
EXTREMES = (b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\xff\xff\xff\x7f",
            b"\x80\x00\x00\x00", b"\x00\x00\x00\x80", b"\x00\x00\x75\x30", b"\x30\x75\x00\x00",
            b"\x00\x01", b"\xff\xff")


def _position(draw, data: bytearray) -> int:
    """A byte of ``data``, most often in its first 64 (headers: sizes, modes, offsets)."""
    return draw(st.one_of(st.integers(0, min(len(data), 64) - 1), st.integers(0, len(data) - 1)))


def _flip(draw, data: bytearray) -> bytearray:
    data[_position(draw, data)] ^= draw(st.integers(1, 255))
    return data


def _extreme(draw, data: bytearray) -> bytearray:
    at, value = _position(draw, data), draw(st.sampled_from(EXTREMES))
    data[at:at + len(value)] = value
    return data


def _truncate(draw, data: bytearray) -> bytearray:
    return data[:draw(st.integers(0, len(data) - 1))]


def _splice(draw, data: bytearray) -> bytearray:
    """Another seed's header on this one's body."""
    other, cut = SEEDS[draw(st.sampled_from(sorted(SEEDS)))], draw(st.integers(1, 80))
    return bytearray(other[:cut]) + data[cut:]


def _repeat(draw, data: bytearray) -> bytearray:
    start = _position(draw, data)
    end = draw(st.integers(start, min(len(data), start + 64)))
    return data[:end] + data[start:end] * draw(st.integers(1, 4)) + data[end:]


def _cut(draw, data: bytearray) -> bytearray:
    start = _position(draw, data)
    return data[:start] + data[draw(st.integers(start, len(data))):]


MUTATIONS = (_flip, _extreme, _truncate, _splice, _repeat, _cut)


@st.composite
def mutated_images(draw) -> bytes:
    """A seed file with one to four mutations."""
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return bytes(data)


random_files = st.one_of(st.binary(max_size=300),
                         st.builds(bytes.__add__, st.sampled_from(MAGIC), st.binary(max_size=300)))


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "input.img"


def read_or_one_line(path: Path) -> None:
    """``read_image(path)``: a sane uint8 array, or a one-line ZooError; anything else fails."""
    try:
        image = read_image(path)
    except ZooError as err:
        assert_one_line(str(err))
        reason = re.sub(r"\d[\d.e+]*", "N", str(err).partition(": ")[2])
        event(f"refused: {re.sub(r'[(].*', '', reason)[:40]}")
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] in (1, 3, 4)
    assert 1 <= image.shape[0] * image.shape[1] <= image_io.MAX_PIXELS, image.shape
    event("read")


PILLOW_NOTES = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
"""Pillow's notes on damaged metadata ("Corrupt EXIF data", "Tag data larger than file")
are warnings, not failures: the image reads or is refused all the same."""


@PILLOW_NOTES
@settings(**FUZZ, max_examples=2500)
@given(data=mutated_images())
def test_mutated_images_read_or_fail_in_one_line(fuzz_file, data):
    fuzz_file.write_bytes(data)
    read_or_one_line(fuzz_file)


@PILLOW_NOTES
@settings(**FUZZ, max_examples=400)
@given(data=random_files)
def test_random_bytes_read_or_fail_in_one_line(fuzz_file, data):
    fuzz_file.write_bytes(data)
    read_or_one_line(fuzz_file)


def test_the_seeds_read_as_images(fuzz_file):
    """Unmutated, every seed file reads (deep ones are refused): the fuzzers start from valid
    files."""
    for name, data in SEEDS.items():
        fuzz_file.write_bytes(data)
        if name in REFUSED_SEEDS:
            with pytest.raises(ImageError, match="16 bits per channel|unsupported pixel mode"):
                read_image(fuzz_file)
            continue
        turned = name in _seed_specs() and _seed_specs()[name][1] in EXIF_FORMATS  # upright
        assert read_image(fuzz_file).shape[:2] == ((7, 6) if turned else (6, 7)), name


# ---------------------------------------------------------------- the command line
NUMBERS = ("0", "-0", "1", "-1", "2", "3", "4", "8", "16", "17", "256", "0.5", "-0.5", "0.02",
           "1e308", "-1e308", "1e309", "5e-324", "nan", "NaN", "-nan", "inf", "-inf", "Infinity",
           " 3 ", "1_0", "0x10", "9" * 40, "-" + "9" * 40, "9" * 5000, "2,3,4", "2,,3", ",",
           "1,0.7,0.5", "0,1", "", "-", "--", "=")
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12)


def parsers(parser: argparse.ArgumentParser, path: tuple = ()) -> dict:
    """``{command path: parser}`` of ``parser`` and all its sub-commands (``("train", "vdsr")``)."""
    found = {path: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(parsers(sub, (*path, name)))
    return found


@pytest.fixture(scope="module")
def cli() -> tuple[argparse.ArgumentParser, dict]:
    """The ``zoo`` parser and its sub-parsers, each ``zoo train FAMILY``'s recipe options added
    (this imports Keras once)."""
    from zoo.cli.main import build_parser
    from zoo.cli.train import RecipeParser

    parser = build_parser()
    table = parsers(parser)
    for sub in table.values():
        if isinstance(sub, RecipeParser):
            sub.add_config_options()
    return parser, table


def option_names(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(s for a in parser._actions for s in a.option_strings if s not in ("-h", "--help"))


def choices(parser: argparse.ArgumentParser) -> list[str]:
    return sorted(str(c) for a in parser._actions if a.choices for c in a.choices)


def random_tokens(parser: argparse.ArgumentParser, paths: list[str]):
    """Tokens for ``parser``: its options (alone or ``--opt=value``), choices, numbers, text."""
    names = st.sampled_from(option_names(parser) or ["--x"])
    value = st.one_of(st.sampled_from(NUMBERS), TEXT, st.sampled_from(paths))
    return st.one_of(names, st.builds("{}={}".format, names, value), value,
                     st.sampled_from(choices(parser) or ["x"]))


def assert_usage_error(stderr: str) -> None:
    """argparse's usage lines, then one ``PROG: error: MESSAGE`` line."""
    lines = stderr.rstrip("\n").splitlines()
    assert lines and lines[0].startswith("usage: "), stderr
    assert re.match(r"^zoo( \S+)*: error: ", lines[-1]), stderr
    assert sum(": error: " in line for line in lines) == 1, stderr


def parse(parser: argparse.ArgumentParser, argv: list[str]):
    """``parser.parse_args(argv)``, or None after a usage error (checked) or ``--help``."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            return parser.parse_args(argv)
        except SystemExit as stop:
            status = stop.code
    assert status in (0, 2), status
    if status == 2:
        assert_usage_error(stderr.getvalue())
    event(f"exit {status}")
    return None


@settings(**FUZZ, max_examples=1200)
@given(data=st.data())
def test_any_arguments_parse_or_get_a_usage_error(cli, workspace, data):
    parser, table = cli
    path = data.draw(st.sampled_from(sorted(table)), label="command")
    tokens = data.draw(st.lists(random_tokens(table[path], workspace.paths), max_size=8))
    if parse(parser, [*path, *tokens]) is not None:
        event("parsed")


SPACE = st.text(st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\u2028"), max_size=2)
"""Whitespace, line breaks included, which ``int`` and ``float`` strip around a number."""


def typed_options(table: dict) -> list[tuple[str, argparse.Action]]:
    """``(command option, action)`` of every option or positional with a type, once each."""
    found = {f"{' '.join(path)} {(a.option_strings or [a.dest])[0]}": a
             for path, parser in table.items() for a in parser._actions if callable(a.type)}
    return sorted(found.items())


@settings(**FUZZ, max_examples=600)
@given(data=st.data())
def test_option_values_are_refused_in_one_line(cli, data):
    """Every option's type takes the text or refuses it in one line, whatever the text (line
    breaks included: argparse echoes the zoo's message as it is, and its own with repr)."""
    name, action = data.draw(st.sampled_from(typed_options(cli[1])), label="option")
    text = data.draw(st.one_of(st.sampled_from(NUMBERS), st.text(max_size=12),
                               st.builds("{}{}{}".format, SPACE, st.sampled_from(NUMBERS), SPACE)))
    try:
        action.type(text)
    except argparse.ArgumentTypeError as err:
        assert_one_line(str(err))
    except (TypeError, ValueError):  # argparse: "invalid int value: 'TEXT'"
        pass


# ---------------------------------------------------------------- main() before the work
class Reached(Exception):
    """Raised where a command's heavy work would begin: its checks before the work passed."""


def _reached(*args, **kwargs):
    raise Reached


HEAVY = {"zoo": ["load"], "zoo.cli.loading": ["load"], "zoo.demo": ["run_demo"],
         "zoo.sr": ["evaluate", "upscale"], "zoo.models.dip.fit": ["Fit"],
         "zoo.models.texture_nets.gatys": ["synthesize_texture", "transfer_style"],
         "zoo.models.deepwarp.gaze": ["redirect_gaze"],
         "zoo.training.strategies": ["worker_strategy"],
         "zoo.training.vdsr": ["fit", "load_patches"], "zoo.training.stn": ["fit", "load_split"],
         "zoo.training.deepwarp": ["fit", "load_bank"], "zoo.training.texture_nets": ["fit"],
         "zoo.training.johnson": ["fit"], "zoo.training.adain": ["fit"],
         "zoo.training.chairs": ["fit", "load"], "zoo.training.crn": ["fit", "examples"]}
"""Where each command's heavy work starts: models, data banks, training, fitting, the demo."""


OUTPUTS = {"out", "output", "json", "eyes", "state"}
"""The destinations of options and positionals that name an output."""


LONG = "x" * 300 + ".png"
"""A file name longer than file systems allow (255 bytes): not "missing", ENAMETOOLONG."""
NEAR_LONG = "y" * 248 + ".png"
"""A file name file systems allow, but not with ``_fit_state`` (a fit's saved state) added."""


class Workspace:
    """A folder of small inputs (good, odd and broken images, folders, text) and output names,
    the working directory of the commands run here."""

    def __init__(self, root: Path):
        rng = np.random.default_rng(1)
        self.root = root
        photo = rng.integers(0, 256, (24, 24, 3), np.uint8)
        Image.fromarray(photo).save(root / "photo.png")
        Image.fromarray(photo).save(root / "photo.jpg")
        Image.fromarray(photo[..., 0]).save(root / "gray.png")
        Image.fromarray(np.dstack([photo, photo[..., :1]])).save(root / "rgba.png")
        Image.fromarray(np.where(photo[..., 0] > 60, 255, 0).astype(np.uint8)).save(
            root / "mask.png")
        Image.fromarray(photo[:2, :2]).save(root / "tiny.png")
        (root / "broken.png").write_bytes((root / "photo.png").read_bytes()[:80])
        bomb_png(root / "bomb.png", 30000, 30000)
        (root / "notes.txt").write_text("not an image")
        (root / "photos").mkdir()
        for name in ("a.png", "b.png"):
            Image.fromarray(photo).save(root / "photos" / name)
        (root / "empty").mkdir()
        names = ["photo.png", "photo.jpg", "gray.png", "rgba.png", "mask.png", "tiny.png",
                 "broken.png", "bomb.png", "notes.txt", "photos", "empty", "missing.png",
                 "out.png", "out.jpg", "out.bmp", "out.gif", "out", "out.tflite", "out.json",
                 "new/dir/out.png", "notes.txt/out.png", "run", "w.weights.h5", "vdsr_291_h200",
                 "photos/*.png", "", "-", "."]
        self.paths = [str(root / n) if n not in ("", "-") else n for n in names + [LONG]]
        self.inputs = [str(root / n) for n in ("photo.png", "photo.jpg", "gray.png", "rgba.png",
                                               "mask.png", "tiny.png", "photos", LONG)]
        self.outputs = [str(root / n) for n in ("out.png", "out.jpg", "out.tflite", "out.json",
                                                "run", "new/dir/out.png", LONG, NEAR_LONG)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def before_the_work(cli, workspace):
    """Heavy work replaced by :class:`Reached`, in the workspace folder."""
    import importlib

    with pytest.MonkeyPatch.context() as patch:
        for module, names in HEAVY.items():
            for name in names:
                patch.setattr(importlib.import_module(module), name, _reached)
        patch.chdir(workspace.root)
        yield


def values(action: argparse.Action, workspace: Workspace):
    """Values of one option or positional (its choices, numbers, inputs or outputs), seven
    times in eight one that its type accepts."""
    if action.choices:
        anything = TEXT
        valid = st.sampled_from(sorted(map(str, action.choices)))
    elif action.type is not None:
        anything = st.sampled_from(NUMBERS)
        valid = st.sampled_from([v for v in NUMBERS if accepts(action, v)] or NUMBERS)
    else:
        anything = st.sampled_from(workspace.paths)
        valid = st.sampled_from(workspace.outputs if action.dest in OUTPUTS else workspace.inputs)
    return st.sampled_from((valid,) * 7 + (anything,)).flatmap(lambda strategy: strategy)


def accepts(action: argparse.Action, text: str) -> bool:
    """Whether the option's type takes ``text``."""
    try:
        action.type(text)
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        return False
    return True


def occurrence(action: argparse.Action, workspace: Workspace):
    """One option on the command line: its name and as many values as it takes."""
    name = st.just([action.option_strings[-1]])
    if action.nargs == 0:
        return name
    counts = {None: st.just(1), "?": st.integers(0, 1), "*": st.integers(0, 2),
              "+": st.integers(1, 2)}
    count = counts.get(action.nargs, st.just(action.nargs))  # or a fixed number
    lists = count.flatmap(lambda n: st.lists(values(action, workspace), min_size=n, max_size=n))
    return st.tuples(name, lists).map(lambda pair: pair[0] + pair[1])


def plausible_argv(parser: argparse.ArgumentParser, workspace: Workspace):
    """Arguments for one command: its positionals, required options and a few optional ones."""
    actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    positionals = st.tuples(*[values(a, workspace) for a in actions if not a.option_strings])
    required = st.tuples(*[occurrence(a, workspace) for a in actions
                           if a.required and a.option_strings])
    optional = [a for a in actions if a.option_strings and not a.required] or [None]
    chosen = st.lists(st.sampled_from(optional), unique=True, max_size=5).flatmap(
        lambda picked: st.tuples(*[occurrence(a, workspace) for a in picked if a]))
    return st.tuples(positionals, required, chosen).map(
        lambda parts: list(parts[0]) + [t for group in parts[1:] for o in group for t in o])


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail, rather than hang, a block that takes longer than ``seconds`` (SIGALRM)."""
    def stop(signum, frame):
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_main(argv: list[str]) -> str:
    """``zoo ARGV`` in this process: what it came to (the outcome is checked here; checks that
    hang, such as 2 ** (10**40 - 1) did, fail after 20 s)."""
    from zoo.cli.main import main

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()), \
            time_limit(20):
        try:
            status = main(argv)
        except Reached:
            return "work reached"
        except SystemExit as stop:
            assert stop.code in (0, 2), stop.code
            if stop.code == 2:
                assert_usage_error(stderr.getvalue())
            return f"usage error {stop.code}"
    if status == 2:
        last = stderr.getvalue().rstrip("\n").splitlines()[-1:]
        assert last and last[0].startswith("zoo: error: "), stderr.getvalue()
        return "zoo: error"
    assert status == 0, (status, stderr.getvalue())
    return "done"


@settings(**FUZZ, max_examples=500)
@given(data=st.data())
def test_commands_check_their_inputs_in_one_line_before_the_work(cli, workspace,
                                                                 before_the_work, data):
    _, table = cli
    runnable = sorted(path for path, p in table.items() if "run" in p._defaults)
    path = data.draw(st.sampled_from(runnable), label="command")
    argv = [*path, *data.draw(plausible_argv(table[path], workspace), label="arguments")]
    event(f"{' '.join(path)}: {run_main(argv)}")


FOUND = {
    "texture_nets --scales 10**40 hung in 2 ** (scales - 1)": (
        ["train", "texture_nets", "--texture", "photo.png", "--out", "run", "--scales",
         "9" * 40], "zoo: error"),
    "a number option's refusal echoed the line break in '\\x85-1' (two lines)": (
        ["style", "photo.png", "photo.png", "--out", "out.png", "--style-weight", "\x85-1"],
        "usage error 2"),
    "a name too long for the file system: OSError in read_image": (
        ["upscale", LONG, "out.png"], "zoo: error"),
    "a name too long for the file system: OSError in list_images": (
        ["eval", "vdsr", "--data", LONG], "zoo: error"),
    "an output name too long: passed the checks, OSError in zoo.fit_state": (
        ["dip", "denoise", "photo.png", "--out", LONG], "zoo: error"),
    "a result's name that fits, its fit state's not: OSError in zoo.fit_state": (
        ["texture", "photo.png", "--size", "16", "--out", NEAR_LONG], "zoo: error"),
    "a run folder's name too long: passed the checks, OSError in the recipe's mkdir": (
        ["train", "deepwarp", "--out", LONG], "zoo: error"),
    "a name too long: OSError in the LiteRT loader": (
        ["eval", "vdsr", "--data", "photos", "--tflite", LONG], "zoo: error"),
    "a name too long: OSError in check_weights_file": (
        ["train", "vdsr", "--data", "photos", "--out", "run", "--init-weights", LONG],
        "zoo: error"),
    "a name too long: OSError in the image sources": (
        ["train", "texture_nets", "--texture", "photo.png", "--content", LONG, "--out", "run"],
        "zoo: error"),
}
"""What the fuzzers found, kept as examples: ``{what: (argv, outcome)}`` (in the workspace)."""


@pytest.mark.parametrize("argv, outcome", FOUND.values(), ids=list(FOUND))
def test_what_the_fuzzers_found(cli, before_the_work, argv, outcome):
    assert run_main(argv) == outcome


# ---------------------------------------------------------------- decompression bombs
def bomb_png(path: Path, width: int, height: int) -> Path:
    """A 60-byte PNG whose header claims ``width`` x ``height`` RGB pixels (no pixel data)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"")
                     + chunk(b"IEND", b""))
    return path


def bomb_gif(path: Path, width: int, height: int) -> Path:
    """A GIF whose screen and only frame claim ``width`` x ``height`` (one pixel of data)."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    path.write_bytes(b"GIF89a" + screen + frame + b";")
    return path


def bomb_bmp(path: Path, width: int, height: int) -> Path:
    """A BMP whose header claims ``width`` x ``height`` 24-bit pixels, with none of them."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    path.write_bytes(b"BM" + struct.pack("<IHHI", 54, 0, 0, 54) + info)
    return path


@pytest.mark.parametrize("make", [bomb_png, bomb_gif, bomb_bmp])
@pytest.mark.parametrize("side", [10_000, 30_000])  # 100 Mpx: Pillow warns; 900: it raises
def test_a_header_claiming_a_huge_image_is_refused_in_one_line(tmp_path, make, side):
    path = make(tmp_path / f"bomb.{make.__name__[5:]}", side, side)
    with pytest.raises(ImageError) as refused:
        read_image(path)
    megapixels = f"{side * side / 1e6:g}"
    assert str(refused.value) == (f"{path}: {megapixels} megapixels is more than the zoo reads "
                                  "(limit 89.48); a decompression bomb, or an image to downscale "
                                  "first")


def test_the_zoo_limit_holds_where_pillow_has_none(tmp_path, monkeypatch):
    """Without Pillow's limit, the zoo's own (``MAX_PIXELS``) refuses before decoding."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    monkeypatch.setattr(image_io, "MAX_PIXELS", 100)
    Image.new("RGB", (10, 10)).save(tmp_path / "100.png")
    Image.new("RGB", (11, 10)).save(tmp_path / "110.png")
    assert read_image(tmp_path / "100.png").shape == (10, 10, 3)
    with pytest.raises(ImageError, match=r"110.png: 0.00011 megapixels is more than the zoo "
                                         r"reads \(limit 0.0001\)"):
        read_image(tmp_path / "110.png")


def test_a_bomb_is_refused_by_the_command_in_one_line(workspace, before_the_work):
    assert run_main(["upscale", str(workspace.root / "bomb.png"), "out.png"]) == "zoo: error"
