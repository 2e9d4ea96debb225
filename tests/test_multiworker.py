"""``--strategy multiworker``: MultiWorkerMirroredStrategy over two local worker processes."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import h5py
import numpy as np
import pytest
from conftest import NEUTRAL_CWD, run_zoo

from zoo.errors import ZooError

STEPS = 10


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from zoo.image import imresize, write_image

    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("images")
    for k in range(3):
        write_image(path / f"{k}.png",
                    np.clip(imresize(rng.random((12, 12, 3)), output_shape=(96, 96)), 0, 1))
    return path


def train_args(folder, out, epochs):
    """VDSR's default recipe (SGD with adjustable clipping and L2 decay), made small."""
    return ["train", "vdsr", "--data", str(folder), "--out", str(out), "--depth", "3",
            "--filters", "8", "--batch-size", "8", "--epochs", str(epochs),
            "--steps-per-epoch", str(STEPS), "--checkpoint-every", "5", "--lr", "0.05"]


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def run_two_workers(args: list[str], other_args: list[str] | None = None
                    ) -> list[subprocess.CompletedProcess]:
    """``zoo ARGS --strategy multiworker`` as worker 0 and worker 1 (``OTHER_ARGS`` if given)
    of one local cluster."""
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    procs = []
    for index, worker_args in enumerate([args, other_args or args]):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(tf_config)}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "zoo.cli.main", *worker_args, "--strategy", "multiworker"],
            cwd=NEUTRAL_CWD, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    done = []
    for proc in procs:
        out, _ = proc.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, ""))
    return done


def weights(path) -> dict:
    found = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: found.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return found


def losses(run_dir) -> list[float]:
    with open(run_dir / "metrics.csv") as f:
        return [float(row["loss"]) for row in csv.DictReader(f)]


def optimizer_steps(run_dir) -> int:
    with h5py.File(run_dir / "checkpoints" / "latest.h5") as f:
        assert f["optimizer/0"].attrs["path"].endswith("iteration")
        return int(f["optimizer/0"][()])


def assert_same_weights(a, b):
    first, second = weights(a), weights(b)
    assert first.keys() == second.keys() and len(first) == 6
    for name in first:
        np.testing.assert_allclose(first[name], second[name], atol=1e-5, err_msg=name)


def test_two_workers_train_the_weights_of_one_process_and_resume(tmp_path, tiny_folder):
    """Each worker reads half of every global batch of the same seeded pipeline, and the
    gradients are all-reduced before VDSR's clipping and L2 decay act on them: the weights are
    those of one process with the same batch of 8, to float rounding. Only the chief writes;
    a second start goes on from the chief's checkpoint, on the other worker too, even where
    that worker's --out is another, empty folder (it takes the chief's state)."""
    multi, single = tmp_path / "multi", tmp_path / "single"
    chief, other = run_two_workers(train_args(tiny_folder, multi, 2))
    assert chief.returncode == 0, chief.stdout[-3000:]
    assert other.returncode == 0, other.stdout[-3000:]
    assert "training on 2 replicas in 2 workers" in chief.stdout
    assert "done: the chief of this run writes its weights" in other.stdout
    assert "Epoch" not in other.stdout  # one progress display, the chief's
    alone = run_zoo(*train_args(tiny_folder, single, 2))
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert_same_weights(multi / "final.weights.h5", single / "final.weights.h5")
    np.testing.assert_allclose(losses(multi), losses(single), rtol=1e-4)  # per epoch, not running
    assert optimizer_steps(multi) == 2 * STEPS

    chief, other = run_two_workers(train_args(tiny_folder, multi, 3),
                                   train_args(tiny_folder, tmp_path / "elsewhere", 3))
    assert chief.returncode == 0 and other.returncode == 0, chief.stdout[-3000:]
    assert "at epoch 3" in chief.stdout and "Epoch 3/3" in chief.stdout
    assert "Epoch 1/3" not in chief.stdout
    assert len(losses(multi)) == 3 and optimizer_steps(multi) == 3 * STEPS
    alone = run_zoo(*train_args(tiny_folder, single, 3))  # resumes the same way, in one process
    assert alone.returncode == 0, alone.stderr[-3000:]
    assert_same_weights(multi / "final.weights.h5", single / "final.weights.h5")


