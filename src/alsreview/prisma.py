"""PRISMA 2020 flow counts: the model that the store and the report both use.

In:  the counts a review reports (records per database and register, records removed before
     screening, screened, excluded, reports sought / not retrieved / assessed / excluded with
     reasons, studies and reports included; optionally the "other methods" column and the
     previous-version box of the *updated review* template). A count the review does not
     report is `None` ("not reported").
Out: `PrismaFlow` with derived totals, `flow.inconsistencies()` (the places where the
     reported counts do not add up: a list, never an exception, since published flows are
     often inconsistent) and `box_text(flow)`, the wording of every box of the template.
     Drawing lives in `alsreview.report.prisma`.

Box wording and arrangement follow the PRISMA 2020 flow diagram templates (Page et al.,
BMJ 2021;372:n71, doi:10.1136/bmj.n71): new reviews with databases and registers only, with
other methods, and updated reviews.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from alsreview.errors import Problem, ValidationError
from alsreview.typealiases import JSONDict, JSONValue

__all__ = [
    "NOT_REPORTED",
    "Inconsistency",
    "OtherMethods",
    "PreviousReview",
    "PrismaFlow",
    "box_text",
]

NOT_REPORTED = "not reported"

Counts = Mapping[str, "int | None"]


# --------------------------------------------------------------------------- counts


def _check_count(problems: list[Problem], where: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(Problem(f"{where}: count must be a whole number or None, got {value!r}"))
    elif value < 0:
        problems.append(Problem(f"{where}: count must not be negative, got {value}"))


def _check_counts(problems: list[Problem], where: str, counts: Any) -> Counts:
    if not isinstance(counts, Mapping):
        problems.append(Problem(f"{where}: expected a mapping name -> count, got {counts!r}"))
        return MappingProxyType({})
    for name, n in counts.items():
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem(f"{where}: names must be non-empty text, got {name!r}"))
        _check_count(problems, f"{where}[{name!r}]", n)
    return MappingProxyType(dict(counts))


def _sum_known(values: Iterable[int | None]) -> int | None:
    """Sum of the values, or None if any is unknown."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _total(total: int | None, parts: Counts) -> int | None:
    """A reported total if given, else the sum of the parts when every part is reported."""
    if total is not None:
        return total
    if not parts:
        return None
    return _sum_known(parts.values())


@dataclass(frozen=True)
class OtherMethods:
    """The right-hand column of the PRISMA 2020 template: websites, organisations,
    citation searching and the like. These records go straight to retrieval (no screening
    box). `reports_excluded` maps reason -> n."""

    sources: Counts = field(default_factory=dict)
    reports_sought: int | None = None
    reports_not_retrieved: int | None = None
    reports_assessed: int | None = None
    reports_excluded: Counts = field(default_factory=dict)
    reports_excluded_total: int | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        object.__setattr__(
            self, "sources", _check_counts(problems, "other_methods.sources", self.sources)
        )
        object.__setattr__(
            self,
            "reports_excluded",
            _check_counts(problems, "other_methods.reports_excluded", self.reports_excluded),
        )
        for name in ("reports_sought", "reports_not_retrieved", "reports_assessed"):
            _check_count(problems, f"other_methods.{name}", getattr(self, name))
        _check_count(problems, "other_methods.reports_excluded_total", self.reports_excluded_total)
        if problems:
            raise ValidationError(problems)

    @property
    def records_identified(self) -> int | None:
        return _sum_known(self.sources.values()) if self.sources else None

    @property
    def excluded(self) -> int | None:
        return _total(self.reports_excluded_total, self.reports_excluded)


@dataclass(frozen=True)
class PreviousReview:
    """The *updated review* template's previous-version box and its totals. The new
    studies of the update are `PrismaFlow.studies_included` / `reports_included`."""

    studies_included: int | None = None
    reports_included: int | None = None
    total_studies: int | None = None  # as reported: previous + new
    total_reports: int | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for f in fields(self):
            _check_count(problems, f"previous.{f.name}", getattr(self, f.name))
        if problems:
            raise ValidationError(problems)


