"""Data preparation shared out over worker processes, results in job order."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from zoo.atomic import atomic_path


def map_in_workers(fn: Callable, jobs: Sequence, processes: int = 1) -> Iterator:
    """``fn(job)`` of each job, in order, from at most ``processes`` worker processes.

    The workers are spawned, not forked (a forked TensorFlow or JAX runtime can
    hang), so ``fn`` must be a module-level function. One process, or one job,
    runs here without a pool. A generator: results arrive as they are done, for
    a progress bar.
    """
    processes = min(processes, len(jobs))
    if processes <= 1:
        yield from map(fn, jobs)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        yield from pool.imap(fn, jobs)


def save_npz_atomically(path: str | os.PathLike, **arrays) -> None:
    """``np.savez(path, **arrays)`` written beside and renamed (:mod:`zoo.atomic`): a reader
    never sees half a file, and processes that share the folder (the workers of one
    multi-worker run) each write their own temporary file, named by host and process."""
    import numpy as np

    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
