"""A trial's aggregate results as a study entry of the evidence base.

In: a `TrialAnalysis` and what the data files do not say (study id, citation, cell type and
route codes from the taxonomy, design). Out: a `TrialExport` holding a validated
`evidence.model.Study` and the `SourcePaper` its provenance cites (kind "trial report",
locators such as "IPD analysis: paired slopes 0-3 months"); `add_to(base)` returns a new
`EvidenceBase` with both added, validated as a whole.

What goes in: enrolled and analysed patients, follow-up, the paired pre/post ALSFRS-R slopes
per window (mean ± SEM and the paired t-test p) for all patients and the progressor
subgroup, the mixed model's slope change with its 95% CI, FVC stability by visit, the
adverse events by term (events, patients, worst severity), deaths and serious related events.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.evidence.model import EvidenceBase, SourcePaper, Study
    from alsreview.trial.analysis import TrialAnalysis

_SEVERITY_RANK = {"mild": 0, "moderate": 1, "severe": 2, "death": 3}


@dataclass(frozen=True)
class TrialExport:
    source: SourcePaper
    study: Study

    def add_to(self, base: EvidenceBase) -> EvidenceBase:
        """A copy of `base` with this source and study, validated as a whole."""
        from alsreview.evidence.model import EvidenceBase

        if self.study.id in {s.id for s in base.studies}:
            from alsreview.errors import ValidationError

            raise ValidationError(f"the evidence base already has a study {self.study.id!r}")
        fields = {name: getattr(base, name) for name in type(base).model_fields}
        fields["sources"] = {**base.sources, self.source.key: self.source}
        fields["studies"] = [*base.studies, self.study]
        return EvidenceBase.model_validate(fields)

    def summary(self) -> str:
        s = self.study
        return (
            f"study {s.id} ({s.label}): {s.patients_enrolled.value} enrolled, "
            f"{len(s.efficacy)} efficacy results, "
            f"{len(s.safety.adverse_events)} adverse-event terms"
        )


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _fields_named(func: Callable[..., TrialExport]) -> Callable[..., TrialExport]:
    """pydantic's errors become a `ValidationError` listing each field (no raw traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> TrialExport:
        import pydantic

        from alsreview.errors import ValidationError
        from alsreview.evidence import pydantic_problems

        try:
            return func(*args, **kwargs)
        except pydantic.ValidationError as exc:
            raise ValidationError(pydantic_problems(exc, "study")) from None

    return wrapper


