"""Safe XML parsing for the record readers (PubMed XML, EndNote XML).

In: bytes of an XML document.  Out: lxml elements, or `ImportFormatError`.

Exports from PubMed carry a `<!DOCTYPE ... "https://dtd.nlm.nih.gov/...">` line that must be
accepted without fetching anything; documents that declare entities in an internal DTD subset
(billion-laughs bombs, external entities such as `file:///etc/passwd`) are refused before
lxml sees them, and the parser itself never loads DTDs, resolves entities or uses the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from io import BytesIO

from lxml import etree

from alsreview.errors import ImportFormatError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DECLARATION = re.compile(rb"<!(?:ENTITY|ATTLIST|ELEMENT|NOTATION)", re.IGNORECASE)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def refuse_dtd_declarations(data: bytes, path: str | None) -> None:
    """Raise `ImportFormatError` if the document's DOCTYPE has an internal subset with
    declarations (entity definitions are how XML bombs and external-entity attacks work)."""
    match = _DOCTYPE.search(data, 0, 1 << 16)
    if match is not None:
        decl = _DECLARATION.search(data, match.end())
        if decl is not None:
            raise ImportFormatError(path, _REFUSED, line=_line_of(data, decl.start()))
    # The byte search above misses a DOCTYPE after a long comment or in UTF-16/32; libxml2
    # reads the prolog (up to the root element) whatever its length or encoding, without
    # loading or expanding anything, and tells whether an internal subset declares anything.
    try:
        for _event, elem in etree.iterparse(BytesIO(data), events=("start",), **_parser_kwargs()):
            dtd = elem.getroottree().docinfo.internalDTD
            if dtd is not None and (list(dtd.iterentities()) or list(dtd.iterelements())):
                raise ImportFormatError(path, _REFUSED)
            return
    except etree.XMLSyntaxError:
        return  # the reader reports syntax errors with their line


_REFUSED = (
    "XML declares entities or a DTD subset inline; refused for safety "
    "(possible external-entity or entity-expansion attack)"
)


def _parser_kwargs() -> dict[str, bool]:
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_comments": True,
        "remove_pis": True,
    }


def iter_elements(
    data: bytes, tags: tuple[str, ...], path: str | None, what: str
) -> Iterator[etree._Element]:
    """Yield each element named in `tags` once fully parsed, clearing it afterwards.

    Syntax errors become `ImportFormatError` naming the line and the 1-based number of the
    record being read when the error occurred."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ImportFormatError(path, f"expected bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data.strip():
        raise ImportFormatError(path, f"empty file: no {what} records")
    refuse_dtd_declarations(data, path)
    count = 0
    try:
        context = etree.iterparse(BytesIO(data), events=("end",), tag=tags, **_parser_kwargs())
        for _event, elem in context:
            count += 1
            yield elem
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = exc.msg or str(exc)
        raise ImportFormatError(
            path, f"malformed XML: {msg}", line=line, record=count + 1
        ) from None
    except (ValueError, etree.LxmlError) as exc:
        raise ImportFormatError(path, f"malformed XML: {exc}", record=count + 1) from None


def root_tag(data: bytes, path: str | None) -> str:
    """Local name of the root element (for sniffing), without building the whole tree."""
    refuse_dtd_declarations(data, path)
    try:
        for _event, elem in etree.iterparse(BytesIO(data), events=("start",), **_parser_kwargs()):
            return etree.QName(elem).localname
    except etree.XMLSyntaxError as exc:
        raise ImportFormatError(path, f"malformed XML: {exc.msg}", line=exc.lineno) from None
    raise ImportFormatError(path, "no XML root element")


def text_of(elem: etree._Element | None) -> str:
    """All text inside an element (inline markup such as <i> or <sup> flattened), spaces tidied."""
    if elem is None:
        return ""
    text = (elem.text or "") if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split())
