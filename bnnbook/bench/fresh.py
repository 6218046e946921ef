"""One function called in a new Python, its arguments and its result as JSON.

A new process owns its memory peak, thread pools and caches, and reads environment
variables that a library reads once at start (``NUMBA_CPU_FEATURES``, say): the way
to measure memory, or a compiler option. Start-up costs seconds (TensorFlow's
import), so speed comparisons use forked workers instead (:mod:`bnnbook.bench.forked`).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys


def call(function: str, *args, env: dict[str, str] | None = None,
         timeout: float = 900):
    """``function(*args)`` in a new Python; ``function`` is ``"module:name"`` and its
    arguments and result must be JSON. ``env``: variables added to this process's.
    ``timeout``: seconds the new process may take.

    Raises:
        RuntimeError: the new process failed; the message ends with its stderr.
        subprocess.TimeoutExpired: it took longer than ``timeout``.
    """
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    result = subprocess.run(
        [sys.executable, "-m", __name__, function, json.dumps(args)],
        capture_output=True, text=True, env=environment, timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{function} failed in a new Python:\n{result.stderr[-3000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":  # the new Python: call, print the result as one JSON line
    module, name = sys.argv[1].split(":")
    found = getattr(importlib.import_module(module), name)
    print(json.dumps(found(*json.loads(sys.argv[2]))))
