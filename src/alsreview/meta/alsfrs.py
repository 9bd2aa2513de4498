"""ALSFRS-R slope synthesis: pre-post meta-analysis of monthly decline in single-arm studies.

In:  `Study` objects of the evidence base (`alsreview.evidence.load_evidence().studies`).
Out: `AlsfrsSynthesis` (the studies used and those left out with the reason, the pooled
     change in monthly decline as MC and SMCR for assumed pre-post correlations 0.2 / 0.5 /
     0.8, subgroups by route and by cell type, a meta-regression on the number of
     administrations, and the caveats). The report section is `report.alsfrs.alsfrs_section`.

Selection: outcomes ``alsfrs_r_monthly_decline`` with comparison ``pre-post`` in studies
designed as single-arm, whose before and after groups both print a mean in points/month.
Effect = after - before (metafor ``m1i`` = after, ``m2i`` = before), so a negative value
means slower decline after treatment. SMCR is standardised by the before-treatment SD.
SDs a study does not print are imputed as the pooled SD of the studies that print one
(Cochrane Handbook 6.5.2.7), and flagged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.evidence.model import Study
    from alsreview.meta.conversions import PrePostSensitivity
    from alsreview.meta.results import RmaResult
    from alsreview.meta.subgroups import SubgroupResult

PRIMARY_R = 0.5
CORRELATIONS = (0.2, 0.5, 0.8)
_PRE = re.compile(r"\b(before|pre|pre-treatment|run-in|baseline)\b", re.I)
_POST = re.compile(r"\b(after|post|post-treatment)\b", re.I)


@dataclass(frozen=True)
class PrePostStudy:
    """One cohort's monthly ALSFRS-R decline before and after treatment."""

    study_id: str
    label: str
    n: int
    m_pre: float
    sd_pre: float | None
    m_post: float
    sd_post: float | None
    route: str
    cell_type: str
    administrations: float | None
    administrations_text: str
    provenance: str
    window: str | None = None
    sd_pre_imputed: bool = False
    sd_post_imputed: bool = False


@dataclass(frozen=True)
class Excluded:
    study_id: str
    label: str
    reason: str


def _route(study: Any) -> str:
    from alsreview.evidence.taxonomy import route_label

    return route_label(study.routes.value or [])


def _sd(stat: Any) -> float | None:
    from alsreview.meta.conversions import sd_from_se

    if stat.dispersion is None:
        return None
    if stat.dispersion_kind == "SD":
        return float(stat.dispersion)
    if stat.dispersion_kind == "SEM" and stat.n:
        return sd_from_se(stat.dispersion, stat.n)
    return None


def _administrations(study: Any) -> tuple[float | None, str]:
    sch = study.schedule
    if sch is None or sch.sessions_min.value is None:
        return None, "not reported"
    lo = sch.sessions_min.value
    hi = sch.sessions_max.value if sch.sessions_max and sch.sessions_max.value else lo
    return (lo + hi) / 2, sch.sessions_text


_COMPARISON_REASON = {
    "between subgroups": "compares subgroups of treated patients, not before vs after",
    "none": "no before/after comparison reported",
}


def _pick_groups(outcome: Any) -> tuple[Any, Any] | None:
    groups = [g for g in outcome.groups if g.estimate is not None and g.central == "mean"]
    pre = [g for g in groups if _PRE.search(g.label)]
    post = [g for g in groups if _POST.search(g.label) and g not in pre]
    if not pre or not post:
        return None
    overall = [g for g in post if "overall" in g.label.lower()]
    return pre[0], (overall or post)[-1]


def prepost_slope_studies(
    studies: Sequence[Study],
) -> tuple[list[PrePostStudy], list[Excluded]]:
    """Cohorts usable for the pre-post synthesis, and every ALSFRS-R report left out (why)."""
    used: list[PrePostStudy] = []
    excluded: list[Excluded] = []
    for s in studies:
        for o in s.efficacy:
            if not o.measure.startswith("alsfrs_r"):
                continue
            label = s.label + (f" ({o.subgroup})" if o.subgroup else "")
            reason = None
            picked: tuple[Any, Any] | None = None
            if s.design.value != "single-arm":
                reason = f"{s.design.value} study: a comparison with controls, not before/after"
            elif o.comparison != "pre-post":
                reason = _COMPARISON_REASON.get(o.comparison, f"compared '{o.comparison}'")
            elif o.measure != "alsfrs_r_monthly_decline":
                reason = "before/after slopes compared without a mean decline per period"
            else:
                picked = _pick_groups(o)
                if picked is None:
                    reason = "no mean monthly decline printed for both periods"
                elif any(g.unit != "points/month" for g in picked):
                    reason = "time unit of the decline not printed"
            if reason is not None:
                if Excluded(s.id, label, reason) not in excluded:
                    excluded.append(Excluded(s.id, label, reason))
                continue
            assert picked is not None  # no reason to exclude: both periods were picked
            pre, post = picked
            n = pre.n or post.n
            if n is None:
                analysed = s.patients_analysed.value if s.patients_analysed else None
                n = analysed or s.patients_enrolled.value
            adm, adm_text = _administrations(s)
            used.append(
                PrePostStudy(
                    study_id=s.id,
                    label=label,
                    n=int(n),
                    m_pre=float(pre.estimate),
                    sd_pre=_sd(pre),
                    m_post=float(post.estimate),
                    sd_post=_sd(post),
                    route=_route(s),
                    cell_type=s.cell_type.value or "not reported",
                    administrations=adm,
                    administrations_text=adm_text,
                    provenance="; ".join(str(p) for p in o.provenance),
                    window=o.window,
                )
            )
    return _impute_sds(used), excluded


