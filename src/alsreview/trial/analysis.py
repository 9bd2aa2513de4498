"""Run every trial analysis on a validated `TrialData` and collect the results.

In: a `TrialData` (from `ipd.load_trial`). Out: a frozen `TrialAnalysis` with the Table 2
style demographics, per-patient slopes and paired tests, the piecewise mixed model, FVC and
weakness stability, the adverse-event table and (when survival columns are given) the
Kaplan-Meier summary; `to_dict()` gives plain JSON-ready data. An analysis the data cannot
support (e.g. slopes when only day-0 ALSFRS-R is known) is skipped with the reason kept in
`skipped`, not silently dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alsreview.errors import AlsreviewError, ValidationError
from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.trial.ipd import TrialData
    from alsreview.trial.mixed import MixedModelResult
    from alsreview.trial.safety import AdverseEventTable
    from alsreview.trial.slopes import SlopeAnalysis
    from alsreview.trial.stability import FVCStability, WeaknessStability
    from alsreview.trial.survival import SurvivalResult


@dataclass(frozen=True, repr=False)
class TrialAnalysis(Result):
    trial: TrialData
    demographics: pd.DataFrame  # variable, n, mean, sd, sem (enrolled patients)
    slopes: SlopeAnalysis | None
    mixed: MixedModelResult | None
    fvc: FVCStability | None
    weakness: WeaknessStability | None
    adverse_events: AdverseEventTable
    survival: SurvivalResult | None = None
    skipped: dict[str, str] = field(default_factory=dict)

    def summary_frame(self) -> pd.DataFrame:
        """The demographics table (variable, n, mean, sd, sem of the enrolled patients)."""
        return self.demographics

    def summary(self) -> str:
        parts = [
            f"Trial {self.trial.source}: {self.trial.n_enrolled} enrolled, "
            f"{len(self.trial.efficacy_ids)} in the efficacy analysis"
        ]
        for r in self.demographics[self.demographics["n"] > 0].itertuples():
            parts.append(f"  {r.variable}: {r.mean:.1f} ± {r.sem:.1f} (mean ± SEM, n = {r.n})")
        for obj in (
            self.slopes,
            self.mixed,
            self.fvc,
            self.weakness,
            self.adverse_events,
            self.survival,
        ):
            if obj is not None:
                parts.append(obj.summary())
        for k, why in self.skipped.items():
            parts.append(f"{k}: not run ({why})")
        return "\n".join(parts)

    def to_dict(self) -> JSONDict:
        """Plain data for `alsreview trial analyze --json` (NaN becomes null)."""
        out: JSONDict = {
            "source": self.trial.source,
            "n_enrolled": self.trial.n_enrolled,
            "n_efficacy": len(self.trial.efficacy_ids),
            "demographics": _records(self.demographics),
            "skipped": dict(self.skipped),
        }
        if self.slopes is not None:
            out["patient_slopes"] = _records(self.slopes.slopes)
            out["paired_tests"] = _records(self.slopes.to_frame())
            out["progressor_decline_per_month"] = self.slopes.progressor_decline
        if self.mixed is not None:
            m = self.mixed
            out["mixed_model"] = {
                "formula": "alsfrs_r ~ month + month_post + (1 + month | patient_id), REML",
                "fixed_effects": _records(m.to_frame()),
                "sigma2": m.sigma2,
                "random_effects_cov": [list(r) for r in m.G],
                "reml_criterion": m.reml_criterion,
                "n_obs": m.n_obs,
                "n_patients": m.n_patients,
                "below_floor": list(m.below_floor),
                "floor": m.floor,
            }
        if self.fvc is not None:
            out["fvc_stability"] = _records(self.fvc.table)
        if self.weakness is not None:
            out["weakness_stability"] = _records(self.weakness.table)
        ae = self.adverse_events
        out["adverse_events"] = {
            "n_patients": ae.n_patients,
            "n_events": ae.n_events,
            "n_patients_with_event": ae.n_patients_with_event,
            "by_term": _records(ae.by_term),
            "by_category": _records(ae.by_category),
        }
        if self.survival is not None:
            out["survival"] = self.survival.to_dict()
        return out


def _clean(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):  # numpy scalar
        return _clean(v.item())
    return v


def _records(df: pd.DataFrame) -> list[JSONDict]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def demographics(trial: TrialData) -> pd.DataFrame:
    """Mean, SD and SEM of age, disease duration, day-0 ALSFRS-R and baseline FVC (Table 2)."""
    import pandas as pd

    from alsreview.trial.describe import describe

    p = trial.patients
    v = trial.visits
    day0 = v[v["month"] <= 0].dropna(subset=["alsfrs_r"]).sort_values("month")
    alsfrs0 = day0.groupby("patient_id")["alsfrs_r"].last()
    pre_fvc = v[v["month"] <= 0].dropna(subset=["fvc_percent"]).sort_values("month")
    fvc0 = pre_fvc.groupby("patient_id")["fvc_percent"].last()
    rows = []
    for name, values in (
        ("age (years)", p["age"]),
        ("disease duration (months)", p["disease_duration_months"]),
        ("ALSFRS-R at day 0", alsfrs0),
        ("FVC before treatment (% predicted)", fvc0),
    ):
        d = describe(values)
        rows.append({"variable": name, "n": d.n, "mean": d.mean, "sd": d.sd, "sem": d.sem})
    return pd.DataFrame(rows)


def analyze_trial(
    trial: TrialData,
    *,
    windows: tuple[float, ...] = (3, 6, 9, 12),
    progressor_decline: float = 1 / 3,
    floor: float = 25.0,
    control: pd.DataFrame | None = None,
) -> TrialAnalysis:
    """Every analysis of issue 4 on the efficacy population (safety: all enrolled)."""
    from alsreview.trial.mixed import piecewise_lmm
    from alsreview.trial.safety import adverse_event_table
    from alsreview.trial.slopes import slope_analysis
    from alsreview.trial.stability import fvc_stability, weakness_stability
    from alsreview.trial.survival import kaplan_meier

    if not (math.isfinite(progressor_decline) and progressor_decline >= 0):
        raise ValidationError(
            f"progressor_decline must be a finite number >= 0, got {progressor_decline}"
        )
    eff = trial.efficacy_visits()
    skipped: dict[str, str] = {}
    als = eff.dropna(subset=["alsfrs_r"])
    per_patient = als.groupby("patient_id")["month"].agg(
        pre=lambda m: int((m <= 0).sum()), post=lambda m: int((m >= 0).sum())
    )
    slopes = mixed = None
    if per_patient.empty or not ((per_patient["pre"] >= 2) & (per_patient["post"] >= 2)).any():
        why = "no patient has 2 or more ALSFRS-R values both before and after treatment"
        skipped["slopes"] = why
        skipped["mixed_model"] = why
    else:
        slopes = slope_analysis(eff, windows, progressor_decline=progressor_decline)
        try:
            mixed = piecewise_lmm(eff, floor=floor)
        except AlsreviewError as exc:
            skipped["mixed_model"] = str(exc)
    fvc = weak = None
    if eff["fvc_percent"].notna().any():
        fvc = fvc_stability(eff)
    else:
        skipped["fvc_stability"] = "no FVC values"
    ws = ["ws_uel", "ws_uer", "ws_lel", "ws_ler"]
    if eff[ws].notna().any().any():
        weak = weakness_stability(eff)
    else:
        skipped["weakness_stability"] = "no weakness scores"
    surv = None
    if "survival_months" in trial.patients.columns:
        surv = kaplan_meier(trial.patients, control=control)
    elif control is not None:
        skipped["survival"] = "patients.csv has no survival_months/died columns"
    return TrialAnalysis(
        trial=trial,
        demographics=demographics(trial),
        slopes=slopes,
        mixed=mixed,
        fvc=fvc,
        weakness=weak,
        adverse_events=adverse_event_table(trial.adverse_events, trial.n_enrolled),
        survival=surv,
        skipped=skipped,
    )
