"""The protocol file format as pydantic models: what `protocol.toml` may hold.

In: the tables `tomllib` read from a protocol file.  Out: a validated `ProtocolFile`, which
`to_protocol()` turns into the frozen `ReviewProtocol`; or `Problem`s that name the file, the
key (``review.title``, ``search[2].query``) and what was wrong.  `protocol_json_schema()` is
the file format's JSON Schema (committed as ``data/protocol.schema.json``, printed by
``alsreview protocol schema``; TOML editors such as Taplo read it from a first line
``#:schema ./protocol.schema.json``).

Dates are TOML dates (``2013-01-01``; an ISO string is accepted too).  Unknown keys are
refused, so a misspelt ``dat_from`` is not silently ignored.  Two rules span tables and are
checked on the raw tables by `cross_table_problems`, so that they are reported together with
the per-key problems: a search without its own dates inherits the review's window (and must
still be a valid window), and exclusion-reason codes are unique.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import SkipJsonSchema

from alsreview.errors import Problem
from alsreview.protocol import (
    MANUAL_SOURCES,
    PICO,
    SEARCHABLE_SOURCES,
    ExclusionReason,
    ReviewProtocol,
    SearchStrategy,
)
from alsreview.typealiases import JSONDict

KNOWN_SOURCES = tuple(sorted(SEARCHABLE_SOURCES | MANUAL_SOURCES))
_TABLES = ("review", "pico", "criteria", "extraction")


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value.strip()


def _optional_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip()


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, str) and v.strip() for v in value
    ):
        raise ValueError("must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def parse_date(value: object) -> dt.date | None:
    """A TOML date (or datetime, or ISO date string) as a date; None stays None."""
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
    raise ValueError(f"must be a date like 2013-01-01, got {value!r}")


def _source(value: object) -> str:
    source = _text(value).lower()
    if source not in KNOWN_SOURCES:
        raise ValueError(f"unknown source {source!r} (known: {', '.join(KNOWN_SOURCES)})")
    return source


#: A non-empty string, stripped.
Text = Annotated[str, StringConstraints(pattern=r"\S"), BeforeValidator(_text)]
#: A string that may be empty, stripped.
OptionalText = Annotated[str, BeforeValidator(_optional_text)]
#: A list of non-empty strings, stripped.
Texts = Annotated[tuple[Annotated[str, Field(pattern=r"\S")], ...], BeforeValidator(_texts)]
#: An optional date (the key may be left out; TOML has no null).
Date = Annotated[dt.date | SkipJsonSchema[None], BeforeValidator(parse_date)]


def _window(lo: dt.date | None, hi: dt.date | None) -> None:
    if lo and hi and lo > hi:
        raise ValueError(f"date_from {lo} is after date_to {hi}")


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewTable(_Table):
    """[review]: the review's title, question, date window and languages."""

    title: Text
    question: Text
    date_from: Date = Field(None, description="Earliest publication date searched.")
    date_to: Date = Field(None, description="Latest publication date searched.")
    languages: Texts = Field((), description="Languages included; empty means any.")

    @model_validator(mode="after")
    def _window_ok(self) -> ReviewTable:
        _window(self.date_from, self.date_to)
        return self


class PicoTable(_Table):
    """[pico]: population, intervention, comparator, outcomes and eligible study designs."""

    population: Text
    intervention: Text
    comparator: OptionalText = ""
    outcomes: Texts = ()
    study_designs: Texts = ()


class SearchTable(_Table):
    """[[search]]: one search string for one source; its own dates override the review's."""

    source: Annotated[
        str, BeforeValidator(_source), Field(json_schema_extra={"enum": list(KNOWN_SOURCES)})
    ] = Field(description="Where the search is run (case-insensitive).")
    query: Text = Field(description="The search string, as run; parentheses balanced.")
    date_from: Date = None
    date_to: Date = None
    origin: OptionalText = Field("", description="Where this search comes from.")
    searched_on: Date = Field(None, description="When the search was run.")

    @field_validator("query")
    @classmethod
    def _balanced(cls, query: str) -> str:
        if query.count("(") != query.count(")"):
            raise ValueError("unbalanced parentheses")
        return query

    @model_validator(mode="after")
    def _window_ok(self) -> SearchTable:
        _window(self.date_from, self.date_to)
        return self


class CriteriaTable(_Table):
    """[criteria]: eligibility criteria (at least one inclusion criterion)."""

    inclusion: Texts = Field((), validate_default=True, json_schema_extra={"minItems": 1})
    exclusion: Texts = ()

    @field_validator("inclusion")
    @classmethod
    def _some_inclusion(cls, inclusion: tuple[str, ...]) -> tuple[str, ...]:
        if not inclusion:
            raise ValueError("at least one inclusion criterion is required")
        return inclusion


class ExclusionReasonTable(_Table):
    """[[exclusion_reason]]: a reason offered when a record is excluded."""

    code: Text = Field(json_schema_extra={"pattern": "^[a-z0-9_]+$"})
    label: Text

    @field_validator("code")
    @classmethod
    def _code_ok(cls, code: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]+", code):
            raise ValueError(f"code {code!r} must be lower-case letters, digits, _")
        return code


