"""Full texts: real PDFs (matplotlib PDF backend) read page by page with pypdf; encrypted,
damaged, scanned, huge and binary files refused with one clear error and nothing stored."""

from __future__ import annotations

import pytest

from alsreview.errors import ImportFormatError, StoreError
from alsreview.extraction import fulltext as ft
from alsreview.extraction.review import add_study
from alsreview.records.model import Record
from alsreview.store import extractions as xs

from .pdfs import encrypt, make_pdf

PAGES = [
    "Twenty-six patients were enrolled and received 15 \u00b1 4.5 \u00d7 10^6 cells.",
    "Table 2. ALSFRS-R before and after the application of the cells.",
]


def test_pdf_pages_are_read_in_order(tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf(PAGES))
    text = ft.read_fulltext(path)
    assert text.media == "pdf" and text.n_pages == 2
    assert "Twenty-six patients were enrolled" in text.pages[0]
    assert "Table 2. ALSFRS-R" in text.pages[1]
    assert len(text.sha256) == 64


def test_text_file_pages_split_at_form_feeds(tmp_path):
    path = tmp_path / "paper.txt"
    path.write_text("page one\fpage two\fpage three", encoding="utf-8")
    assert ft.read_fulltext(path).pages == ("page one", "page two", "page three")


def test_owner_password_only_pdf_opens(tmp_path):
    path = tmp_path / "owner.pdf"
    path.write_bytes(encrypt(make_pdf(PAGES), user_password=""))
    assert "Twenty-six" in ft.read_fulltext(path).pages[0]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "locked.pdf",
            lambda: encrypt(make_pdf(PAGES), "secret"),
            "encrypted PDF: it needs a password",
        ),
        ("damaged.pdf", lambda: b"%PDF-1.7\n" + b"\x00garbage" * 50, "unreadable PDF"),
        ("truncated.pdf", lambda: make_pdf(PAGES)[:400], "unreadable PDF"),
        ("scan.pdf", lambda: make_pdf(["x"], draw_only=True), "no text layer"),
        ("image.png", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        ("latin1.txt", lambda: "Sykov\u00e1".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_give_one_clear_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(ImportFormatError, match=message) as err:
        ft.read_fulltext(path)
    assert name in str(err.value)


def test_huge_file_refused_before_reading(tmp_path):
    path = tmp_path / "huge.pdf"
    with path.open("wb") as fh:  # sparse: larger than the limit without writing 50 MB
        fh.truncate(ft.MAX_BYTES + 1)
    with pytest.raises(ImportFormatError, match="larger than the limit"):
        ft.read_fulltext(path)


@pytest.fixture
def study(project):
    project.import_records([Record(title="A trial", year=2017, source="x", source_id="1")],
                           source="x", label="t")  # fmt: skip
    ((rid, _),) = project.records()
    add_study(project, "sykova2017", [rid])
    return project


def test_attach_stores_pages_and_logs(study, tmp_path):
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf(PAGES))
    ft.attach_fulltext(study, "sykova2017", path)
    (stored,) = xs.fulltexts(study, "sykova2017")
    assert stored.media == "pdf" and len(stored.pages) == 2
    assert "Table 2" in stored.pages[1]
    (event,) = [e for e in study.events() if e.action == "fulltext.add"]
    assert event.details["file"] == "paper.pdf" and event.details["pages"] == 2


def test_attach_refuses_and_stores_nothing(study, tmp_path):
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypt(make_pdf(PAGES), "secret"))
    with pytest.raises(ImportFormatError, match="encrypted"):
        ft.attach_fulltext(study, "sykova2017", locked)
    with pytest.raises(StoreError, match="no study 'nosuch'"):
        ft.attach_fulltext(study, "nosuch", locked)
    assert xs.fulltexts(study) == []
    assert not [e for e in study.events() if e.action == "fulltext.add"]
