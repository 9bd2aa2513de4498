"""Exports from the browser: records with settled decisions, neutralised CSV, PRISMA."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import XSS_ABSTRACT, XSS_TITLE


def test_csv_export_neutralises_formulas_and_keeps_the_text(login):
    r = login("rita").get("/exports/records.csv")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="records.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 5
    hostile = next(row for row in rows if "window.__xss = 1" in row["title"])
    # a spreadsheet would run a cell starting with =, +, - or @: it gets a leading '
    assert hostile["abstract"] == "'" + XSS_ABSTRACT
    assert hostile["title"] == XSS_TITLE  # starts with '<': left as it is
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@")), value


def test_exports_carry_settled_decisions_only(login, project):
    rita, ravi = login("rita"), login("ravi")
    rid = project.records(primary_only=True)[2][0]
    rita.vote(rid, "exclude")
    text = rita.get("/exports/records.ris").text
    assert "stage: title/abstract" not in text  # one vote of two: nothing settled
    ravi.vote(rid, "exclude")
    text = rita.get("/exports/records.ris").text
    assert text.count("stage: title/abstract") == 1


def test_prisma_diagram_downloads(login):
    rita = login("rita")
    svg = rita.get("/exports/prisma.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
    png = rita.get("/exports/prisma.png")
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_project_report_downloads_as_a_page_without_scripts(login):
    r = login("rita").get("/exports/report.html")
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="report.html"'
    assert "PRISMA" in r.text and "<script" not in r.text.lower()
