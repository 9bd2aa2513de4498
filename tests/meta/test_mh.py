"""Mantel-Haenszel and Peto pooling: independent cross-checks and input errors.

The metafor reference values (every `mh` and `peto` object of the reference files) are
checked in `test_metafor_reference_bias.py`; here the OR estimator and its tests are
compared with statsmodels' `StratifiedTable` (an independent implementation of the
Robins-Breslow-Greenland variance, the CMH test and the Breslow-Day/Tarone tests), and the
single-table identities of the MH estimators are checked on random tables.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.errors import ValidationError
from alsreview.meta.mh import rma_mh, rma_peto

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "metafor"


def _lee2004():
    raw = json.loads((REF / "lee2004.json").read_text())["raw"]
    ai = np.array([r["ai"] for r in raw], float)
    n1i = np.array([r["n1i"] for r in raw], float)
    ci = np.array([r["ci"] for r in raw], float)
    n2i = np.array([r["n2i"] for r in raw], float)
    return ai, n1i, ci, n2i


@pytest.fixture(scope="module")
def lee2004():
    if not REF.exists():
        pytest.fail(f"reference data missing: {REF}")
    return _lee2004()


def test_mh_or_matches_statsmodels_stratified_table(lee2004):
    from statsmodels.stats.contingency_tables import StratifiedTable

    ai, n1i, ci, n2i = lee2004
    tables = np.array([[[a, n1 - a], [c, n2 - c]] for a, n1, c, n2 in zip(*lee2004, strict=True)])
    st_ = StratifiedTable(tables.transpose(1, 2, 0).astype(float))
    res = rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, measure="OR").to_dict() | {
        "bd": rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i).BD
    }
    expected = {
        "estimate": st_.logodds_pooled,
        "se": st_.logodds_pooled_se,
        "MH": st_.test_null_odds(correction=True).statistic,
        "bd": st_.test_equal_odds(adjust=False).statistic,
        "TA": st_.test_equal_odds(adjust=True).statistic,
        "TAp": st_.test_equal_odds(adjust=True).pvalue,
    }
    for key, value in expected.items():
        assert res[key] == pytest.approx(value, rel=1e-8), key


def test_uncorrected_cmh_is_larger_when_deviation_large(lee2004):
    ai, n1i, ci, n2i = lee2004
    corr = rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i)
    raw = rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, correct=False)
    from statsmodels.stats.contingency_tables import StratifiedTable

    tables = np.array([[[a, n1 - a], [c, n2 - c]] for a, n1, c, n2 in zip(*lee2004, strict=True)])
    st_ = StratifiedTable(tables.transpose(1, 2, 0).astype(float))
    cmh_raw, cmh_corrected = raw.MH, corr.MH
    assert cmh_raw == pytest.approx(st_.test_null_odds(correction=False).statistic, rel=1e-10)
    assert cmh_raw > cmh_corrected


counts = st.integers(min_value=1, max_value=60)


@settings(max_examples=60, deadline=None)
@given(a=counts, b=counts, c=counts, d=counts)
def test_single_table_reduces_to_study_estimate(a, b, c, d):
    """With one table, MH OR/RR are the table's own log OR/RR with the Woolf/Katz variance."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 in the Breslow-Day step when OR is 1
        res_or = rma_mh([a], [b], [c], [d], measure="OR")
    assert pytest.approx(0.0, abs=1e-9) == res_or.BD
    assert res_or.estimate == pytest.approx(math.log(a * d / (b * c)), rel=1e-9, abs=1e-12)
    assert res_or.se**2 == pytest.approx(1 / a + 1 / b + 1 / c + 1 / d, rel=1e-9)
    res_rr = rma_mh([a], [b], [c], [d], measure="RR")
    n1, n2 = a + b, c + d
    assert res_rr.estimate == pytest.approx(math.log((a / n1) / (c / n2)), rel=1e-9, abs=1e-12)
    assert res_rr.se**2 == pytest.approx(1 / a - 1 / n1 + 1 / c - 1 / n2, rel=1e-9)
    res_rd = rma_mh([a], [b], [c], [d], measure="RD")
    assert res_rd.estimate == pytest.approx(a / n1 - c / n2, rel=1e-9, abs=1e-12)
    assert res_rd.QE == 0.0 and res_rd.I2 == 0.0


