"""Simulated cohorts behave as specified, and the mixed model recovers a known slope change."""

from __future__ import annotations

import numpy as np
import pytest

from alsreview.trial.simulate import CohortSpec, power, simulate_cohort
from alsreview.trial.slopes import patient_slopes


def test_cohort_follows_its_spec():
    spec = CohortSpec(n_patients=400, slope_change=0.4, death_rate=0.01)
    trial = simulate_cohort(spec, seed=11)
    v = trial.visits
    assert trial.patients["patient_id"].nunique() == 400
    assert v["alsfrs_r"].between(0, 48).all()
    assert (v["alsfrs_r"] == v["alsfrs_r"].round()).all()
    # dropout by death: no visit after a patient's death, and some patients died
    p = trial.patients.set_index("patient_id")
    last = v.groupby("patient_id")["month"].max()
    died = p.index[p["died"]]
    assert len(died) > 10
    assert (last[died] <= p.loc[died, "survival_months"]).all()
    # mean slopes near -1 before and -0.6 after (floor and ceiling pull them a little)
    s = patient_slopes(v, (12,))
    assert s["pre"].mean() == pytest.approx(-1.0, abs=0.1)
    assert s["post_0_12"].mean() == pytest.approx(-0.6, abs=0.1)


def test_same_seed_same_cohort():
    a = simulate_cohort(seed=5).visits["alsfrs_r"].to_numpy()
    b = simulate_cohort(seed=5).visits["alsfrs_r"].to_numpy()
    c = simulate_cohort(seed=6).visits["alsfrs_r"].to_numpy()
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.slow
def test_mixed_model_ci_covers_known_slope_change():
    """Acceptance: the 95% CI holds the true Δ in at least 90% of 200 seeded trials."""
    spec = CohortSpec(n_patients=40, slope_change=0.5)  # floor effect, rounding, deaths on
    res = power(spec, n_sim=200, seed=2026)
    assert res.n_sim == 200
    assert res.coverage_mixed >= 0.90
    assert res.mean_estimate_mixed == pytest.approx(0.5, abs=0.05)
    assert res.power_mixed > 0.9
