"""The speed and memory tables (:mod:`bnnbook.bench.tables`), on synthetic results."""

from __future__ import annotations

from bnnbook.bench import tables


def test_speed_table_shows_median_and_range_per_config():
    result = {
        "label": "float TFLite", "threads": 2,
        "latency": {"median": 1.5e-4, "low": 1e-4, "high": 2e-4, "rounds": 3},
        "images_per_second": {"median": 12345.6, "low": 9000.0, "high": 15000.4,
                              "rounds": 3},
    }
    lines = tables.speed_table([result]).splitlines()
    assert len(lines) == 3 and "latency, batch 1 (µs)" in lines[0]
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells == ["float TFLite", "2", "150 [100, 200]", "12,346 [9,000, 15,000]"]


def test_memory_table_shows_what_the_model_added_in_mib():
    result = {"label": "LCE", "rss_before_bytes": 300 * 2**20,
              "peak_rss_bytes": 312.5 * 2**20}
    lines = tables.memory_table([result]).splitlines()
    cells = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert cells == ["LCE", "300", "312", "12.5"]
