"""The review protocol: a TOML file with the question, searches, date window and criteria.

In: a TOML document (see `data/protocol_als_stem_cells.toml`, the bundled ALS stem-cell
protocol that `alsreview init` writes).  Out: a frozen `ReviewProtocol`.

Layout of the file::

    [review]          title, question, date_from, date_to (TOML dates), languages
    [pico]            population, intervention, comparator, outcomes, study_designs
    [[search]]        source, query, optional date_from / date_to / origin / searched_on
    [criteria]        inclusion = [...], exclusion = [...]
    [[exclusion_reason]]  code, label   (the reasons offered when a record is excluded)
    [extraction]      fields = [...]  (optional; evidence-model paths such as
                      "patients_enrolled", "schedule.interval"; default: the ALS fields)

A file that is not TOML raises `ImportFormatError` with the line; a file that is TOML but
breaks a rule raises `ValidationError` listing every problem (file and key named).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from alsreview.errors import ImportFormatError, Problem, ValidationError

#: Sources alsreview can query itself (see `alsreview.sources`).
SEARCHABLE_SOURCES = frozenset({"pubmed", "europepmc", "ctgov", "openalex", "crossref"})
#: Databases searched by hand and imported from their export files.
MANUAL_SOURCES = frozenset(
    {"scopus", "embase", "cochrane", "web_of_science", "lilacs", "scielo", "cinahl", "other"}
)
BUNDLED_PROTOCOL = "protocol_als_stem_cells.toml"
PROTOCOL_FILENAME = "protocol.toml"


@dataclass(frozen=True)
class PICO:
    """Population, intervention, comparator, outcomes (and eligible study designs)."""

    population: str
    intervention: str
    comparator: str = ""
    outcomes: tuple[str, ...] = ()
    study_designs: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchStrategy:
    """One search string for one source, with its own date window (inclusive)."""

    source: str
    query: str
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    origin: str = ""
    searched_on: dt.date | None = None

    @property
    def searchable(self) -> bool:
        """True when alsreview can run this search itself."""
        return self.source in SEARCHABLE_SOURCES


@dataclass(frozen=True)
class ExclusionReason:
    code: str
    label: str


@dataclass(frozen=True)
class ReviewProtocol:
    """A whole review protocol (see the module docstring for the file layout)."""

    title: str
    question: str
    pico: PICO
    searches: tuple[SearchStrategy, ...]
    inclusion: tuple[str, ...]
    exclusion: tuple[str, ...]
    exclusion_reasons: tuple[ExclusionReason, ...]
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    languages: tuple[str, ...] = ()
    extraction_fields: tuple[str, ...] = ()  # [extraction] fields; () = the ALS defaults
    source_path: str | None = field(default=None, compare=False)

    def searches_for(self, source: str) -> tuple[SearchStrategy, ...]:
        return tuple(s for s in self.searches if s.source == source)

    def reason(self, code: str) -> ExclusionReason:
        """The exclusion reason with this code; ValidationError if the protocol has none."""
        for r in self.exclusion_reasons:
            if r.code == code:
                return r
        codes = ", ".join(r.code for r in self.exclusion_reasons)
        raise ValidationError(
            [Problem(f"unknown exclusion reason {code!r} (known: {codes})", self.source_path)]
        )

    def summary(self) -> str:
        lines = [self.title, f"Question: {self.question}"]
        window = f"{self.date_from or '…'} to {self.date_to or '…'}"
        lines.append(f"Date window: {window}")
        for s in self.searches:
            lines.append(f"  [{s.source}] {s.query}")
        lines.append(f"{len(self.inclusion)} inclusion, {len(self.exclusion)} exclusion criteria")
        return "\n".join(lines)


_LINE = re.compile(r"at line (\d+)")


def bundled_protocol_text() -> str:
    """The TOML text of the bundled ALS stem-cell protocol."""
    return resources.files("alsreview").joinpath("data", BUNDLED_PROTOCOL).read_text("utf-8")


def default_protocol() -> ReviewProtocol:
    """The bundled ALS stem-cell protocol, parsed."""
    return parse_protocol(bundled_protocol_text(), path=f"<bundled {BUNDLED_PROTOCOL}>")


def load_protocol(path: str | Path) -> ReviewProtocol:
    """Read and validate a protocol file."""
    from alsreview.inputs import read_text_limited

    p = Path(path)
    text = read_text_limited(p, max_bytes=2**20)  # a protocol is a few KB; no FIFO/device
    return _parse_cached(text, str(p))


@functools.lru_cache(maxsize=16)
def _parse_cached(text: str, path: str) -> ReviewProtocol:
    """`parse_protocol` memoised on the file's text: the web app reads the protocol on
    every decision and ranking request, and parsing the TOML was ~5 ms of each (issue 14
    load benchmark).  Safe to share: a ReviewProtocol is frozen all the way down; errors
    are raised again each time (lru_cache does not store exceptions)."""
    return parse_protocol(text, path=path)


def parse_protocol(text: str, path: str | None = None) -> ReviewProtocol:
    """Parse protocol TOML text; every rule broken is reported at once."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _LINE.search(str(exc))
        raise ImportFormatError(
            path, f"not valid TOML: {exc}", line=int(m.group(1)) if m else None
        ) from exc
    return _from_dict(data, path)


