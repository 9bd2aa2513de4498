"""`alsreview init / import / search / prisma / export` on a project, in-process."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from alsreview.cli import main
from sources.fakeservices import FakeServices, Server, corpus

OH = (
    "Phase I trial of repeated intrathecal autologous bone marrow-derived mesenchymal "
    "stromal cells in amyotrophic lateral sclerosis"
)
SYKOVA = (
    "Transplantation of mesenchymal stromal cells in patients with amyotrophic lateral "
    "sclerosis: Results of phase I/IIa clinical trial"
)
# A Scopus RIS export (tags, order and the "ER  - " line with its trailing space as Scopus
# writes them) of two trials from the Blume et al. review.
SCOPUS_RIS = "\n".join(
    [
        "TY  - JOUR",
        "AU  - Oh, K.-W.",
        "AU  - Moon, C.",
        f"TI  - {OH}",
        "PY  - 2015",
        "T2  - Stem Cells Translational Medicine",
        "VL  - 4",
        "IS  - 6",
        "SP  - 590",
        "EP  - 597",
        "DO  - 10.5966/sctm.2014-0212",
        "DB  - Scopus",
        "ER  - ",
        "",
        "TY  - JOUR",
        "AU  - Syková, E.",
        "AU  - Rychmach, P.",
        f"TI  - {SYKOVA}",
        "PY  - 2017",
        "T2  - Cell Transplantation",
        "VL  - 26",
        "IS  - 4",
        "SP  - 647",
        "EP  - 658",
        "DO  - 10.3727/096368916X693716",
        "DB  - Scopus",
        "ER  - ",
        "",
    ]
)


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def server():
    with Server(FakeServices(corpus(40))) as s:
        yield s


def test_init_import_search_prisma_export(tmp_path, capsys, server, monkeypatch):
    proj = tmp_path / "review"
    code, out, _ = run(capsys, "init", str(proj))
    assert code == 0 and (proj / "protocol.toml").exists() and (proj / "project.db").exists()
    assert run(capsys, "init", str(proj))[0] == 1  # never overwrite a project

    good = tmp_path / "scopus.ris"
    good.write_text(SCOPUS_RIS, encoding="utf-8")
    bad = tmp_path / "broken.nbib"
    bad.write_text("PMID- 123\nTI  - fine\nthis line is not MEDLINE\n", encoding="utf-8")
    code, out, err = run(capsys, "import", str(good), "-p", str(proj))
    assert code == 0 and "2 records, 2 new" in out
    code, out, err = run(capsys, "import", str(good), "-p", str(proj))
    assert code == 0 and "2 records, 0 new, 2 duplicates" in out  # same file twice
    code, out, _ = run(capsys, "dedup", str(good), "--json", "--project", str(proj))
    found = json.loads(out)
    assert found["clusters"] == [] and sorted(found["in_project"]) == ["1", "2"]
    assert all(v["reason"].startswith("same DOI") for v in found["in_project"].values())
    assert all(isinstance(v["record"], str) for v in found["in_project"].values())  # ids: str
    code, out, err = run(capsys, "import", str(bad), "-p", str(proj), "--format", "medline")
    assert code == 1 and "broken.nbib" in err and "nothing imported" in err

    monkeypatch.setenv("ALSREVIEW_PUBMED_URL", server.url + "/eutils")
    code, out, err = run(capsys, "search", "-p", str(proj), "--source", "pubmed")
    assert code == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith("pubmed")]
    assert len(lines) == 2  # the bundled protocol has two PubMed searches

    code, out, _ = run(capsys, "search", "-p", str(proj), "--log")
    rows = [ln.split("\t") for ln in out.splitlines()[1:]]
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("0", "pubmed", "2012-08-21", "2022-08-21"),
        ("0", "pubmed", "2013-01-01", "2024-03-01"),
    ]
    assert "(pluripotent stem cells)" in rows[0][7]

    code, out, _ = run(capsys, "prisma", "-p", str(proj), "--json")
    counts = json.loads(out)
    assert counts["identified"]["scopus"] == 4 and counts["identified"]["pubmed"] > 2
    # the two Scopus records are also in PubMed: linked, not screened twice
    assert counts["screened"] == sum(counts["identified"].values()) - counts["duplicates_removed"]
    assert counts["duplicates_removed"] >= 4

    svg = tmp_path / "prisma.svg"
    code, out, _ = run(capsys, "prisma", "-p", str(proj), "--svg", str(svg))
    assert code == 0 and "screened" in out
    root = etree.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    assert str(counts["screened"]) in "".join(root.itertext())

    ris = tmp_path / "out.ris"
    code, out, _ = run(capsys, "export", str(ris), "-p", str(proj))
    assert code == 0
    assert ris.read_text(encoding="utf-8").count("ER  -") == counts["screened"]
