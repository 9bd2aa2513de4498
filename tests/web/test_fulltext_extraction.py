"""Full-text upload (type, size, generated names) and extraction with accepted suggestions."""

from __future__ import annotations

import pytest
from tests.extraction.pdfs import encrypt, make_pdf

TRIAL = (
    "Nineteen patients with ALS were enrolled in this phase I/II open-label trial. "
    "Autologous bone marrow mesenchymal stem cells were injected intrathecally, two "
    "injections 3 months apart. Follow-up lasted 12 months."
)


@pytest.fixture
def sent_to_full_text(login, project):
    """Record 1 included by both reviewers: it goes to full text."""
    for name in ("rita", "ravi"):
        assert login(name).vote(1, "include").status_code == 201
    return 1


def uploads(project):
    folder = project.root / "fulltexts"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def stored_fulltexts(project):
    from alsreview.store import extractions as xs

    return xs.fulltexts(project)


def test_pdf_upload_is_stored_under_a_generated_name_and_read(login, project, sent_to_full_text):
    rita = login("rita")
    r = rita.post(
        "/fulltext/1/upload",
        files={"file": ("../../etc/passwd.pdf", make_pdf([TRIAL, "Page two."]), "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (name,) = uploads(project)
    assert name.endswith(".pdf") and len(name) == 36 and "passwd" not in name
    (ft,) = stored_fulltexts(project)
    assert ft.study_id == "r1" and ft.media == "pdf" and len(ft.pages) == 2
    assert "Nineteen patients" in ft.pages[0]
    page = rita.get("/fulltext").text
    assert f'href="/fulltext/file/{ft.id}"' in page
    got = rita.get(f"/fulltext/file/{ft.id}")
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.content[:5] == b"%PDF-"
    assert rita.get("/fulltext/file/999").status_code == 404
    # the event names the web user who uploaded it
    assert any(e.action == "fulltext.add" and e.actor == "rita" for e in project.events())


@pytest.mark.parametrize(
    ("payload", "ctype", "status"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png", 415),  # wrong type
        (b"MZ\x90\x00\x03\x00", "application/pdf", 415),  # binary posing as PDF
        (b"%PDF-1.7\n garbage, not a PDF", "application/pdf", 422),  # unreadable PDF
        ("encrypted", "application/pdf", 422),  # needs a password
    ],
)
def test_wrong_or_unreadable_uploads_are_refused_and_nothing_is_kept(
    login, project, sent_to_full_text, payload, ctype, status
):
    if payload == "encrypted":
        payload = encrypt(make_pdf([TRIAL]), user_password="secret")
    r = login("rita").post("/fulltext/1/upload", files={"file": ("x.pdf", payload, ctype)})
    assert r.status_code == status, r.text
    assert uploads(project) == [] and stored_fulltexts(project) == []


def test_an_upload_over_the_limit_is_refused(project, sent_to_full_text):
    from tests.web.conftest import Client

    from alsreview.web import create_app

    small = Client(create_app(project, max_upload_bytes=2000), "rita")
    big = make_pdf([TRIAL * 40])
    assert len(big) > 2000
    r = small.post("/fulltext/1/upload", files={"file": ("big.pdf", big, "application/pdf")})
    assert r.status_code == 413 and "limit of" in r.json()["detail"]
    assert uploads(project) == [] and stored_fulltexts(project) == []


def test_extraction_accepts_a_suggestion_with_its_quote(login, project, sent_to_full_text):
    rita = login("rita")
    rita.post("/fulltext/1/upload", files={"file": ("t.txt", TRIAL.encode(), "text/plain")})
    page = rita.get("/extraction/r1").text
    assert "Suggestions from the full text" in page
    assert "Nineteen patients with ALS were enrolled" in page  # the quoted evidence
    r = rita.post(
        "/extraction/r1/accept", data={"field": "patients_enrolled"}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 200 and "patients_enrolled accepted" in r.text
    from alsreview.extraction.review import reviewer_extraction

    mine = reviewer_extraction(project, "r1", "rita")
    assert mine["patients_enrolled"]["value"] == 19
    assert mine["patients_enrolled"]["from"] == ["r1: page 1"]
    assert "Nineteen patients" in mine["patients_enrolled"]["note"]
    assert reviewer_extraction(project, "r1", "ravi") == {}  # per reviewer
    # routes: "IT" accepted as the list of codes the evidence model keeps
    rita.post("/extraction/r1/accept", data={"field": "routes"})
    assert reviewer_extraction(project, "r1", "rita")["routes"]["value"] == ["IT"]
    # a typed value with its source
    r = rita.post(
        "/extraction/r1/set",
        data={"field": "follow_up_months", "value": "12", "source": "Methods"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert reviewer_extraction(project, "r1", "rita")["follow_up_months"]["value"] == 12
    bad = rita.post(
        "/extraction/r1/set", data={"field": "patients_enrolled", "value": "many", "source": "x"}
    )
    assert bad.status_code == 422
