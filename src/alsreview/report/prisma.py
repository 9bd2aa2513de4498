"""PRISMA 2020 flow diagrams: counts in, a checked diagram out.

In:  a `PrismaFlow` of the counts a review reports (records per database and register,
     records removed before screening, screened, excluded, reports sought / not retrieved /
     assessed / excluded with reasons, studies and reports included; optionally the
     "other methods" column and the previous-version box of the *updated review* template).
     A count the review does not report is `None` and is drawn as "not reported".
Out: `flow.inconsistencies()` - the places where the reported counts do not add up (a list,
     never an exception: published flows are often inconsistent, and the diagram is still
     drawn with a note); `draw_prisma(flow)` - a standalone SVG document drawn by hand (no
     matplotlib import); `prisma_png(flow)` - the same layout rendered with matplotlib;
     `prisma_figure(flow, name, caption)` - a `report.section.Figure` holding both.

Box wording and arrangement follow the PRISMA 2020 flow diagram templates (Page et al.,
BMJ 2021;372:n71, doi:10.1136/bmj.n71): new reviews with databases and registers only, with
other methods, and updated reviews.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from alsreview.errors import Problem, ValidationError

from .section import Figure

__all__ = [
    "Inconsistency",
    "OtherMethods",
    "PreviousReview",
    "PrismaFlow",
    "draw_prisma",
    "prisma_figure",
    "prisma_layout",
    "prisma_png",
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
        cells = _cells(self)
        for col, row in sorted(cells, key=lambda k: (k[1], order.index(k[0]))):
            text = " ".join(t for t, _, _ in cells[(col, row)]).replace("\u00a0", " ")
            lines.append(text)
        issues = self.inconsistencies()
        if issues:
            lines.append("Inconsistencies:")
            lines.extend(f"  - {i}" for i in issues)
        return "\n".join(lines)

    # ---- plain data (JSON)
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; `PrismaFlow.from_dict(flow.to_dict()) == flow`."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, OtherMethods | PreviousReview):
                v = {g.name: _plain(getattr(v, g.name)) for g in fields(v)}
            out[f.name] = _plain(v)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> PrismaFlow:
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


# --------------------------------------------------------------------------- layout

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
FONT_SIZE = 12.0
LINE_HEIGHT = 15.0
PAD = 8.0

# Advance widths of DejaVu Sans (matplotlib's default font) in em, to wrap text without
# a font library; characters not listed count as wide (0.75 em; CJK 1.0 em).
_EM: dict[str, float] = {" ": 0.318, "!": 0.4, "'": 0.275, '"': 0.46, "(": 0.39, ")": 0.39}
_EM.update({c: 0.318 for c in ",."})
_EM.update({c: 0.337 for c in ":;/\\"})
_EM.update({c: 0.361 for c in "-_"})
_EM.update({c: 0.636 for c in "0123456789$"})
_EM.update({c: 0.838 for c in "+=<>#~^"})
_EM.update({"*": 0.5, "?": 0.531, "%": 0.95, "&": 0.78, "@": 1.0, "[": 0.39, "]": 0.39})
_EM.update(
    dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            [0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656,
             0.557, 0.863, 0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684,
             0.989, 0.685, 0.611, 0.685],
            strict=True,
        )
    )
)  # fmt: skip
_EM.update(
    dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            [0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579,
             0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592,
             0.818, 0.592, 0.592, 0.525],
            strict=True,
        )
    )
)  # fmt: skip


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated width of `text` in DejaVu Sans at `size` px (bold is ~13% wider)."""
    em = 0.0
    for c in text:
        if c in _EM:
            em += _EM[c]
        else:
            em += 1.0 if ord(c) >= 0x2E80 else 0.75
    return em * size * (1.13 if bold else 1.0)


def _wrap(text: str, width: float, bold: bool, indent: str = "") -> list[str]:
    """Greedy word wrap to `width` px; words longer than a line are broken."""
    words = [w for w in text.split(" ") if w]  # split on plain spaces only, not U+00A0
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = f"{cur} {w}" if cur else w
        if text_width((indent if lines else "") + cand, bold=bold) <= width or not cur:
            cur = cand
        else:
            lines.append(cur)
            cur = w
        while text_width((indent if lines else "") + cur, bold=bold) > width and len(cur) > 1:
            cut = len(cur) - 1
            while cut > 1 and text_width((indent if lines else "") + cur[:cut], bold=bold) > width:
                cut -= 1
            lines.append(cur[:cut])
            cur = cur[cut:]
    if cur or not lines:
        lines.append(cur)
    return [(indent if i else "") + ln for i, ln in enumerate(lines)]


_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    """Text safe for XML 1.0: control characters become U+FFFD, whitespace collapses."""
    return " ".join(_XML_BAD.sub("\ufffd", str(text)).split())


