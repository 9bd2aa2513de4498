"""Exports from the browser: records with settled decisions, neutralised CSV, PRISMA."""

from __future__ import annotations


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
