"""Every file the zoo writes, written whole or not at all.

A file is written under a temporary name in its own folder, flushed and fsynced, then
renamed over the target with ``os.replace`` (atomic on POSIX and Windows), and the folder is
fsynced where the OS allows: a kill, a full disk or a crash mid-write leaves the previous
file as it was, never half a new one. The temporary name keeps the target's extension
(Keras' ``save_weights`` needs ``.weights.h5``, NumPy's ``savez`` ``.npz``, Pillow infers
its format from it) and carries host and process, so that processes sharing a folder (the
workers of one multi-worker run) never collide.

* :func:`write_bytes`, :func:`write_text`: the whole content at once.
* :func:`writing`: a file object to write to (``with writing(path, "w") as f: ...``).
* :func:`atomic_path`: a temporary path, for writers that want a file name
  (``with atomic_path(path) as tmp: model.save_weights(tmp)``).

On any exception the temporary file is removed and the target is untouched. An existing
target that is read-only (no write bit, or not writable by this user) is refused with
``PermissionError``, as writing into it would be: a rename would silently replace a file
the user protected. A target that is a symbolic link is written through the link. The
target's permission bits are kept. A device or a FIFO (``/dev/null``) is written into as
it is, not replaced. A temporary file left by a killed process of this host
is removed by the next write of the same target.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "leftovers", "read_only", "refuse_read_only", "special",
           "temporary_name", "writing", "write_bytes", "write_text"]

MARK = ".tmp-"  # in every temporary name: ".NAME.tmp-HOST-PID-N.EXT"
_COUNTER = itertools.count()  # two writes of one target by one process (threads) differ too


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path written."""
    with writing(path, "wb") as f:
        f.write(data)
    return Path(path)


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8",
               newline: str | None = None) -> Path:
    """Write ``text`` to ``path`` atomically; returns the path written."""
    with writing(path, "w", encoding=encoding, newline=newline) as f:
        f.write(text)
    return Path(path)


@contextlib.contextmanager
def writing(path: str | os.PathLike, mode: str = "w", **open_args) -> Iterator:
    """A file object (``open(tmp, mode, **open_args)``) whose content replaces ``path`` when
    the block ends without an exception; ``mode`` is ``"w"`` or ``"wb"``."""
    if mode not in ("w", "wb"):
        raise ValueError(f"writing() writes a whole file: mode 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as tmp, open(tmp, mode, **open_args) as f:
        yield f


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` (ending in ``suffix``, by default the name's
    extensions, e.g. ``.weights.h5``) for the block to write; when it ends, the file is
    fsynced and renamed over ``path``. Missing folders are created. On an exception, or
    where the block wrote nothing, the temporary file is removed and ``path`` left as it
    was."""
    target = _resolved(path)
    if special(target):  # a device or a FIFO cannot be replaced, and must not be
        yield target
        return
    refuse_read_only(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = _extensions(target.name) if suffix is None else suffix
    _remove_stale(target, suffix)
    tmp = temporary_name(target, suffix)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(errno.ENOENT, "the writer wrote no file", str(tmp))
        _commit(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def temporary_name(target: str | os.PathLike, suffix: str | None = None) -> Path:
    """The temporary name of a write of ``target`` by this process: hidden, in the same
    folder, ``.NAME.tmp-HOST-PID-N`` plus ``suffix``."""
    target = Path(target)
    suffix = _extensions(target.name) if suffix is None else suffix
    return target.with_name(f"{_prefix(target.name, suffix)}{_host()}-{os.getpid()}-"
                            f"{next(_COUNTER)}{suffix}")


def _prefix(name: str, suffix: str) -> str:
    """What every temporary name of ``name`` starts with: ``.STEM.tmp-``."""
    stem = name[:len(name) - len(suffix)] if suffix and name.endswith(suffix) else name
    return f".{stem}{MARK}"


def leftovers(target: str | os.PathLike, suffix: str | None = None) -> list[Path]:
    """The temporary files of ``target`` that are still there (any host's, any process's):
    what a killed writer left, for a caller that clears a folder."""
    target = Path(target)
    suffix = _extensions(target.name) if suffix is None else suffix
    prefix = _prefix(target.name, suffix)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return [target.parent / name for name in sorted(names)
            if name.startswith(prefix) and name.endswith(suffix)]


def read_only(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an existing file without a write bit, or one this user may not
    write (root too: a rename would ignore the protection that ``open`` honours)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and (not mode & 0o222 or not os.access(path, os.W_OK))


def refuse_read_only(path: str | os.PathLike) -> None:
    """Raise ``PermissionError`` (as ``open`` would) where ``path`` is :func:`read_only`."""
    if read_only(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


def special(path: str | os.PathLike) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (``/dev/null``, a
    FIFO): written into as it is, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _resolved(path: str | os.PathLike) -> Path:
    """``path``, or the file a symbolic link at ``path`` points to (written through it)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _extensions(name: str) -> str:
    """The extensions of a file name, ``.weights.h5`` of ``final.weights.h5``: those made of
    letters and digits only (a dot inside a name, ``v1.2_final.png``, is no extension)."""
    found = re.search(r"(\.[A-Za-z0-9]{1,12})+$", name.lstrip("."))
    return found.group(0) if found else ""


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname()) or "host"


def _commit(tmp: Path, target: Path) -> None:
    """Fsync ``tmp``, give it ``target``'s permission bits, rename it over ``target``, and
    fsync the folder (where the OS can)."""
    _fsync_file(tmp)
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(os.stat(target).st_mode)
        if stat.S_IMODE(os.stat(tmp).st_mode) != mode:
            os.chmod(tmp, mode)
    os.replace(tmp, target)
    _fsync_folder(target.parent)


def _fsync_file(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # a writer that left it read-only: fsync through a read descriptor
        fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; Windows and some file systems cannot: skipped."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale(target: Path, suffix: str) -> None:
    """Remove the temporary files of ``target`` that processes of this host left when they
    were killed (those whose process is gone; POSIX only, where a signal 0 asks)."""
    if os.name != "posix":
        return
    pattern = re.compile(re.escape(_prefix(target.name, suffix) + _host()) + r"-(\d+)-\d+"
                         + re.escape(suffix) + "$")
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            found = pattern.match(entry.name)
            if found and not _alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, OverflowError):
        return True  # another user's, or cannot tell: kept
    return True