@dataclass(frozen=True)
class Inconsistency:
    """One place where the reported counts do not add up.

    `kind` is "equation" (a count differs from what the previous box and its exclusions
    leave), "bound" (a count exceeds what an earlier box leaves, across unreported boxes)
    or "total" (a stated total differs from the sum of its parts)."""

    kind: str
    box: str
    expected: int
    found: int
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class PrismaFlow:
    """PRISMA 2020 counts of one review. Every count is an int or None (not reported).

    `databases`/`registers` map source name -> records identified; `databases_total` is
    for reviews that give only the total over their databases. `reports_excluded` maps
    exclusion reason -> n; `reports_excluded_total` is for reviews that give the number
    without (all) reasons. When `previous` is set the flow is an updated review and
    `studies_included`/`reports_included` count the new studies only. Use 0 (not None)
    where a review states there were none (e.g. no automation tools), so the equations
    can be checked exactly instead of as bounds. Example (001_*, Blume et al.)::

        PrismaFlow(databases={"PubMed": 26, "LILACS": 0, "SciELO": 0},
                   records_screened=26, records_excluded=8, studies_included=18)
    """

    databases: Counts = field(default_factory=dict)
    databases_total: int | None = None
    registers: Counts = field(default_factory=dict)
    registers_total: int | None = None
    duplicates_removed: int | None = None
    automation_removed: int | None = None
    other_removed: int | None = None
    records_screened: int | None = None
    records_excluded: int | None = None
    reports_sought: int | None = None
    reports_not_retrieved: int | None = None
    reports_assessed: int | None = None
    reports_excluded: Counts = field(default_factory=dict)
    reports_excluded_total: int | None = None
    studies_included: int | None = None
    reports_included: int | None = None
    other_methods: OtherMethods | None = None
    previous: PreviousReview | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name in ("databases", "registers", "reports_excluded"):
            object.__setattr__(self, name, _check_counts(problems, name, getattr(self, name)))
        for f in fields(self):
            if f.name in ("databases", "registers", "reports_excluded"):
                continue
            value = getattr(self, f.name)
            if f.name == "other_methods":
                if value is not None and not isinstance(value, OtherMethods):
                    problems.append(Problem(f"other_methods: expected OtherMethods, got {value!r}"))
            elif f.name == "previous":
                if value is not None and not isinstance(value, PreviousReview):
                    problems.append(Problem(f"previous: expected PreviousReview, got {value!r}"))
            else:
                _check_count(problems, f.name, value)
        if problems:
            raise ValidationError(problems)

    # ---- derived totals (sums of reported parts only; never estimates)
    @property
    def databases_identified(self) -> int | None:
        return _total(self.databases_total, self.databases)

    @property
    def registers_identified(self) -> int | None:
        """Records from registers; 0 when the review names no register and gives no total
        (it did not search one), None when it names registers without counts."""
        if self.registers_total is None and not self.registers:
            return 0
        return _total(self.registers_total, self.registers)

    @property
    def records_identified(self) -> int | None:
        return _sum_known([self.databases_identified, self.registers_identified])

    @property
    def excluded(self) -> int | None:
        """Reports excluded after full-text assessment (stated total, else sum of reasons)."""
        return _total(self.reports_excluded_total, self.reports_excluded)

    @property
    def is_update(self) -> bool:
        return self.previous is not None

    # ---- checks
    def inconsistencies(self) -> list[Inconsistency]:
        """Every place the reported counts do not add up (empty list when they do).

        Checked: identified - removed before screening = screened; screened - excluded =
        sought; sought - not retrieved = assessed; assessed - excluded (+ the other-methods
        column's assessed - excluded) = reports included; stated totals = sums of parts;
        studies <= reports; updated reviews: previous + new = total. Where a box is not
        reported the check becomes a bound: no box may exceed what an earlier box leaves.
        """
        out: list[Inconsistency] = []
        for label, total, parts in (
            ("databases", self.databases_total, self.databases),
            ("registers", self.registers_total, self.registers),
            ("reports excluded", self.reports_excluded_total, self.reports_excluded),
        ):
            _check_parts(out, label, total, parts)
        om = self.other_methods
        if om is not None:
            _check_parts(
                out, "other methods: reports excluded", om.reports_excluded_total,
                om.reports_excluded,
            )  # fmt: skip

        # Reports included come from both columns; the database column's chain ends in
        # them only when there is no other-methods column (else checked separately below).
        studies_only = self.reports_included is None and self.studies_included is not None
        final = self.studies_included if studies_only else self.reports_included
        final_label = (
            "studies included in review" if studies_only else "reports of included studies"
        )
        if om is not None:
            final = None
        chain: list[tuple[str, int | None, list[tuple[str, int | None]]]] = [
            (
                "records identified",
                self.records_identified,
                [
                    ("duplicate records removed", self.duplicates_removed),
                    ("records marked as ineligible by automation tools", self.automation_removed),
                    ("records removed for other reasons", self.other_removed),
                ],
            ),
            (
                "records screened",
                self.records_screened,
                [("records excluded", self.records_excluded)],
            ),
            (
                "reports sought for retrieval",
                self.reports_sought,
                [("reports not retrieved", self.reports_not_retrieved)],
            ),
            (
                "reports assessed for eligibility",
                self.reports_assessed,
                [("reports excluded", self.excluded)],
            ),
            (final_label, final, []),
        ]  # fmt: skip
        # Studies may be fewer than reports (several reports of one study): only a bound.
        _check_chain(out, chain, bound_only_last=studies_only)
        if om is not None:
            _check_chain(
                out,
                [
                    ("other methods: records identified", om.records_identified, []),
                    (
                        "other methods: reports sought for retrieval",
                        om.reports_sought,
                        [("reports not retrieved", om.reports_not_retrieved)],
                    ),
                    ("other methods: reports assessed for eligibility", om.reports_assessed, []),
                ],
                bound_only_first=True,
            )
        if om is not None:
            _check_both_columns(out, self, om)
        s, r = self.studies_included, self.reports_included
        if s is not None and r is not None and s > r:
            out.append(
                Inconsistency(
                    "bound", "studies included", r, s,
                    f"studies included (n = {s}) exceed the reports of included studies "
                    f"(n = {r}); each study has at least one report",
                )
            )  # fmt: skip
        p = self.previous
        if p is not None:
            for what, prev, new, total in (
                ("studies", p.studies_included, self.studies_included, p.total_studies),
                ("reports", p.reports_included, self.reports_included, p.total_reports),
            ):
                known = _sum_known([prev, new])
                if known is not None and total is not None and known != total:
                    out.append(
                        Inconsistency(
                            "equation", f"total {what} included", known, total,
                            f"total {what} included (n = {total}) differs from previous "
                            f"({prev}) + new ({new}) = {known}",
                        )
                    )  # fmt: skip
        return out

    # ---- text
    def summary(self) -> str:
        """The counts as plain text, one box per line, with any inconsistencies."""
        lines = []
        order = ("prev", "main", "excl", "other", "oexcl")
        cells = box_text(self)
        for col, row in sorted(cells, key=lambda k: (k[1], order.index(k[0]))):
            text = " ".join(t for t, _, _ in cells[(col, row)]).replace("\u00a0", " ")
            lines.append(text)
        issues = self.inconsistencies()
        if issues:
            lines.append("Inconsistencies:")
            lines.extend(f"  - {i}" for i in issues)
        return "\n".join(lines)

    # ---- plain data (JSON)
    def to_dict(self) -> JSONDict:
        """A JSON-ready dict; `PrismaFlow.from_dict(flow.to_dict()) == flow`."""
        out: JSONDict = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, OtherMethods | PreviousReview):
                v = {g.name: _plain(getattr(v, g.name)) for g in fields(v)}
            out[f.name] = _plain(v)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, JSONValue], *, source: str | None = None) -> PrismaFlow:
        """Build from a dict (e.g. the evidence base's `prisma` entry). Unknown keys,
        wrong types and negative counts raise `ValidationError` naming the key and `source`."""
        if not isinstance(data, Mapping):
            raise ValidationError([Problem(f"expected a mapping, got {data!r}", file=source)])
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError(
                [Problem(f"unknown PRISMA field {k!r}", file=source) for k in unknown]
            )
        kwargs = dict(data)
        try:
            for key, sub in (("other_methods", OtherMethods), ("previous", PreviousReview)):
                v = kwargs.get(key)
                if isinstance(v, Mapping):
                    bad = sorted(set(v) - {f.name for f in fields(sub)})
                    if bad:
                        raise ValidationError(
                            [Problem(f"unknown PRISMA field {key}.{k!r}", file=source) for k in bad]
                        )
                    kwargs[key] = sub(**v)
            return cls(**kwargs)
        except ValidationError as exc:
            if source is None:
                raise
            raise ValidationError([replace(p, file=source) for p in exc.problems]) from None


