"""Comparing engines on a noisy machine: interleaved rounds, spreads, and verdicts that
follow the numbers.

A shared machine has slow periods. Measured one after the other, engine A in a quiet
period and engine B in a slow one, the same model can look 1.9x slower. So every engine
compared in one table is measured once per **round**, the rounds interleaved (A, B, C,
then B, C, A, ...), and a slow period lasting longer than a round hits all of them.
Each engine's figure is then the median of its per-round medians with the range
(lowest and highest round); each ratio is computed **within** each round and reported
with its range.

A verdict ("faster", "slower") is printed only when the rounds say so beyond chance:
a sign test. Had the two engines no real difference, each round's ratio would fall on
either side of 1 with equal odds, so the verdict needs so many rounds on one side (by
more than :data:`TOLERANCE`) that chance alone would give as many at most 5 % of the
time (both sides counted): with :data:`ROUNDS` = 9, at least 8. One round hit by a
short slow period (they come every few tens of seconds on a shared virtual machine)
cannot veto a real difference; otherwise there is no measurable difference on this
machine.

Everything here is plain arithmetic on numbers given to it, so it is tested on
synthetic timings; what is measured in each round is the caller's
(:func:`bnnbook.bench.forked.measure` in the book).
"""

from __future__ import annotations

import dataclasses
import math
import textwrap
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

from bnnbook.printing import WIDTH
from bnnbook.verdict import Verdict

#: Rounds per comparison: 9, so that a verdict can stand with one round against it.
ROUNDS = 9

#: The sign test's level: chance alone gives a verdict at most this often (two-sided).
ALPHA = 0.05

#: Differences smaller than this fraction are never called, however consistent: two
#: runs of identical graphs can differ by a percent or so in every round (timer
#: resolution, where the memory landed), which says nothing about the engines.
TOLERANCE = 0.02

Key = TypeVar("Key", bound=Hashable)
Result = TypeVar("Result")


@dataclasses.dataclass(frozen=True)
class Spread:
    """A quantity measured once per round (seconds, or a ratio without unit).

    Attributes:
        median: median over the rounds.
        low: the lowest round.
        high: the highest round.
        rounds: how many rounds.
    """

    median: float
    low: float
    high: float
    rounds: int


@dataclasses.dataclass(frozen=True)
class Ratio(Spread):
    """A ratio of two timings, one per round, with the rounds that count for a verdict.

    Attributes:
        above: rounds whose ratio exceeds ``1 + TOLERANCE``.
        below: rounds whose ratio is under ``1 - TOLERANCE``.
    """

    above: int
    below: int

    def inverse(self) -> Ratio:
        """The ratio the other way round (a speed-up from a ratio of times, say)."""
        return Ratio(
            1 / self.median, 1 / self.high, 1 / self.low, self.rounds,
            self.below, self.above,
        )


def spread(samples: Sequence[float]) -> Spread:
    """Median and range of one value per round.

    Raises:
        ValueError: no samples, or a sample that is not a positive finite number.
    """
    values = np.asarray(samples, dtype=float)
    if values.size == 0:
        raise ValueError("no rounds to summarise: measure at least one round")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"timings must be positive finite numbers, got {samples}")
    return Spread(
        float(np.median(values)), float(values.min()), float(values.max()), values.size
    )


def interleaved(
    measure: Callable[[Key], Result], keys: Sequence[Key], rounds: int = ROUNDS
) -> dict[Key, list[Result]]:
    """Call ``measure(key)`` once per key per round, the rounds interleaved.

    Round ``r`` starts at key ``r`` (modulo their count) and goes round the list, so
    no key is always measured first (after a cold start) or always after the same
    neighbour. Returns each key's results in round order.

    Raises:
        ValueError: ``rounds`` below 1, or ``keys`` empty or repeated.
    """
    if rounds < 1:
        raise ValueError(f"rounds={rounds}: measure at least one round")
    if not keys or len(set(keys)) != len(keys):
        raise ValueError(f"keys must be distinct and at least one, got {list(keys)}")
    results: dict[Key, list[Result]] = {key: [] for key in keys}
    for r in range(rounds):
        start = r % len(keys)
        for key in [*keys[start:], *keys[:start]]:
            results[key].append(measure(key))
    return results


