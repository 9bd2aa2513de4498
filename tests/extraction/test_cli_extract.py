"""`alsreview extract ...` in-process: forms, comparison, consensus, export; errors exit 1."""

from __future__ import annotations

import json

import pytest

from alsreview.cli import main

RIS = "\n".join(
    [
        "TY  - JOUR",
        "AU  - Syková, E.",
        "TI  - Transplantation of mesenchymal stromal cells in patients with amyotrophic "
        "lateral sclerosis: results of phase I/IIa clinical trial",
        "PY  - 2017",
        "T2  - Cell Transplantation",
        "DO  - 10.3727/096368916X693716",
        "ER  - ",
        "",
    ]
)


def run(*args: str) -> None:
    main(list(args))


@pytest.fixture
def proj(tmp_path, monkeypatch):
    d = tmp_path / "p"
    run("init", str(d))
    (tmp_path / "r.ris").write_text(RIS, encoding="utf-8")
    run("import", str(tmp_path / "r.ris"), "--project", str(d))
    return d


def test_dual_extraction_through_the_cli(proj, tmp_path, capsys):
    p = ["--project", str(proj)]
    run("extract", "study", "sykova2017", "--record", "1", *p)
    for who, n in (("ann", "23"), ("bob", "26")):
        run(
            "extract",
            "set",
            "sykova2017",
            "patients_analysed",
            n,
            "--from",
            "Table 2",
            "--reviewer",
            who,
            *p,
        )
        run(
            "extract",
            "set",
            "sykova2017",
            "patients_enrolled",
            "26",
            "--from",
            "Results",
            "--reviewer",
            who,
            *p,
        )
        for field, value in (
            ("design", "single-arm"),
            ("cell_type", "BM-MSC"),
            ("routes", '["IT"]'),
        ):
            run(
                "extract",
                "set",
                "sykova2017",
                field,
                value,
                "--from",
                "Methods",
                "--reviewer",
                who,
                *p,
            )
    capsys.readouterr()
    run("extract", "compare", "sykova2017", "--json", *p)
    (cmp,) = json.loads(capsys.readouterr().out)
    assert [f["field"] for f in cmp["fields"] if not f["agree"]] == ["patients_analysed"]

    with pytest.raises(SystemExit) as exit_:
        run("extract", "consensus", "sykova2017", *p)
    assert exit_.value.code == 1
    assert "patients_analysed disagrees" in capsys.readouterr().err

    run("extract", "consensus", "sykova2017", "--take", "patients_analysed=ann", *p)
    run("extract", "export", "--out", str(tmp_path / "e.json"), *p)
    doc = json.loads((tmp_path / "e.json").read_text())
    (study,) = doc["studies"]
    assert study["patients_analysed"]["value"] == 23
    run("extract", "export", "--out", str(tmp_path / "e.csv"), *p)
    lines = (tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 4  # header, consensus, ann, bob
    assert lines[1].startswith("sykova2017,Syková 2017,consensus,single-arm")


def test_unknown_study_is_one_clear_error(proj, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(
            "extract",
            "set",
            "nosuch",
            "patients_enrolled",
            "3",
            "--from",
            "p 1",
            "--project",
            str(proj),
        )
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "no study 'nosuch' in this project" in err and "Traceback" not in err