def _plain(v: Any) -> Any:
    return dict(v) if isinstance(v, Mapping) else v


def _check_both_columns(out: list[Inconsistency], flow: PrismaFlow, om: OtherMethods) -> None:
    """Reports included = (assessed - excluded) of databases + (assessed - excluded) of
    other methods; studies (when reports are not given) may only be fewer."""
    db_a, db_e, om_a, om_e = flow.reports_assessed, flow.excluded, om.reports_assessed, om.excluded
    if None in (db_a, db_e, om_a, om_e):
        return
    expected = (db_a - db_e) + (om_a - om_e)  # type: ignore[operator]
    how = (
        f"databases and registers ({db_a} assessed - {db_e} excluded) plus other methods "
        f"({om_a} assessed - {om_e} excluded) = {expected}"
    )
    r, s = flow.reports_included, flow.studies_included
    if r is not None and r != expected:
        out.append(
            Inconsistency(
                "equation", "reports of included studies", expected, r,
                f"reports of included studies (n = {r}) should equal {how}",
            )
        )  # fmt: skip
    elif r is None and s is not None and s > expected:
        out.append(
            Inconsistency(
                "bound", "studies included in review", expected, s,
                f"studies included in review (n = {s}) exceed the reports left by {how}",
            )
        )  # fmt: skip


