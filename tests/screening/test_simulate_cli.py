"""`alsreview simulate` on a real labelled set, malformed labelled CSVs, the recall plot,
and the screening commands (agreement, conflicts, unblind, decisions import)."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from alsreview import screening
from alsreview.cli import main
from alsreview.errors import ImportFormatError
from alsreview.records.labelled import read_labelled_csv
from alsreview.records.model import Record
from alsreview.screening.simulate import (
    JSON_KEYS,
    frac_screened,
    recall_at,
    simulate,
    simulate_file,
    wss,
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def small_set(data_dir, tmp_path) -> Path:
    """The Cohen 2006 antihistamines review (real records): all 16 included and the first
    84 excluded records, 100 rows."""
    src = data_dir / "Cohen_2006_Antihistamines.csv"
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keep = [r for r in rows if r["label_included"] == "1"]
    keep += [r for r in rows if r["label_included"] == "0"][:84]
    out = tmp_path / "antihistamines_100.csv"
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(keep)
    return out


def test_metrics_on_a_hand_made_order():
    # 10 records, 4 included, found at positions 1, 2, 5 and 9
    found = [1, 1, 0, 0, 1, 0, 0, 0, 1, 0]
    assert frac_screened(found, 4, 0.95) == pytest.approx(0.9)  # ceil(3.8) = 4 found at 9
    assert frac_screened(found, 4, 0.75) == pytest.approx(0.5)  # 3 found at 5
    assert wss(found, 4, 0.95) == pytest.approx(1 - 0.9 - 0.05)
    assert recall_at(found, 4, 0.10) == pytest.approx(0.25)  # first record only


def test_simulate_json_has_exactly_the_issue_keys(capsys, small_set, tmp_path):
    plot = tmp_path / "recall.svg"
    code, out, err = run(capsys, "simulate", str(small_set), "--seed", "1", "--json",
                         "--plot", str(plot))  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert tuple(result) == JSON_KEYS
    assert (result["n_records"], result["n_included"]) == (100, 16)
    assert 0 < result["frac_screened_95"] <= result["frac_screened_100"] <= 1
    assert result["wss95"] == pytest.approx(1 - result["frac_screened_95"] - 0.05)
    root = ET.parse(plot).getroot()
    assert root.tag.endswith("svg")
    again = simulate_file(str(small_set), seed=1)
    assert again.to_dict() == result  # the seed fixes the priors and the run
    # the ranking finds included records earlier than screening in random order would
    # (mean position of an included record ~ 0.5 of the set when random)
    assert again.atd < 0.45


def test_priors_come_first_and_count_as_screened(small_set):
    data = read_labelled_csv(small_set)
    texts = [r.title + " " + r.abstract for r in data.records]
    res = simulate(texts, data.labels, priors=[0, 99])
    assert res.order[:2] == (0, 99) and res.found[:2] == (1, 0)
    assert sorted(set(res.order)) == sorted(res.order)  # nothing screened twice
    assert sum(res.found) == 16
    _, y = res.recall_curve()
    assert y[-1] == 1.0 and np.all(np.diff(y) >= 0)


BAD = {
    "empty.csv": ("", "empty file"),
    "header.csv": ("record_id,title,abstract,label_included\n", "header only"),
    "nolabel.csv": ("record_id,title\n1,A\n2,B\n", "no label_included column"),
    "twos.csv": ("record_id,title,label_included\n1,A,1\n2,B,2\n", "line 3.*must be 0 or 1"),
    "blank.csv": ("record_id,title,label_included\n1,A,1\n2,B,\n", "must be 0 or 1, found ''"),
    "oneclass.csv": ("record_id,title,label_included\n1,A,0\n2,B,0\n", "all 2 records are"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD))
def test_malformed_labelled_csv_is_refused_clearly(capsys, tmp_path, name):
    text, message = BAD[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message):
        read_labelled_csv(path)
    code, out, err = run(capsys, "simulate", str(path), "--seed", "1", "--json")
    assert code == 1 and out == "" and name in err


def _project(tmp_path, monkeypatch) -> tuple[Path, list[int]]:
    from alsreview.store import Project

    monkeypatch.setenv("ALSREVIEW_USER", "owner")
    root = tmp_path / "proj"
    recs = [
        Record(title=f"Intrathecal mesenchymal stem cells in ALS {k}", doi=f"10.1000/als.{k}",
               source="pubmed", source_id=str(k))
        for k in range(6)
    ]  # fmt: skip
    with Project.create(root) as p:
        p.import_records(recs, source="pubmed", label="t", dedup="exact")
        ids = [rid for rid, _ in p.records()]
    return root, ids


def test_decisions_import_is_all_or_nothing(capsys, tmp_path, monkeypatch):
    from alsreview.store import Project

    root, ids = _project(tmp_path, monkeypatch)
    good = tmp_path / "decisions.csv"
    good.write_text(
        "record_id,reviewer,decision,reason\n"
        + "".join(f"{rid},ana,{'included' if k < 3 else 'excluded'},\n"
                  for k, rid in enumerate(ids))
        + "".join(f"{rid},ben,included,\n" for rid in ids),
        encoding="utf-8",
    )  # fmt: skip
    bad = tmp_path / "bad.csv"
    bad.write_text(f"record_id,reviewer,decision\n{ids[0]},cy,included\n999,cy,excluded\n")
    code, _, err = run(capsys, "decisions", "import", str(bad), "-p", str(root))
    assert code == 1 and "record 999" in err and "no such record" in err
    with Project.open(root) as p:
        assert screening.visible_decisions(p, "cy", "title_abstract") == []  # nothing half-written
    code, out, err = run(capsys, "decisions", "import", str(good), "-p", str(root))
    assert code == 0, err
    assert "12 decisions imported" in out
    # conflicts need an unblinded stage; the owner unblinds it
    code, _, err = run(capsys, "conflicts", "-p", str(root))
    assert code == 1 and "blinded" in err
    code, _, err = run(capsys, "unblind", "title_abstract", "-p", str(root), "-r", "ana")
    assert code == 1 and "only the project owner" in err
    assert run(capsys, "unblind", "title_abstract", "-p", str(root))[0] == 0
    code, out, _ = run(capsys, "conflicts", "-p", str(root), "--json")
    listed = json.loads(out)
    assert [c["record_id"] for c in listed] == ids[3:]
    resolve = ["--resolve", str(ids[3]), "--decision", "excluded", "--why", "animal model"]
    code, out, err = run(capsys, "conflicts", "-p", str(root), *resolve, "-r", "cy")
    assert code == 0, err
    code, out, _ = run(capsys, "agreement", "-p", str(root), "--json")
    pair = json.loads(out)["pairs"][0]
    assert pair["raters"] == ["ana", "ben"] and pair["percent"] == pytest.approx(50.0)
    with Project.open(root) as p:
        assert screening.settled_decisions(p, "title_abstract")[ids[3]] == ("excluded", None)


def test_rayyan_export_votes_enter_as_each_reviewers_decision(capsys, tmp_path, monkeypatch):
    from alsreview.store import Project

    root, ids = _project(tmp_path, monkeypatch)
    export = tmp_path / "rayyan.csv"
    rows = [
        ["key", "title", "doi", "notes"],
        ["r1", "Intrathecal mesenchymal stem cells in ALS 0", "10.1000/als.0",
         'RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"}'],
        ["r2", "Intrathecal mesenchymal stem cells in ALS 1", "10.1000/als.1",
         'RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Included"}'],
    ]  # fmt: skip
    with export.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    code, out, err = run(capsys, "decisions", "import", str(export), "-p", str(root))
    assert code == 0, err
    assert "4 decisions imported (Rayyan" in out
    with Project.open(root) as p:
        screening.unblind(p, "title_abstract", "owner")
        votes = {(v.record_id, v.reviewer): v.decision
                 for v in screening.visible_decisions(p, "x", "title_abstract")}  # fmt: skip
    assert votes == {
        (ids[0], "Ana"): "included",
        (ids[0], "Ben"): "excluded",
        (ids[1], "Ana"): "included",
        (ids[1], "Ben"): "included",
    }
    unknown = tmp_path / "unknown.csv"
    rows[2][1:3] = ["A completely different paper on gene therapy", "10.9999/other"]
    with unknown.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    code, _, err = run(capsys, "decisions", "import", str(unknown), "-p", str(root))
    assert code == 1 and "not found in this project" in err and "r2" in err


def test_rayyan_exclusion_reasons_map_to_the_protocols_codes(capsys, tmp_path, monkeypatch):
    import shutil

    from alsreview.protocol import PROTOCOL_FILENAME
    from alsreview.screening.importing import map_reason
    from alsreview.store import Project

    root, ids = _project(tmp_path, monkeypatch)
    data = Path(screening.__file__).parents[1] / "data" / "protocol_als_stem_cells.toml"
    shutil.copy(data, root / PROTOCOL_FILENAME)
    export = tmp_path / "rayyan.csv"
    rows = [
        ["key", "title", "doi", "notes"],
        ["r1", "Intrathecal mesenchymal stem cells in ALS 0", "10.1000/als.0",
         'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Ben"=>"Excluded"} | '
         "RAYYAN-EXCLUSION-REASONS: Animal study only,wrong population"],
        ["r2", "Intrathecal mesenchymal stem cells in ALS 1", "10.1000/als.1",
         'RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | '
         "RAYYAN-EXCLUSION-REASONS: GENE-THERAPY"],
        ["r3", "Intrathecal mesenchymal stem cells in ALS 2", "10.1000/als.2",
         'RAYYAN-INCLUSION: {"Ana"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: background article'],
    ]  # fmt: skip
    with export.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    code, out, err = run(capsys, "decisions", "import", str(export), "-p", str(root))
    assert code == 0, err
    assert "5 decisions imported (Rayyan" in out
    assert "'wrong population' is not in the protocol" in err
    assert "'background article' is not in the protocol" in err
    with Project.open(root) as p:
        screening.unblind(p, "title_abstract", "owner")
        got = {(v.record_id, v.reviewer): (v.decision, v.reason, v.note)
               for v in screening.visible_decisions(p, "x", "title_abstract")}  # fmt: skip
    note = "Rayyan exclusion reason: wrong population"
    assert got == {
        (ids[0], "Ana"): ("excluded", "animal", note),  # by label
        (ids[0], "Ben"): ("excluded", "animal", note),
        (ids[1], "Ana"): ("included", None, ""),  # a reason belongs to exclusions only
        (ids[1], "Ben"): ("excluded", "gene_therapy", ""),  # by code, case and '-' ignored
        (ids[2], "Ana"): ("excluded", None, "Rayyan exclusion reason: background article"),
    }
    reasons = [("animal", "Animal study only"), ("review", "Literature review")]
    assert map_reason(" literature   REVIEW. ", reasons) == "review"
    assert map_reason("animal studies", reasons) is None


def test_default_embeddings_computed_cached_or_explained(monkeypatch, tmp_path, capsys, small_set):
    from alsreview.screening import embeddings as em
    from alsreview.screening import ranking

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    texts = ["Stem cells for ALS.", "Riluzole survival.", ""]
    monkeypatch.setattr(ranking, "EMBEDDING_WEIGHT", 0.0)
    assert ranking.default_embeddings(texts) == (None, "the default model does not use embeddings")
    monkeypatch.setattr(ranking, "EMBEDDING_WEIGHT", 0.5)
    # the web app's path: nothing cached yet, nothing computed
    emb, why = ranking.default_embeddings(texts, compute=False)
    assert emb is None and "no cached embedding" in why
    emb, why = ranking.default_embeddings(texts)
    assert why == "" and emb is not None and emb.shape == (3, em.DIM)
    np.testing.assert_allclose(np.linalg.norm(emb[:2], axis=1), 1.0, atol=1e-5)
    cached, _ = ranking.default_embeddings(texts, compute=False)
    np.testing.assert_array_equal(cached, emb)
    # no model package: the simulation runs on TF-IDF and the CLI says why; JSON unchanged
    monkeypatch.setattr(em, "model_available", lambda: False)
    code, out, err = run(capsys, "simulate", str(small_set), "--seed", "1", "--json")
    assert code == 0 and tuple(json.loads(out)) == JSON_KEYS
    assert "warning: the sentence-embedding model is not installed" in err
    assert "ridge" not in simulate_file(str(small_set), seed=1).model
