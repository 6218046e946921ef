"""The machine probe and the budget report (their logic, never how fast anything is)."""

from __future__ import annotations

import json

from bnnbook.bench import probe
from bnnbook.bench.probe import REFERENCE_RATE, Rate, describe, training_rate
from chapter_cache import BUDGETS, budget_report


def _rate(median: float) -> Rate:
    return Rate(median, median * 0.9, median * 1.1, 12_800, 64, 3)


def test_a_machine_twice_as_fast_doubles_its_times_when_scaled():
    rate = _rate(2 * REFERENCE_RATE)
    assert rate.speed == 2.0
    assert rate.scaled(100.0) == 200.0


def test_the_report_flags_a_chapter_over_budget_only_after_scaling():
    budget = BUDGETS["03"]
    seconds = {"03_fast_enough_here.ipynb": budget * 0.6}
    fast = budget_report(seconds, _rate(2 * REFERENCE_RATE))
    slow = budget_report(seconds, _rate(REFERENCE_RATE))
    row = [line for line in fast if line.startswith("03_")][0]
    assert "OVER BUDGET" in row and f"{budget * 1.2:.0f}s" in row
    assert not any("OVER BUDGET" in line for line in slow)
    assert any("all chapters" in line for line in fast)


def test_a_failed_probe_reports_unscaled_times_and_says_why():
    lines = budget_report({"02_x.ipynb": 10.0}, None, probe_error="ImportError: x")
    assert "ImportError: x" in lines[0] and "not scaled" in lines[0]
    assert any(line.startswith("02_x.ipynb") and "10s" in line for line in lines)


def test_describe_names_rate_spread_and_factor():
    text = describe(_rate(1400.0))
    assert "1,400 images/s" in text and "0.50x" in text and "1,260-1,540" in text


def test_a_short_probe_measures_a_positive_rate():
    rate = training_rate(images=640, epochs=2)
    assert rate.low <= rate.median <= rate.high and rate.low > 0
    assert (rate.images, rate.batch_size, rate.epochs) == (640, 64, 2)


def test_the_command_prints_json(monkeypatch, capsys):
    monkeypatch.setattr(probe, "training_rate", lambda: _rate(1400.0))
    assert probe.main(["--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["median"] == 1400.0 and record["speed"] == 0.5
    assert Rate(**{k: v for k, v in record.items() if k != "speed"}) == _rate(1400.0)
