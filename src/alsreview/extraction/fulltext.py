"""Full texts: a PDF (text layer read with pypdf) or a plain-text file, kept page by page.

In: a file path.  Out: a `FullText` with one string per page (a text file's pages are
separated by form feeds, as `pdftotext` writes them), stored by `attach_fulltext`.

Limits: files over `MAX_BYTES`, more than `MAX_PAGES` pages or `MAX_CHARS` characters are
refused.  An encrypted PDF (one that needs a password to open), a damaged PDF, a PDF without
a text layer (a scan) and a binary file posing as text each raise one `ImportFormatError`
naming the file, before anything is stored.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from alsreview.errors import ImportFormatError
from alsreview.store.project import Project

MAX_BYTES = 50 * 1024 * 1024
MAX_PAGES = 2000
MAX_CHARS = 5_000_000


@dataclass(frozen=True)
class FullText:
    filename: str
    sha256: str
    media: str  # "pdf" | "text"
    pages: tuple[str, ...]

    @property
    def n_pages(self) -> int:
        return len(self.pages)

    @property
    def n_chars(self) -> int:
        return sum(len(p) for p in self.pages)


def read_fulltext(path: str | Path, *, max_bytes: int = MAX_BYTES) -> FullText:
    """Read a PDF or text file into page texts; refuse what cannot be read (see module doc)."""
    p = Path(path)
    name = str(p)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ImportFormatError(name, f"cannot read: {exc.strerror}") from exc
    if size > max_bytes:
        raise ImportFormatError(
            name, f"file of {size:,} bytes is larger than the limit of {max_bytes:,} bytes"
        )
    data = p.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if data.lstrip()[:5] == b"%PDF-":
        pages = _pdf_pages(name, data)
        media = "pdf"
    else:
        pages = _text_pages(name, data)
        media = "text"
    if len(pages) > MAX_PAGES:
        raise ImportFormatError(name, f"{len(pages)} pages: more than the limit of {MAX_PAGES}")
    total = sum(len(t) for t in pages)
    if total > MAX_CHARS:
        raise ImportFormatError(
            name, f"{total:,} characters of text: more than the limit of {MAX_CHARS:,}"
        )
    if not any(t.strip() for t in pages):
        what = "the PDF has no text layer (a scan?): run OCR first" if media == "pdf" else "empty"
        raise ImportFormatError(name, what)
    return FullText(p.name, digest, media, tuple(pages))


def _pdf_pages(name: str, data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # owner-password-only PDFs open with the empty user password; others need one
            try:
                opened = reader.decrypt("")
            except (PyPdfError, NotImplementedError) as exc:
                raise ImportFormatError(
                    name, f"encrypted PDF that cannot be opened: {exc}"
                ) from exc
            if not opened:
                raise ImportFormatError(
                    name, "encrypted PDF: it needs a password; save an unencrypted copy first"
                )
        n = len(reader.pages)
        if n > MAX_PAGES:
            raise ImportFormatError(name, f"{n} pages: more than the limit of {MAX_PAGES}")
        return [_clean(page.extract_text() or "") for page in reader.pages]
    except ImportFormatError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise ImportFormatError(name, f"unreadable PDF: {type(exc).__name__}: {exc}") from exc


def _text_pages(name: str, data: bytes) -> list[str]:
    if b"\x00" in data[:65536]:
        raise ImportFormatError(name, "not a PDF and not text (binary content)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            name, f"not UTF-8 text (byte {exc.start}); save the text as UTF-8"
        ) from exc
    return [_clean(t) for t in text.replace("\r\n", "\n").split("\f")]


def _clean(text: str) -> str:
    return text.replace("\x00", "")


def attach_fulltext(
    project: Project,
    study_id: str,
    path: str | Path,
    *,
    actor: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> FullText:
    """Read a full text and store it for a study of the project (study checked first)."""
    from alsreview.store import extractions as xs

    xs.require_study(project, study_id)
    text = read_fulltext(path, max_bytes=max_bytes)
    xs.save_fulltext(
        project,
        study_id,
        filename=text.filename,
        sha256=text.sha256,
        media=text.media,
        pages=text.pages,
        actor=actor,
    )
    return text
