"""Interleaved rounds, spreads and verdicts, on synthetic timings (never on a clock)."""

from __future__ import annotations

import types

import pytest

from bnnbook.bench import rounds
from bnnbook.bench.rounds import Ratio, Spread
from bnnbook.printing import WIDTH
from bnnbook.verdict import Verdict


def test_rounds_interleave_and_rotate_the_starting_engine():
    order = []
    results = rounds.interleaved(lambda key: order.append(key) or key * 2, "ABC", 3)
    assert order == list("ABCBCACAB")
    assert results == {"A": ["AA"] * 3, "B": ["BB"] * 3, "C": ["CC"] * 3}


def test_time_in_rounds_warms_up_then_times_one_call_per_round(monkeypatch):
    # A clock that only the calls move: "a" takes 1 s, then 2 s, 3 s...; "b" 10 s each.
    clock = types.SimpleNamespace(now=0.0)
    calls = []

    def call(name: str, seconds_of_nth_call) -> None:
        calls.append(name)
        clock.now += seconds_of_nth_call(calls.count(name))

    monkeypatch.setattr(
        rounds, "time", types.SimpleNamespace(perf_counter=lambda: clock.now)
    )
    seconds = rounds.time_in_rounds(
        {"a": lambda: call("a", lambda n: n), "b": lambda: call("b", lambda n: 10)}, 3
    )
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]
    # each round times exactly one call; the warm-up (a's 1 s) is not among them
    assert seconds == {"a": [2.0, 3.0, 4.0], "b": [10.0, 10.0, 10.0]}


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
    assert rounds.ratio(first, second) == Ratio(2.0, 2.0, 2.2, 3, above=3, below=0)
    with pytest.raises(ValueError, match="same rounds"):
        rounds.ratio([1.0, 2.0], [1.0])


def test_the_sign_test_asks_for_rounds_that_chance_rarely_gives():
    # 2 * P(at least k of n rounds on one side | even odds) <= 5 %
    assert [rounds.rounds_needed(n) for n in (3, 5, 6, 7, 9, 11)] == [
        None, None, 6, 7, 8, 10,
    ]


@pytest.mark.parametrize(
    ("ratios", "expected"),
    [
        ([1.3, 1.1, 1.5, 1.2, 1.05, 1.2, 1.3, 1.1, 1.4], Verdict.SLOWER),  # every round
        ([0.7, 0.8, 0.95, 0.75, 0.9, 0.8, 0.7, 0.9, 0.85], Verdict.FASTER),
        ([0.7, 0.8, 0.95, 0.75, 1.6, 0.8, 0.7, 0.9, 0.85], Verdict.FASTER),  # 8 of 9
        ([1.3, 1.1, 0.9, 1.2, 1.4, 0.8, 1.2, 1.3, 1.1], Verdict.NONE),  # 7 of 9
        ([1.0, 1.2, 1.1, 1.3, 1.1, 1.2, 1.3, 1.1, 1.4], Verdict.SLOWER),  # tie, 8 of 9
        ([0.99, 0.98, 0.995, 0.99, 0.985, 0.99, 0.99, 0.99, 0.99], Verdict.NONE),
        ([1.3, 1.1, 1.5, 1.2, 1.05], Verdict.NONE),  # 5 rounds can never decide
    ],
)
def test_a_verdict_needs_enough_rounds_beyond_two_percent(ratios, expected):
    assert rounds.verdict(rounds.ratio(ratios, [1.0] * len(ratios))) is expected


def test_sentences_and_speedups_say_the_verdict_and_the_range():
    slower = rounds.ratio([1.3, 1.1, 1.5, 1.2, 1.3, 1.2, 1.4], [1.0] * 7)
    assert rounds.sentence("LCE", "float", slower) == (
        "LCE: 1.30x the time of float (rounds 1.10-1.50x): slower (7 of 7 rounds)"
    )
    mixed = rounds.ratio([1.3, 0.9, 1.0], [1.0] * 3)
    long = rounds.sentence("LCE with its best kernels", "float TensorFlow Lite", mixed)
    assert long.replace("\n    ", " ").endswith(f"1.30x): {Verdict.NONE}")
    assert max(len(line) for line in long.splitlines()) <= WIDTH
    # A speed-up is the other engine's time over this one's: above 1 in the rounds
    # means this engine is faster.
    speedup = rounds.ratio([1.25, 1.5, 2.0, 1.5, 1.4, 1.6, 1.5], [1.0] * 7)
    assert rounds.speedup_text(speedup) == "1.50x [1.25-2.00]: faster (7 of 7 rounds)"
    assert rounds.speedup_text(mixed).endswith(f": {Verdict.NONE}")
    assert (speedup.inverse().above, speedup.inverse().below) == (0, 7)
    assert rounds.format_us(Spread(1.5e-4, 1e-4, 2e-4, 3)) == "150 [100, 200]"
