"""The saved state of an unfinished optimisation, so that the same command continues it.

Deep Image Prior (:mod:`zoo.models.dip.fit`) and Gatys' pixel optimisation
(:mod:`zoo.models.texture_nets.gatys`) run one long loop per image, with no dataset and no
Keras ``fit``, so ``BackupAndRestore`` does not apply. Both keep the loop's
state in one file, ``DIR/state.npz``: named NumPy arrays plus a JSON ``meta``
entry with the loop's bookkeeping and a ``fingerprint`` of the problem (a
state saved for another image or setting is refused, never silently mixed in).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np

from zoo.atomic import atomic_path, leftovers
from zoo.errors import ZooError, summarize

__all__ = ["PARTIAL_FILE", "STATE_FILE", "CtrlC", "DamagedState", "check_state", "clear_state",
           "continuing", "ctrl_c_between_steps", "digest", "has_state", "load_state", "read_state", "save_state"]

STATE_FILE = "state.npz"  # in the state folder: the arrays and the loop's bookkeeping
PARTIAL_FILE = STATE_FILE + ".partial.npz"  # what older versions wrote first (now zoo.atomic's)


def save_state(folder: str | os.PathLike, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``folder/state.npz`` atomically (a kill while writing keeps the old one)."""
    target = Path(folder) / STATE_FILE
    with atomic_path(target) as tmp:
        np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
    return target


def load_state(folder: str | os.PathLike, fingerprint: str,
               differs: str = "a different input or setting") -> tuple[dict, dict]:
    """``(meta, arrays)`` of ``folder/state.npz``; a one-line :class:`ZooError` when it is
    unreadable or its fingerprint is not ``fingerprint`` (``differs`` says what that means)."""
    path = Path(folder) / STATE_FILE
    meta, arrays = read_state(path)
    if meta.get("fingerprint") != fingerprint:
        raise ZooError(f"{path} is the saved state of another fit ({differs}); run the same "
                       "command with --restart to discard it, or write the result elsewhere")
    return meta, arrays


READ_ERRORS = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile,
               zlib.error)
"""What ``np.load`` of an empty, truncated or bit-flipped ``.npz`` raises."""


def read_state(path: str | os.PathLike) -> tuple[dict, dict]:
    """``(meta, arrays)`` of a ``state.npz``, every array read (so that its checksum is
    checked); a damaged file is a one-line :class:`DamagedState`."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            arrays = {k: saved[k] for k in saved.files if k != "meta"}
    except READ_ERRORS as err:
        raise DamagedState(path, err) from None
    if not isinstance(meta, dict):
        raise DamagedState(path, "its bookkeeping is not a JSON object")
    return meta, arrays


class DamagedState(ZooError):
    """A saved fit that cannot be read: empty, cut short or corrupted."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: the saved fit is damaged ({summarize(reason, 80)}); run the "
                         "same command with --restart to discard it and start afresh")


def check_state(folder: str | os.PathLike | None) -> None:
    """Refuse a damaged saved fit in ``folder`` now, before any model is built."""
    if has_state(folder):
        read_state(Path(folder) / STATE_FILE)


def continuing(folder: str | os.PathLike, done: int, planned: int | None = None) -> str:
    """The note a continued fit prints (after its saved state was accepted); a fit that has
    done ``planned`` iterations or more (a run asking for fewer) is taken as it is."""
    if planned is not None and done >= planned:
        return (f"the fit saved in {folder} has done {done} iterations, not fewer than the "
                f"{planned} asked for: its result is taken as it is")
    return f"continuing the unfinished fit saved in {folder} ({done} iterations done)"


def has_state(folder: str | os.PathLike | None) -> bool:
    """Whether ``folder`` holds a saved fit to continue."""
    return folder is not None and (Path(folder) / STATE_FILE).is_file()


def clear_state(folder: str | os.PathLike) -> None:
    """Remove a saved fit (and a half-written one), and ``folder`` itself if that empties it."""
    folder = Path(folder)
    for path in (folder / STATE_FILE, folder / PARTIAL_FILE, *leftovers(folder / STATE_FILE)):
        path.unlink(missing_ok=True)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def digest(*parts) -> str:
    """SHA-256 of arrays (their bytes, dtype and shape) and other values (their ``repr``)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(np.ascontiguousarray(part).tobytes())
            h.update(repr((part.dtype.str, part.shape)).encode())
        else:
            h.update(repr(part).encode())
        h.update(b"\x00")
    return h.hexdigest()


class CtrlC:
    pressed = False


@contextlib.contextmanager
def ctrl_c_between_steps(enabled: bool):
    """While enabled, Ctrl-C only sets ``pressed``; the loop stops after the step it is in.

    A step interrupted half-way could leave the variables one step ahead of the
    bookkeeping; waiting for its end keeps the saved state exact. A second Ctrl-C
    stops at once (Python's own handler is back), losing only what came after the
    last save. Signals reach the main thread only: elsewhere nothing changes.
    """
    flag = CtrlC()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def press(signum, frame):
        flag.pressed = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, press)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
