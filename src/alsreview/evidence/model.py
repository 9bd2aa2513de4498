"""The evidence base: studies, the reviews that include them, and where every value came from.

In: a JSON document (the bundled `data/evidence_als_stem_cells.json`, or a user's file in
the same format: `alsreview evidence-schema` prints its JSON Schema).  Out: validated
`EvidenceBase` / `Study` objects.

Every extracted value is a `Fact`: the value chosen, the provenance of that value (paper key
and section/table), and `conflicts`, the values other papers report for the same field.
Where two reviews disagree (country, patient numbers, cell counts, year) both values are kept
with their sources; nothing is silently picked.  Provenance is written compactly as
``"blume2026: Table 1"`` (paper key, colon, locator) or as an object.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from alsreview.evidence.dose import Dose, parse_dose
from alsreview.evidence.taxonomy import load_taxonomy
from alsreview.typealiases import JSONDict

T = TypeVar("T")

DispersionKind = Literal["SD", "SEM", "IQR", "range", "CI95"]
Design = Literal["RCT", "non-randomised", "single-arm"]
CellSource = Literal["autologous", "allogeneic", "mixed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Provenance(_Model):
    """Where a value was read: paper key (see `EvidenceBase.sources`) and section or table."""

    source: str
    locator: str
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            key, sep, locator = data.partition(":")
            if not sep or not key.strip() or not locator.strip():
                raise ValueError(f"provenance {data!r} must read 'paper-key: section or table'")
            return {"source": key.strip(), "locator": locator.strip()}
        return data

    def __str__(self) -> str:
        return f"{self.source}: {self.locator}"


class Alternative(_Model):
    """A value another paper reports for the same field."""

    value: Any
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Fact(_Model, Generic[T]):
    """An extracted value with its provenance and any disagreeing reports."""

    value: T | None
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    conflicts: list[Alternative] = Field(default_factory=list)
    note: str | None = None
    derived: bool = False  # computed from printed numbers (say how in `note`), not printed
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def disputed(self) -> bool:
        return any(a.value != self.value for a in self.conflicts)

    def value_from(self, source: str) -> T | None:
        """The value as paper `source` reports it (the chosen value or a conflict)."""
        if any(p.source == source for p in self.provenance):
            return self.value
        for alt in self.conflicts:
            if any(p.source == source for p in alt.provenance):
                return alt.value
        return None


class Quote(_Model):
    """A sentence quoted verbatim from a paper, with where it stands."""

    text: str = Field(min_length=1)
    locator: str = Field(min_length=1)  # "Conclusion", "Abstract"


class SourcePaper(_Model):
    """A paper that facts are cited to (a review, or the trial report itself)."""

    key: str
    kind: Literal["systematic review", "review", "trial report"]
    authors: str
    year: int = Field(ge=1800, le=2100)
    title: str
    journal: str
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    url: str | None = Field(
        default=None, json_schema_extra={"pattern": "^\\s*([hH][tT][tT][pP][sS]?://|[dD][oO][iI]:)"}
    )
    doi_note: str | None = None  # why a DOI is missing
    # where the bibliographic details come from when the paper's own text does not print
    # them (an external record, cited); None = as printed in the paper
    details_from: str | None = None
    conclusions: list[Quote] = Field(default_factory=list)  # the paper's own conclusions

    @field_validator("url")
    @classmethod
    def _web_address(cls, v: str | None) -> str | None:
        """Only http, https and doi addresses: the report links them (no `javascript:`)."""
        if v is not None and not v.strip().lower().startswith(("http://", "https://", "doi:")):
            raise ValueError(f"url must start with http://, https:// or doi:, got {v[:40]!r}")
        return v

    @property
    def citation(self) -> str:
        doi = f" doi:{self.doi}" if self.doi else ""
        vol = f" {self.volume}" if self.volume else ""
        pages = f":{self.pages}" if self.pages else ""
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}{vol}{pages}.{doi}"


class Citation(_Model):
    """Bibliographic identity of an included study, as the reviews cite it."""

    first_author: str
    year: int = Field(ge=1800, le=2100)
    title: str | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    registration: list[str] = Field(default_factory=list)  # NCT / EudraCT numbers
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    year_conflicts: list[Alternative] = Field(default_factory=list)
    note: str | None = None  # spelling or numbering differences between the sources
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def label(self) -> str:
        return f"{self.first_author} {self.year}"


class Statistic(_Model):
    """A summary of one measurement in one group or period (e.g. pre-treatment decline)."""

    label: str
    n: int | None = None
    central: Literal["mean", "median", "value"] = "mean"
    estimate: float | None = None
    dispersion: float | None = None
    dispersion_kind: DispersionKind | None = None
    low: float | None = None  # IQR / range / CI lower bound
    high: float | None = None
    unit: str | None = None
    # When the value above differs from the printed one (sign, unit, label, range order...):
    # the value as printed, and what was changed and why. Shown next to the value.
    printed: str | None = None
    changes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _changes_say_what_was_printed(self) -> Statistic:
        if self.changes and not self.printed:
            raise ValueError(f"statistic {self.label!r}: changes listed without the printed value")
        return self

    @model_validator(mode="after")
    def _dispersion_has_kind(self) -> Statistic:
        if self.dispersion is not None and self.dispersion_kind is None:
            raise ValueError(f"statistic {self.label!r}: dispersion given without its kind")
        return self

    @model_validator(mode="after")
    def _intervals_are_bounds(self) -> Statistic:
        """An IQR, range or CI is its two bounds, never a ± value; bounds say what they are."""
        kind = self.dispersion_kind
        if kind in ("IQR", "range", "CI95") and self.dispersion is not None:
            raise ValueError(
                f"statistic {self.label!r}: {kind} is given by its bounds (low, high), "
                "not as a ± dispersion"
            )
        if (self.low is not None or self.high is not None) and kind not in ("IQR", "range", "CI95"):
            raise ValueError(
                f"statistic {self.label!r}: bounds given without their kind (IQR, range or CI95)"
            )
        return self


class PValue(_Model):
    value: float = Field(ge=0, le=1)
    relation: Literal["=", "<", ">", "<=", ">="] = "="

    @property
    def significant(self) -> bool | None:
        """Whether p < 0.05, or None when the printed bound does not decide it (p < 0.2)."""
        if self.relation == "=":
            return self.value < 0.05
        if self.relation in ("<", "<="):
            return True if self.value <= 0.05 else None
        return False if self.value >= 0.05 else None

    def __str__(self) -> str:
        return f"p {self.relation} {self.value:g}"


class Outcome(_Model):
    """An efficacy result: ALSFRS-R decline, survival, response rate, FVC..."""

    measure: Literal[
        "alsfrs_r_monthly_decline",
        "alsfrs_r_change",
        "alsfrs_r_slope",
        "survival",
        "response_rate",
        "fvc",
        "muscle_strength",
        "other",
    ]
    comparison: Literal[
        "pre-post", "vs placebo", "vs control", "vs external control", "between subgroups", "none"
    ]
    subgroup: str | None = None
    window: str | None = None
    groups: list[Statistic] = Field(default_factory=list)
    p_value: PValue | None = None
    direction: Literal["favours treatment", "no difference", "favours control", "mixed", "unclear"]
    description: str
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    # values other papers (or other sections) report for a part of this result, e.g.
    # {"value": {"field": "p_value", "value": "p = 0.003"}, "from": [...]}
    conflicts: list[Alternative] = Field(default_factory=list)
    note: str | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AdverseEvent(_Model):
    term: str
    serious: bool | None = None
    related: bool | None = None  # to the product or the procedure, as the source states
    n_patients: int | None = None
    n_events: int | None = None
    severity: Literal["mild", "moderate", "severe", "death"] | None = None
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    note: str | None = None
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Safety(_Model):
    adverse_events: list[AdverseEvent] = Field(default_factory=list)
    serious_related_events: Fact[int] | None = None
    deaths: Fact[int] | None = None
    deaths_related: Fact[int] | None = None


class Schedule(_Model):
    """How the cells were given: injections per session, sessions, interval."""

    injections_per_session: Fact[str] | None = None
    sessions_min: Fact[int]
    sessions_max: Fact[int] | None = None
    interval: Fact[str] | None = None

    @property
    def sessions_text(self) -> str:
        lo = self.sessions_min.value
        hi = self.sessions_max.value if self.sessions_max else None
        return f"{lo}" if hi in (None, lo) else f"{lo}-{hi}"


class StudyLink(_Model):
    """Another entry whose patients overlap with this one (same trial, other report)."""

    study_id: str
    relation: Literal["same cohort", "overlapping cohort", "extension", "same trial, other phase"]
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReviewMention(_Model):
    review: str
    reference: int | None = None  # the review's reference number
    in_table: bool = True
    note: str | None = None  # e.g. the table prints another reference number than the list


class Study(_Model):
    """One included clinical study, reconciled across the reviews that report it."""

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    citation: Citation
    reviewed_in: list[ReviewMention] = Field(min_length=1)
    related: list[StudyLink] = Field(default_factory=list)
    design: Fact[Design]
    controlled: Fact[bool] | None = None
    phase: Fact[str] | None = None
    country: Fact[str] | None = None
    patients_enrolled: Fact[int]
    patients_analysed: Fact[int] | None = None
    controls: Fact[int] | None = None
    control_kind: Fact[str] | None = None
    cell_type: Fact[str]
    cell_source: Fact[CellSource] | None = None
    routes: Fact[list[str]]
    route_detail: Fact[str] | None = None
    dose_per_administration: Fact[str] | None = None
    schedule: Schedule | None = None
    total_cells: Fact[str] | None = None
    follow_up_months: Fact[float] | None = None
    efficacy: list[Outcome] = Field(default_factory=list)
    safety: Safety = Field(default_factory=Safety)

    @field_validator("cell_type")
    @classmethod
    def _known_cell_type(cls, v: Fact[str]) -> Fact[str]:
        if v.value is not None and v.value not in load_taxonomy().cell_types:
            known = ", ".join(load_taxonomy().cell_types)
            raise ValueError(f"unknown cell type {v.value!r}; known: {known}")
        return v

    @field_validator("routes")
    @classmethod
    def _known_routes(cls, v: Fact[list[str]]) -> Fact[list[str]]:
        known = load_taxonomy().routes
        for code in v.value or []:
            if code not in known:
                raise ValueError(f"unknown route {code!r}; known: {', '.join(known)}")
        return v

    @field_validator("dose_per_administration", "total_cells")
    @classmethod
    def _readable_dose(cls, v: Fact[str] | None) -> Fact[str] | None:
        if v is not None and v.value is not None:
            parse_dose(v.value)  # raises DoseParseError (a ValueError for pydantic) quoting it
        return v

    @property
    def label(self) -> str:
        return self.citation.label

    @property
    def dose(self) -> Dose | None:
        f = self.dose_per_administration
        return parse_dose(f.value) if f and f.value is not None else None

    @property
    def total_dose(self) -> Dose | None:
        f = self.total_cells
        return parse_dose(f.value) if f and f.value is not None else None

    def facts(self) -> dict[str, Fact[Any]]:
        """Every top-level Fact field by name (for provenance and disagreement listings)."""
        out: dict[str, Fact[Any]] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Fact):
                out[name] = value
        if self.schedule:
            for name in type(self.schedule).model_fields:
                value = getattr(self.schedule, name)
                if isinstance(value, Fact):
                    out[f"schedule.{name}"] = value
        for name in ("serious_related_events", "deaths", "deaths_related"):
            value = getattr(self.safety, name)
            if isinstance(value, Fact):
                out[f"safety.{name}"] = value
        return out


class TableRow(_Model):
    """One printed row; `study_id` links rows of a review's study table to their Study."""

    values: JSONDict
    study_id: str | None = None