def start_two_workers(args: list[str]) -> list[subprocess.Popen]:
    workers = [f"127.0.0.1:{p}" for p in free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": json.dumps(tf_config)}
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "zoo.cli.main", *args, "--strategy", "multiworker"],
            cwd=NEUTRAL_CWD, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    return procs


def test_two_workers_killed_mid_epoch_go_on_from_the_chiefs_step(tmp_path, tiny_folder):
    """Both workers killed mid-epoch 1 and started again: the chief restores its checkpoint,
    the other takes its place by the collective, and the run finishes the interrupted epoch
    from its step (not from its start): two epochs of steps in all, one row per epoch. (Its
    batches after the resume are not those of an uninterrupted run: tf.data's distribution
    draws the pipeline's reshuffles anew, see zoo.training.loop.)"""
    import time

    multi = tmp_path / "multi"
    args = train_args(tiny_folder, multi, 2)
    args[args.index("--steps-per-epoch") + 1] = "200"
    args[args.index("--checkpoint-every") + 1] = "7"
    procs = start_two_workers(args)
    latest, deadline = multi / "checkpoints" / "latest.h5", time.time() + 240
    while time.time() < deadline and all(p.poll() is None for p in procs):
        try:
            with h5py.File(latest, "r") as f:
                place = json.loads(f.attrs["progress"])
        except (OSError, KeyError, ValueError):
            place = None
        if place and place["step"] >= 40:
            break
        time.sleep(0.02)
    for proc in procs:
        proc.kill()
        proc.communicate()
    assert all(p.returncode == -9 for p in procs), "the run finished before it was killed"
    chief, other = run_two_workers(args)
    assert chief.returncode == 0 and other.returncode == 0, chief.stdout[-3000:]
    assert "resuming" in chief.stdout and ", step " in chief.stdout, chief.stdout[-2000:]
    assert optimizer_steps(multi) == 2 * 200 and len(losses(multi)) == 2


def test_the_chief_evaluates_alone_after_the_others_left(tmp_path):
    """``zoo train deepwarp --eval-pairs`` evaluates with ``predict_on_batch`` on the chief
    once training is done: a model still under the strategy would run collective ops there
    and fail (or wait) for the worker that has finished. Its procedural bank is rendered by
    both workers into the shared folder (each writes its own temporary file)."""
    out = tmp_path / "run"
    chief, other = run_two_workers(["train", "deepwarp", "--out", str(out), "--epochs", "1",
                                    "--steps-per-epoch", "2", "--batch-size", "4",
                                    "--bank-pairs", "32", "--eval-pairs", "8"])
    assert chief.returncode == 0, chief.stdout[-3000:]
    assert other.returncode == 0, other.stdout[-3000:]
    assert "held-out MSE on 8 pairs" in chief.stdout
    assert (out / "final.weights.h5").is_file() and not list(out.glob("*.tmp-*"))


def test_multiworker_without_tf_config_is_one_line(tmp_path, tiny_folder):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    done = run_zoo(*train_args(tiny_folder, tmp_path / "run", 1), "--strategy", "multiworker",
                   env=env)
    assert done.returncode == 2
    assert "needs TF_CONFIG" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "run" / "cache").exists()  # refused before preparing patches


def test_cluster_task_and_chief(monkeypatch):
    from zoo.training.multiworker import cluster_task, is_chief

    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]},
         "task": {"type": "worker", "index": 0}}))
    cluster, kind, index = cluster_task()
    assert (kind, index) == ("worker", 0) and not is_chief(cluster, kind, index)
    assert is_chief(cluster, "chief", 0)
    assert is_chief({"worker": ["b:1", "c:1"]}, "worker", 0)
    monkeypatch.setenv("TF_CONFIG", json.dumps(
        {"cluster": {"worker": ["b:1"]}, "task": {"type": "worker", "index": 3}}))
    with pytest.raises(ZooError, match="task index 3 is not in the cluster's 1 worker"):
        cluster_task()
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ZooError, match="needs TF_CONFIG"):
        cluster_task()
