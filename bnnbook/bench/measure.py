"""One measurement of one engine: batch-1 latency, throughput and peak memory.

:func:`measure` measures a :class:`bnnbook.deploy.registry.Config` in this process;
:func:`measure_fresh` does it in a new Python (the way to measure memory), and
:func:`bnnbook.bench.forked.compare` in forked workers, in interleaved rounds (the
way the book compares speeds).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bnnbook.bench import fresh, timing
from bnnbook.deploy.registry import Config, engine

#: Images per call for the throughput figures.
BATCH = 256


def measure(
    config: Config,
    batch: int | None = BATCH,
    seed: int = 0,
    repeats: int = 200,
    warmup: int = 20,
) -> dict:
    """Latency (batch 1), throughput (``batch`` images per call; ``None`` for latency
    only) and peak memory of ``config`` in THIS process. Call it in a new process:
    see :func:`measure_fresh` and :func:`bnnbook.bench.forked.measure`.

    Returns a dict with the config's fields and: ``latency`` (``repeats`` calls after
    ``warmup`` untimed ones) and ``batch_time`` (:class:`timing.Timing` as dicts,
    seconds), ``images_per_second`` (median), ``rss_before_bytes`` (after imports,
    before the model is loaded) and ``peak_rss_bytes`` (the peak while loading the
    model and running inference). Without ``batch``, ``batch_time`` and
    ``images_per_second`` are ``None`` and the memory peak is that of batch-1
    inference alone.
    """
    runs = engine(config.engine)
    runs.prepare(config.threads)  # the package's memory is not the model's
    shape = (batch or 1, *config.shape)
    images = np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)
    timing.reset_peak_rss()
    rss_before = timing.rss_bytes()
    one = runs.load(config, 1)
    many = runs.load(config, batch) if batch and runs.sized_per_batch() else one
    latency = timing.time_calls(lambda: one(images[:1]), warmup, repeats)
    batch_time = None
    if batch:
        batch_time = timing.time_calls(lambda: many(images), warmup=1, repeats=3)
    return {
        **dataclasses.asdict(config),
        "latency": dataclasses.asdict(latency),
        "batch_time": batch_time and dataclasses.asdict(batch_time),
        "images_per_second": batch / batch_time.median if batch_time else None,
        "rss_before_bytes": rss_before,
        "peak_rss_bytes": timing.peak_rss_bytes(),
    }


def measure_fields(fields: dict, batch: int | None) -> dict:
    """:func:`measure` of the :class:`Config` with these fields (JSON in, JSON out)."""
    fields = {**fields, "shape": tuple(fields["shape"])}
    return measure(Config(**fields), batch)


def measure_fresh(config: Config, batch: int | None = BATCH) -> dict:
    """:func:`measure` in a new Python process, so that thread pools, caches and the
    memory peak belong to this engine alone (``batch=None``: batch 1 only).

    Raises:
        RuntimeError: the measurement failed; the message names the config and ends
            with the new process's error output.
    """
    try:
        return fresh.call(
            f"{__name__}:measure_fields", dataclasses.asdict(config), batch
        )
    except RuntimeError as error:
        raise RuntimeError(f"benchmark of {config.label!r} failed: {error}") from error
