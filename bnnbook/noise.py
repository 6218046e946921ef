"""How far a test accuracy moves by chance, and verdicts on differences that respect it.

A test accuracy :math:`p` measured on :math:`n` images is a binomial proportion: had
the test set been another :math:`n` images from the same source, it would have moved
by about its standard error :math:`\\sqrt{p (1 - p) / n}` (0.12 points for 98.6 % on
MNIST's 10 000 test images). The difference of two models' accuracies has the standard
error :math:`\\sqrt{SE_a^2 + SE_b^2}` if they were scored on different images; a
difference within :data:`THRESHOLD` (two) of its standard errors is no measurable
difference.

Two models scored on the *same* images are compared by a paired test
(:func:`paired`): only the images they label differently carry information about
which is better, so the difference's standard error comes from those discordant
images alone (McNemar's test, as a z-test; McNemar 1947, Dietterich 1998), and it is
smaller than the unpaired one. One run of a change against a baseline trained with
several seeds (:func:`against_runs`) adds the spread over seeds: a second seed of the
same recipe lands elsewhere, and no test-set statistic can show that.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence

import numpy as np

from bnnbook.verdict import Verdict

#: How many standard errors a difference must exceed to count as measured.
THRESHOLD = 2.0


def standard_error(accuracy: float, n: int) -> float:
    """The binomial standard error of an accuracy (a fraction) on ``n`` images.

    Raises:
        ValueError: an accuracy outside [0, 1] or ``n`` below 1.
    """
    if not 0 <= accuracy <= 1:
        raise ValueError(f"accuracy {accuracy} is not a fraction in [0, 1]")
    if n < 1:
        raise ValueError(f"n={n}: an accuracy needs at least one test image")
    return math.sqrt(accuracy * (1 - accuracy) / n)


@dataclasses.dataclass(frozen=True)
class Difference:
    """``first - second`` accuracy, in percentage points, with its standard error.

    Attributes:
        points: the difference, percentage points.
        standard_error: its standard error, percentage points.
        verdict: :attr:`Verdict.HIGHER`, :attr:`Verdict.LOWER` (the first against
            the second) or :attr:`Verdict.NONE` (within :data:`THRESHOLD` standard
            errors).
    """

    points: float
    standard_error: float
    verdict: Verdict

    def __str__(self) -> str:
        return (
            f"{self.points:+.2f} points (standard error {self.standard_error:.2f}): "
            f"{self.verdict}"
        )


def difference(first: float, second: float, n: int) -> Difference:
    """Compare two accuracies (fractions), each measured on the same ``n`` images."""
    error = math.hypot(standard_error(first, n), standard_error(second, n)) * 100
    return _judged((first - second) * 100, error)


def paired(
    first: Sequence[int], second: Sequence[int], labels: Sequence[int],
    seed_spread: float = 0.0,
) -> Difference:
    """Compare two models' predicted ``labels`` on the same test images (McNemar).

    With :math:`b` images only the first labels right and :math:`c` only the second,
    out of :math:`n`, the difference is :math:`d = (b - c) / n` and its standard error
    :math:`\\sqrt{((b + c) / n - d^2) / n}`: images both label right, or both wrong,
    add nothing. ``seed_spread`` (points: one run's standard deviation over seeds)
    adds training's chance for two single runs of different recipes,
    :math:`\\sqrt{2}` times it; 0 compares these two trained networks only.

    Raises:
        ValueError: the three sequences differ in length, or are empty.
    """
    first, second, labels = (np.asarray(x).ravel() for x in (first, second, labels))
    if not len(labels) or not len(first) == len(second) == len(labels):
        raise ValueError(
            f"{len(first)}, {len(second)} predictions for {len(labels)} labels: "
            "pass both models' predicted labels for the same, non-empty test set"
        )
    right_first, right_second = first == labels, second == labels
    n = len(labels)
    only_first = int(np.sum(right_first & ~right_second))
    only_second = int(np.sum(right_second & ~right_first))
    mean = (only_first - only_second) / n
    test = math.sqrt(max((only_first + only_second) / n - mean**2, 0.0) / n) * 100
    return _judged(mean * 100, math.hypot(test, math.sqrt(2) * seed_spread))


def _judged(points: float, error: float) -> Difference:
    """A difference of ``points`` with standard ``error`` (both in points), judged."""
    if abs(points) <= THRESHOLD * error:
        return Difference(points, error, Verdict.NONE)
    return Difference(points, error, Verdict.HIGHER if points > 0 else Verdict.LOWER)


def against_runs(accuracy: float, runs: Sequence[float], n: int) -> Difference:
    """One run's ``accuracy`` against the mean of ``runs``: a baseline trained with
    other seeds, all scored on the same ``n`` test images.

    Two sources of chance enter the standard error: training (the baseline's sample
    standard deviation over seeds, which a single run of the change has too, times
    :math:`\\sqrt{1 + 1/k}` for ``k`` runs, the mean's own error included) and the
    test set (:func:`difference` of the accuracy and the mean).

    Raises:
        ValueError: fewer than two runs (no spread to measure).
    """
    if len(runs) < 2:
        raise ValueError(f"{len(runs)} baseline run(s): a spread needs at least 2")
    mean = statistics.fmean(runs)
    seeds = statistics.stdev(runs) * math.sqrt(1 + 1 / len(runs)) * 100
    test = difference(accuracy, mean, n).standard_error
    return _judged((accuracy - mean) * 100, math.hypot(seeds, test))
