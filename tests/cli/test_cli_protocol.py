"""`alsreview protocol schema|check` through the console script (issue 9 part 5)."""

from __future__ import annotations

import json
from importlib import resources


def test_schema_prints_the_committed_schema(cli):
    res = cli("protocol", "schema")
    assert res.returncode == 0, res.stderr
    committed = resources.files("alsreview.data").joinpath("protocol.schema.json")
    assert json.loads(res.stdout) == json.loads(committed.read_text("utf-8"))


def test_check_summarises_a_good_protocol_and_names_each_problem_of_a_bad_one(cli, tmp_path):
    res = cli("protocol", "check")
    assert res.returncode == 0, res.stderr
    assert "amyotrophic lateral sclerosis" in res.stdout and "[pubmed]" in res.stdout

    bad = tmp_path / "protocol.toml"
    bad.write_text(
        '[review]\ntitle = ""\nquestion = "q"\nlanguage = ["en"]\n'
        '[pico]\npopulation = "ALS"\nintervention = "cells"\n'
        '[[search]]\nsource = "pubmed"\nquery = "(als"\n'
        "[criteria]\ninclusion = []\n",
        encoding="utf-8",
    )
    res = cli("protocol", "check", str(bad))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    for where in ("review.title", "review.language", "search[1].query", "criteria.inclusion"):
        assert f"{bad}, column {where}:" in res.stderr, (where, res.stderr)
    assert "4 problems" in res.stderr
