"""`rank_project` (the web's "next record" path, working on the score array) orders a
project's records exactly as `rank` over the same features and labels."""

from __future__ import annotations

from alsreview.records.model import Record
from alsreview.screening.ranking import project_ranker, rank, rank_project
from alsreview.store import Project


def test_rank_project_agrees_with_rank(tmp_path):
    texts = [
        "mesenchymal stem cells intrathecal amyotrophic lateral sclerosis trial",
        "riluzole survival cohort",
        "neural stem cell transplantation ALS phase 1",
        "edaravone ALSFRS-R decline",
        "bone marrow stem cells in ALS patients",
        "mouse model SOD1 motor neuron",
        "stem cell therapy safety amyotrophic",
        "nutrition and weight loss in motor neuron disease",
    ]
    with Project.create(tmp_path / "p") as p:
        p.import_records(
            [Record(title=t, source="t", source_id=str(i)) for i, t in enumerate(texts)],
            source="t",
            label="t",
            dedup="none",
        )
        ids, ranker = project_ranker(p)
        for labels in ({}, {ids[0]: 1}, {ids[0]: 1, ids[1]: 0, ids[3]: 0}):
            reference = rank(ranker, ids, labels)
            candidates = [k for k in ids if k not in labels]
            got = rank_project(p, candidates, labels)
            assert got.source == reference.source
            assert got.order == reference.order
            assert dict(got.scores) == dict(reference.scores)
            # ties keep the candidates' order; otherwise by score, whatever that order
            backwards = rank_project(p, candidates[::-1], labels)
            ordered = [backwards.scores[k] for k in backwards.order]
            assert sorted(backwards.order) == candidates
            assert ordered == sorted(ordered, reverse=True)
        # a candidate the cached features do not know goes last
        assert rank_project(p, [999, *ids[1:]], {ids[0]: 1}).order[-1] == 999


def test_project_ranker_fuses_embeddings_only_when_all_are_cached(tmp_path, monkeypatch):
    from alsreview.screening import ranking
    from alsreview.screening.embeddings import embed_texts

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ranking, "_CACHE", {})
    texts = ["stem cells in ALS", "riluzole survival", "neural stem cell transplantation"]
    with Project.create(tmp_path / "p") as p:
        p.import_records(
            [Record(title=t, source="t", source_id=str(i)) for i, t in enumerate(texts)],
            source="t",
            label="t",
            dedup="none",
        )
        ids, ranker = project_ranker(p)
        assert ranker.ridge is None  # nothing cached: TF-IDF only, nothing computed
        assert not (tmp_path / "cache" / "alsreview" / "embeddings").exists()
        stored = [ranking.record_text(r) for _, r in p.records(primary_only=True)]
        embed_texts(stored, max_tokens=ranking.EMBEDDING_MAX_TOKENS)
        ranking._CACHE.clear()
        ids, ranker = project_ranker(p)
        assert ranker.ridge is not None and "ridge" in ranker.name
        got = rank_project(p, ids[2:], {ids[0]: 1, ids[1]: 0})
        assert got.source == "model" and got.order == [ids[2]]
