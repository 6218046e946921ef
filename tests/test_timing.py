"""Timing and memory helpers (their behaviour, never how fast anything is): the clock
is replaced by one that each call moves on by a known number of seconds."""

from __future__ import annotations

import types

import numpy as np
import pytest

from bnnbook.bench import timing


class FakeClock:
    """``time.perf_counter`` for :mod:`bnnbook.bench.timing`: it reads ``now``, which
    each :meth:`call` moves on by the next of ``durations``."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, list(durations), 0

    def perf_counter(self) -> float:
        return self.now

    def call(self) -> None:
        self.now += self.durations[self.calls]
        self.calls += 1


def test_time_calls_times_each_call_after_the_untimed_warm_up(monkeypatch):
    # 3 warm-up calls of 100 s each, then 10 timed calls of 1..9 s and one slow 28 s,
    # shuffled: the median (5.5 s) is not the mean (7.3 s)
    timed = [7.0, 2.0, 9.0, 1.0, 28.0, 4.0, 3.0, 8.0, 6.0, 5.0]
    clock = FakeClock([100.0] * 3 + timed)
    fake_time = types.SimpleNamespace(perf_counter=clock.perf_counter)
    monkeypatch.setattr(timing, "time", fake_time)
    result = timing.time_calls(clock.call, warmup=3, repeats=10)
    assert clock.calls == 13 and result.repeats == 10
    # NumPy's percentiles of the timed calls alone: a timed warm-up call (100 s) or a
    # mean would show
    assert result.median == 5.5
    assert (result.p10, result.p90) == pytest.approx((1.9, 10.9))


def test_peak_rss_sees_an_allocation_after_a_reset():
    timing.reset_peak_rss()
    before = timing.rss_bytes()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MiB, touched
    peak = timing.peak_rss_bytes()
    del block
    assert peak - before >= 60 * 2**20
