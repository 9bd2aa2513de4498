"""Kaplan-Meier and log-rank on the Freireich 6-MP leukaemia trial (Gehan 1965).

Published values (Kleinbaum & Klein, Survival Analysis, ch. 2; R survival::survdiff gives the
same): log-rank χ² = 16.79, medians 23 (6-MP) and 8 (placebo) weeks, S(10) = 0.753 for 6-MP.
"""

from __future__ import annotations

import pandas as pd
import pytest

from alsreview.errors import ValidationError
from alsreview.trial.survival import kaplan_meier, read_control_cohort

SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_gehan_published_values(tmp_path):
    treated = pd.DataFrame({"survival_months": SIX_MP, "died": [bool(e) for e in SIX_MP_EVENT]})
    ctrl_csv = tmp_path / "control.csv"
    ctrl_csv.write_text("survival_months,died\n" + "".join(f"{t},yes\n" for t in PLACEBO))
    res = kaplan_meier(treated, control=read_control_cohort(ctrl_csv), times=(10,))
    assert res.logrank_chi2 == pytest.approx(16.79, abs=0.005)
    assert res.logrank_p == pytest.approx(4.17e-5, rel=0.01)
    t = res.table.set_index("group")
    assert t.loc["trial", "median_months"] == 23
    assert t.loc["external control", "median_months"] == 8
    assert (t.loc["trial", "deaths"], t.loc["external control", "deaths"]) == (9, 21)
    assert res.survival_at("trial", 10) == pytest.approx(0.753, abs=5e-4)
    assert res.survival_at("external control", 10) == pytest.approx(8 / 21, abs=5e-4)
    assert "log-rank" in res.summary()


def test_control_file_errors(tmp_path):
    bad = tmp_path / "c.csv"
    bad.write_text("survival_months,died\n-1,yes\n3,maybe\n")
    with pytest.raises(ValidationError) as info:
        read_control_cohort(bad)
    assert {(p.row, p.column) for p in info.value.problems} == {
        (2, "survival_months"),
        (3, "died"),
    }
