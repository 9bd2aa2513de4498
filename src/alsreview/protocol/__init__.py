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
breaks a rule raises `ValidationError` listing every problem (file and key named).  The rules
are pydantic models in `protocol.schema` (imported on the first parse, not here), which also
give the format's JSON Schema (`alsreview protocol schema`, `data/protocol.schema.json`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from alsreview.errors import ImportFormatError, Problem, ValidationError
from alsreview.typealiases import JSONDict

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


def _from_dict(data: JSONDict, path: str | None) -> ReviewProtocol:
    """Validate the TOML tables with `ProtocolFile` (pydantic) plus the checks that span
    several tables; every problem found is reported at once."""
    import pydantic

    from alsreview.protocol.schema import ProtocolFile, cross_table_problems, pydantic_problems

    try:
        model = ProtocolFile.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = pydantic_problems(exc, path)
    else:
        problems = []
    problems += cross_table_problems(data, path)
    if problems:
        raise ValidationError(problems)
    return model.to_protocol(path)
