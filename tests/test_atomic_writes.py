"""Every file the zoo writes is written whole or not at all (:mod:`zoo.atomic`).

A writer killed mid-write (SIGKILL: no chance to clean up) leaves the previous file
byte-identical; a writer that fails midway (an exception, a full disk) leaves the previous
file and no temporary file. Then the same for each kind of real writer: images, ``.tflite``,
saved fits, ``--json`` reports, npz caches, the gallery, run files, weights, checkpoints.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import NEUTRAL_CWD
from zoo import atomic

OLD = b"the previous file, complete\n" * 100


def temporaries(folder) -> list:
    """The temporary files of zoo.atomic left in ``folder`` (and below)."""
    return [p for p in folder.rglob(f"*{atomic.MARK}*")]


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ---------------------------------------------------------------- the helper
KILLED_WRITER = """
import sys, time
from zoo.atomic import writing
with writing(sys.argv[1], "wb") as f:
    for chunk in range(10**6):  # a large replacement, in chunks, until killed
        f.write(b"x" * 65536)
        f.flush()
        if chunk == 3:
            print("writing", flush=True)
        time.sleep(0.01)
"""


def test_a_writer_killed_mid_write_leaves_the_previous_file(tmp_path):
    target = tmp_path / "model.tflite"
    atomic.write_bytes(target, OLD)
    with subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)],
                          cwd=NEUTRAL_CWD, stdout=subprocess.PIPE, text=True) as writer:
        assert writer.stdout.readline().strip() == "writing"
        half, = temporaries(tmp_path)  # the replacement, being written beside
        assert half.name.startswith(".model.tmp-") and half.name.endswith(".tflite")
        assert f"-{writer.pid}-" in half.name
        writer.send_signal(signal.SIGKILL)
        writer.wait(30)
    assert writer.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD  # byte-identical: no half file under the target name
    assert half.stat().st_size >= 4 * 65536  # what the killed writer left, beside
    atomic.write_bytes(target, b"next")  # the next write of the target removes it
    assert target.read_bytes() == b"next" and temporaries(tmp_path) == []


def test_an_exception_mid_write_keeps_the_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.json"
    atomic.write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic.writing(target, "w") as f:
            f.write("half of the new")
            raise RuntimeError("killed midway")
    assert target.read_text() == "old" and temporaries(tmp_path) == []


def test_a_full_disk_at_fsync_keeps_the_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "a.bin"
    atomic.write_bytes(target, OLD)
    monkeypatch.setattr(atomic, "_fsync_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_bytes(target, b"new")
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []


def test_a_writer_that_writes_nothing_changes_nothing(tmp_path):
    target = tmp_path / "w.weights.h5"
    target.write_bytes(OLD)
    with pytest.raises(FileNotFoundError, match="wrote no file"):
        with atomic.atomic_path(target):
            pass
    assert target.read_bytes() == OLD


def test_the_temporary_name_keeps_the_extension_and_names_host_and_process(tmp_path):
    weights = atomic.temporary_name(tmp_path / "final.weights.h5")
    assert weights.parent == tmp_path and weights.name.endswith(".weights.h5")
    assert f"-{os.getpid()}-" in weights.name and weights.name.startswith(".final.tmp-")
    dotted = atomic.temporary_name(tmp_path / "v1.2_gaze.png").name  # ".2_gaze": no extension
    assert dotted.startswith(".v1.2_gaze.tmp-") and dotted.endswith(".png")
    assert atomic.temporary_name(tmp_path / "cache.bin", ".npz").name.endswith(".npz")
    assert weights != atomic.temporary_name(tmp_path / "final.weights.h5")  # threads too


def test_a_read_only_file_is_refused_not_replaced(tmp_path):
    """A rename would replace a file the user protected, even as root: refused as open()."""
    target = tmp_path / "kept.png"
    target.write_bytes(OLD)
    target.chmod(0o444)
    with pytest.raises(PermissionError):
        atomic.write_bytes(target, b"new")
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []


def test_permissions_kept_links_followed_devices_written_into(tmp_path):
    target = tmp_path / "private.json"
    target.write_text("old")
    target.chmod(0o600)
    atomic.write_text(target, "new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o600
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic.write_text(link, "through")
    assert link.is_symlink() and target.read_text() == "through"
    if os.path.exists(os.devnull):
        atomic.write_text(os.devnull, "nothing")  # written into, never replaced
        assert atomic.special(os.devnull)


def test_missing_folders_are_made(tmp_path):
    atomic.write_text(tmp_path / "a" / "b" / "c.txt", "x")
    assert (tmp_path / "a" / "b" / "c.txt").read_text() == "x"


# ---------------------------------------------------------------- the real writers
def test_write_image_failing_midway_keeps_the_old_image(tmp_path, monkeypatch):
    from PIL import Image

    from zoo.errors import ImageError
    from zoo.image import read_image, write_image

    target = tmp_path / "out.png"
    old = np.full((8, 8, 3), 7, np.uint8)
    write_image(target, old)
    before = target.read_bytes()

    def half_then_full_disk(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(before[:20])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Image.Image, "save", half_then_full_disk)
    with pytest.raises(ImageError, match="out.png: cannot write \\(No space left on device\\)"):
        write_image(target, np.zeros((8, 8, 3), np.uint8))
    assert target.read_bytes() == before and temporaries(tmp_path) == []
    monkeypatch.undo()
    write_image(target, np.zeros((8, 8, 3), np.uint8))
    assert read_image(target).max() == 0 and temporaries(tmp_path) == []


def test_write_image_over_a_read_only_image_is_one_line(tmp_path):
    from zoo.errors import ImageError
    from zoo.image import write_image

    target = tmp_path / "out.png"
    target.write_bytes(OLD)
    target.chmod(0o444)
    with pytest.raises(ImageError, match="out.png: cannot write \\(Permission denied\\)"):
        write_image(target, np.zeros((8, 8, 3), np.uint8))
    assert target.read_bytes() == OLD


def test_write_tflite_failing_midway_keeps_the_old_model(tmp_path, monkeypatch):
    from zoo.export.tflite import ExportError, write_tflite

    target = tmp_path / "m.tflite"
    write_tflite(OLD, target)
    monkeypatch.setattr(atomic, "_fsync_file", disk_full)  # after the bytes went out
    with pytest.raises(ExportError, match="m.tflite: cannot write \\(No space left on device\\)"):
        write_tflite(b"new model" * 1000, target)
    assert target.read_bytes() == OLD and temporaries(tmp_path) == []
    monkeypatch.undo()
    assert write_tflite(b"new", target) == target and target.read_bytes() == b"new"


def test_save_state_failing_midway_keeps_the_old_fit(tmp_path, monkeypatch):
    from zoo import fit_state

    fit_state.save_state(tmp_path, {"fingerprint": "f", "step": 1}, {"x": np.ones(4)})

    def half_savez(file, **arrays):
        with open(file, "wb") as f:
            f.write(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fit_state.np, "savez", half_savez)
    with pytest.raises(OSError):
        fit_state.save_state(tmp_path, {"fingerprint": "f", "step": 2}, {"x": np.zeros(4)})
    monkeypatch.undo()
    meta, arrays = fit_state.read_state(tmp_path / fit_state.STATE_FILE)
    assert meta["step"] == 1 and arrays["x"].tolist() == [1, 1, 1, 1]
    assert temporaries(tmp_path) == []


def test_clear_state_removes_what_a_killed_save_left(tmp_path):
    from zoo import fit_state

    folder = tmp_path / "out_fit_state"
    fit_state.save_state(folder, {"fingerprint": "f"}, {"x": np.ones(2)})
    left = atomic.temporary_name(folder / fit_state.STATE_FILE)
    left.write_bytes(b"half")  # as a save killed mid-write leaves it
    fit_state.clear_state(folder)
    assert not folder.exists()


def test_write_json_failing_midway_keeps_the_old_report(tmp_path):
    from zoo.cli.checks import write_json

    target = tmp_path / "report.json"
    write_json(target, {"psnr": 30.0})
    before = target.read_bytes()
    with pytest.raises(TypeError):  # json.dump streams: the first keys went out, then this
        write_json(target, {"psnr": 31.0, "model": object()})
    assert target.read_bytes() == before and temporaries(tmp_path) == []


def test_npz_cache_and_gallery_are_written_whole(tmp_path):
    from zoo.demo.gallery import Section, write_gallery
    from zoo.training.workers import save_npz_atomically

    save_npz_atomically(tmp_path / "bank.npz", x=np.arange(3))
    with np.load(tmp_path / "bank.npz") as saved:
        assert saved["x"].tolist() == [0, 1, 2]
    index = write_gallery(tmp_path, [Section("A", "paper")])
    assert "<h2>A</h2>" in index.read_text() and temporaries(tmp_path) == []


def test_run_files_weights_and_checkpoints_are_written_whole(tmp_path, monkeypatch):
    """Keras' save_weights takes the temporary name (it ends in .weights.h5); a checkpoint
    whose writing fails midway leaves latest.h5 and previous.h5 as they were."""
    import keras

    from zoo.training import checkpoints, runfiles

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    runfiles.save_model_weights(model, tmp_path / runfiles.FINAL)
    fresh = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    fresh.load_weights(tmp_path / runfiles.FINAL)
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])
    runfiles.write_config(tmp_path, {"model": "m"})
    (tmp_path / runfiles.METRICS).write_text("epoch,loss\n0,1\n1,0.5\n")
    runfiles.keep_metrics_before(tmp_path, 1)
    assert (tmp_path / runfiles.METRICS).read_text().split() == ["epoch,loss", "0,1"]

    folder = tmp_path / checkpoints.FOLDER
    model.compile(optimizer="adam", loss="mse")
    checkpoints.build_optimizer(model)
    for epoch in (1, 2):
        checkpoints.save(folder, model, checkpoints.Progress(epoch, 0))
    latest, previous = (folder / checkpoints.LATEST).read_bytes(), \
        (folder / checkpoints.PREVIOUS).read_bytes()

    def half_then_fail(saving, groups, progress):
        saving.write_bytes(latest[:100])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(checkpoints, "_write", half_then_fail)
    with pytest.raises(OSError):
        checkpoints.save(folder, model, checkpoints.Progress(3, 0))
    assert (folder / checkpoints.LATEST).read_bytes() == latest
    assert (folder / checkpoints.PREVIOUS).read_bytes() == previous
    assert checkpoints.read(folder / checkpoints.LATEST)[0].epoch == 2
    assert temporaries(tmp_path) == []


def test_no_writer_opens_its_target_for_writing():
    """The scattered write-beside-and-rename code is gone: every write goes through
    zoo.atomic (no ``os.replace``, ``write_text``, ``write_bytes``, ``savez`` to a target)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    direct = re.compile(r"os\.replace\(|\.write_text\(|\.write_bytes\(|open\([^)]*[\"'][wa]b?[\"']")
    found = [f"{path.relative_to(root)}:{n}" for folder in ("zoo", "training", "export", "tools")
             for path in sorted((root / folder).rglob("*.py")) if path.name != "atomic.py"
             for n, line in enumerate(path.read_text().splitlines(), 1) if direct.search(line)]
    assert found == []
