"""Speed measurements in forked workers: a new process per engine, without the
start-up cost of a new Python, and the book's comparisons in interleaved rounds.

A new Python process spends seconds importing TensorFlow before it measures
anything, which is most of a benchmark of a model this small. Here a server process
(``multiprocessing``'s ``forkserver``) imports TensorFlow, Larq Compute Engine and the
book's engine once (:mod:`bnnbook.bench.preload`), runs no model, and forks one worker
per measurement: each worker starts with those modules loaded and nothing else, so its
thread pools, interpreters and caches are its own, as in a new process, and it starts
in a fraction of a second.

Timings only: a forked worker shares the server's memory pages and counts them only
once it touches them, so its memory figures do not compare with a new process's. Use
:func:`bnnbook.bench.measure.measure_fresh` for memory.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import traceback
from collections.abc import Sequence

from bnnbook.bench.measure import measure as measure_here
from bnnbook.bench.rounds import ROUNDS, Ratio, interleaved, ratio, spread
from bnnbook.deploy.registry import ENGINES, Config
from bnnbook.quiet import native_output

#: What the server imports before it forks workers: ``bnnbook`` first (Keras 2), then
#: every engine's package (one this runtime lacks is skipped: the server ignores an
#: ImportError), the runtimes, and the book's engine (:mod:`bnnbook.bench.preload`).
PRELOAD = [
    "bnnbook", *dict.fromkeys(engine.package for engine in ENGINES.values()),
    "bnnbook.deploy.runtimes", "bnnbook.bench.preload",
]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def measure(
    config: Config,
    batch: int | None = None,
    repeats: int = 200,
    warmup: int = 20,
) -> dict:
    """:func:`bnnbook.bench.measure.measure` of ``config`` in a forked worker: batch-1
    latency (``repeats`` timed calls after ``warmup`` untimed ones), and throughput if
    ``batch`` is given. Its memory figures do not compare with a new Python's (see
    the module's docstring).

    Raises:
        RuntimeError: the worker failed; the message holds its traceback.
    """
    receive, send = _context.Pipe(duplex=False)
    work = (dataclasses.asdict(config), batch, repeats, warmup)
    worker = _context.Process(target=_work, args=(work, send))
    with native_output():  # the server, started with the first worker, inherits them
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
    return payload


def compare(
    configs: Sequence[Config],
    rounds: int = ROUNDS,
    batch: int | None = None,
    repeats: int = 100,
    warmup: int = 20,
) -> list[dict]:
    """Measure every config once per round, the rounds interleaved
    (:func:`bnnbook.bench.rounds.interleaved`), each time in a new forked worker.

    Returns one dict per config, in order: its fields; ``latency_rounds`` (each
    round's median batch-1 latency, seconds: ``repeats`` calls after ``warmup``) and
    ``latency`` (their :class:`bnnbook.bench.rounds.Spread` as a dict); with ``batch``,
    ``throughput_rounds`` and ``images_per_second`` (images/s) the same way.
    """
    runs = interleaved(
        lambda c: measure(c, batch, repeats, warmup), list(configs), rounds
    )
    results = []
    for config, measured in runs.items():
        result = {**dataclasses.asdict(config)}
        result["latency_rounds"] = [m["latency"]["median"] for m in measured]
        result["latency"] = dataclasses.asdict(spread(result["latency_rounds"]))
        if batch:
            result["throughput_rounds"] = [m["images_per_second"] for m in measured]
            result["images_per_second"] = dataclasses.asdict(
                spread(result["throughput_rounds"])
            )
        results.append(result)
    return results


def ratio_of(results: Sequence[dict], first: str | tuple[str, int],
             second: str | tuple[str, int], threads: int = 1) -> Ratio:
    """The per-round ratio of two results of :func:`compare`, found by label:
    ``first``'s batch-1 latency over ``second``'s, a
    :class:`bnnbook.bench.rounds.Ratio`. Each is a label (on ``threads`` threads) or
    a ``(label, threads)`` pair.

    Raises:
        ValueError: a label matches no result, or more than one.
    """

    def rounds_of(wanted: str | tuple[str, int]) -> list[float]:
        label, n = (wanted, threads) if isinstance(wanted, str) else wanted
        found = [r for r in results if r["label"] == label and r["threads"] == n]
        if len(found) != 1:
            labels = sorted({r["label"] for r in results})
            raise ValueError(f"{len(found)} results labelled {label!r} on {n} "
                             f"thread(s); the labels are: {labels}")
        return found[0]["latency_rounds"]

    return ratio(rounds_of(first), rounds_of(second))


def _work(work: tuple[dict, int | None, int, int], send) -> None:
    """In the worker: measure ``(config fields, batch, repeats, warmup)``; send ``("ok",
    result)`` or ``("error", text)``. The libraries' own messages are dropped."""
    config, batch, repeats, warmup = work
    try:
        with native_output():
            result = measure_here(
                Config(**{**config, "shape": tuple(config["shape"])}), batch,
                repeats=repeats, warmup=warmup,
            )
        send.send(("ok", result))
    except Exception:  # noqa: BLE001  (the parent raises it, with the traceback)
        send.send(("error", traceback.format_exc()))
