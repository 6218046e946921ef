"""Timing and memory helpers (their behaviour, never how fast anything is)."""

from __future__ import annotations

import numpy as np

from bnnbook import timing


def test_time_calls_warms_up_then_times_each_call():
    calls = []
    result = timing.time_calls(lambda: calls.append(1), warmup=3, repeats=7)
    assert len(calls) == 10 and result.repeats == 7
    assert 0 <= result.p10 <= result.median <= result.p90


def test_peak_rss_sees_an_allocation_after_a_reset():
    timing.reset_peak_rss()
    before = timing.rss_bytes()
    block = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MiB, touched
    peak = timing.peak_rss_bytes()
    del block
    assert peak - before >= 60 * 2**20


def test_cpu_model_names_the_core_count():
    assert "logical cores" in timing.cpu_model()
