"""Latency measurements in forked workers: a new process per engine, without the
start-up cost of a new Python.

A new Python process spends about 2.5 s importing TensorFlow before it measures
anything, which is most of a benchmark of a model this small. Here a server process
(``multiprocessing``'s ``forkserver``) imports TensorFlow and Larq Compute Engine once,
runs nothing, and forks one worker per measurement: each worker starts with those
modules loaded and nothing else, so its thread pools, interpreters and caches are its
own, as in a new process (the medians agree with :func:`bnnbook.bench.measure_fresh`
within noise), and it starts in a fraction of a second.

Timings only: a forked worker shares the server's memory pages and counts them only
once it touches them, so its memory figures do not compare with a new process's. Use
:func:`bnnbook.bench.measure_fresh` for memory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import traceback
from collections.abc import Iterator

from bnnbook import bench

#: What the server imports before it forks workers (``bnnbook`` first: Keras 2).
PRELOAD = ["bnnbook", "tensorflow", "larq_compute_engine", "bnnbook.runtimes"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def latency(config: bench.Config) -> dict:
    """The batch-1 latency of ``config`` (a :class:`bnnbook.timing.Timing` as a dict,
    seconds), measured by :func:`bnnbook.bench.measure` in a forked worker.

    Raises:
        RuntimeError: the worker failed; the message holds its traceback.
    """
    receive, send = _context.Pipe(duplex=False)
    worker = _context.Process(target=_work, args=(dataclasses.asdict(config), send))
    with _quiet_server_start():
        worker.start()
    send.close()
    try:
        status, payload = receive.recv()
    except EOFError:
        status, payload = "error", "the worker ended without a result"
    worker.join()
    if status != "ok" and worker.exitcode:
        payload += f" (exit code {worker.exitcode})"
    if status != "ok":
        raise RuntimeError(f"benchmark of {config.label!r} failed:\n{payload}")
    return payload["latency"]


def _work(config: dict, send) -> None:
    """In the worker: measure, and send ``("ok", result)`` or ``("error", text)``.
    The libraries' own messages on stdout and stderr are dropped."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        send.send(("ok", bench.measure(bench.Config(**config), batch=1)))
    except Exception:  # noqa: BLE001  (the parent raises it, with the traceback)
        send.send(("error", traceback.format_exc()))


@contextlib.contextmanager
def _quiet_server_start() -> Iterator[None]:
    """Standard output and error sent to ``/dev/null`` while the first worker starts:
    the server, started then, inherits them, and TensorFlow prints lines while it is
    imported that no setting silences (they would land in a notebook's cell)."""
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
