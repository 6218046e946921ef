"""Comparing engines on a noisy machine: interleaved rounds, spreads, and verdicts that
follow the numbers.

A shared machine has slow periods that last seconds. Measured one after the other,
engine A in a quiet period and engine B in a slow one, the same model can look 1.9x
slower. So every engine compared in one table is measured once per **round**, the
rounds interleaved (A, B, C, then B, C, A, ...), and a slow period hits all of them.
Each engine's figure is then the median of its per-round medians with the range
(lowest and highest round); each ratio is computed **within** each round and reported
with its range. A verdict ("faster", "slower") is printed only when every round agrees,
that is when the ratio's range excludes 1; otherwise there is no measurable difference
on this machine.

Everything here is plain arithmetic on numbers given to it, so it is tested on
synthetic timings; what is measured in each round is the caller's
(:func:`bnnbook.forked.measure` in the book).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

#: Rounds per comparison: with 7, a ratio whose rounds all fall on one side of 1 by
#: chance alone (no real difference) happens with probability 2 / 2**7, about 1.6 %.
ROUNDS = 7

#: What :func:`verdict` says when the range of a ratio contains 1.
NO_DIFFERENCE = "no measurable difference on this machine"

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

    def inverse(self) -> Spread:
        """The spread of ``1 / value`` (a speed-up from a ratio of times, say)."""
        return Spread(1 / self.median, 1 / self.high, 1 / self.low, self.rounds)


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
    :func:`bnnbook.forked.compare`.
    """
    for call in calls.values():
        call()

    def seconds(name: str) -> float:
        start = time.perf_counter()
        calls[name]()
        return time.perf_counter() - start

    return interleaved(seconds, list(calls), rounds)


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> Spread:
    """The per-round ratio ``numerator[r] / denominator[r]``, as a :class:`Spread`.

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
    return spread(np.asarray(numerator, float) / np.asarray(denominator, float))


def verdict(time_ratio: Spread) -> str:
    """``"slower"`` or ``"faster"`` for a ratio of times (first / second) whose range
    excludes 1, else :data:`NO_DIFFERENCE`."""
    if time_ratio.low > 1:
        return "slower"
    if time_ratio.high < 1:
        return "faster"
    return NO_DIFFERENCE


def compare(first: str, second: str, time_ratio: Spread) -> str:
    """One sentence on ``first``'s time against ``second``'s, from the ratio of their
    times (first / second), with its range over the rounds and the verdict."""
    return (
        f"{first}: {time_ratio.median:.2f}x the time of {second} (rounds "
        f"{time_ratio.low:.2f}-{time_ratio.high:.2f}x, {time_ratio.rounds} rounds): "
        f"{verdict(time_ratio)}"
    )


def speedup_text(speedup: Spread) -> str:
    """A speed-up (another engine's time over this one's, per round) as
    ``"1.30x [1.10-1.52]: faster"``, with this engine's verdict."""
    found = verdict(speedup.inverse())
    found = "no measurable difference" if found == NO_DIFFERENCE else found
    return f"{speedup.median:.2f}x [{speedup.low:.2f}-{speedup.high:.2f}]: {found}"


def format_us(seconds: Spread) -> str:
    """A timing's :class:`Spread` as ``"median [low, high]"`` in microseconds."""
    return (
        f"{seconds.median * 1e6:,.0f} [{seconds.low * 1e6:,.0f}, "
        f"{seconds.high * 1e6:,.0f}]"
    )
