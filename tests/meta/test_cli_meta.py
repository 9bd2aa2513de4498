"""`alsreview meta FILE.csv ... --json` end to end: the reference data sets written as CSV with
metafor's column names go through the command, and the printed JSON is checked against the
metafor reference numbers (through reference.check, so these count as checked too)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from alsreview.cli import main

from .reference import RAW_ALIASES, check, load, reference_files

RTOL_ITERATIVE = 1e-5  # REML/ML tau2 by Fisher scoring to metafor's threshold 1e-5


def _write_csv(path: Path, ref: dict) -> Path:
    rows = ref["raw"]
    header = [RAW_ALIASES.get(k, k) for k in rows[0]]
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(list(row.values()))
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    main(["meta", *args, "--json"])
    return json.loads(capsys.readouterr().out)


def _files() -> list[str]:
    return [name for name in reference_files() if "fits" in load(name)]


@pytest.mark.parametrize("name", _files())
def test_meta_command_json_matches_metafor(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = load(name)
    path = _write_csv(tmp_path / "data.csv", ref)
    measure = ref["measure"]
    out = _run(capsys, str(path), "--measure", measure, "--method", "REML")
    tol = {"rtol": RTOL_ITERATIVE, "atol": 1e-12}
    check(name, ("fits", "REML"), out, **tol)
    check(name, ("predict_REML",), out["predict"], **tol)
    check(name, ("confint_REML",), out["confint"], **tol)
    check(name, ("regtest_REML",), out["regtest"], **tol)
    check(name, ("ranktest_REML",), out["ranktest"], **tol)
    check(name, ("leave1out_REML",), out["leave1out"], **tol)
    check(name, ("influence_REML",), out["influence"], **tol)
    check(name, ("fsn_rosenthal",), out["fsn"], **tol)

    out = _run(capsys, str(path), "--measure", measure, "--method", "DL", "--test", "knha")
    check(name, ("fits", "DL_knha"), out, rtol=1e-6, atol=1e-12)
    out = _run(capsys, str(path), "--measure", measure, "--method", "DL")
    check(name, ("trimfill_DL",), out["trimfill"], rtol=1e-6)
    check(name, ("confint_DL",), out["confint"], rtol=RTOL_ITERATIVE)

    if "metareg_REML" in ref:
        moderator = ref["metareg_REML"]["moderator"]
        out = _run(capsys, str(path), "--measure", measure, "--mods", moderator)
        check(name, ("metareg_REML",), out["metareg"], **tol)
    if "mh" in ref:
        out = _run(capsys, str(path), "--measure", ref["mh"]["measure"], "--method", "MH")
        check(name, ("mh",), out, rtol=1e-6)
    if "peto" in ref:
        out = _run(capsys, str(path), "--method", "PETO")
        check(name, ("peto",), out, rtol=1e-6)


def test_text_output_is_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_csv(tmp_path / "bcg.csv", load("bcg.json"))
    main(["meta", str(path), "--measure", "RR"])
    text = capsys.readouterr().out
    assert "Random-Effects Model (k = 13; tau^2 estimator: REML" in text
    assert "-0.7145" in text  # metafor prints estimate -0.7145 for dat.bcg (REML)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("yi,vi\n0.1,0.01\n0.2,abc\n", [], "line 3: column vi: 'abc' is not a number"),
        ("yi,vi\n0.1,0.01\n0.2\n", [], "line 3: 1 cells where the header has 2"),
        ("ai,ci\n1,2\n", ["--measure", "OR"], "needs bi or n1i"),
        ("yi,vi\n0.1,0.01\n", ["--mods", "dose"], "no column 'dose'"),
        ("m1i,n1i\n1,2\n", [], "give --measure"),
        ("", [], "empty file"),
    ],
)
def test_bad_csv_gives_a_message_and_exit_1(
    content: str, args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(SystemExit) as exc:
        main(["meta", str(path), *args])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert "Traceback" not in err
