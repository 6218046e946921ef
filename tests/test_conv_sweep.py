"""The constant-map convolution sweep (:mod:`bnnbook.bench.conv_sweep`) on one small
width: every engine of its :data:`KEYS` on the same layer, MAC counts, the table
against each engine's own peak."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from bnnbook.bench import ceiling, conv_sweep
from bnnbook.deploy.registry import ENGINES

#: The test's layer: 64 channels in and out on a 6x6 map (4x4 out: 3x3, "valid").
CHANNELS, SIZE = 64, 6


def test_macs_count_every_output_pixel_tap_and_channel_pair():
    assert conv_sweep.macs(64, 12) == 10 * 10 * 9 * 64 * 64


def test_the_sweeps_engines_are_registered_and_each_has_its_own_peak():
    assert set(conv_sweep.KEYS) <= set(ENGINES)
    peaks = conv_sweep.peaks(ceiling.estimate(frozenset({"avx2", "fma"})))
    assert set(peaks) == set(conv_sweep.KEYS)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Each engine of KEYS on one image through the layer, by key."""
    tf.keras.utils.set_random_seed(0)  # the layers' random weights
    paths = conv_sweep.write_models(tmp_path_factory.mktemp("conv"), CHANNELS, SIZE)
    assert set(paths) == set(conv_sweep.KEYS)
    image = np.random.default_rng(1).uniform(-1, 1, (1, SIZE, SIZE, CHANNELS))
    found = {}
    for key in conv_sweep.KEYS:
        engine = ENGINES[key]
        config = engine.config(paths[key], shape=(SIZE, SIZE, CHANNELS))
        found[key] = np.asarray(engine.load(config, 1)(image.astype(np.float32)))
    return found


def test_every_engine_computes_the_whole_layer(outputs):
    for key, output in outputs.items():
        assert output.size == (SIZE - 2) ** 2 * CHANNELS, key
        assert np.all(np.isfinite(output)), key


def test_the_binary_engines_compute_the_same_binarized_layer(outputs):
    """LCE and the book's engine run the binarized layer (same file source): integers
    of XNOR-popcount, batch-normalised; they agree to float rounding."""
    lce, ours = outputs["lce"].reshape(1, -1), outputs["bnnbook"].reshape(1, -1)
    np.testing.assert_allclose(ours, lce, rtol=1e-5, atol=1e-3)


def test_int8_approximates_the_float_layer(outputs):
    """Both run the float layer; int8 rounds weights and activations to 8 bits, so its
    outputs are close to float's, not equal: off by about a percent of their range on
    average, and at most a few steps of its 256 (ranges calibrated on other images)."""
    full, int8 = outputs["float"].ravel(), outputs["int8"].ravel()
    error, scale = np.abs(int8 - full), np.abs(full).max()
    assert error.mean() <= 0.01 * scale and error.max() <= 0.1 * scale
    assert np.corrcoef(int8, full)[0, 1] > 0.99
    assert not np.array_equal(int8, full)  # really quantized


def test_sweep_times_every_engine_and_tables_them(tmp_path):
    [row] = conv_sweep.conv_sweep(
        tmp_path, channels=(CHANNELS,), size=SIZE, n_rounds=2, repeats=2
    )
    assert (row["channels"], row["macs"]) == (CHANNELS, conv_sweep.macs(CHANNELS, SIZE))
    assert set(row["latency"]) == set(conv_sweep.KEYS)
    assert all(len(r) == 2 for r in row["latency_rounds"].values())
    peak = ceiling.estimate(frozenset({"avx2", "fma"}))
    text = conv_sweep.table([row], peak, 2e9)
    # one "G MACs/s (% of peak)" cell per engine, in the width's row
    assert text.count("%)") == len(conv_sweep.KEYS) and f"| {CHANNELS} |" in text
    assert conv_sweep.table([row], peak, None).count("(?)") == len(conv_sweep.KEYS)
    assert conv_sweep.speedup(row, "float", "bnnbook").rounds == 2
