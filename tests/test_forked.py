"""Forked workers and interleaved rounds: what they return and how they fail (never
how fast); the per-round bookkeeping on synthetic measurements."""

from __future__ import annotations

import dataclasses

import pytest

from bnnbook.bench import forked, rounds
from bnnbook.deploy.convert import to_tflite
from bnnbook.deploy.registry import Config
from bnnbook.models import float_model


@pytest.fixture(scope="module")
def tflite_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("forked") / "float.tflite"
    path.write_bytes(to_tflite(float_model()))
    return path


def test_a_forked_worker_measures_latency_and_throughput(tflite_path):
    config = Config(label="float", engine="float", path=str(tflite_path), threads=1)
    result = forked.measure(config, batch=4, repeats=10)
    assert result["label"] == "float" and result["engine"] == "float"
    timing = result["latency"]
    assert timing["repeats"] == 10 and 0 < timing["p10"] <= timing["median"]
    assert result["images_per_second"] == pytest.approx(
        4 / result["batch_time"]["median"]
    )


def test_compare_gives_every_config_one_median_per_round(tflite_path):
    configs = [
        Config(label=f"float, {n} thread(s)", engine="float", path=str(tflite_path),
               threads=n)
        for n in (1, 2)
    ]
    results = forked.compare(configs, rounds=3, batch=4, repeats=5, warmup=1)
    assert [r["label"] for r in results] == [c.label for c in configs]
    assert [r["threads"] for r in results] == [1, 2]
    for r in results:
        assert len(r["latency_rounds"]) == len(r["throughput_rounds"]) == 3
        # the summary is exactly the median and range of the rounds
        assert r["latency"] == dataclasses.asdict(rounds.spread(r["latency_rounds"]))
        assert r["images_per_second"] == dataclasses.asdict(
            rounds.spread(r["throughput_rounds"])
        )


def test_compare_keeps_each_rounds_median_in_round_order(monkeypatch):
    """With the workers replaced by a stand-in whose n-th measurement of a config has a
    known median, each config's rounds are its own measurements, in order."""
    measured: dict[str, int] = {}

    def fake_measure(config, batch, repeats, warmup):
        n = measured[config.label] = measured.get(config.label, 0) + 1
        seconds = {"slow": 10.0, "fast": 1.0}[config.label] * n
        speed = batch / seconds if batch else None
        return {"latency": {"median": seconds}, "images_per_second": speed}

    monkeypatch.setattr(forked, "measure", fake_measure)
    configs = [Config(label=label, engine="float", path="unused", threads=1)
               for label in ("slow", "fast")]
    slow, fast = forked.compare(configs, rounds=3, batch=8)
    assert slow["latency_rounds"] == [10.0, 20.0, 30.0]
    assert fast["latency_rounds"] == [1.0, 2.0, 3.0]
    assert slow["latency"] == {"median": 20.0, "low": 10.0, "high": 30.0, "rounds": 3}
    assert fast["throughput_rounds"] == [8.0, 4.0, 8 / 3]
    assert forked.ratio_of([slow, fast], "slow", "fast") == rounds.ratio(
        [10.0, 20.0, 30.0], [1.0, 2.0, 3.0]
    )
    without_batch = forked.compare(configs, rounds=2)
    assert all("throughput_rounds" not in r for r in without_batch)


def _result(label: str, threads: int, latency_rounds: list[float]) -> dict:
    return {"label": label, "threads": threads, "latency_rounds": latency_rounds}


RESULTS = [
    _result("LCE", 1, [2.0, 4.0, 2.2]),
    _result("float", 1, [1.0, 2.0, 1.0]),
    _result("LCE", 2, [9.0, 9.0, 9.0]),
    _result("float", 2, [3.0, 3.0, 3.0]),
]


def test_ratio_of_finds_two_results_by_label_and_thread_count():
    assert forked.ratio_of(RESULTS, "LCE", "float") == rounds.ratio(
        [2.0, 4.0, 2.2], [1.0, 2.0, 1.0]
    )
    assert forked.ratio_of(RESULTS, "float", "LCE", threads=2).median == pytest.approx(
        1 / 3
    )


@pytest.mark.parametrize(
    ("results", "first", "threads", "found"),
    [
        (RESULTS, "int8", 1, 0),  # no such label
        (RESULTS, "LCE", 4, 0),  # the label, but not on 4 threads
        (RESULTS + [_result("LCE", 1, [1.0] * 3)], "LCE", 1, 2),  # ambiguous
    ],
)
def test_ratio_of_names_the_labels_when_one_is_missing(results, first, threads, found):
    with pytest.raises(ValueError) as error:
        forked.ratio_of(results, first, "float", threads=threads)
    message = str(error.value)
    assert f"{found} results labelled {first!r} on {threads} thread(s)" in message
    assert "the labels are: ['LCE', 'float']" in message


def test_a_failing_worker_raises_with_its_traceback(tmp_path):
    missing = tmp_path / "missing.tflite"
    config = Config(label="gone", engine="float", path=str(missing), threads=1)
    with pytest.raises(RuntimeError, match="(?s)'gone' failed.*FileNotFoundError"):
        forked.measure(config)