class _Checker:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.path, column=key))

    def table(self, data: dict[str, Any], key: str, required: bool = True) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(key, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            self.fail(key, f"[{key}] must be a table")
            return {}
        return value

    def text(self, data: dict[str, Any], key: str, where: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(f"{where}.{key}", "is required")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(f"{where}.{key}", "must be a non-empty string")
            return ""
        return value.strip()

    def texts(self, data: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.fail(f"{where}.{key}", "must be a list of non-empty strings")
            return ()
        return tuple(v.strip() for v in value)

    def date(self, data: dict[str, Any], key: str, where: str) -> dt.date | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(f"{where}.{key}", f"must be a date like 2013-01-01, got {value!r}")
        return None

    def window(self, lo: dt.date | None, hi: dt.date | None, where: str) -> None:
        if lo and hi and lo > hi:
            self.fail(where, f"date_from {lo} is after date_to {hi}")


def _from_dict(data: dict[str, Any], path: str | None) -> ReviewProtocol:
    c = _Checker(path)
    review = c.table(data, "review")
    title = c.text(review, "title", "review")
    question = c.text(review, "question", "review")
    date_from = c.date(review, "date_from", "review")
    date_to = c.date(review, "date_to", "review")
    c.window(date_from, date_to, "review")
    languages = c.texts(review, "languages", "review")

    pico_t = c.table(data, "pico")
    pico = PICO(
        population=c.text(pico_t, "population", "pico"),
        intervention=c.text(pico_t, "intervention", "pico"),
        comparator=c.text(pico_t, "comparator", "pico", required=False),
        outcomes=c.texts(pico_t, "outcomes", "pico"),
        study_designs=c.texts(pico_t, "study_designs", "pico"),
    )

    searches: list[SearchStrategy] = []
    raw_searches = data.get("search", [])
    if not isinstance(raw_searches, list) or not raw_searches:
        c.fail("search", "at least one [[search]] table is required")
        raw_searches = []
    known = SEARCHABLE_SOURCES | MANUAL_SOURCES
    for i, s in enumerate(raw_searches, start=1):
        where = f"search[{i}]"
        if not isinstance(s, dict):
            c.fail(where, "must be a table")
            continue
        source = c.text(s, "source", where).lower()
        if source and source not in known:
            c.fail(
                f"{where}.source", f"unknown source {source!r} (known: {', '.join(sorted(known))})"
            )
        query = c.text(s, "query", where)
        if query and query.count("(") != query.count(")"):
            c.fail(f"{where}.query", "unbalanced parentheses")
        lo = c.date(s, "date_from", where) or date_from
        hi = c.date(s, "date_to", where) or date_to
        c.window(lo, hi, where)
        searches.append(
            SearchStrategy(
                source=source,
                query=query,
                date_from=lo,
                date_to=hi,
                origin=c.text(s, "origin", where, required=False),
                searched_on=c.date(s, "searched_on", where),
            )
        )

    crit = c.table(data, "criteria")
    inclusion = c.texts(crit, "inclusion", "criteria")
    exclusion = c.texts(crit, "exclusion", "criteria")
    if crit and not inclusion:
        c.fail("criteria.inclusion", "at least one inclusion criterion is required")

    reasons: list[ExclusionReason] = []
    raw_reasons = data.get("exclusion_reason", [])
    if not isinstance(raw_reasons, list):
        c.fail("exclusion_reason", "must be an array of tables [[exclusion_reason]]")
        raw_reasons = []
    seen: set[str] = set()
    for i, r in enumerate(raw_reasons, start=1):
        where = f"exclusion_reason[{i}]"
        if not isinstance(r, dict):
            c.fail(where, "must be a table")
            continue
        code = c.text(r, "code", where)
        if code and not re.fullmatch(r"[a-z0-9_]+", code):
            c.fail(f"{where}.code", f"code {code!r} must be lower-case letters, digits, _")
        if code in seen:
            c.fail(f"{where}.code", f"duplicate code {code!r}")
        seen.add(code)
        reasons.append(ExclusionReason(code=code, label=c.text(r, "label", where)))

    extraction = c.table(data, "extraction", required=False)
    extraction_fields = c.texts(extraction, "fields", "extraction") if extraction else ()

    if c.problems:
        raise ValidationError(c.problems)
    return ReviewProtocol(
        title=title,
        question=question,
        pico=pico,
        searches=tuple(searches),
        inclusion=inclusion,
        exclusion=exclusion,
        exclusion_reasons=tuple(reasons),
        date_from=date_from,
        date_to=date_to,
        languages=languages,
        extraction_fields=extraction_fields,
        source_path=path,
    )
