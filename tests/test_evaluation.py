"""Evaluation numbers the chapters print: per-digit reports and the accuracy's interval."""

from __future__ import annotations

import numpy as np
import pytest

from digitlib import evaluation
from digitlib.evaluation import accuracy_interval


def test_wilson_interval_matches_a_worked_case():
    # 498 right of 500: Wilson's 95% interval is 0.98555 to 0.99890 (by hand from the formula).
    low, high = accuracy_interval(498, 500)
    assert low == pytest.approx(0.98555, abs=5e-5) and high == pytest.approx(0.99890, abs=5e-5)


@pytest.mark.parametrize(("correct", "total"), [(500, 500), (498, 500), (0, 10), (9961, 10000)])
def test_interval_stays_inside_zero_and_one_and_holds_the_estimate(correct, total):
    low, high = accuracy_interval(correct, total)
    assert 0.0 <= low <= correct / total <= high <= 1.0
    assert high - low > 0, "even a perfect score is uncertain"


def test_more_data_narrows_the_interval():
    small = accuracy_interval(99, 100)
    large = accuracy_interval(9900, 10000)
    assert large[1] - large[0] < small[1] - small[0]


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="correct <= total"):
        accuracy_interval(11, 10)
    with pytest.raises(ValueError, match="total > 0"):
        accuracy_interval(0, 0)


def test_report_from_a_known_matrix():
    cm = np.array([[8, 2], [1, 9]])
    r = evaluation.per_class_report(cm)
    assert r["precision"].tolist() == pytest.approx([8 / 9, 9 / 11])
    assert r["recall"].tolist() == pytest.approx([0.8, 0.9])
