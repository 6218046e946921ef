"""Forked latency workers: what they return and how they fail (never how fast)."""

from __future__ import annotations

import pytest

from bnnbook import bench, convert, forked
from bnnbook.models import float_model


def test_a_forked_worker_times_a_model_at_batch_1(tmp_path):
    path = tmp_path / "float.tflite"
    path.write_bytes(convert.to_tflite(float_model()))
    timing = forked.latency(bench.Config("float", "tflite", str(path), 1))
    assert set(timing) == {"median", "p10", "p90", "repeats"}
    assert 0 < timing["p10"] <= timing["median"] <= timing["p90"]


def test_a_failing_worker_raises_with_its_traceback(tmp_path):
    missing = tmp_path / "missing.tflite"
    with pytest.raises(RuntimeError, match="(?s)'gone' failed.*FileNotFoundError"):
        forked.latency(bench.Config("gone", "tflite", str(missing), 1))
