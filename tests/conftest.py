"""Shared fixtures. Data-dependent tests skip, with the reason, where ../shared/data is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Subprocesses start outside the repository, so that they import the installed package
# (`training/` only exists as `zoo.training` once installed), as a user's would.
NEUTRAL_CWD = Path(__file__).resolve().parent
DATA = Path(os.environ.get("ZOO_DATA", REPO.parent / "shared" / "data"))


def data_dir(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared data folder {path} (set ZOO_DATA to its location)")
    return path


@pytest.fixture
def set5() -> Path:
    return data_dir("sr", "Set5")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def run_python(code: str, env: dict | None = None, timeout: int = 300,
               cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (another backend, logical devices, ...)."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, "-c", code], env=full_env, cwd=cwd or NEUTRAL_CWD,
                          capture_output=True, text=True, timeout=timeout)


def run_zoo(*args: str, env: dict | None = None, timeout: int = 300,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``zoo`` command as a user would (through ``python -m``, same interpreter)."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.run([sys.executable, "-m", "zoo.cli.main", *args], env=full_env,
                          cwd=cwd or NEUTRAL_CWD, capture_output=True, text=True, timeout=timeout)


def kill_zoo_once_saved(args: list[str], saved: Path, log: Path, timeout: float = 240) -> None:
    """Run ``zoo ARGS`` until the file ``saved`` exists, then SIGKILL it (no chance to clean up).

    The log holds what it printed; a run that never saves fails the caller's next check."""
    import signal
    import time

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    with open(log, "w") as out, subprocess.Popen(
            [sys.executable, "-m", "zoo.cli.main", *args], env=env, cwd=NEUTRAL_CWD,
            stdout=out, stderr=subprocess.STDOUT) as proc:
        deadline = time.monotonic() + timeout
        while not saved.is_file() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)
        proc.send_signal(signal.SIGKILL)