def time_in_rounds(
    calls: Mapping[str, Callable[[], object]], rounds: int = ROUNDS
) -> dict[str, list[float]]:
    """Seconds of one call of each of ``calls``, per round, interleaved in THIS
    process, after one untimed warm-up call of each.

    For work that lives in this process (NumPy arrays, a Python function); engines
    that load a model file are compared in processes of their own with
    :func:`bnnbook.bench.forked.compare`.
    """
    for call in calls.values():
        call()

    def seconds(name: str) -> float:
        start = time.perf_counter()
        calls[name]()
        return time.perf_counter() - start

    return interleaved(seconds, list(calls), rounds)


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> Ratio:
    """The per-round ratio ``numerator[r] / denominator[r]``, as a :class:`Ratio`.

    Both sequences hold one timing per round, from the same rounds of
    :func:`interleaved`, so each ratio compares two engines measured seconds apart.

    Raises:
        ValueError: the two have different numbers of rounds.
    """
    if len(numerator) != len(denominator):
        raise ValueError(
            f"{len(numerator)} rounds against {len(denominator)}: a ratio needs "
            "timings from the same rounds"
        )
    spread(denominator)  # validates: positive, finite
    values = np.asarray(numerator, float) / np.asarray(denominator, float)
    return Ratio(
        *dataclasses.astuple(spread(values)),
        int(np.sum(values > 1 + TOLERANCE)),
        int(np.sum(values < 1 - TOLERANCE)),
    )


def rounds_needed(n_rounds: int) -> int | None:
    """The fewest rounds on one side that the sign test accepts out of ``n_rounds``
    (chance alone, both sides, at most :data:`ALPHA`), or ``None`` if none do."""
    for k in range(n_rounds // 2 + 1, n_rounds + 1):
        tail = sum(math.comb(n_rounds, j) for j in range(k, n_rounds + 1))
        if 2 * tail / 2**n_rounds <= ALPHA:
            return k
    return None


def verdict(time_ratio: Ratio) -> Verdict:
    """:attr:`Verdict.SLOWER` or :attr:`Verdict.FASTER` for a ratio of times (first /
    second) when enough rounds put it beyond 1 +- :data:`TOLERANCE`
    (:func:`rounds_needed`), else :attr:`Verdict.NONE`."""
    needed = rounds_needed(time_ratio.rounds)
    if needed is not None and time_ratio.above >= needed:
        return Verdict.SLOWER
    if needed is not None and time_ratio.below >= needed:
        return Verdict.FASTER
    return Verdict.NONE


def _with_count(time_ratio: Ratio) -> str:
    """The verdict, with how many rounds carried it."""
    found = verdict(time_ratio)
    if found is Verdict.NONE:
        return str(found)
    agreeing = time_ratio.above if found is Verdict.SLOWER else time_ratio.below
    return f"{found} ({agreeing} of {time_ratio.rounds} rounds)"


def sentence(first: str, second: str, time_ratio: Ratio, width: int = WIDTH) -> str:
    """One sentence on ``first``'s time against ``second``'s, from the ratio of their
    times (first / second), with its range over the rounds and the verdict; wrapped
    to ``width`` characters, continuation lines indented."""
    text = (
        f"{first}: {time_ratio.median:.2f}x the time of {second} (rounds "
        f"{time_ratio.low:.2f}-{time_ratio.high:.2f}x): {_with_count(time_ratio)}"
    )
    return textwrap.fill(text, width, subsequent_indent="    ")


def speedup_text(speedup: Ratio) -> str:
    """A speed-up (another engine's time over this one's, per round) as
    ``"1.30x [1.10-1.52]: faster (9 of 9 rounds)"``, with this engine's verdict."""
    found = _with_count(speedup.inverse())
    return f"{speedup.median:.2f}x [{speedup.low:.2f}-{speedup.high:.2f}]: {found}"


def format_us(seconds: Spread) -> str:
    """A timing's :class:`Spread` as ``"median [low, high]"`` in microseconds."""
    return (
        f"{seconds.median * 1e6:,.0f} [{seconds.low * 1e6:,.0f}, "
        f"{seconds.high * 1e6:,.0f}]"
    )
