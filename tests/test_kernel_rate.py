"""The compiled binary convolution timed alone (:mod:`bnnbook.bench.kernel_rate`): its
figures' arithmetic, here and in a new Python (never how fast it is)."""

from __future__ import annotations

from bnnbook.bench import conv_sweep, kernel_rate


def test_rate_counts_the_layers_macs_per_second():
    found = kernel_rate.rate(64, size=6, repeats=3)
    assert found["seconds"] > 0 and found["instructions"] is None
    assert found["macs_per_second"] == conv_sweep.macs(64, 6) / found["seconds"]


def test_fresh_rate_runs_in_a_new_python_and_can_show_the_instructions():
    found = kernel_rate.fresh_rate(64, wide=False, size=6, repeats=3, inspect=True)
    assert found["macs_per_second"] == conv_sweep.macs(64, 6) / found["seconds"]
    assert found["instructions"], "no bit-counting instruction in the kernel"
