"""The width sweep on one small width: files, MAC counts, timings, table, crossovers."""

from __future__ import annotations

import numpy as np
import pytest

from bnnbook import convert, sweeps
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
    return sweeps.width_sweep(tmp_path_factory.mktemp("sweep"), widths=(1,))


def test_width_sweep_times_three_engines(rows):
    [row] = rows
    assert row["width"] == 1 and row["binary_macs"] > 2_000_000
    assert set(row["latency"]) == set(row["bytes"]) == {"float", "int8", "lce"}
    for timing in row["latency"].values():
        assert 0 < timing["p10"] <= timing["median"] <= timing["p90"]
    assert row["bytes"]["lce"] < row["bytes"]["int8"] < row["bytes"]["float"]
    assert "| 1x |" in sweeps.width_table(rows)


def test_crossover_is_the_first_width_where_lce_is_faster():
    def row(width, lce, other):
        return {
            "width": width,
            "latency": {"lce": {"median": lce}, "float": {"median": other}},
        }

    assert (
        sweeps.crossover(
            [row(1, 2.0, 1.0), row(2, 2.0, 3.0), row(4, 1.0, 5.0)], "float"
        )
        == 2
    )
    assert sweeps.crossover([row(1, 2.0, 1.0)], "float") is None


def test_conv_sweep_on_a_tiny_layer():
    [row] = sweeps.conv_sweep(shapes=((32, 8),), repeats=3)
    assert row["channels"] == 32 and row["size"] == 8
    assert row["speedup"] == pytest.approx(row["float_tflite"] / row["binary_lce_best"])
    assert "| 32 | 8x8 |" in sweeps.sweep_table([row])
