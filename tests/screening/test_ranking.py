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


def test_nearest_included_term_is_the_max_cosine_to_an_included_record(antihistamines):
    texts, y = antihistamines
    inc, exc = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    screened = np.concatenate([inc[:3], exc[:30]])
    plain = Ranker(texts)
    near = Ranker(texts, neighbour_weight=0.5)
    s0, _ = plain.scores(screened, y[screened])
    s1, src = near.scores(screened, y[screened])
    assert src == "model" and "nearest-included" in near.name
    # independent reference: dense cosine of the (unit-length) TF-IDF rows
    dense = plain.X.toarray()
    unit = dense / np.maximum(np.linalg.norm(dense, axis=1, keepdims=True), 1e-300)
    expected = (unit @ unit[inc[:3]].T).max(axis=1)
    np.testing.assert_allclose(s1 - s0, 0.5 * expected, atol=1e-9)
    # incremental: one more include updates the cache to what a fresh Ranker computes
    more = np.append(screened, inc[3])
    np.testing.assert_allclose(
        near.nearest_included(inc[:4]), Ranker(texts).nearest_included(inc[:4]), atol=1e-12
    )
    # an include taken back (an undone decision): recomputed, not kept
    np.testing.assert_allclose(
        near.nearest_included(inc[1:3]), (unit @ unit[inc[1:3]].T).max(axis=1), atol=1e-9
    )
    assert near.scores(more, y[more])[1] == "model"


def test_dense_block_joins_the_features_and_is_checked(antihistamines):
    from alsreview.errors import ValidationError

    texts, y = antihistamines
    screened = np.concatenate([np.flatnonzero(y == 1)[:2], np.flatnonzero(y == 0)[:10]])
    with pytest.raises(ValidationError, match="one row per text"):
        Ranker(texts, dense=np.zeros((len(texts) - 1, 4)))
    # a block that is the label itself: every included record outranks every excluded one
    oracle = y.reshape(-1, 1).astype(float)
    q = "antihistamine allergic rhinitis"
    r = Ranker(texts, dense=oracle, dense_weight=3.0, query=q)
    assert r.X.shape[1] == Ranker(texts, query=q).X.shape[1] + 1
    s, src = r.scores(screened, y[screened])
    assert src == "model" and s[y == 1].min() > s[y == 0].max()
    # before both classes are known the query still ranks (its dense part is zero)
    assert r.scores([], [])[1] == "protocol"


def test_embedding_ridge_is_fused_by_z_scores(antihistamines):
    from alsreview.errors import ValidationError
    from alsreview.screening.embeddings import RidgeScorer

    texts, y = antihistamines
    inc, exc = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    screened = np.concatenate([inc[:2], exc[:20]])
    with pytest.raises(ValidationError, match="one row per text"):
        Ranker(texts, embeddings=np.zeros((3, 8)))
    rng = np.random.default_rng(0)
    E = rng.normal(size=(len(texts), 16))
    fused = Ranker(texts, embeddings=E, embedding_weight=0.7)
    s, src = fused.scores(screened, y[screened])
    assert src == "model" and "ridge-16d" in fused.name
    text, _ = Ranker(texts).scores(screened, y[screened])
    ridge = RidgeScorer(E).scores(screened, y[screened], POSITIVE_WEIGHT)
    expected = (text - text.mean()) / text.std() + 0.7 * (ridge - ridge.mean()) / ridge.std()
    np.testing.assert_allclose(s, expected, atol=1e-9)
    # z-scored, so neither model's scale decides: the fused scores have mean 0
    assert abs(s.mean()) < 1e-9
    # an embedding that encodes the label outranks the text for every unscreened record
    oracle = np.column_stack([y, 1 - y]).astype(float)
    s2, _ = Ranker(texts, embeddings=oracle, embedding_weight=50.0).scores(screened, y[screened])
    todo = np.setdiff1d(np.arange(len(y)), screened)
    assert s2[todo][y[todo] == 1].min() > s2[todo][y[todo] == 0].max()
    # weight 0 is the text model alone
    s3, _ = Ranker(texts, embeddings=E, embedding_weight=0.0).scores(screened, y[screened])
    np.testing.assert_array_equal(s3, text)
