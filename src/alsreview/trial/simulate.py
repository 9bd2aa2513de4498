"""Simulated ALS trial cohorts and the power of the paired-slope design and the mixed model.

In: a `CohortSpec` (number of patients, visit months, progression, treatment effect on the
slope) and a seed. Out: a `TrialData` like one loaded from a trial folder (patients with
survival columns, visits, no adverse events), or a `PowerResult`.

Progression model, per patient i (months t relative to treatment):

    latent_i(t) = s0_i + b_i t + Δ max(t, 0)      s0_i ~ N(score_at_treatment, score_sd²),
                                                   b_i ~ N(slope, slope_sd²) capped at 0
    true_i(t)   = latent_i(t) above `floor_knee`, else floor_knee · exp((latent − knee)/knee)
                  (the decline flattens towards 0 below about 20 points, as in 002_*'s
                  methods; smooth, with slope 1 at the knee), 48 at most
    observed    = true + N(0, residual_sd²), rounded to whole points and kept in 0-48

Death after treatment has monthly hazard h(t) = death_rate · exp(death_gain · (30 − true(t))),
so patients who have declined further die sooner (dropout that depends on the observed
course, i.e. missing at random); visits after death are missing.

`power()` simulates `n_sim` trials and counts how often each design rejects "no change in
slope" at `alpha`: the paired t-test of per-patient post (0 to last visit) vs pre slopes
(002_*) and the Wald test of the mixed model's slope change; it also reports how often the
mixed model's CI covers the true Δ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from alsreview.results import Result

if TYPE_CHECKING:
    from alsreview.trial.ipd import TrialData


@dataclass(frozen=True)
class CohortSpec:
    """Settings of a simulated cohort (defaults: a 002_*-like single-arm trial)."""

    n_patients: int = 40
    months: tuple[float, ...] = (-6.0, -3.0, -1.0, 0.0, 3.0, 6.0, 9.0, 12.0)
    score_at_treatment: float = 30.0  # 002_*: 29.5 ± 5.0 (mean ± SD) at day 0
    score_sd: float = 5.0
    slope: float = -1.0  # mean ALSFRS-R change per month before treatment
    slope_sd: float = 0.5
    slope_change: float = 0.0  # Δ: added to every patient's slope after treatment
    residual_sd: float = 1.5
    floor_knee: float | None = 20.0  # None: purely linear (no floor effect)
    integer: bool = True
    death_rate: float | None = 0.003  # per month at 30 points; None: nobody dies
    death_gain: float = 0.15

    def __post_init__(self) -> None:
        """Refuse settings no trial can have (NaN/inf, fewer than 2 patients, negative SDs)."""
        from alsreview.errors import ValidationError

        problems = []
        numbers = {
            "score_at_treatment": self.score_at_treatment,
            "score_sd": self.score_sd,
            "slope": self.slope,
            "slope_sd": self.slope_sd,
            "slope_change": self.slope_change,
            "residual_sd": self.residual_sd,
            "death_gain": self.death_gain,
            **({"floor_knee": self.floor_knee} if self.floor_knee is not None else {}),
            **({"death_rate": self.death_rate} if self.death_rate is not None else {}),
        }
        for name, value in numbers.items():
            if not math.isfinite(value):
                problems.append(f"{name} must be a finite number, got {value}")
            elif name.endswith(("_sd", "_rate", "_gain")) and value < 0:
                problems.append(f"{name} must not be negative, got {value}")
        if not all(math.isfinite(m) for m in self.months):
            problems.append(f"months must be finite numbers, got {self.months}")
        if self.n_patients < 2:
            problems.append(f"n_patients must be at least 2, got {self.n_patients}")
        if not 0 <= self.score_at_treatment <= 48:
            problems.append(
                f"score_at_treatment must be within 0-48, got {self.score_at_treatment}"
            )
        if problems:
            raise ValidationError(problems)


def simulate_cohort(spec: CohortSpec | None = None, *, seed: int | None = 0) -> TrialData:
    """One simulated trial as a `TrialData` (patient ids S001, S002, ...)."""
    import numpy as np
    import pandas as pd

    from alsreview.trial.ipd import AE_COLUMNS, TrialData

    spec = spec or CohortSpec()
    rng = np.random.default_rng(seed)
    n = spec.n_patients
    t = np.asarray(spec.months, float)
    s0 = rng.normal(spec.score_at_treatment, spec.score_sd, n)
    b = np.minimum(rng.normal(spec.slope, spec.slope_sd, n), 0.0)

    def true_score(times: np.ndarray) -> np.ndarray:
        lat = s0[:, None] + b[:, None] * times[None, :] + spec.slope_change * np.maximum(times, 0)
        if spec.floor_knee is not None:
            k = spec.floor_knee
            lat = np.where(lat >= k, lat, k * np.exp((np.minimum(lat, k) - k) / k))
        return np.minimum(lat, 48.0)

    obs = true_score(t) + rng.normal(0.0, spec.residual_sd, (n, len(t)))
    if spec.integer:
        obs = np.round(obs)
    obs = np.clip(obs, 0.0, 48.0)

    end = float(t.max())
    death = np.full(n, np.inf)
    if spec.death_rate is not None and end > 0:
        step = 0.25
        grid = np.arange(0.0, end + step, step)
        hazard = spec.death_rate * np.exp(spec.death_gain * (30.0 - true_score(grid)))
        cum = np.cumsum(hazard * step, axis=1)
        e = rng.exponential(1.0, n)
        hit = cum >= e[:, None]
        died = hit.any(axis=1)
        death[died] = grid[hit[died].argmax(axis=1)]
    alive = t[None, :] <= death[:, None]
    ids = [f"S{i + 1:03d}" for i in range(n)]
    rows = [
        {"patient_id": ids[i], "visit": f"M{t[j]:g}", "month": float(t[j]), "alsfrs_r": obs[i, j]}
        for i in range(n)
        for j in range(len(t))
        if alive[i, j]
    ]
    visits = pd.DataFrame(rows)
    for c in ("fvc_percent", "ws_uel", "ws_uer", "ws_lel", "ws_ler"):
        visits[c] = np.nan
    died = np.isfinite(death)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "age": np.clip(rng.normal(55, 10, n), 18, 85).round(),
            "sex": rng.choice(["M", "F"], n, p=[0.6, 0.4]),
            "onset": rng.choice(["spinal", "bulbar", "spinal+bulbar"], n, p=[0.6, 0.25, 0.15]),
            "disease_duration_months": np.clip((48 - s0) / -np.minimum(b, -0.1), 3, 120).round(),
            "in_efficacy_analysis": True,
            "exclusion_reason": "",
            "survival_months": np.where(died, death, end),
            "died": died,
        }
    )
    aes = pd.DataFrame({c: pd.Series(dtype=object) for c in (*AE_COLUMNS, "ongoing")})
    return TrialData(patients, visits, aes, source=f"simulated (seed {seed})")


@dataclass(frozen=True, repr=False)
class PowerResult(Result):
    """Rejection rates of both designs and the mixed model's CI coverage over `n_sim` trials."""

    spec: CohortSpec
    n_sim: int
    alpha: float
    power_paired: float  # paired t-test of per-patient post vs pre slopes
    power_mixed: float  # Wald test of the mixed model's slope change
    coverage_mixed: float  # share of CIs that contain the true slope change
    mean_estimate_mixed: float
    mean_difference_paired: float

    def summary(self) -> str:
        s = self.spec
        return (
            f"{self.n_sim} simulated trials, {s.n_patients} patients, visits at "
            f"{', '.join(f'{m:g}' for m in s.months)} months, slope change {s.slope_change:g} "
            f"points/month, alpha {self.alpha:g}:\n"
            f"  paired slopes (002_*): power {self.power_paired:.3f}, mean post − pre "
            f"{self.mean_difference_paired:.3f}\n"
            f"  mixed model: power {self.power_mixed:.3f}, mean estimate "
            f"{self.mean_estimate_mixed:.3f}, {round(100 * (1 - self.alpha))}% CI coverage "
            f"{self.coverage_mixed:.3f}"
        )