def test_peto_single_table_is_o_minus_e_over_v():
    a, b, c, d = 12, 30, 5, 40
    n1, n2 = a + b, c + d
    n = n1 + n2
    e = (a + c) * n1 / n
    v = (a + c) * (b + d) * n1 * n2 / (n**2 * (n - 1))
    res = rma_peto([a], [b], [c], [d])
    assert res.estimate == pytest.approx((a - e) / v, rel=1e-12)
    assert res.se == pytest.approx(1 / math.sqrt(v), rel=1e-12)


def test_bi_and_n1i_forms_agree(lee2004):
    ai, n1i, ci, n2i = lee2004
    r1 = rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i, measure="RR")
    r2 = rma_mh(ai=ai, bi=n1i - ai, ci=ci, di=n2i - ci, measure="RR")
    assert r1 == r2


def test_double_zero_tables_leave_q_but_not_estimate():
    """A table without events adds nothing to the MH OR and is dropped from Q (drop00)."""
    base = rma_mh([3, 7, 2], [20, 15, 30], [6, 9, 4], [18, 14, 27])
    more = rma_mh([3, 7, 2, 0], [20, 15, 30, 25], [6, 9, 4, 0], [18, 14, 27, 26])
    assert more.estimate == pytest.approx(base.estimate, rel=1e-12)
    q_more, q_base = more.QE, base.QE
    assert q_more == pytest.approx(q_base, rel=1e-12)
    assert (more.k, more.k_yi) == (4, 3)


def test_bad_input_names_the_row():
    with pytest.raises(ValidationError, match="row 2: ai > n1i"):
        rma_mh(ai=[1, 9], n1i=[5, 8], ci=[1, 1], n2i=[5, 5])
    with pytest.raises(ValidationError, match="row 1: ci is negative"):
        rma_mh([1], [2], [-1], [4])
    with pytest.raises(ValidationError, match="OR, RR or RD"):
        rma_mh([1], [2], [1], [4], measure="SMD")
    with pytest.raises(ValidationError, match="Peto"):
        rma_peto([0, 0], [5, 6], [0, 0], [5, 4])


def test_summary_mentions_estimate_and_tests(lee2004):
    ai, n1i, ci, n2i = lee2004
    text = rma_mh(ai=ai, n1i=n1i, ci=ci, n2i=n2i).summary()
    assert "Mantel-Haenszel OR (k = 16)" in text and "CMH" in text and "Tarone" in text
    assert "Peto odds ratio" in rma_peto(ai=ai, n1i=n1i, ci=ci, n2i=n2i).summary()


def test_yusuf1985_tests_and_missing_table_match_metafor():
    """metafor 3.8-1 values from data/bias_extra.R: CMH, Cochran, Breslow-Day and Tarone
    statistics with p-values, MH RR/RD, Peto; one table with a missing count is left out."""
    case = json.loads((Path(__file__).parent / "data" / "bias_extra.json").read_text())
    case = case["yusuf1985_table6"]
    tables = {k: case[k] for k in ("ai", "n1i", "ci", "n2i")}
    for measure in ("OR", "RR", "RD"):
        res = rma_mh(**tables, measure=measure)
        assert res.omitted == (8,)
        for key, value in case[f"mh_{measure}"].items():
            got = getattr(res, key)
            if value is None:
                assert got is None, key
            else:
                assert got == pytest.approx(value, rel=1e-6, abs=1e-12), (measure, key)
    peto = rma_peto(**tables)
    for key, value in case["peto"].items():
        assert getattr(peto, key) == pytest.approx(value, rel=1e-6, abs=1e-12), key
