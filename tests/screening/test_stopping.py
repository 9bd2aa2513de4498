"""Stopping rules: their arithmetic as the papers define it, and the hypergeometric rule's
guarantee checked by simulation under its own assumption (random order)."""

from __future__ import annotations

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.screening.stopping import (
    consecutive_irrelevant,
    hypergeometric,
    knee,
    recommend,
)


def test_consecutive_irrelevant_counts_the_run_since_the_last_include():
    labels = [1, 0, 0, 1] + [0] * 60
    c = consecutive_irrelevant(labels, 1000)
    assert c.fired and c.details == {"run": 60, "threshold": 50}
    assert c.recall_estimate == pytest.approx(2 / (2 + (1 / 62) * 936))
    assert not consecutive_irrelevant(labels, 2000).fired  # 5% of 2000 = 100 needed
    assert not consecutive_irrelevant([0] * 80, 1000).fired  # nothing found yet


def test_knee_rule_of_cormack_and_grossman():
    # 100 includes in the first 200 records: slope before the knee 0.5.  After 800 more
    # excluded records the slope after is (0 + 1) / 800: ratio 400 >= 156 - 100 = 56.
    steep = [1, 0] * 100
    fired = knee(steep + [0] * 800, 5000)
    assert fired.fired and fired.details["knee"] == 199
    assert fired.details["needed"] == 56 and fired.details["ratio"] == pytest.approx(
        (100 / 199) / (1 / 801)
    )
    early = knee(steep + [0] * 20, 5000)  # ratio (100/199) / (1/21) = 10.6 < 56
    assert not early.fired
    few = knee([1] * 10 + [0] * 100, 5000)  # 110 < 150 records screened
    assert not few.fired and "150 records screened" in few.reason


def test_hypergeometric_rule_rejects_when_recall_is_surely_high():
    # 2000 records, 100 relevant; all 100 found in the first 300, then 700 excluded
    labels = [1] * 100 + [0] * 900
    h = hypergeometric(labels, 2000)
    assert h.fired and h.details["p"] < 0.05
    assert h.recall_estimate is not None and h.recall_estimate >= 0.95
    # after only 5 excluded records the test cannot tell
    assert not hypergeometric([1] * 100 + [0] * 5, 2000).fired
    with pytest.raises(ValidationError):
        hypergeometric([1, 2], 10)
    with pytest.raises(ValidationError):
        hypergeometric([1, 0], 1)


def test_hypergeometric_rule_keeps_its_promise_under_random_order():
    """Under its assumption (records in random order) the rule may stop short of 95%
    recall in at most about 5% of reviews (Callaghan & Mueller-Bernstein 2020)."""
    rng = np.random.default_rng(7)
    n, r, misses, reps = 1500, 60, 0, 120
    for _ in range(reps):
        y = np.zeros(n, dtype=int)
        y[rng.choice(n, r, replace=False)] = 1
        for stop in range(50, n + 1, 50):
            if hypergeometric(y[:stop], n, estimate=False).fired:
                misses += y[:stop].sum() / r < 0.95
                break
    assert misses / reps <= 0.08


def test_recommendation_names_the_rule_that_fired():
    advice = recommend([1] * 100 + [0] * 900, 2000)
    assert advice.fired[0] == "hypergeometric"
    assert advice.recommendation.startswith("you may stop: hypergeometric rule fired")
    keep = recommend([1, 0, 1], 2000)
    assert keep.fired == () and keep.recommendation.startswith("keep screening")
    assert [c["rule"] for c in keep.to_dict()["checks"]] == [
        "hypergeometric",
        "knee",
        "consecutive irrelevant",
    ]
