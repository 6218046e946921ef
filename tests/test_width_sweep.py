"""The width sweep (:mod:`bnnbook.bench.width_sweep`) on one small width: files, MAC
counts, timings in rounds, tables, crossovers."""

from __future__ import annotations

import dataclasses

import pytest

from bnnbook.bench import rounds, width_sweep
from bnnbook.deploy.registry import ENGINES
from bnnbook.models import NUM_CLASSES, binary_model, float_model

#: Binary MACs per image of the 1x binarized network, its dense layers as convolutions
#: (Larq's profile counts the layers with binary inputs; the first sees real pixels).
#: Output pixels x taps x channels in x out: conv 2 on a 13x13 map after 2x2 pooling
#: (11x11 out, 3x3x32 -> 64), conv 3 after pooling to 5x5 (3x3 out, 3x3x64 -> 64),
#: dense 1 on the flattened 3x3x64 map (-> 64 units), dense 2 (64 -> the classes).
BINARY_MACS_1X = (
    11 * 11 * 9 * 32 * 64 + 3 * 3 * 9 * 64 * 64 + 3 * 3 * 64 * 64 + 64 * NUM_CLASSES
)


def test_width_multiplies_every_layer_but_the_last():
    assert binary_model(2).count_params() == float_model(2).count_params()
    widths = [
        layer.output_shape[-1]
        for layer in float_model(3).layers
        if layer.__class__.__name__ in ("Conv2D", "Dense")
    ]
    # Larq's guide: 32, 64 and 64 channels, 64 units, then the classes
    assert widths == [32 * 3, 64 * 3, 64 * 3, 64 * 3, NUM_CLASSES]
    with pytest.raises(ValueError, match="width must be a whole number >= 1"):
        binary_model(0)


def test_the_sweeps_engines_are_registered_and_compared_among_themselves():
    assert set(width_sweep.KEYS) <= set(ENGINES)
    for binary, rivals in width_sweep.RIVALS.items():
        assert ENGINES[binary].binary and binary in width_sweep.KEYS
        assert set(rivals) <= set(width_sweep.KEYS) - {binary}


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return width_sweep.width_sweep(
        tmp_path_factory.mktemp("sweep"), widths=(1,), n_rounds=2
    )


def test_width_sweep_times_every_engine_in_rounds(rows):
    [row] = rows
    assert row["width"] == 1 and row["binary_macs"] == BINARY_MACS_1X
    assert set(row["latency"]) == set(row["bytes"]) == set(width_sweep.KEYS)
    for spread in row["latency"].values():
        assert spread["rounds"] == 2 and 0 < spread["low"] <= spread["high"]
    for binary, rivals in width_sweep.RIVALS.items():
        assert set(row["speedup"][binary]) == set(rivals)
        assert all(r["rounds"] == 2 for r in row["speedup"][binary].values())
    assert row["bytes"]["lce"] < row["bytes"]["int8"] < row["bytes"]["float"]
    assert row["bytes"]["bnnbook"] < row["bytes"]["int8"]
    table = width_sweep.width_table(rows)
    assert "| 1x |" in table and f"{ENGINES['lce'].label} (KiB)" in table
    speedups = width_sweep.speedup_table(rows, "bnnbook")
    assert f"over {ENGINES['lce'].label}" in speedups and "| 1x |" in speedups


def test_crossover_is_the_first_width_where_a_binary_engine_is_measurably_faster():
    def row(width, speedups):  # the engine's speed-up over float, one per round
        speedup = dataclasses.asdict(rounds.ratio(speedups, [1.0] * len(speedups)))
        return {"width": width, "speedup": {"bnnbook": {"float": speedup}}}

    slower, mixed = [0.5, 0.9, 0.8, 0.7, 0.6, 0.9, 0.8], [0.9, 1.4, 1.2, 0.8, 1.3, 1, 1]
    faster = [1.1, 2.0, 1.5, 1.4, 1.3, 1.6, 1.2]
    widths = [row(1, slower), row(2, mixed), row(4, faster)]
    assert width_sweep.crossover(widths, "bnnbook", "float") == 4
    assert width_sweep.crossover(widths[:2], "bnnbook", "float") is None