def _check_parts(out: list[Inconsistency], label: str, total: int | None, parts: Counts) -> None:
    s = _sum_known(parts.values()) if parts else None
    if total is not None and s is not None and s != total:
        out.append(
            Inconsistency(
                "total", label, s, total,
                f"{label}: stated total (n = {total}) differs from the sum of the parts ({s})",
            )
        )  # fmt: skip


def _check_chain(
    out: list[Inconsistency],
    chain: list[tuple[str, int | None, list[tuple[str, int | None]]]],
    *,
    bound_only_last: bool = False,
    bound_only_first: bool = False,
) -> None:
    """Walk boxes top to bottom. Adjacent reported boxes with every exclusion between them
    reported must satisfy box[i] - exclusions = box[i+1]; otherwise box[j] may not exceed
    the last reported box minus the reported exclusions since (a bound)."""
    last: tuple[str, int] | None = None  # label, value of the last reported box
    avail = 0  # what the last reported box leaves after the reported exclusions since
    exact = False  # avail is exact (adjacent box, every exclusion reported)
    removed_desc: list[str] = []
    for i, (label, value, removals) in enumerate(chain):
        if value is not None and last is not None:
            exact_here = exact and not (bound_only_last and i == len(chain) - 1)
            exact_here = exact_here and not (bound_only_first and i == 1)
            minus = f" minus {' and '.join(removed_desc)}" if removed_desc else ""
            if exact_here and value != avail:
                out.append(
                    Inconsistency(
                        "equation", label, avail, value,
                        f"{label} (n = {value}) should equal {last[0]} ({last[1]}){minus} "
                        f"= {avail}",
                    )
                )  # fmt: skip
            elif not exact_here and value > avail:
                out.append(
                    Inconsistency(
                        "bound", label, avail, value,
                        f"{label} (n = {value}) exceeds what {last[0]} ({last[1]}){minus} "
                        f"leaves: at most {avail}",
                    )
                )  # fmt: skip
        if value is not None:
            last, avail, exact, removed_desc = (label, value), value, True, []
        elif last is not None:
            exact = False
        for r_label, r in removals:
            if r is None:
                exact = False
            elif last is not None:
                avail -= r
                removed_desc.append(f"{r_label} ({r})")


# --------------------------------------------------------------------------- box text

