"""Assisted extraction: output shape, evidence spans that quote the text verbatim, taxonomy
codes, 'other' with the quoted words, doses the dose parser reads, precision and recall on
the committed abstracts, and the seed trial report (002_*) against the bundled base."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from alsreview.cli import main
from alsreview.evidence import load_evidence
from alsreview.evidence.dose import parse_dose
from alsreview.extraction.evaluate import score_text, suggestion_correct, total
from alsreview.extraction.suggest import FIELDS, suggest

from .pdfs import make_pdf

DATA = Path(__file__).parent / "data" / "abstracts"
GOLD = json.loads((DATA / "gold.json").read_text(encoding="utf-8"))


def seeds_dir() -> Path:
    env = os.environ.get("ALSREVIEW_SEEDS")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared" / "seeds"
    pytest.fail("seed papers not found in a shared/seeds folder above the checkout")


def by_field(text_or_pages):
    return {s.field: s for s in suggest(text_or_pages)}


def test_cli_json_has_exactly_the_issue_shape(tmp_path, capsys):
    path = tmp_path / "abstract.txt"
    path.write_text((DATA / "dev_01_kim.txt").read_text(encoding="utf-8"), encoding="utf-8")
    main(["extract", "suggest", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["suggestions"]
    text = path.read_text(encoding="utf-8")
    for s in out["suggestions"]:
        assert list(s) == ["field", "value", "quote", "page", "start", "end", "confidence"]
        assert s["quote"] == text[s["start"] : s["end"]]
        assert 0 < s["confidence"] <= 1 and s["page"] == 1
    first = out["suggestions"][0]
    assert first["field"] == "patients_enrolled" and first["value"] == 45
    assert "we enrolled 45 patients" in first["quote"]


def test_pdf_pages_and_offsets(tmp_path, capsys):
    page1 = (
        "Intrathecal stem cells in ALS: an open-label study.\nMethods: 19 patients were enrolled."
    )
    page2 = ("Results: each patient received two intrathecal injections of 1.5 x 10^6 cells/kg "
             "three months apart. Patients were followed for 12 months.")  # fmt: skip
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf([page1, page2]))
    main(["extract", "suggest", str(path), "--json"])
    found = {s["field"]: s for s in json.loads(capsys.readouterr().out)["suggestions"]}
    assert found["patients_enrolled"]["value"] == 19 and found["patients_enrolled"]["page"] == 1
    dose = found["dose_per_administration"]
    assert (
        dose["page"] == 2 and parse_dose(dose["value"]).options[0].components[0].unit == "cells/kg"
    )
    assert found["schedule.sessions_min"]["value"] == 2
    assert found["schedule.interval"]["value"] == "3 months"
    assert found["follow_up_months"]["value"] == 12


def test_taxonomy_codes_and_combined_routes():
    s = by_field((DATA / "heldout_01_petrou.txt").read_text(encoding="utf-8"))
    assert s["cell_type"].value == "MSC-NTF"
    assert s["routes"].value == "IT+IM"
    s = by_field((DATA / "dev_06_yamashita.txt").read_text(encoding="utf-8"))
    assert (s["cell_type"].value, s["routes"].value, s["cell_source"].value) == (
        "Muse", "IV", "allogeneic",
    )  # fmt: skip


def test_outside_the_taxonomy_is_other_with_the_quoted_words():
    text = (DATA / "dev_07_olfactory.txt").read_text(encoding="utf-8")
    s = by_field(text)
    assert s["cell_type"].value == "other"
    assert s["cell_type"].quote == "Olfactory ensheathing cells"
    assert text[s["cell_type"].start : s["cell_type"].end] == "Olfactory ensheathing cells"
    assert s["routes"].value == "other" and s["routes"].quote == "intracerebroventricularly"


def test_doses_are_printed_strings_the_parser_reads():
    for name in GOLD:
        s = by_field((DATA / f"{name}.txt").read_text(encoding="utf-8"))
        if "dose_per_administration" in s:
            parse_dose(s["dose_per_administration"].value)
    s = by_field((DATA / "heldout_02_berry.txt").read_text(encoding="utf-8"))
    dose = parse_dose(s["dose_per_administration"].value)
    assert {c.route for c in dose.options[0].components} == {"IT", "IM"}


def test_suggestions_never_claim_more_analysed_than_enrolled():
    s = by_field("Twelve patients were enrolled. Data from 40 patients were analysed.")
    assert s["patients_enrolled"].value == 12 and "patients_analysed" not in s


def test_background_and_cited_trials_weigh_less():
    text = (
        "Introduction\nPrevious studies have shown that 45 patients were enrolled in a trial "
        "of intravenous cells (Kim et al.).\nMethods\nWe enrolled 9 patients who received "
        "intrathecal MSCs."
    )
    s = by_field(text)
    assert s["patients_enrolled"].value == 9
    assert s["routes"].value == "IT"


def test_precision_and_recall_on_the_committed_abstracts():
    """Numbers recorded in BENCHMARKS.md (benchmarks/extraction_suggest.py)."""
    fields = [f for f in FIELDS if f != "schedule.sessions_max"]
    scores = []
    for name, gold in GOLD.items():
        made = [(s.field, s.value) for s in suggest((DATA / f"{name}.txt").read_text("utf-8"))]
        scores.append(score_text(made, gold, fields))
    t = total(scores)
    tp = sum(v.tp for v in t.values())
    fp = sum(v.fp for v in t.values())
    fn = sum(v.fn for v in t.values())
    assert tp / (tp + fp) >= 0.95
    assert tp / (tp + fn) >= 0.9
    for f in ("patients_enrolled", "cell_type", "routes"):
        assert t[f].precision == 1.0 and t[f].recall == 1.0, f


def test_seed_trial_report_against_the_bundled_base():
    """The 002_* seed (Syková et al. 2017, text as extracted from its PDF) against the
    bundled base's sykova2017 entry."""
    text = (seeds_dir() / "002_8d79ff6467cc2aa9.txt").read_text(encoding="utf-8")
    study = load_evidence(None).study("sykova2017")
    s = by_field(text)
    assert s["patients_enrolled"].value == study.patients_enrolled.value == 26
    assert s["patients_analysed"].value == study.patients_analysed.value == 23
    assert s["cell_type"].value == study.cell_type.value
    assert s["routes"].value == "+".join(study.routes.value)
    assert suggestion_correct(
        "dose_per_administration", s["dose_per_administration"].value,
        study.dose_per_administration.value,
    )  # fmt: skip
    assert s["follow_up_months"].value == study.follow_up_months.value
    assert s["design"].value == study.design.value
    assert "lumbar puncture" in s["routes"].quote
    assert s["routes"].quote == text[s["routes"].start : s["routes"].end]
