"""The protocol's search terms, found in a title or abstract (for highlighting on screen).

In: a `ReviewProtocol` (its searches' queries) and a text.  Out: the terms, and the text
split into (segment, is a term) pieces that a page or a terminal marks up as it likes.

Terms are read from the queries: Boolean operators, parentheses, quotes and field tags
(`[tiab]`, `[MeSH Terms]`, `TITLE-ABS-KEY(...)`) are dropped; a trailing `*` is a prefix
wildcard.  Matching is case-insensitive on word boundaries; the longest term wins.
"""

from __future__ import annotations

import re
from functools import lru_cache

from alsreview.protocol import ReviewProtocol

_FIELD_TAG = re.compile(r"\[[^\]]*\]|\b[A-Z][A-Z-]+\(|:[a-z]{2,4}\b")
_SPLIT = re.compile(r"\b(?:AND|OR|NOT)\b|[()\"{}]")


def query_terms(query: str) -> list[str]:
    """The words and phrases of one Boolean query, in order, without duplicates."""
    cleaned = _FIELD_TAG.sub(" ", query)
    out: list[str] = []
    for part in _SPLIT.split(cleaned):
        term = " ".join(part.split()).strip(" ,;")
        if len(term.rstrip("*")) >= 2 and term.lower() not in (t.lower() for t in out):
            out.append(term)
    return out


def protocol_terms(protocol: ReviewProtocol) -> tuple[str, ...]:
    """Every term of every search in the protocol, longest first."""
    seen: dict[str, str] = {}
    for search in protocol.searches:
        for term in query_terms(search.query):
            seen.setdefault(term.lower(), term)
    return tuple(sorted(seen.values(), key=lambda t: (-len(t), t.lower())))


@lru_cache(maxsize=16)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    alts = []
    for term in sorted(terms, key=len, reverse=True):
        prefix = term.endswith("*")
        body = r"\s+".join(re.escape(w) for w in term.rstrip("*").split())
        alts.append(body + (r"\w*" if prefix else r"\b"))
    return re.compile(r"\b(?:" + "|".join(alts) + ")", re.IGNORECASE) if alts else None


def highlight_terms(text: str, terms: tuple[str, ...]) -> list[tuple[str, bool]]:
    """`text` cut into (segment, is a term) pieces; joined, the segments give `text` back."""
    pattern = _pattern(tuple(terms))
    if pattern is None or not text:
        return [(text, False)] if text else []
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        out.append((m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out
