"""Checks of a command's outputs before any work, and writing small results.

An output path that cannot be written, is a folder, is an existing read-only file, or is one
of the command's inputs is refused in one line before a model is built. Read-only is
refused also for root: the zoo writes every file atomically (:mod:`zoo.atomic`, a rename
over the target), which would otherwise replace a file the user protected.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from zoo.atomic import read_only, special, writing
from zoo.errors import ZooError


def check_output(path, suffixes=None, inputs=()) -> None:
    """Refuse an output path we cannot write (default: an image's), or that is one of the
    command's ``inputs``, before any work is done."""
    if suffixes is None:
        from zoo.image.io import WRITE_FORMATS as suffixes
    refuse_inputs(path, inputs)
    if os.path.splitext(str(path))[1].lower() not in suffixes:
        allowed = suffixes[0] if len(suffixes) == 1 else f"one of {', '.join(suffixes)}"
        raise ZooError(f"{path}: output must end in {allowed}")
    check_writable(path)


def refuse_inputs(path, inputs) -> None:
    """Refuse an output that is one of the command's ``inputs`` (or of its other outputs)."""
    for item in inputs:
        if item and path and same_file(item, path):
            raise ZooError(f"{path}: is already one of this command's files; give another "
                           "output")


def same_file(a, b) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def check_folder(path, files=()) -> None:
    """Refuse an output folder (a run's, the demo's, a saved fit's) that is a file or cannot
    be written, or whose ``files`` (names inside it the command writes) are read-only."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ZooError(f"{path}: is a file, not a folder")
    check_name_lengths(path)
    check_creatable(path, path)
    for name in files:
        check_not_read_only(os.path.join(path, name))


def check_writable(path, inputs=()) -> None:
    """Refuse an output path that is a folder, a read-only file or one of ``inputs``, or
    whose folder is a file or read-only, before any work is done (``None``, an output not
    asked for, passes)."""
    if path is None:
        return
    refuse_inputs(path, inputs)
    if os.path.isdir(path):
        raise ZooError(f"{path}: is a folder; give a file name")
    if special(path):  # /dev/null, a FIFO: written into, not replaced
        if not os.access(path, os.W_OK):
            raise ZooError(f"{path}: cannot be written (permission denied)")
        return
    check_not_read_only(path)
    check_name_lengths(path)
    check_creatable(os.path.dirname(os.path.realpath(path)), path)  # a link's target's folder


def check_not_read_only(path) -> None:
    """Refuse an existing file that is read-only (for root too; see the module's note)."""
    if read_only(path):
        raise ZooError(f"{path}: is read-only; give another output or make it writable")


def check_snapshots(out, every: int) -> None:
    """With snapshots (``every`` > 0), refuse a read-only ``OUT_<step>.png`` already beside
    ``out`` (a Path): a snapshot the run would write over."""
    if not every:
        return
    out = Path(out)
    pattern = re.compile(re.escape(out.stem) + r"_\d{5,}" + re.escape(out.suffix) + "$")
    try:
        names = sorted(os.listdir(out.parent))
    except OSError:
        return
    for name in names:
        if pattern.match(name):
            check_not_read_only(out.with_name(name))


def check_name_lengths(path) -> None:
    """Refuse a path with a name longer than its file system allows (255 bytes, mostly):
    ``os.path.exists`` calls it missing, and writing it fails only after the work."""
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    try:
        limit = os.pathconf(existing, "PC_NAME_MAX")
    except (OSError, ValueError):  # a system that does not say
        return
    longest = max(len(os.fsencode(name)) for name in Path(os.path.abspath(path)).parts)
    if longest > limit:
        raise ZooError(f"{path}: cannot be written, a name in it is {longest} bytes long, more "
                       f"than the {limit} its file system allows")


def check_creatable(folder, shown) -> None:
    """``folder`` exists or can be made (missing folders are created when the result is
    written): the nearest one that exists must be a folder in which a file can be created."""
    folder = os.path.abspath(folder)
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    if not os.path.isdir(folder):
        raise ZooError(f"{shown}: cannot be written, {folder} is a file, not a folder")
    try:  # os.access says yes to root everywhere, even on a read-only mount or in /proc
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError:
        raise ZooError(f"{shown}: cannot be written, {folder} is not writable") from None


def write_json(path, data) -> None:
    """Write ``data`` as indented JSON, creating missing folders (checked by check_writable)."""
    import json

    try:  # atomically (zoo.atomic): a kill mid-write keeps the previous file
        with writing(path, "w") as f:
            json.dump(data, f, indent=2)
    except OSError as err:
        raise ZooError(f"{path}: cannot write ({err.strerror or err})") from None
