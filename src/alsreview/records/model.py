"""The bibliographic Record: one reference as any database or reference manager exports it.

Readers (`records/<format>.py`) turn files into lists of Records; writers turn them back.
Identifiers are kept normalised (`normalise_doi`, `normalise_pmid`) so that deduplication and
the project store compare like with like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

from alsreview.typealiases import JSONDict

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")


def normalise_doi(value: str | None) -> str | None:
    """Lower-case DOI without URL or `doi:` prefix and trailing punctuation; None if not a DOI."""
    if not value:
        return None
    text = _DOI_PREFIX.sub("", value.strip()).strip().rstrip(".,;")
    text = text.replace("%2F", "/").replace("%2f", "/").lower()
    return text if _DOI_SHAPE.match(text) else None


def normalise_pmid(value: str | int | None) -> str | None:
    """PMID as a string of digits; None when absent or not numeric."""
    if value is None:
        return None
    text = str(value).strip()
    text = re.sub(r"^(?:pmid:?\s*)", "", text, flags=re.IGNORECASE)
    return text if text.isdigit() and text != "0" else None


@dataclass
class Record:
    """One bibliographic record.

    `abstract_sections` keeps a structured abstract as (label, text) pairs; `abstract` holds
    the flat text (sections joined as 'LABEL: text').  `source` names the database or file
    format it came from and `source_id` the record's id there (or its row/ordinal in a file).
    `extra` holds fields a format has and the model does not (kept for round trips), and
    `decision`/`labels`/`notes` carry screening decisions from Rayyan, ASReview or RIS N1.
    """

    title: str = ""
    abstract: str = ""
    abstract_sections: list[tuple[str, str]] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    journal_abbrev: str = ""
    year: int | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    nct_id: str | None = None
    eudract_id: str | None = None
    keywords: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    language: str = ""
    url: str = ""
    source: str = ""
    source_id: str = ""
    decision: str | None = None  # "included" / "excluded" / "maybe" / None
    labels: list[str] = field(default_factory=list)
    notes: str = ""
    extra: JSONDict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.doi = normalise_doi(self.doi)
        self.pmid = normalise_pmid(self.pmid)

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""

    def to_dict(self) -> JSONDict:
        """Plain dict (lists copied), for JSON, the store and DataFrames."""
        out: JSONDict = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = (
                [list(v) if isinstance(v, tuple) else v for v in value]
                if isinstance(value, list)
                else (dict(value) if isinstance(value, dict) else value)
            )
        return out

    @classmethod
    def from_dict(cls, data: JSONDict) -> Record:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "abstract_sections" in kwargs:
            kwargs["abstract_sections"] = [tuple(s) for s in kwargs["abstract_sections"]]
        return cls(**kwargs)

    def copy(self, **changes: Any) -> Record:
        return replace(self, **changes)