class ExtractionTable(_Table):
    """[extraction]: the evidence-model fields extracted (default: the ALS fields)."""

    fields: Texts = Field(
        (), description='Evidence-model paths such as "patients_enrolled", "schedule.interval".'
    )


class ProtocolFile(_Table):
    """A review protocol file (protocol.toml) of alsreview."""

    model_config = ConfigDict(title="alsreview review protocol (protocol.toml)")

    review: ReviewTable
    pico: PicoTable
    search: list[SearchTable] = Field(min_length=1)
    criteria: CriteriaTable
    exclusion_reason: list[ExclusionReasonTable] = []
    extraction: ExtractionTable | SkipJsonSchema[None] = None

    def to_protocol(self, path: str | None = None) -> ReviewProtocol:
        """The frozen `ReviewProtocol`; searches without dates take the review's window."""
        r = self.review
        return ReviewProtocol(
            title=r.title,
            question=r.question,
            pico=PICO(**self.pico.model_dump()),
            searches=tuple(
                SearchStrategy(
                    source=s.source,
                    query=s.query,
                    date_from=s.date_from or r.date_from,
                    date_to=s.date_to or r.date_to,
                    origin=s.origin,
                    searched_on=s.searched_on,
                )
                for s in self.search
            ),
            inclusion=self.criteria.inclusion,
            exclusion=self.criteria.exclusion,
            exclusion_reasons=tuple(
                ExclusionReason(code=e.code, label=e.label) for e in self.exclusion_reason
            ),
            date_from=r.date_from,
            date_to=r.date_to,
            languages=r.languages,
            extraction_fields=self.extraction.fields if self.extraction else (),
            source_path=path,
        )


def _column(loc: tuple[int | str, ...]) -> str:
    """("search", 0, "query") -> "search[1].query" (TOML arrays of tables count from 1)."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _message(loc: tuple[int | str, ...], kind: str, msg: str, ctx: dict[str, Any]) -> str:
    if loc == ("search",):
        return "at least one [[search]] table is required"
    if len(loc) == 1 and loc[0] in _TABLES:
        return f"missing table [{loc[0]}]" if kind == "missing" else f"[{loc[0]}] must be a table"
    if loc == ("exclusion_reason",):
        return "must be an array of tables [[exclusion_reason]]"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "unknown key (not part of the protocol format; misspelt?)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a table"
    if kind == "value_error":  # our validators' own words, without pydantic's prefix
        return str(ctx["error"])
    return msg


def pydantic_problems(exc: PydanticValidationError, path: str | None) -> list[Problem]:
    """One `Problem` per pydantic error, with the TOML key and a message a person can act on."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        message = _message(loc, err["type"], err["msg"], err.get("ctx", {}))
        problem = Problem(message, file=path, column=_column(loc))
        if problem not in problems:
            problems.append(problem)
    return problems


def _safe_date(value: object) -> dt.date | None:
    try:
        return parse_date(value)
    except ValueError:
        return None  # reported by the model


def cross_table_problems(data: JSONDict, path: str | None) -> list[Problem]:
    """Rules spanning tables, checked on the raw tables (see the module docstring)."""
    problems: list[Problem] = []
    review = data.get("review")
    review = review if isinstance(review, dict) else {}
    searches = data.get("search")
    for i, s in enumerate(searches if isinstance(searches, list) else [], start=1):
        if not isinstance(s, dict) or ("date_from" in s and "date_to" in s):
            continue  # a search with both dates is checked by SearchTable
        lo = _safe_date(s.get("date_from")) or _safe_date(review.get("date_from"))
        hi = _safe_date(s.get("date_to")) or _safe_date(review.get("date_to"))
        if lo and hi and lo > hi and ("date_from" in s or "date_to" in s):
            problems.append(
                Problem(
                    f"date_from {lo} is after date_to {hi} (one of them from [review])",
                    file=path,
                    column=f"search[{i}]",
                )
            )
    reasons = data.get("exclusion_reason")
    seen: set[str] = set()
    for i, r in enumerate(reasons if isinstance(reasons, list) else [], start=1):
        code = r.get("code") if isinstance(r, dict) else None
        if isinstance(code, str) and code.strip():
            if code.strip() in seen:
                problems.append(
                    Problem(
                        f"duplicate code {code.strip()!r}",
                        file=path,
                        column=f"exclusion_reason[{i}].code",
                    )
                )
            seen.add(code.strip())
    return problems


def protocol_json_schema() -> JSONDict:
    """JSON Schema (draft 2020-12) of the protocol file format, as TOML read into JSON
    (TOML dates become "YYYY-MM-DD" strings)."""
    schema = ProtocolFile.model_json_schema()
    for table in [schema, *schema["$defs"].values()]:  # optional keys: left out, never null
        for prop in table["properties"].values():
            if "default" in prop and prop["default"] is None:
                del prop["default"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