@dataclass(frozen=True)
class Box:
    """A rectangle with lines of (text, weight); kind is "box", "header", "phase" or "note"."""

    x: float
    y: float
    w: float
    h: float
    lines: tuple[tuple[str, str], ...]
    kind: str = "box"

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass(frozen=True)
class Layout:
    """Boxes and arrows (polylines ending in an arrowhead) in px; origin top left."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[tuple[tuple[float, float], ...], ...]
    title: str


def _n(value: int | None) -> str:
    """ "(n = 12)" or "(not reported)", with no-break spaces so a count is never split."""
    text = f"(n = {value})" if value is not None else f"({NOT_REPORTED})"
    return text.replace(" ", "\u00a0")


Line = tuple[str, str, int]  # text, weight ("bold"/"normal"), indent level


def _counts_lines(counts: Counts, level: int = 1) -> list[Line]:
    return [(f"{_clean(name)} {_n(n)}", "normal", level) for name, n in counts.items()]


def _box_lines(lines: list[Line], width: float) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    inner = width - 2 * PAD
    for text, weight, level in lines:
        lead = "    " * level
        for piece in _wrap(text, inner - text_width(lead), weight == "bold", "  "):
            out.append((lead + piece, weight))
    return tuple(out)


def _height(nlines: int) -> float:
    return 2 * PAD + nlines * LINE_HEIGHT


def _cells(flow: PrismaFlow) -> dict[tuple[str, int], list[Line]]:
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


def prisma_layout(flow: PrismaFlow) -> Layout:
    """Place every box, header, phase label and arrow of the PRISMA 2020 template."""
    om, prev = flow.other_methods, flow.previous
    margin, phase_w, gap_x, gap_y, header_h = 10.0, 28.0, 40.0, 34.0, 34.0
    w_prev, w_main, w_excl, w_other, w_oexcl = 200.0, 270.0, 275.0, 250.0, 220.0

    x = margin + phase_w + 12.0
    x_prev = x
    if prev is not None:
        x += w_prev + gap_x
    x_main = x
    x_excl = x_main + w_main + gap_x
    x_other = x_excl + w_excl + gap_x + 10.0
    x_oexcl = x_other + w_other + gap_x
    right = (x_oexcl + w_oexcl if om is not None else x_excl + w_excl) + margin

    cells = _cells(flow)
    col_x = {"prev": x_prev, "main": x_main, "excl": x_excl, "other": x_other, "oexcl": x_oexcl}
    col_w = {"prev": w_prev, "main": w_main, "excl": w_excl, "other": w_other, "oexcl": w_oexcl}
    wrapped = {k: _box_lines(v, col_w[k[0]]) for k, v in cells.items()}
    nrows = 6 if prev is not None else 5
    row_h = [
        max([_height(len(t)) for (c, r), t in wrapped.items() if r == row] or [0.0])
        for row in range(nrows)
    ]
    # Each phase bar must hold its rotated label: stretch the phase's last row if needed.
    phases = (("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, nrows - 1))
    for label, r0, r1 in phases:
        span = sum(row_h[r0 : r1 + 1]) + gap_y * (r1 - r0)
        need = text_width(label, bold=True) + 2 * PAD
        if span < need:
            row_h[r1] += need - span
    row_y: list[float] = []
    y = margin + header_h + 12.0
    for h in row_h:
        row_y.append(y)
        y += h + gap_y
    bottom = y - gap_y

    boxes: dict[tuple[str, int], Box] = {}
    for (c, r), lines in wrapped.items():
        if c in ("excl", "oexcl") and r > 0:
            h = _height(len(lines))  # side boxes keep their own height, centred on the row
            boxes[(c, r)] = Box(col_x[c], row_y[r] + (row_h[r] - h) / 2, col_w[c], h, lines)
        else:
            boxes[(c, r)] = Box(col_x[c], row_y[r], col_w[c], row_h[r], lines)

    arrows: list[tuple[tuple[float, float], ...]] = []

    def down(a: Box, b: Box) -> None:
        arrows.append(((a.cx, a.bottom), (a.cx, b.y)))

    def across(a: Box, b: Box) -> None:
        y = a.cy if a.h <= b.h else b.cy
        arrows.append(((a.right, y), (b.x, y)))

    for r in range(4):
        down(boxes[("main", r)], boxes[("main", r + 1)])
        across(boxes[("main", r)], boxes[("excl", r)])
    if prev is not None:
        down(boxes[("main", 4)], boxes[("main", 5)])
        p, t = boxes[("prev", 0)], boxes[("main", 5)]
        arrows.append(((p.cx, p.bottom), (p.cx, t.cy), (t.x, t.cy)))
    if om is not None:
        down(boxes[("other", 0)], boxes[("other", 2)])
        down(boxes[("other", 2)], boxes[("other", 3)])
        across(boxes[("other", 2)], boxes[("oexcl", 2)])
        across(boxes[("other", 3)], boxes[("oexcl", 3)])
        a, inc = boxes[("other", 3)], boxes[("main", 4)]
        arrows.append(((a.cx, a.bottom), (a.cx, inc.cy), (inc.right, inc.cy)))

    out: list[Box] = []
    # Headers above the columns.
    hy = margin
    if prev is not None:
        out.append(Box(x_prev, hy, w_prev, header_h, (("Previous studies", "bold"),), "header"))
    out.append(
        Box(
            x_main, hy, x_excl + w_excl - x_main, header_h,
            (("Identification of new studies via databases and registers"
              if prev is not None else
              "Identification of studies via databases and registers", "bold"),),
            "header",
        )
    )  # fmt: skip
    if om is not None:
        out.append(
            Box(
                x_other, hy, x_oexcl + w_oexcl - x_other, header_h,
                (("Identification of new studies via other methods"
                  if prev is not None else "Identification of studies via other methods",
                  "bold"),),
                "header",
            )
        )  # fmt: skip
    # Phase labels down the left edge.
    for label, r0, r1 in phases:
        y0, y1 = row_y[r0], row_y[r1] + row_h[r1]
        out.append(Box(margin, y0, phase_w, y1 - y0, ((label, "bold"),), "phase"))
    out.extend(boxes[k] for k in sorted(boxes, key=lambda k: (k[1], list(col_x).index(k[0]))))

    # Inconsistencies as a note under the diagram.
    issues = flow.inconsistencies()
    height = bottom + margin
    if issues:
        note_w = right - margin - x_main
        note_lines: list[Line] = [("Reported counts that do not add up:", "bold", 0)]
        note_lines += [(f"• {i.message}", "normal", 0) for i in issues]
        lines = _box_lines(note_lines, note_w)
        note = Box(x_main, bottom + 20.0, note_w, _height(len(lines)), lines, "note")
        out.append(note)
        height = note.bottom + margin
    title = "PRISMA 2020 flow diagram" + (" (updated review)" if prev is not None else "")
    return Layout(right, height, tuple(out), tuple(arrows), title)


# --------------------------------------------------------------------------- SVG

_STYLE = {
    "box": ("#ffffff", "#1f3b57"),
    "header": ("#f2b134", "#b07d12"),
    "phase": ("#9cc3e6", "#3f6f9c"),
    "note": ("#fdecea", "#b3261e"),
}


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def draw_prisma(flow: PrismaFlow, *, xml_declaration: bool = True) -> str:
    """A standalone SVG document of the flow diagram (UTF-8 text, scales via viewBox).
    `xml_declaration=False` gives the bare `<svg>` element for inlining into HTML.

    Drawn with the standard library only; every piece of text goes through ElementTree,
    which escapes it, after control characters that XML cannot hold are replaced."""
    lay = prisma_layout(flow)
    w, h = _fmt(lay.width), _fmt(lay.height)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {w} {h}",
            "width": w,
            "height": h,
            "role": "img",
            "style": "max-width:100%;height:auto",
            "font-family": FONT_FAMILY,
            "font-size": _fmt(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title").text = lay.title
    ET.SubElement(svg, "rect", {"width": w, "height": h, "fill": "#ffffff"})
    for box in lay.boxes:
        fill, stroke = _STYLE[box.kind]
        g = ET.SubElement(svg, "g", {"class": f"prisma-{box.kind}"})
        ET.SubElement(
            g,
            "rect",
            {
                "x": _fmt(box.x),
                "y": _fmt(box.y),
                "width": _fmt(box.w),
                "height": _fmt(box.h),
                "rx": "10" if box.kind in ("header", "phase") else "2",
                "fill": fill,
                "stroke": stroke,
                "stroke-width": "1.2",
            },
        )
        for text_el in _svg_text(box):
            g.append(text_el)
    for pts in lay.arrows:
        g = ET.SubElement(svg, "g", {"class": "prisma-arrow"})
        ET.SubElement(
            g,
            "polyline",
            {
                "points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _shorten(pts)),
                "fill": "none",
                "stroke": "#333333",
                "stroke-width": "1.3",
            },
        )
        ET.SubElement(
            g, "polygon", {"points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _head(pts))}
        ).set("fill", "#333333")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if xml_declaration else ""
    return head + ET.tostring(svg, encoding="unicode") + "\n"


def _text_positions(box: Box) -> list[tuple[float, float, str, str, str]]:
    """(x, baseline y, text, weight, anchor) of each line; shared by SVG and PNG."""
    n = len(box.lines)
    if box.kind == "phase":
        text, weight = box.lines[0]
        return [(box.cx + 0.35 * FONT_SIZE, box.cy, text, weight, "middle")]
    if box.kind == "header":
        return [
            (box.cx, box.cy + 0.35 * FONT_SIZE + (i - (n - 1) / 2) * LINE_HEIGHT, t, wt, "middle")
            for i, (t, wt) in enumerate(box.lines)
        ]
    top = box.cy - n * LINE_HEIGHT / 2
    return [
        (box.x + PAD, top + (i + 0.75) * LINE_HEIGHT, t, wt, "start")
        for i, (t, wt) in enumerate(box.lines)
    ]


def _svg_text(box: Box) -> list[ET.Element]:
    els = []
    for x, y, text, weight, anchor in _text_positions(box):
        attrs = {"x": _fmt(x), "y": _fmt(y)}
        if anchor != "start":
            attrs["text-anchor"] = anchor
        if weight == "bold":
            attrs["font-weight"] = "bold"
        if box.kind == "phase":
            attrs["transform"] = f"rotate(-90 {_fmt(x)} {_fmt(y)})"
        lead = len(text) - len(text.lstrip(" "))
        if lead:
            attrs["x"] = _fmt(x + text_width(text[:lead]))
        el = ET.Element("text", attrs)
        el.text = text.lstrip(" ")
        els.append(el)
    return els


_HEAD_LEN, _HEAD_HALF = 8.0, 4.0


def _unit(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = (dx * dx + dy * dy) ** 0.5 or 1.0
    return dx / d, dy / d


def _shorten(pts: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """The polyline stopping where the arrowhead starts."""
    ux, uy = _unit(pts[-2], pts[-1])
    end = (pts[-1][0] - ux * _HEAD_LEN, pts[-1][1] - uy * _HEAD_LEN)
    return [*pts[:-1], end]


def _head(pts: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    ux, uy = _unit(pts[-2], pts[-1])
    tx, ty = pts[-1]
    bx, by = tx - ux * _HEAD_LEN, ty - uy * _HEAD_LEN
    return [
        (tx, ty),
        (bx - uy * _HEAD_HALF, by + ux * _HEAD_HALF),
        (bx + uy * _HEAD_HALF, by - ux * _HEAD_HALF),
    ]


# --------------------------------------------------------------------------- PNG


def prisma_matplotlib(flow: PrismaFlow, *, ax: Any = None, dpi: float = 150.0) -> Any:
    """The layout of `draw_prisma` drawn with matplotlib; returns the Figure.

    Without `ax` a new Figure of the layout's size is made (1 px of the SVG = 1/100 inch).
    With `ax` the diagram fills that Axes and text is scaled to its width; give it the
    layout's aspect ratio (`prisma_layout(flow).width / .height`) or text may not fit."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.patches import FancyBboxPatch, Polygon

    lay = prisma_layout(flow)
    if ax is None:
        fig = MplFigure(figsize=(lay.width / 100, lay.height / 100), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_axis_off()
    ax_inches = ax.get_position().width * fig.get_figwidth()
    pt = 72.0 * ax_inches / lay.width  # points per layout px (0.72 at 1/100 inch per px)
    for box in lay.boxes:
        fill, stroke = _STYLE[box.kind]
        r = 10.0 if box.kind in ("header", "phase") else 2.0
        ax.add_patch(
            FancyBboxPatch(
                (box.x + r, box.y + r),
                box.w - 2 * r,
                box.h - 2 * r,
                boxstyle=f"round,pad={r}",
                facecolor=fill,
                edgecolor=stroke,
                linewidth=1.2 * pt,
            )
        )
        for x, y, text, weight, anchor in _text_positions(box):
            lead = len(text) - len(text.lstrip(" "))
            ax.text(
                x + (text_width(text[:lead]) if lead else 0.0),
                y,
                text.lstrip(" "),
                fontsize=FONT_SIZE * pt,
                fontweight=weight,
                family="DejaVu Sans",
                ha="center" if anchor == "middle" else "left",
                va="baseline",
                rotation=90 if box.kind == "phase" else 0,
                rotation_mode="anchor",
            )
    for pts in lay.arrows:
        line = _shorten(pts)
        ax.plot([p[0] for p in line], [p[1] for p in line], color="#333333", lw=1.3 * pt)
        ax.add_patch(Polygon(_head(pts), closed=True, facecolor="#333333", edgecolor="none"))
    return fig


def prisma_png(flow: PrismaFlow, *, dpi: float = 150.0) -> bytes:
    """PNG bytes of the flow diagram, drawn by matplotlib from the same layout as the SVG."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = prisma_matplotlib(flow, dpi=dpi)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def prisma_figure(flow: PrismaFlow, name: str, caption: str, *, png: bool = True) -> Figure:
    """A report `Figure` with the hand-drawn SVG and (unless `png=False`) its PNG."""
    return Figure(
        name=name, caption=caption, svg=draw_prisma(flow), png=prisma_png(flow) if png else None
    )
