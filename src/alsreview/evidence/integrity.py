"""Integrity checks a reviewer runs on extracted data before trusting it.

In: an `EvidenceBase` (or single tables, statistics and doses).  Out: a list of `Finding`s,
each naming the paper, table or study, what was expected and what was found.

Checks
- stated totals: a total the text states (sum, row count, count of matching rows, percent,
  mean, SD, SEM) recomputed from the table's rows;
- doses: strings that cannot be read, ranges written high to low, and totals that no reading
  of dose x injections x sessions can produce;
- ranges versus point values: a median or mean outside its own IQR, range or CI;
- SEM plausibility: a dispersion labelled SEM whose implied SD (SEM * sqrt(n)) exceeds the
  largest SD the data's range allows, (high - low) / 2 * sqrt(n / (n - 1)), or that equals
  the SD of the printed rows;
- GRIM (Brown & Heathers 2017): a mean of n integers must equal k / n for some integer k at
  the printed precision;
- percentages versus counts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from alsreview.errors import DoseParseError
from alsreview.evidence.dose import Dose, parse_dose
from alsreview.evidence.model import (
    EvidenceBase,
    ExtractedTable,
    Outcome,
    StatedTotal,
    Statistic,
    Study,
)

Severity = Literal["error", "warning", "info"]

#: Bounds of integer clinical scales whose means GRIM can test.
INTEGER_SCALES = {"ALSFRS-R": (0, 48), "ALSFRS": (0, 40)}


@dataclass(frozen=True)
class Finding:
    check: str  # "stated total", "dose", "range", "SEM", "GRIM", "percent"
    severity: Severity
    where: str  # "blume2026 Table 1, column Patients"
    message: str
    expected: str | None = None
    observed: str | None = None


def run_integrity_checks(evidence: EvidenceBase) -> list[Finding]:
    """Every check on every table, study dose and statistic of an evidence base."""
    findings: list[Finding] = []
    for table in evidence.all_tables():
        findings += check_table(table)
    for study in evidence.studies:
        findings += check_study(study)
    return findings


# ---------------------------------------------------------------- tables
def check_table(table: ExtractedTable) -> list[Finding]:
    """Stated totals against the rows, and every dose-like column read as a dose."""
    findings: list[Finding] = []
    for stated in table.stated_totals:
        findings += check_stated_total(table, stated)
    findings += check_grim_table(table)
    dose_cols = [c for c in table.columns if _is_dose_column(c)]
    for i, row in enumerate(table.rows, start=1):
        label = row.study_id or f"row {i}"
        for col in dose_cols:
            text = row.values.get(col)
            if text is None:
                continue
            where = f"{table.review} {table.id}, {label}, column {col!r}"
            findings += check_dose_text(str(text), where)
    return findings


def _is_dose_column(name: str) -> bool:
    n = name.lower()
    return "cell" in n and ("number" in n or "dose" in n) and "type" not in n


def _numbers(table: ExtractedTable, column: str) -> list[float]:
    """The numeric cells of a column (numbers, or strings that are plain numbers)."""
    values = []
    for row in table.rows:
        v = row.values.get(column)
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float) or (
            isinstance(v, str) and re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", v)
        ):
            values.append(float(v))
    return values


def check_stated_total(table: ExtractedTable, stated: StatedTotal) -> list[Finding]:
    """Recompute a stated total from the rows; a finding when they disagree."""
    where = f"{table.review} {table.id}, column {stated.column!r}"
    claimed = stated.value.value
    if claimed is None:
        return []
    rows = table.rows
    agg = stated.aggregate
    matches = [
        r
        for r in rows
        if stated.match and stated.match.lower() in str(r.values.get(stated.column, "")).lower()
    ]
    if agg == "rows":
        observed, tol = float(len(rows)), 0.0
    elif agg == "count":
        observed, tol = float(len(matches)), 0.0
    elif agg == "percent":
        observed = 100.0 * len(matches) / len(rows) if rows else math.nan
        tol = _rounding_tolerance(claimed) + (5.0 if stated.approximate else 0.0)
    else:
        values = _numbers(table, stated.column)
        if not values:
            return [
                Finding(
                    "stated total", "warning", where, f"no numeric cells to check {stated.label!r}"
                )
            ]
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((x - mean) ** 2 for x in values) / (n - 1)) if n > 1 else math.nan
        observed = {"sum": sum(values), "mean": mean, "sd": sd, "sem": sd / math.sqrt(n)}[agg]
        tol = (
            0.0
            if agg == "sum" and all(v.is_integer() for v in values)
            else _rounding_tolerance(claimed)
        )
        if (
            agg == "sem"
            and abs(observed - claimed) > tol
            and abs(sd - claimed) <= _rounding_tolerance(claimed)
        ):
            return [
                Finding(
                    "SEM",
                    "error",
                    where,
                    f"{stated.label}: labelled SEM but equals the SD of the {n} printed values "
                    f"(SD {sd:.3g}; the SEM would be {sd / math.sqrt(n):.3g})",
                    expected=f"SEM {sd / math.sqrt(n):.3g}",
                    observed=f"{claimed:g}",
                )
            ]
    if abs(observed - claimed) <= tol + 1e-9:
        return []
    sources = ", ".join(str(p) for p in stated.value.provenance)
    return [
        Finding(
            "stated total",
            "error",
            where,
            f"{stated.label}: the text states {claimed:g} ({sources}) but the rows give "
            f"{_fmt(observed)}",
            expected=f"{claimed:g}",
            observed=_fmt(observed),
        )
    ]


def _rounding_tolerance(value: float) -> float:
    """Half a unit in the last printed decimal place of `value`."""
    text = repr(float(value))
    decimals = len(text.split(".")[1].rstrip("0")) if "." in text else 0
    return 0.5 * 10.0**-decimals


def _fmt(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.3g}"


# ---------------------------------------------------------------- doses
def check_dose_text(text: str, where: str) -> list[Finding]:
    """A dose string must be readable; readable but suspicious ones are warned about."""
    try:
        dose = parse_dose(text)
    except DoseParseError as exc:
        return [Finding("dose", "error", where, f"unreadable dose: {exc.reason}", observed=text)]
    return [Finding("dose", "warning", where, w, observed=text) for w in dose.warnings]


def check_study(study: Study) -> list[Finding]:
    findings: list[Finding] = []
    where = f"study {study.id} ({study.label})"
    for name in ("dose_per_administration", "total_cells"):
        fact = getattr(study, name)
        if fact is not None and fact.value is not None:
            findings += check_dose_text(fact.value, f"{where}, {name}")
    if study.dose and study.total_dose and study.schedule:
        findings += check_total_dose(study.dose, study.total_dose, study, where)
    for outcome in study.efficacy:
        findings += check_outcome(outcome, where)
    return findings


def check_outcome(outcome: Outcome, where: str) -> list[Finding]:
    """Each statistic of an outcome: point inside its interval, SEM possible, GRIM."""
    findings: list[Finding] = []
    for stat in outcome.groups:
        loc = f"{where}, {outcome.measure}, {stat.label}"
        findings += check_point_in_range(stat, loc)
        findings += check_sem(stat, loc, _scale_bounds(outcome.measure, stat))
        if outcome.measure == "alsfrs_r_change" or (stat.unit or "").startswith("ALSFRS-R points"):
            findings += check_grim_stat(stat, loc)
    return findings


def check_total_dose(dose: Dose, total: Dose, study: Study, where: str) -> list[Finding]:
    """The stated total must be reachable as dose x (injections) x (sessions) for some reading."""
    if not (dose.reported and total.reported) or dose.unit is None or dose.unit != total.unit:
        return []
    schedule = study.schedule
    assert schedule is not None
    s_lo = schedule.sessions_min.value or 1
    s_hi = (schedule.sessions_max.value if schedule.sessions_max else None) or s_lo
    inj = _injection_counts(
        schedule.injections_per_session.value if schedule.injections_per_session else None
    )
    multipliers = sorted(
        {s * i for s in range(s_lo, s_hi + 1) for i in inj} | set(range(s_lo, s_hi + 1))
    )
    assert (
        dose.low is not None
        and dose.high is not None
        and total.low is not None
        and total.high is not None
    )
    for m in multipliers:
        lo, hi = dose.low * m, dose.high * m
        if lo <= total.high * 1.0001 and total.low <= hi * 1.0001:
            return []
    return [
        Finding(
            "dose",
            "warning",
            where,
            f"total cells {total.format()} cannot be dose {dose.format()} times any number of "
            f"administrations the schedule allows ({', '.join(map(str, multipliers))})",
            expected=" or ".join(f"{_fmt_sci(dose.low * m)}" for m in multipliers[:4]),
            observed=total.format(),
        )
    ]


def _injection_counts(text: str | None) -> set[int]:
    if not text:
        return {1}
    found = {int(n) for n in re.findall(r"\d+", text)}
    if m := re.search(r"(\d+)\s*to\s*(\d+)", text):
        found |= set(range(int(m.group(1)), int(m.group(2)) + 1))
    return found or {1}


def _fmt_sci(x: float) -> str:
    return f"{x:.3g}"


# ---------------------------------------------------------------- statistics
def check_point_in_range(stat: Statistic, where: str) -> list[Finding]:
    """A central value must lie inside its own IQR, range or CI."""
    if stat.estimate is None or stat.low is None or stat.high is None:
        return []
    lo, hi = min(stat.low, stat.high), max(stat.low, stat.high)
    findings = []
    if stat.low > stat.high:
        findings.append(
            Finding(
                "range",
                "warning",
                where,
                f"interval written high to low ({stat.low:g}; {stat.high:g})",
            )
        )
    if not lo <= stat.estimate <= hi:
        findings.append(
            Finding(
                "range",
                "error",
                where,
                f"{stat.central} {stat.estimate:g} lies outside its "
                f"{stat.dispersion_kind or 'interval'} {lo:g} to {hi:g}",
            )
        )
    return findings


def _scale_bounds(measure: str, stat: Statistic) -> tuple[float, float] | None:
    if stat.dispersion_kind == "range" and stat.low is not None and stat.high is not None:
        return (min(stat.low, stat.high), max(stat.low, stat.high))
    if measure == "alsfrs_r_change" or (stat.unit or "").startswith("ALSFRS-R points"):
        return INTEGER_SCALES["ALSFRS-R"]
    return None


def max_sd(low: float, high: float, n: int) -> float:
    """Largest sample SD of n values inside [low, high]: half on each bound."""
    return (high - low) / 2.0 * math.sqrt(n / (n - 1)) if n > 1 else 0.0


def check_sem(stat: Statistic, where: str, bounds: tuple[float, float] | None) -> list[Finding]:
    """Dispersion labelled SEM whose implied SD is impossible for values within `bounds`."""
    if stat.dispersion_kind != "SEM" or stat.dispersion is None or not stat.n or bounds is None:
        return []
    implied = stat.dispersion * math.sqrt(stat.n)
    limit = max_sd(bounds[0], bounds[1], stat.n)
    if implied <= limit:
        return []
    return [
        Finding(
            "SEM",
            "error",
            where,
            f"SEM {stat.dispersion:g} with n = {stat.n} implies SD {implied:.3g}, more than the "
            f"largest SD ({limit:.3g}) values between {bounds[0]:g} and {bounds[1]:g} can have; "
            "the dispersion is probably an SD",
            expected=f"SD <= {limit:.3g}",
            observed=f"SD {implied:.3g}",
        )
    ]


def grim_consistent(mean: float, n: int, decimals: int, items: int = 1) -> bool:
    """GRIM: is `mean` (printed with `decimals`) a possible mean of n integers?

    With `items` integer items per person the granularity is 1 / (n * items).
    """
    if n <= 0:
        return True
    denom = n * items
    if 10**decimals <= denom:
        return True  # granularity finer than the printed precision: nothing to test
    k = round(mean * denom)
    return any(round(j / denom, decimals) == round(mean, decimals) for j in (k - 1, k, k + 1))


def check_grim_stat(stat: Statistic, where: str) -> list[Finding]:
    if stat.estimate is None or not stat.n or stat.central != "mean":
        return []
    decimals = _decimals(stat.estimate)
    if grim_consistent(stat.estimate, stat.n, decimals):
        return []
    return [
        Finding(
            "GRIM",
            "error",
            where,
            f"mean {stat.estimate:.{decimals}f} of {stat.n} integer scores is impossible "
            "(no integer total gives it)",
        )
    ]


def check_grim_table(table: ExtractedTable) -> list[Finding]:
    """GRIM on stated means of integer-valued columns."""
    findings = []
    for stated in table.stated_totals:
        if stated.aggregate != "mean" or stated.value.value is None:
            continue
        values = _numbers(table, stated.column)
        if values and all(v.is_integer() for v in values):
            mean = stated.value.value
            if not grim_consistent(mean, len(values), _decimals(mean)):
                findings.append(
                    Finding(
                        "GRIM",
                        "error",
                        f"{table.review} {table.id}, column {stated.column!r}",
                        f"{stated.label}: mean {mean:g} of {len(values)} integers is impossible",
                    )
                )
    return findings


def _decimals(x: float) -> int:
    text = repr(float(x))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def check_percentage(
    count: int, n: int, percent: float, where: str, approximate: bool = False
) -> list[Finding]:
    """A printed percentage must match count / n at its printed precision."""
    observed = 100.0 * count / n
    tol = _rounding_tolerance(percent) + (5.0 if approximate else 0.0)
    if abs(observed - percent) <= tol:
        return []
    return [
        Finding(
            "percent",
            "error",
            where,
            f"{percent:g}% stated, but {count}/{n} = {observed:.1f}%",
            expected=f"{observed:.1f}%",
            observed=f"{percent:g}%",
        )
    ]