def _pooled_sd(pairs: list[tuple[int, float | None]]) -> float | None:
    known = [(n, sd) for n, sd in pairs if sd is not None and n > 1]
    if not known:
        return None
    return math.sqrt(sum((n - 1) * sd**2 for n, sd in known) / sum(n - 1 for n, _ in known))


def _impute_sds(used: list[PrePostStudy]) -> list[PrePostStudy]:
    from dataclasses import replace

    pre = _pooled_sd([(u.n, u.sd_pre) for u in used])
    post = _pooled_sd([(u.n, u.sd_post) for u in used])
    out = []
    for u in used:
        if u.sd_pre is None and pre is not None:
            u = replace(u, sd_pre=pre, sd_pre_imputed=True)
        if u.sd_post is None and post is not None:
            u = replace(u, sd_post=post, sd_post_imputed=True)
        out.append(u)
    return [u for u in out if u.sd_pre is not None and u.sd_post is not None]


@dataclass(frozen=True, repr=False)
class AlsfrsSynthesis(Result):
    """The ALSFRS-R pre-post synthesis and its sensitivity analyses (fits: None when there
    are too few cohorts; subgroups: None with a single route or cell type)."""

    studies: tuple[PrePostStudy, ...]
    excluded: tuple[Excluded, ...]
    sensitivity: PrePostSensitivity | None  # MC and SMCR x correlations
    primary: RmaResult | None  # MC, primary correlation, REML
    primary_knha: RmaResult | None  # the same with the Knapp-Hartung test
    by_route: SubgroupResult | None
    by_cell_type: SubgroupResult | None
    metareg: RmaResult | None  # on the number of administrations
    primary_r: float
    correlations: tuple[float, ...] = CORRELATIONS
    caveats: tuple[str, ...] = field(default_factory=tuple)

    @property
    def k(self) -> int:
        return len(self.studies)

    def summary_frame(self) -> pd.DataFrame:
        """The sensitivity table (one row per measure and assumed correlation); empty with
        fewer than two cohorts."""
        import pandas as pd

        return pd.DataFrame() if self.sensitivity is None else self.sensitivity.to_frame()

    def summary(self) -> str:
        lines = [f"ALSFRS-R pre-post synthesis: k = {self.k} cohorts"]
        if self.primary is not None:
            p = self.primary
            lines.append(
                f"  MC (r = {self.primary_r:g}, REML): {p.estimate:.3f} points/month "
                f"[{p.ci_lb[0]:.3f}, {p.ci_ub[0]:.3f}], tau2 = {p.tau2:.3f}, I2 = {p.I2:.0f}%"
            )
            if self.sensitivity is not None:
                lines.append(self.sensitivity.summary())
        lines += [f"  - {c}" for c in self.caveats]
        return "\n".join(lines)


def effect_sizes(
    studies: Sequence[PrePostStudy], measure: str, r: float
) -> tuple[np.ndarray, np.ndarray]:
    """yi/vi of the cohorts: escalc with m1i = after, m2i = before, sd1i = before SD."""
    from alsreview.meta.effects import escalc

    es = escalc(
        measure,
        m1i=[s.m_post for s in studies],
        m2i=[s.m_pre for s in studies],
        sd1i=np.array([s.sd_pre for s in studies], dtype=float),  # None: NaN
        sd2i=np.array([s.sd_post for s in studies], dtype=float),
        ni=[s.n for s in studies],
        ri=[r] * len(studies),
    )
    return es.yi, es.vi


def alsfrs_synthesis(
    studies: Sequence[Study],
    *,
    correlations: tuple[float, ...] = CORRELATIONS,
    primary_r: float = PRIMARY_R,
    method: str = "REML",
) -> AlsfrsSynthesis:
    """Run the pre-post synthesis on the evidence base's studies (see module docstring)."""
    used, excluded = prepost_slope_studies(studies)
    return synthesise_cohorts(
        used, excluded, correlations=correlations, primary_r=primary_r, method=method
    )


