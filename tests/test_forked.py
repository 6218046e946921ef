"""Forked workers and interleaved rounds: what they return and how they fail (never
how fast)."""

from __future__ import annotations

import pytest

from bnnbook import convert, engines, forked
from bnnbook.models import float_model


@pytest.fixture(scope="module")
def tflite_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("forked") / "float.tflite"
    path.write_bytes(convert.to_tflite(float_model()))
    return path


def test_a_forked_worker_measures_latency_and_throughput(tflite_path):
    config = engines.Config("float", "tflite", str(tflite_path), 1)
    result = forked.measure(config, batch=4, repeats=10)
    timing = result["latency"]
    assert timing["repeats"] == 10 and 0 < timing["p10"] <= timing["median"]
    assert result["images_per_second"] > 0


def test_compare_gives_every_config_one_median_per_round(tflite_path):
    configs = [
        engines.Config(f"float, {n} thread(s)", "tflite", str(tflite_path), n)
        for n in (1, 2)
    ]
    results = forked.compare(configs, rounds=3, batch=4, repeats=5, warmup=1)
    assert [r["label"] for r in results] == [c.label for c in configs]
    for r in results:
        assert len(r["latency_rounds"]) == len(r["throughput_rounds"]) == 3
        spread = r["latency"]
        assert spread["low"] <= spread["median"] <= spread["high"]
        assert spread["low"] == min(r["latency_rounds"]) and spread["rounds"] == 3


def test_a_failing_worker_raises_with_its_traceback(tmp_path):
    missing = tmp_path / "missing.tflite"
    with pytest.raises(RuntimeError, match="(?s)'gone' failed.*FileNotFoundError"):
        forked.measure(engines.Config("gone", "tflite", str(missing), 1))
