"""Progress reporting: a Keras progress bar on a terminal, a few plain lines in a log."""

from __future__ import annotations

import sys
import time


class _LineProgress:
    """Prints ``label: done/total`` about every tenth of the way (for logs and pipes)."""

    def __init__(self, total: int, label: str):
        self.total, self.label, self.done = total, label, 0
        self.next_report = max(1, total // 10)
        self.start = time.perf_counter()

    def add(self, n: int = 1) -> None:
        self.done += n
        if self.done >= self.next_report or self.done == self.total:
            elapsed = time.perf_counter() - self.start
            print(f"{self.label}: {self.done}/{self.total} ({elapsed:.0f} s)", flush=True)
            self.next_report += max(1, self.total // 10)


def progress(total: int, label: str = "progress", enabled: bool = True):
    """An object with ``add(n)``; ``None`` when disabled."""
    if not enabled or total <= 0:
        return None
    if sys.stdout.isatty():
        from keras.utils import Progbar

        return Progbar(total, unit_name=label)
    return _LineProgress(total, label)


def fit_verbosity(verbose: int | str = "auto") -> int | str:
    """Keras ``fit`` verbosity: a live bar on a terminal, one line per epoch otherwise."""
    if verbose != "auto":
        return verbose
    return 1 if sys.stdout.isatty() else 2