@_fields_named
def export_study(
    analysis: TrialAnalysis,
    *,
    study_id: str,
    first_author: str,
    year: int,
    title: str,
    cell_type: str,
    routes: list[str],
    journal: str = "unpublished individual-patient data",
    design: str = "single-arm",
    doi: str | None = None,
    registration: list[str] | None = None,
    source_key: str | None = None,
) -> TrialExport:
    """Build the Study (and its SourcePaper) from a trial analysis; pydantic validates both
    and an invalid id, year, cell type or route raises `ValidationError` naming the field."""
    from alsreview.evidence.model import SourcePaper, Study

    key = source_key or f"{study_id}-ipd"
    trial = analysis.trial

    def fact(value: Any, locator: str, note: str | None = None) -> JSONDict:
        f: JSONDict = {"value": value, "from": [f"{key}: {locator}"], "derived": True}
        if note:
            f["note"] = note
        return f

    source = SourcePaper(
        key=key,
        kind="trial report",
        authors=first_author,
        year=year,
        title=title,
        journal=journal,
        doi=doi,
        doi_note=None if doi else "individual-patient data analysed with alsreview",
    )
    months = trial.visits["month"]
    efficacy: list[JSONDict] = []
    if analysis.slopes is not None:
        for t in analysis.slopes.tests:
            if t.n < 2 or math.isnan(t.p_t):
                continue
            p = t.p_t
            if p < 0.05:
                direction = "favours treatment" if t.mean_difference > 0 else "favours control"
            else:
                direction = "no difference"
            efficacy.append(
                {
                    "measure": "alsfrs_r_slope",
                    "comparison": "pre-post",
                    "subgroup": None if t.group == "all" else "progressors",
                    "window": f"0-{t.window:g} months",
                    "groups": [
                        _stat("pre-treatment slope", t.n, t.mean_pre, None),
                        _stat("post-treatment slope", t.n, t.mean_post, None),
                        _stat("post − pre", t.n, t.mean_difference, t.sem_difference, "SEM"),
                    ],
                    "p_value": {"value": min(max(p, 0.0), 1.0)},
                    "direction": direction,
                    "description": (
                        f"Per-patient least-squares ALSFRS-R slopes (points/month), paired t-test "
                        f"post vs pre; Wilcoxon p = {t.p_wilcoxon:.3g}"
                    ),
                    "from": [f"{key}: IPD analysis, paired slopes 0-{t.window:g} months"],
                }
            )
    if analysis.mixed is not None:
        m = analysis.mixed
        i = m.names.index("month_post")
        z = m.coef[i] / m.se[i]
        p = math.erfc(abs(z) / math.sqrt(2))
        lo, hi = m.ci_lower[i], m.ci_upper[i]
        if lo > 0 or hi < 0:
            direction = "favours treatment" if m.coef[i] > 0 else "favours control"
        else:
            direction = "no difference"
        efficacy.append(
            {
                "measure": "alsfrs_r_slope",
                "comparison": "pre-post",
                "window": f"{min(months):g} to {max(months):g} months",
                "groups": [
                    {
                        "label": "change in slope after treatment",
                        "n": m.n_patients,
                        "central": "value",
                        "estimate": m.coef[i],
                        # the model's Wald interval, labelled (only 95% has a label)
                        **(
                            {"dispersion_kind": "CI95", "low": lo, "high": hi}
                            if round(m.level) == 95
                            else {}
                        ),
                        "unit": "points/month",
                    }
                ],
                "p_value": {"value": p},
                "direction": direction,
                "description": (
                    "Piecewise linear mixed model (REML; random intercept and slope per patient), "
                    f"Wald {round(m.level)}% CI; {len(m.below_floor)} patients fell below "
                    f"{m.floor:g} points"
                ),
                "from": [f"{key}: IPD analysis, piecewise linear mixed model"],
            }
        )
    if analysis.fvc is not None:
        for r in analysis.fvc.table.itertuples():
            efficacy.append(
                {
                    "measure": "fvc",
                    "comparison": "none",
                    "window": f"{r.month:g} months",
                    "groups": [
                        {
                            "label": f"FVC stable or ≥ {analysis.fvc.threshold:g}% predicted",
                            "n": int(r.n),
                            "central": "value",
                            "estimate": 100.0 * r.proportion,
                            "unit": "%",
                        },
                        _stat("FVC (% predicted)", int(r.n), r.mean, r.sd, "SD"),
                    ],
                    "direction": "unclear",
                    "description": f"{r.n_stable} of {r.n} patients measured at visit {r.visit}",
                    "from": [f"{key}: IPD analysis, FVC stability"],
                }
            )
    ae = analysis.adverse_events
    events = trial.adverse_events
    adverse = []
    for r in ae.by_term.itertuples():
        rows = events[events["term"].str.strip().str.lower() == r.term.strip().lower()]
        worst = max(rows["severity"], key=_SEVERITY_RANK.__getitem__)
        adverse.append(
            {
                "term": r.term,
                "serious": bool(rows["serious"].any()),
                "related": bool(rows["related"].any()),
                "n_patients": int(r.patients),
                "n_events": int(r.events),
                "severity": worst,
                "from": [f"{key}: IPD analysis, adverse events"],
            }
        )
    deaths = events.loc[events["severity"] == "death", "patient_id"].nunique()
    if "died" in trial.patients.columns:
        deaths = max(deaths, int(trial.patients["died"].sum()))
    serious_related = int((events["serious"] & events["related"]).sum())
    study = Study.model_validate(
        {
            "id": study_id,
            "citation": {
                "first_author": first_author,
                "year": year,
                "title": title,
                "doi": doi,
                "registration": registration or [],
                "from": [f"{key}: trial data"],
            },
            "reviewed_in": [{"review": key, "in_table": False}],
            "design": fact(design, "trial data"),
            "patients_enrolled": fact(trial.n_enrolled, "patients.csv"),
            "patients_analysed": fact(len(trial.efficacy_ids), "patients.csv"),
            "cell_type": fact(cell_type, "trial data"),
            "routes": fact(list(routes), "trial data"),
            "follow_up_months": fact(float(max(months)), "visits.csv"),
            "efficacy": efficacy,
            "safety": {
                "adverse_events": adverse,
                "deaths": fact(int(deaths), "adverse_events.csv"),
                "serious_related_events": fact(serious_related, "adverse_events.csv"),
            },
        }
    )
    return TrialExport(source=source, study=study)


def _stat(label: str, n: int, mean: float, dispersion: float | None, kind: str | None = None):
    d = _num(dispersion) if dispersion is not None else None
    return {
        "label": label,
        "n": n,
        "central": "mean",
        "estimate": _num(mean),
        "dispersion": d,
        "dispersion_kind": kind if d is not None else None,
        "unit": "points/month" if "slope" in label or "−" in label else None,
    }
