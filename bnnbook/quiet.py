"""Silencing what native code prints straight to the process's file descriptors.

TensorFlow's C++ code writes some lines to file descriptors 1 and 2 directly (the
int8 converter's ``fully_quantize: 0, inference_type: 6, ...``, the lines printed while
TensorFlow is imported), where no Python setting reaches them and a notebook shows them
in the cell's output. :func:`native_output` sends both descriptors to ``/dev/null``
for the duration of a block; Python exceptions raised in it still propagate.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_output() -> Iterator[None]:
    """File descriptors 1 and 2 sent to ``/dev/null`` while the block runs."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # what Python printed before goes where it was going
    saved = [os.dup(1), os.dup(2)]
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, devnull):
            os.close(fd)