_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Text safe for XML 1.0: control characters become U+FFFD, whitespace collapses."""
    return " ".join(_XML_BAD.sub("\ufffd", str(text)).split())


def _n(value: int | None) -> str:
    """ "(n = 12)" or "(not reported)", with no-break spaces so a count is never split."""
    text = f"(n = {value})" if value is not None else f"({NOT_REPORTED})"
    return text.replace(" ", "\u00a0")


Line = tuple[str, str, int]  # text, weight ("bold"/"normal"), indent level


def _counts_lines(counts: Counts, level: int = 1) -> list[Line]:
    return [(f"{_clean(name)} {_n(n)}", "normal", level) for name, n in counts.items()]


def box_text(flow: PrismaFlow) -> dict[tuple[str, int], list[Line]]:
    """The text of each box, keyed by (column, row). Columns: prev, main, excl, other,
    oexcl; rows: 0 identification, 1 screened, 2 sought, 3 assessed, 4 included, 5 total
    (updated reviews). Wording of the PRISMA 2020 templates."""
    om, prev = flow.other_methods, flow.previous
    ident: list[Line] = [("Records identified from:", "bold", 0)]
    ident.append((f"Databases {_n(flow.databases_identified)}", "normal", 0))
    ident += _counts_lines(flow.databases)
    if flow.registers or flow.registers_total is not None:
        ident.append((f"Registers {_n(flow.registers_identified)}", "normal", 0))
        ident += _counts_lines(flow.registers)
    removed: list[Line] = [
        ("Records removed before screening:", "bold", 0),
        (f"Duplicate records removed {_n(flow.duplicates_removed)}", "normal", 1),
        (
            f"Records marked as ineligible by automation tools {_n(flow.automation_removed)}",
            "normal",
            1,
        ),
        (f"Records removed for other reasons {_n(flow.other_removed)}", "normal", 1),
    ]

    def excluded_lines(total: int | None, reasons: Counts) -> list[Line]:
        head = "bold" if reasons or total else "normal"  # a heading only over reasons
        lines: list[Line] = [(f"Reports excluded {_n(total)}", head, 0)]
        if reasons:
            lines += _counts_lines(reasons)
        elif total:
            lines.append(("Reasons not reported", "normal", 1))
        return lines

    new = "new " if prev is not None else ""
    cells: dict[tuple[str, int], list[Line]] = {
        ("main", 0): ident,
        ("excl", 0): removed,
        ("main", 1): [(f"Records screened {_n(flow.records_screened)}", "normal", 0)],
        ("excl", 1): [(f"Records excluded {_n(flow.records_excluded)}", "normal", 0)],
        ("main", 2): [(f"Reports sought for retrieval {_n(flow.reports_sought)}", "normal", 0)],
        ("excl", 2): [(f"Reports not retrieved {_n(flow.reports_not_retrieved)}", "normal", 0)],
        ("main", 3): [
            (f"Reports assessed for eligibility {_n(flow.reports_assessed)}", "normal", 0)
        ],
        ("excl", 3): excluded_lines(flow.excluded, flow.reports_excluded),
        ("main", 4): [
            (f"{'New studies' if new else 'Studies'} included in review "
             f"{_n(flow.studies_included)}", "bold", 0),
            (f"Reports of {new}included studies {_n(flow.reports_included)}", "normal", 0),
        ],
    }  # fmt: skip
    if prev is not None:
        cells[("prev", 0)] = [
            (
                f"Studies included in previous version of review {_n(prev.studies_included)}",
                "normal",
                0,
            ),
            (
                "Reports of studies included in previous version of review "
                f"{_n(prev.reports_included)}",
                "normal",
                0,
            ),
        ]
        cells[("main", 5)] = [
            (f"Total studies included in review {_n(prev.total_studies)}", "bold", 0),
            (f"Reports of total included studies {_n(prev.total_reports)}", "normal", 0),
        ]
    if om is not None:
        cells[("other", 0)] = [("Records identified from:", "bold", 0)] + (
            _counts_lines(om.sources, 0) or [(NOT_REPORTED, "normal", 1)]
        )
        cells[("other", 2)] = [
            (f"Reports sought for retrieval {_n(om.reports_sought)}", "normal", 0)
        ]
        cells[("oexcl", 2)] = [
            (f"Reports not retrieved {_n(om.reports_not_retrieved)}", "normal", 0)
        ]
        cells[("other", 3)] = [
            (f"Reports assessed for eligibility {_n(om.reports_assessed)}", "normal", 0)
        ]
        cells[("oexcl", 3)] = excluded_lines(om.excluded, om.reports_excluded)

    return cells
