"""Writers: RIS (decisions in N1), CSV, BibTeX round-trip through the readers."""

from pathlib import Path

import pytest

from alsreview.errors import ExportError
from alsreview.records import read_records, write_records

DATA = Path(__file__).parent / "data"
KEYS = ("title", "authors", "year", "volume", "issue", "pages", "doi", "pmid", "decision", "labels")


@pytest.fixture
def records():
    recs = read_records(DATA / "pubmed_efetch.xml") + read_records(DATA / "rayyan_export.csv")
    recs[0].decision, recs[0].labels = "included", ["MSC-NTF", "phase 2"]
    recs[1].decision = "excluded"
    return recs


@pytest.mark.parametrize("suffix", [".ris", ".csv", ".tsv", ".bib"])
def test_round_trip(records, tmp_path, suffix):
    path = write_records(records, tmp_path / f"out{suffix}")
    back = read_records(path)
    assert len(back) == len(records)
    keys = KEYS if suffix != ".bib" else KEYS[:-2]  # BibTeX has no decision fields
    for a, b in zip(records, back, strict=True):
        for key in keys:
            assert getattr(b, key) == getattr(a, key), (suffix, key)


def test_ris_n1_carries_decision_and_labels(records, tmp_path):
    text = write_records(records, tmp_path / "x.ris").read_text()
    assert "N1  - alsreview-decision: included" in text
    assert "N1  - alsreview-labels: MSC-NTF; phase 2" in text


def test_csv_has_asreview_label_column(records, tmp_path):
    import csv

    rows = list(csv.DictReader((write_records(records, tmp_path / "x.csv")).open()))
    assert rows[0]["label_included"] == "1" and rows[1]["label_included"] == "0"
    assert rows[5]["label_included"] == "1"  # the Rayyan record both reviewers included


def test_unknown_output_format(records, tmp_path):
    with pytest.raises(ExportError, match="cannot write"):
        write_records(records, tmp_path / "x.docx")
