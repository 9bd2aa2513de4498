"""`alsreview trial ...` end to end on the bundled example and a simulated trial."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from alsreview.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("ex") / "trial"
    res = runner.invoke(app, ["trial", "example", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_example_has_the_three_files_and_readme(example):
    assert {p.name for p in example.iterdir()} >= {
        "patients.csv",
        "visits.csv",
        "adverse_events.csv",
        "README.md",
    }


def test_analyze_json_on_example(example):
    res = runner.invoke(app, ["trial", "analyze", str(example), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    demo = {d["variable"]: d for d in data["demographics"]}
    assert round(demo["age (years)"]["mean"], 1) == 51.2
    assert round(demo["FVC before treatment (% predicted)"]["sem"], 1) == 2.3
    fvc = {r["month"]: r for r in data["fvc_stability"]}
    assert (fvc[9]["n_stable"], fvc[9]["n"]) == (15, 19)
    assert data["adverse_events"]["n_events"] == 18
    assert "slopes" in data["skipped"] and "patient_slopes" not in data


def test_simulate_then_analyze(tmp_path):
    folder = tmp_path / "sim"
    res = runner.invoke(
        app,
        ["trial", "simulate", "--out", str(folder), "--n", "25", "--effect", "0.5", "--seed", "7"],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["trial", "analyze", str(folder), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert len(data["patient_slopes"]) == 25
    windows = {(t["window"], t["group"]) for t in data["paired_tests"]}
    assert (3, "all") in windows and (12, "progressors") in windows
    fe = {r["term"]: r for r in data["mixed_model"]["fixed_effects"]}
    assert abs(fe["month_post"]["estimate"] - 0.5) < 4 * fe["month_post"]["se"]
    assert fe["month"]["se"] > 0


def test_bad_folder_is_a_message_and_exit_1(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,age\n1,200\n")
    (tmp_path / "visits.csv").write_text("patient_id,visit,month,alsfrs_r\n1,V,0,30\n")
    out = subprocess.run(
        [sys.executable, "-m", "alsreview", "trial", "analyze", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "patients.csv" in out.stderr and "column sex" in out.stderr
    assert "Traceback" not in out.stderr


def test_power_command():
    res = runner.invoke(app, ["trial", "power", "--n", "15", "--n-sim", "4", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["n_sim"] == 4 and 0 <= data["power_mixed"] <= 1


def test_export_command(example, tmp_path):
    out = tmp_path / "study.json"
    args = ["trial", "export", str(example), "--id", "sykova-ipd", "--first-author", "Syková E"]
    args += ["--year", "2017", "--title", "MSC", "--cell-type", "BM-MSC", "--route", "IT"]
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    from alsreview.evidence.model import SourcePaper, Study

    doc = json.loads(out.read_text())
    study = Study.model_validate(doc["studies"][0])
    assert study.patients_enrolled.value == 26
    assert SourcePaper.model_validate(doc["sources"]["sykova-ipd-ipd"]).kind == "trial report"
