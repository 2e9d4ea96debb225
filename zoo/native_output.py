"""Holding back what TensorFlow's C++ code writes straight to stderr.

Some of that output cannot be turned off from Python: TensorFlow 2.21 writes its start-up
lines through absl before its logging is set up ("All log messages before absl::InitializeLog()
...", the oneDNN notice, CUDA probing on a CPU-only machine), and TF_CPP_MIN_LOG_LEVEL does not
reach them; the int8 quantizer prints its settings ("fully_quantize: 0, ..."). ``held_stderr``
catches file descriptor 2 for a block and then writes back every line except the known noise,
so no warning or error is lost; if the block raises, everything is written back. LiteRT's
"INFO: Created TensorFlow Lite XNNPACK delegate for CPU." (XNNPACK is its default CPU path,
on every run) is held back where ``zoo.export`` makes an interpreter.
``quiet_tensorflow_import`` applies it to TensorFlow's first import, whenever that comes.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

# absl's info and warning lines ("I0000 00:00:1795777699.543815    9147 port.cc:153] ...") and
# the banner that precedes them; absl errors ("E....") are kept.
TENSORFLOW_STARTUP = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)"
                                r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] )")
QUANTIZER_SETTINGS = re.compile(r"^fully_quantize: \d+, inference_type: ")
LITERT_INFO = re.compile(r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$")


@contextlib.contextmanager
def held_stderr(drop: re.Pattern):
    """Run the block with stderr (fd 2) caught; afterwards write back the lines ``drop`` does
    not match (all of them if the block raised)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all (a daemon): nothing to hold back
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode(errors="replace").splitlines(keepends=True)
            kept = [line for line in lines if failed or not drop.match(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def quiet_tensorflow_import() -> None:
    """Keep TensorFlow's C++ log to errors and drop its start-up lines when it is next imported
    (the ``zoo`` command calls this before running a command).

    TF_CPP_MIN_LOG_LEVEL=3 (unless set already) hides the CPU-feature notice and CUDA probing on
    CPU-only machines; the start-up lines it does not reach are held back at the import. Nothing
    is imported here: TensorFlow still loads only when a command needs it, so a bad argument is
    refused at once.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowFinder)
                                          for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _QuietTensorFlowFinder())


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as usual, once, and wraps its loader in ``_HeldStartupLoader``."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _HeldStartupLoader(spec.loader)
        return spec


class _HeldStartupLoader:
    """The wrapped loader, its ``exec_module`` run under ``held_stderr(TENSORFLOW_STARTUP)``."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        with held_stderr(drop=TENSORFLOW_STARTUP):
            self.loader.exec_module(module)