def synthesise_cohorts(
    used: list[PrePostStudy],
    excluded: list[Excluded] | tuple[Excluded, ...] = (),
    *,
    correlations: tuple[float, ...] = CORRELATIONS,
    primary_r: float = PRIMARY_R,
    method: str = "REML",
) -> AlsfrsSynthesis:
    """The synthesis for given cohorts (SDs already present or imputed)."""
    from alsreview.meta.conversions import prepost_sensitivity
    from alsreview.meta.rma import rma
    from alsreview.meta.subgroups import subgroups

    used_t = tuple(used)
    k = len(used_t)
    sens = primary = knha = by_route = by_cell = metareg = None
    if k >= 2:
        sens = prepost_sensitivity(
            [s.m_pre for s in used_t],
            np.array([s.sd_pre for s in used_t], dtype=float),
            [s.m_post for s in used_t],
            np.array([s.sd_post for s in used_t], dtype=float),
            [s.n for s in used_t],
            correlations=correlations,
            measures=("MC", "SMCR"),
            methods=(method,),
        )
        yi, vi = effect_sizes(used_t, "MC", primary_r)
        primary = rma(yi, vi, method=method)
        knha = rma(yi, vi, method=method, test="knha")
        for attr in ("route", "cell_type"):
            labels = [getattr(s, attr) for s in used_t]
            if len(set(labels)) >= 2:
                res = subgroups(yi, vi, labels, method=method)
                if attr == "route":
                    by_route = res
                else:
                    by_cell = res
        adm = [s.administrations for s in used_t]
        if k >= 3 and None not in adm and len(set(adm)) >= 2:
            metareg = rma(yi, vi, mods=np.asarray(adm, float), method=method)
    synthesis = AlsfrsSynthesis(
        studies=used_t,
        excluded=tuple(excluded),
        sensitivity=sens,
        primary=primary,
        primary_knha=knha,
        by_route=by_route,
        by_cell_type=by_cell,
        metareg=metareg,
        primary_r=primary_r,
        correlations=tuple(correlations),
    )
    return _with_caveats(synthesis)


def _with_caveats(syn: AlsfrsSynthesis) -> AlsfrsSynthesis:
    from dataclasses import replace

    k = syn.k
    n = sum(s.n for s in syn.studies)
    c = [
        f"Few data: {k} cohorts with {n} treated patients in all; between-study variance "
        "(tau2) and the prediction interval are estimated very imprecisely."
        + (
            f" With the Knapp-Hartung adjustment the 95% CI of the primary estimate widens to "
            f"[{syn.primary_knha.ci_lb[0]:.2f}, {syn.primary_knha.ci_ub[0]:.2f}]."
            if syn.primary_knha is not None
            else ""
        ),
        "All cohorts are single-arm and open-label: the before/after contrast has no control "
        "group, so regression to the mean (patients are often enrolled after a fast decline), "
        "the non-linear course of ALSFRS-R, placebo effects and the loss of the sickest "
        "patients before the post-treatment assessment all bias it towards benefit.",
        "Pre-treatment declines are estimated over periods of different lengths (a run-in, or "
        "the decline since diagnosis), and the post-treatment windows differ: "
        + "; ".join(f"{s.label}: {s.window or 'not stated'}" for s in syn.studies)
        + ".",
        "No study reports the correlation between the before and after declines; results are "
        "shown for r = " + ", ".join(f"{r:g}" for r in syn.correlations) + ".",
    ]
    imputed = [s.label for s in syn.studies if s.sd_pre_imputed or s.sd_post_imputed]
    if imputed:
        c.append(
            f"SDs imputed (pooled SD of the cohorts that report one) for {len(imputed)} of {k} "
            f"cohorts: {', '.join(imputed)}."
        )
    if syn.by_route is not None and syn.by_cell_type is not None:
        same = {tuple(s.route == t.route for t in syn.studies) for s in syn.studies} == {
            tuple(s.cell_type == t.cell_type for t in syn.studies) for s in syn.studies
        }
        if same:
            c.append(
                "Route and cell type split the cohorts identically, so a subgroup difference "
                "cannot be attributed to either."
            )
    if syn.metareg is not None:
        c.append(
            f"The meta-regression on the number of administrations uses {k} cohorts and is "
            "exploratory; a reported range of sessions enters at its midpoint."
        )
    ids = [s.study_id for s in syn.studies]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        c.append(
            "Several cohorts come from one report (" + ", ".join(repeated) + ") and are "
            "treated as independent."
        )
    c.append("Funnel plots and Egger's test are not meaningful with fewer than 10 studies.")
    return replace(syn, caveats=tuple(c))
