"""The ranking model: presumed negatives (Cormack & Grossman's BMI) are drawn
deterministically, never from screened records, and weighted like screened exclusions."""

from __future__ import annotations

import numpy as np
import pytest

from alsreview.records.labelled import read_labelled_csv
from alsreview.screening.ranking import POSITIVE_WEIGHT, Ranker, record_text


@pytest.fixture(scope="module")
def antihistamines() -> tuple[list[str], np.ndarray]:
    from tests.screening.conftest import screening_data

    data = read_labelled_csv(screening_data() / "Cohen_2006_Antihistamines.csv")
    return [record_text(r) for r in data.records], np.asarray(data.labels)


def test_presumed_negatives_are_unscreened_and_fixed_by_seed_and_labels(antihistamines):
    texts, y = antihistamines
    screened = np.concatenate([np.flatnonzero(y == 1)[:3], np.flatnonzero(y == 0)[:40]])
    a = Ranker(texts, presumed_negatives=50, seed=7)
    b = Ranker(texts, presumed_negatives=50, seed=7)
    got = a.presumed(screened)
    assert len(got) == 50 and len(set(got.tolist())) == 50
    assert not set(got.tolist()) & set(screened.tolist())
    np.testing.assert_array_equal(got, b.presumed(screened))
    assert not np.array_equal(got, Ranker(texts, presumed_negatives=50, seed=8).presumed(screened))
    # one more screened record: a new draw (the sample is redrawn at each refit)
    more = np.append(screened, np.flatnonzero(y == 0)[40])
    assert not np.array_equal(got, a.presumed(more))
    # the same labels give the same scores (the simulation and the screen agree)
    s1, src = a.scores(screened, y[screened])
    s2, _ = b.scores(screened, y[screened])
    assert src == "model"
    np.testing.assert_array_equal(s1, s2)
    # fewer unscreened records than asked: all of them
    almost_all = np.arange(len(y) - 5)
    assert sorted(a.presumed(almost_all).tolist()) == list(range(len(y) - 5, len(y)))
    assert Ranker(texts, presumed_negatives=0).presumed(screened).size == 0


def test_training_set_weights_included_records_against_all_exclusions(antihistamines):
    texts, y = antihistamines
    screened = np.concatenate([np.flatnonzero(y == 1)[:2], np.flatnonzero(y == 0)[:10]])
    r = Ranker(texts, presumed_negatives=30, seed=1)
    rows, target, w = r.training_set(screened, y[screened])
    assert len(rows) == len(target) == len(w) == 12 + 30
    np.testing.assert_array_equal(rows[:12], screened)
    assert target[:12].tolist() == y[screened].tolist() and target[12:].sum() == 0
    # every exclusion, screened or presumed, weighs the same; the included weigh
    # POSITIVE_WEIGHT times all of them together; the mean weight is 1
    assert len(set(np.round(w[target == 0], 12).tolist())) == 1
    assert w[target == 1].sum() == pytest.approx(POSITIVE_WEIGHT * w[target == 0].sum())
    assert w.mean() == pytest.approx(1.0)
