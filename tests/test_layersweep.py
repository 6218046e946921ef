"""The constant-map convolution sweep on one small width: four engines, MAC counts,
the table against each engine's own peak."""

from __future__ import annotations

import numpy as np

from bnnbook import ceiling, engine, layersweep, runtimes


def test_macs_count_every_output_pixel_tap_and_channel_pair():
    assert layersweep.macs(64, 12) == 10 * 10 * 9 * 64 * 64


def test_every_engine_computes_the_same_layer(tmp_path):
    paths = layersweep.write_models(tmp_path, 64, 6)
    image = np.random.default_rng(0).uniform(-1, 1, (1, 6, 6, 64)).astype(np.float32)
    ours = engine.predict(engine.load(paths["bnnbook"]), image)
    lce = runtimes.lce_predict(paths["lce"].read_bytes(), 1, True, True)(image)
    np.testing.assert_allclose(ours, lce.reshape(1, -1), rtol=1e-5, atol=1e-3)


def test_sweep_times_four_engines_and_tables_them(tmp_path):
    [row] = layersweep.conv_sweep(tmp_path, channels=(64,), size=6, n_rounds=2, repeats=2)
    assert (row["channels"], row["macs"]) == (64, layersweep.macs(64, 6))
    assert set(row["latency"]) == {"float", "int8", "lce", "bnnbook"}
    assert all(len(r) == 2 for r in row["latency_rounds"].values())
    peak = ceiling.estimate(frozenset({"avx2", "fma"}))
    text = layersweep.table([row], peak, 2e9)
    assert text.count("%)") == 4 and "| 64 |" in text  # one per engine
    assert layersweep.speedup(row, "float", "bnnbook").rounds == 2
