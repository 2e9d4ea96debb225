"""Holding back what TensorFlow's and LiteRT's C++ code writes straight to stderr.

Some of that output cannot be turned off from Python: TensorFlow 2.21 writes its start-up
lines through absl before its logging is set up ("All log messages before absl::InitializeLog()
...", the oneDNN notice, CUDA probing on a CPU-only machine), and TF_CPP_MIN_LOG_LEVEL does not
reach them; the int8 quantizer prints its settings ("fully_quantize: 0, ..."). ``held_stderr``
catches file descriptor 2 for a block and then writes back every line except the known noise,
so no warning or error is lost; if the block raises, everything is written back.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

# absl's info and warning lines ("I0000 00:00:1795777699.543815    9147 port.cc:153] ...") and
# the banner that precedes them; absl errors ("E....") are kept.
TENSORFLOW_STARTUP = re.compile(r"^(WARNING: All log messages before absl::InitializeLog\(\)"
                                r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] )")
QUANTIZER_SETTINGS = re.compile(r"^fully_quantize: \d+, inference_type: ")


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