class StatedTotal(_Model):
    """A summary the paper states for a table column, to be checked against the rows.

    sum: total of the column; rows: number of rows; count: rows whose column contains
    `match`; percent: that count as a percentage of the rows; mean / sd / sem: of the
    column's numeric cells.  `approximate` marks statements such as "about 30%".
    """

    label: str  # "patients", "randomised studies"
    column: str
    aggregate: Literal["sum", "count", "rows", "percent", "mean", "sd", "sem"]
    match: str | None = None
    value: Fact[float]
    approximate: bool = False


class ExtractedTable(_Model):
    """A table of a paper as printed (its rows as strings, and the totals its text states)."""

    review: str  # key of the paper (review or trial report) that prints the table
    id: str  # "Table 1"
    caption: str
    columns: list[str]
    rows: list[TableRow]
    stated_totals: list[StatedTotal] = Field(default_factory=list)
    provenance: list[Provenance] = Field(alias="from", min_length=1)
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ReviewFlow(_Model):
    """A review's own PRISMA counts; None where the review does not report a count."""

    identified: dict[str, Fact[int]] = Field(default_factory=dict)  # per database
    duplicates_removed: Fact[int] | None = None
    records_screened: Fact[int] | None = None
    records_excluded: Fact[int] | None = None
    reports_sought: Fact[int] | None = None
    reports_not_retrieved: Fact[int] | None = None
    reports_assessed: Fact[int] | None = None
    reports_excluded: dict[str, Fact[int]] = Field(default_factory=dict)  # reason -> n
    studies_included: Fact[int] | None = None
    search_date: Fact[str] | None = None


