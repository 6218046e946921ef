"""Accuracy differences against the test set's binomial noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bnnbook import noise
from bnnbook.verdict import Verdict


def test_standard_error_of_an_mnist_test_accuracy():
    assert noise.standard_error(0.986, 10_000) == pytest.approx(0.00117, abs=1e-5)
    assert noise.standard_error(1.0, 10_000) == 0
    for accuracy, n in ((1.2, 100), (-0.1, 100), (0.5, 0)):
        with pytest.raises(ValueError):
            noise.standard_error(accuracy, n)


@pytest.mark.parametrize(
    ("first", "second", "verdict"),
    [
        (0.9864, 0.9947, Verdict.LOWER),  # 0.83 points: about 7 standard errors
        (0.9947, 0.9864, Verdict.HIGHER),
        (0.9840, 0.9845, Verdict.NONE),  # 0.05 points: well inside the noise
        (0.9860, 0.9890, Verdict.NONE),  # 0.30 points, 1.9 standard errors
    ],
)
def test_a_difference_counts_only_beyond_two_standard_errors(first, second, verdict):
    found = noise.difference(first, second, 10_000)
    assert found.verdict is verdict
    assert found.points == pytest.approx((first - second) * 100)
    expected = math.hypot(
        noise.standard_error(first, 10_000), noise.standard_error(second, 10_000)
    )
    assert found.standard_error == pytest.approx(expected * 100)
    assert str(found).endswith(f": {verdict}")


def test_a_run_against_seeds_counts_both_sources_of_chance():
    runs = [0.983, 0.985, 0.984]
    inside = noise.against_runs(0.986, runs, 10_000)
    assert inside.verdict is Verdict.NONE
    seeds = 0.1 * (1 + 1 / 3) ** 0.5  # stdev 0.1 points
    test = noise.difference(0.986, 0.984, 10_000).standard_error
    assert inside.standard_error == pytest.approx((seeds**2 + test**2) ** 0.5)
    assert noise.against_runs(0.993, runs, 10_000).verdict is Verdict.HIGHER
    assert noise.against_runs(0.10, runs, 10_000).verdict is Verdict.LOWER


def test_a_single_baseline_run_has_no_spread():
    with pytest.raises(ValueError, match="a spread needs at least 2"):
        noise.against_runs(0.98, [0.98], 10_000)


def test_a_paired_difference_counts_only_the_images_the_models_disagree_on():
    labels = np.zeros(10_000, dtype=int)
    first = labels.copy()
    first[:100] = 1  # 100 wrong: 99.00 %
    second = labels.copy()
    second[:130] = 1  # the same 100 wrong and 30 more: 98.70 %
    found = noise.paired(first, second, labels)
    assert found.points == pytest.approx(0.30)
    # 30 discordant images: sqrt((30/n - 0.003^2) / n), far below the unpaired 0.15
    assert found.standard_error == pytest.approx(
        math.sqrt((30 / 10_000 - 0.003**2) / 10_000) * 100)
    assert found.verdict is Verdict.HIGHER
    assert noise.difference(0.99, 0.987, 10_000).verdict is Verdict.NONE
    assert noise.paired(second, first, labels).verdict is Verdict.LOWER
    assert noise.paired(first, first, labels).verdict is Verdict.NONE


def test_a_paired_difference_of_two_recipes_adds_the_seed_spread():
    labels = np.zeros(10_000, dtype=int)
    first, second = labels.copy(), labels.copy()
    second[:30] = 1
    found = noise.paired(first, second, labels, seed_spread=0.2)
    test = noise.paired(first, second, labels).standard_error
    assert found.standard_error == pytest.approx(math.hypot(test, 0.2 * math.sqrt(2)))
    assert found.verdict is Verdict.NONE


def test_paired_predictions_must_match_the_labels():
    with pytest.raises(ValueError, match="same, non-empty test set"):
        noise.paired([1, 2], [1, 2, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="same, non-empty test set"):
        noise.paired([], [], [])