def power(
    spec: CohortSpec | None = None,
    *,
    n_sim: int = 200,
    alpha: float = 0.05,
    seed: int = 0,
) -> PowerResult:
    """Simulate `n_sim` trials from `spec` and analyse each with both designs."""
    import numpy as np

    from alsreview.errors import ValidationError

    if not 0 < alpha < 1:
        raise ValidationError(f"alpha must be between 0 and 1 (exclusive), got {alpha}")
    if n_sim < 1:
        raise ValidationError(f"n_sim must be at least 1, got {n_sim}")

    from alsreview.trial.mixed import piecewise_lmm
    from alsreview.trial.slopes import paired_test, patient_slopes

    spec = spec or CohortSpec()
    window = max(spec.months)
    seeds = np.random.SeedSequence(seed).generate_state(n_sim)
    rej_p = rej_m = cover = 0
    est, diff = [], []
    for s in seeds:
        trial = simulate_cohort(spec, seed=int(s))
        sl = patient_slopes(trial.visits, (window,), tolerance=1e-9)
        pt = paired_test(sl["pre"], sl[f"post_0_{window:g}"], window=window, group="all")
        rej_p += bool(pt.p_t < alpha)
        diff.append(pt.mean_difference)
        mm = piecewise_lmm(trial.visits, level=100 * (1 - alpha))
        lo, hi = mm.slope_change_ci
        z = mm.slope_change / mm.se[2]
        p = math.erfc(abs(z) / math.sqrt(2))
        rej_m += bool(p < alpha)
        cover += bool(lo <= spec.slope_change <= hi)
        est.append(mm.slope_change)
    return PowerResult(
        spec=spec,
        n_sim=n_sim,
        alpha=alpha,
        power_paired=rej_p / n_sim,
        power_mixed=rej_m / n_sim,
        coverage_mixed=cover / n_sim,
        mean_estimate_mixed=float(np.mean(est)),
        mean_difference_paired=float(np.nanmean(diff)),
    )


def with_effect(spec: CohortSpec, slope_change: float, n_patients: int | None = None) -> CohortSpec:
    """A copy of `spec` with another treatment effect (and optionally another N)."""
    return replace(spec, slope_change=slope_change, n_patients=n_patients or spec.n_patients)