class Review(_Model):
    key: str  # = its SourcePaper key
    databases: Fact[list[str]]
    query: Fact[str]
    date_window: Fact[str] | None = None
    flow: ReviewFlow
    tables: list[ExtractedTable] = Field(default_factory=list)


class EvidenceBase(_Model):
    """The whole evidence base: the papers facts are cited to, the reviews, the studies."""

    schema_version: Literal[1] = 1
    title: str
    sources: dict[str, SourcePaper]
    reviews: list[Review] = Field(default_factory=list)
    studies: list[Study]
    tables: list[ExtractedTable] = Field(default_factory=list)  # tables of trial reports

    @model_validator(mode="after")
    def _references_resolve(self) -> EvidenceBase:
        problems: list[str] = []
        ids = [s.id for s in self.studies]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            problems.append(f"duplicate study ids: {sorted(dupes)}")
        known_ids = set(ids)
        for key, paper in self.sources.items():
            if paper.key != key:
                problems.append(f"source {key!r} has key {paper.key!r}")
        for where, prov in _walk_provenance(self):
            if prov.source not in self.sources:
                problems.append(f"{where}: provenance cites unknown paper {prov.source!r}")
        for study in self.studies:
            for mention in study.reviewed_in:
                if mention.review not in self.sources:
                    problems.append(f"study {study.id}: unknown review {mention.review!r}")
            for link in study.related:
                if link.study_id not in known_ids:
                    problems.append(f"study {study.id}: related study {link.study_id!r} unknown")
        for table in self.all_tables():
            if table.review not in self.sources:
                problems.append(f"{table.id}: unknown paper {table.review!r}")
        for review in self.reviews:
            for table in review.tables:
                for row in table.rows:
                    if row.study_id is not None and row.study_id not in known_ids:
                        where = f"review {review.key} {table.id}"
                        problems.append(f"{where}: row for unknown study {row.study_id!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def study(self, study_id: str) -> Study:
        for s in self.studies:
            if s.id == study_id:
                return s
        raise KeyError(study_id)

    def all_tables(self) -> list[ExtractedTable]:
        """Every extracted table: the reviews' and the trial reports'."""
        return [t for r in self.reviews for t in r.tables] + list(self.tables)

    def review(self, key: str) -> Review:
        for r in self.reviews:
            if r.key == key:
                return r
        raise KeyError(key)


def _walk_provenance(obj: Any, where: str = "") -> list[tuple[str, Provenance]]:
    """Every Provenance in a model tree, with a dotted path to it."""
    found: list[tuple[str, Provenance]] = []
    if isinstance(obj, Provenance):
        return [(where, obj)]
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            label = getattr(obj, "id", None) if name != "id" else None
            path = f"{where}.{name}" if where else (f"{label}.{name}" if label else name)
            found += _walk_provenance(getattr(obj, name), path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += _walk_provenance(v, f"{where}[{k}]")
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            found += _walk_provenance(v, f"{where}[{i}]")
    return found
