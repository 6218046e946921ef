"""The width sweep on one small width: files, MAC counts, timings, table, crossovers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bnnbook import convert, rounds, sweeps
from bnnbook.models import binary_model, float_model


def test_width_multiplies_every_layer_but_the_last():
    assert binary_model(2).count_params() == float_model(2).count_params()
    widths = [
        layer.output_shape[-1]
        for layer in float_model(3).layers
        if layer.__class__.__name__ in ("Conv2D", "Dense")
    ]
    assert widths == [96, 192, 192, 192, 10]
    with pytest.raises(ValueError, match="width must be a whole number >= 1"):
        binary_model(0)


def test_int8_flatbuffer_is_full_integer_and_agrees_with_float():
    model = float_model()
    images = np.random.default_rng(0).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    flatbuffer = convert.to_int8(model, images)
    weights = {dtype for op in convert.operators(flatbuffer) for dtype, _ in op.weights}
    assert "INT8" in weights and "FLOAT32" not in weights
    assert len(flatbuffer) < len(convert.to_tflite(model)) / 3
    with pytest.raises(ValueError, match="representative images must be"):
        convert.to_int8(model, images[0])


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    return sweeps.width_sweep(tmp_path_factory.mktemp("sweep"), widths=(1,), n_rounds=2)


def test_width_sweep_times_four_engines_in_rounds(rows):
    [row] = rows
    engines = {"float", "int8", "lce", "bnnbook"}
    assert row["width"] == 1 and row["binary_macs"] > 2_000_000
    assert set(row["latency"]) == set(row["bytes"]) == engines
    for spread in row["latency"].values():
        assert spread["rounds"] == 2 and 0 < spread["low"] <= spread["high"]
    assert set(row["speedup"]["lce"]) == {"float", "int8"}
    assert set(row["speedup"]["bnnbook"]) == {"float", "int8", "lce"}
    assert row["bytes"]["lce"] < row["bytes"]["int8"] < row["bytes"]["float"]
    assert row["bytes"]["bnnbook"] < row["bytes"]["int8"]
    table = sweeps.width_table(rows)
    assert "| 1x |" in table and "LCE binary, best kernels (KiB)" in table
    assert "over LCE binary" in sweeps.speedup_table(rows, "bnnbook")


def test_crossover_is_the_first_width_where_a_binary_engine_is_measurably_faster():
    def row(width, speedups):  # the engine's speed-up over float, one per round
        speedup = dataclasses.asdict(rounds.ratio(speedups, [1.0] * len(speedups)))
        return {"width": width, "speedup": {"bnnbook": {"float": speedup}}}

    slower, mixed = [0.5, 0.9, 0.8, 0.7, 0.6, 0.9, 0.8], [0.9, 1.4, 1.2, 0.8, 1.3, 1, 1]
    faster = [1.1, 2.0, 1.5, 1.4, 1.3, 1.6, 1.2]
    widths = [row(1, slower), row(2, mixed), row(4, faster)]
    assert sweeps.crossover(widths, "bnnbook", "float") == 4
    assert sweeps.crossover(widths[:2], "bnnbook", "float") is None
