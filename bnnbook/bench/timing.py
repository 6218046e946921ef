"""Timing and memory measurements: warm-up, repeats, median and spread.

Timings here are for the book and the benchmark command, never for assertions in tests:
a shared machine's timings move by tens of percent from run to run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil


@dataclasses.dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of repeated calls.

    Attributes:
        median: median seconds per call.
        p10: 10th percentile, seconds (the fast end of the spread).
        p90: 90th percentile, seconds (the slow end).
        repeats: calls timed, after the warm-up calls.
    """

    median: float
    p10: float
    p90: float
    repeats: int


def time_calls(
    call: Callable[[], object], warmup: int = 10, repeats: int = 100
) -> Timing:
    """Time ``repeats`` calls of ``call`` after ``warmup`` untimed ones.

    Warm-up absorbs one-off costs (tracing, memory allocation, caches); each call is
    timed on its own with ``time.perf_counter``, so the spread is visible. Returns
    seconds per call: median, 10th and 90th percentiles (a :class:`Timing`).
    """
    for _ in range(warmup):
        call()
    seconds = np.empty(repeats)
    for i in range(repeats):
        start = time.perf_counter()
        call()
        seconds[i] = time.perf_counter() - start
    p10, median, p90 = np.percentile(seconds, [10, 50, 90])
    return Timing(float(median), float(p10), float(p90), repeats)


def rss_bytes() -> int:
    """Resident memory of this process now, in bytes."""
    return psutil.Process().memory_info().rss


def reset_peak_rss() -> None:
    """Restart the peak-RSS counter of this process (Linux; elsewhere a no-op).

    Writing 5 to ``/proc/self/clear_refs`` resets ``VmHWM``, so that
    :func:`peak_rss_bytes` afterwards reports the peak of what came after, not of
    imports before.
    """
    clear_refs = Path("/proc/self/clear_refs")
    if clear_refs.exists():
        clear_refs.write_text("5")


def peak_rss_bytes() -> int:
    """Peak resident memory of this process, in bytes (since :func:`reset_peak_rss`).

    psutil reports current RSS only; the peak comes from ``VmHWM`` in
    ``/proc/self/status`` on Linux, else from ``resource.getrusage``.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
