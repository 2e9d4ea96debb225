"""Checks of a command's outputs before any work, and writing small results.

An output path that cannot be written, is a folder, or is one of the command's
inputs is refused in one line before a model is built.
"""

from __future__ import annotations

import os
import tempfile

from zoo.errors import ZooError


def check_output(path, suffixes=None, inputs=()) -> None:
    """Refuse an output path we cannot write (default: an image's), or that is one of the
    command's ``inputs``, before any work is done."""
    for item in inputs:
        if item and same_file(item, path):
            raise ZooError(f"{path}: is already one of this command's files; give another "
                           "output")
    if suffixes is None:
        from zoo.image.io import WRITE_FORMATS as suffixes
    if os.path.splitext(str(path))[1].lower() not in suffixes:
        allowed = suffixes[0] if len(suffixes) == 1 else f"one of {', '.join(suffixes)}"
        raise ZooError(f"{path}: output must end in {allowed}")
    check_writable(path)


def same_file(a, b) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)


def check_folder(path) -> None:
    """Refuse an output folder (a run's or the demo's) that is a file or cannot be written."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ZooError(f"{path}: is a file, not a folder")
    check_creatable(path, path)


def check_writable(path) -> None:
    """Refuse an output path whose folder is a file or read-only, before any work is done
    (``None``, an output not asked for, passes)."""
    if path is None:
        return
    if os.path.isdir(path):
        raise ZooError(f"{path}: is a folder; give a file name")
    check_creatable(os.path.dirname(os.path.abspath(path)), path)


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
    """Write ``data`` as indented JSON, creating missing folders (checked by _check_writable)."""
    import json

    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
    except OSError as err:
        raise ZooError(f"{path}: cannot write ({err.strerror or err})") from None
