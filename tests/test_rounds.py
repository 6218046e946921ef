"""Interleaved rounds, spreads and verdicts, on synthetic timings (never on a clock)."""

from __future__ import annotations

import pytest

from bnnbook import rounds
from bnnbook.rounds import NO_DIFFERENCE, Spread


def test_rounds_interleave_and_rotate_the_starting_engine():
    order = []
    results = rounds.interleaved(lambda key: order.append(key) or key * 2, "ABC", 3)
    assert order == list("ABCBCACAB")
    assert results == {"A": ["AA"] * 3, "B": ["BB"] * 3, "C": ["CC"] * 3}


def test_time_in_rounds_warms_up_then_times_one_call_per_round():
    calls = []
    seconds = rounds.time_in_rounds(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, 3
    )
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    assert {name: len(s) for name, s in seconds.items()} == {"a": 3, "b": 3}
    assert all(t >= 0 for s in seconds.values() for t in s)


@pytest.mark.parametrize(
    ("keys", "n_rounds", "message"),
    [("AB", 0, "at least one round"), ("", 3, "distinct"), ("AA", 3, "distinct")],
)
def test_rounds_refuse_what_cannot_be_compared(keys, n_rounds, message):
    with pytest.raises(ValueError, match=message):
        rounds.interleaved(lambda key: 1.0, list(keys), n_rounds)


def test_spread_is_median_and_range_of_the_rounds():
    assert rounds.spread([3.0, 1.0, 2.0, 10.0, 2.5]) == Spread(2.5, 1.0, 10.0, 5)
    for bad in ([], [1.0, 0.0], [1.0, float("nan")]):
        with pytest.raises(ValueError):
            rounds.spread(bad)


def test_ratio_is_taken_within_each_round():
    # A slow period (round 2) doubles both engines: the ratio does not move.
    first, second = [2.0, 4.0, 2.2], [1.0, 2.0, 1.0]
    assert rounds.ratio(first, second) == Spread(2.0, 2.0, 2.2, 3)
    with pytest.raises(ValueError, match="same rounds"):
        rounds.ratio([1.0, 2.0], [1.0])


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ([1.3, 1.1, 1.5, 1.2, 1.05], "slower"),  # every round slower
        ([0.7, 0.8, 0.95, 0.75, 0.9], "faster"),  # every round faster
        ([1.3, 1.1, 0.9, 1.2, 1.4], NO_DIFFERENCE),  # one round the other way
        ([1.0, 1.2, 1.1, 1.3, 1.1], NO_DIFFERENCE),  # a tie is no evidence
    ],
)
def test_a_verdict_needs_every_round_on_one_side_of_1(ratios, expected):
    assert rounds.verdict(rounds.spread(ratios)) == expected


def test_sentences_and_speedups_say_the_verdict_and_the_range():
    slower = rounds.spread([1.3, 1.1, 1.5])
    assert rounds.compare("LCE", "float", slower) == (
        "LCE: 1.30x the time of float (rounds 1.10-1.50x, 3 rounds): slower"
    )
    mixed = rounds.spread([1.3, 0.9, 1.0])
    assert rounds.compare("LCE", "float", mixed).endswith(f"3 rounds): {NO_DIFFERENCE}")
    # A speed-up is the other engine's time over this one's: above 1 in every round
    # means this engine is faster.
    assert rounds.speedup_text(rounds.spread([1.25, 1.5, 2.0])) == (
        "1.50x [1.25-2.00]: faster"
    )
    assert rounds.speedup_text(mixed).endswith(": no measurable difference")
    assert rounds.format_us(Spread(1.5e-4, 1e-4, 2e-4, 3)) == "150 [100, 200]"
