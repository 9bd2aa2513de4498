"""ALSFRS-R pre-post synthesis on the bundled evidence base.

- Extraction: the cohorts the evidence base yields, their printed values, the imputed SDs.
- Numbers: against metafor 3.8-1 on the same cohorts (`data/alsfrs_prepost.R` ->
  `data/alsfrs_prepost.json`): yi/vi and REML fits of MC and SMCR for r = 0.2/0.5/0.8, the
  Knapp-Hartung CI, subgroup fits by cell type with the test of differences, and the
  meta-regression on the number of administrations; and the two published cohorts (Oh 2015,
  Petrou 2021) against rows 1-2 of the shared metafor pre-post file.

Tolerances: rtol 1e-6 for yi/vi and closed-form numbers; rtol 1e-5 for quantities from
REML fits (Fisher scoring stopped at metafor's threshold 1e-5).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from alsreview.evidence import load_evidence
from alsreview.meta.alsfrs import (
    PrePostStudy,
    alsfrs_synthesis,
    effect_sizes,
    prepost_slope_studies,
    synthesise_cohorts,
)

from .reference import load

REF = json.loads((Path(__file__).parent / "data" / "alsfrs_prepost.json").read_text())
RTOL = 1e-6
RTOL_ITERATIVE = 1e-5  # REML tau2 by Fisher scoring (threshold 1e-5)


@pytest.fixture(scope="module")
def studies():
    return load_evidence().studies


@pytest.fixture(scope="module")
def cohorts():
    return [
        PrePostStudy(
            study_id=row["label"].split()[0].lower(),
            label=row["label"],
            n=row["n"],
            m_pre=row["m_pre"],
            sd_pre=row["sd_pre"],
            m_post=row["m_post"],
            sd_post=row["sd_post"],
            route="IT" if row["cell"] == "BM-MSC" else "IT + IM",
            cell_type=row["cell"],
            administrations=row["adm"],
            administrations_text=str(row["adm"]),
            provenance="test",
        )
        for row in REF["inputs"]
    ]


def test_evidence_base_yields_the_four_prepost_cohorts(studies):
    used, excluded = prepost_slope_studies(studies)
    got = [(u.label, u.n, u.m_pre, u.m_post, u.cell_type, u.administrations) for u in used]
    want = [
        (r["label"], r["n"], r["m_pre"], r["m_post"], r["cell"], r["adm"]) for r in REF["inputs"]
    ]
    assert got == want
    # printed SDs kept, missing ones imputed as the pooled SD of the others
    oh, p16a, p16b, p21 = used
    assert (oh.sd_pre, oh.sd_post, p21.sd_pre, p21.sd_post) == (0.45, 0.18, 0.86, 0.81)
    pooled_pre = math.sqrt((7 * 0.45**2 + 19 * 0.86**2) / 26)
    assert p16a.sd_pre == pytest.approx(pooled_pre, rel=1e-12) and p16a.sd_pre_imputed
    assert p16b.sd_post == pytest.approx(REF["inputs"][2]["sd_post"], rel=1e-12)
    assert not (oh.sd_pre_imputed or p21.sd_post_imputed)
    reasons = {e.study_id: e.reason for e in excluded}
    assert "not before vs after" in reasons["kim2014"]
    assert "controls" in reasons["berry2019"]
    assert {u.study_id for u in used}.isdisjoint({e.study_id for e in excluded} - {"petrou2016"})


def test_published_cohorts_match_metafor_prepost_file(cohorts):
    """Oh 2015 and Petrou 2021 are rows 1-2 of the shared metafor pre-post file."""
    ref = load("prepost_slopes.json")
    for measure in ("MC", "SMCR", "SMCC"):
        for r in (0.2, 0.5, 0.8):
            yi, vi = effect_sizes([cohorts[0], cohorts[3]], measure, r)
            assert yi == pytest.approx(ref["results"][f"{measure}_r{r:g}"]["yi"][:2], rel=RTOL)
            assert vi == pytest.approx(ref["results"][f"{measure}_r{r:g}"]["vi"][:2], rel=RTOL)


def test_synthesis_matches_metafor(cohorts):
    syn = synthesise_cohorts(cohorts)
    for row in syn.sensitivity.rows:
        ref = REF[f"{row.measure}_r{row.ri:g}"]
        for key in ("estimate", "se", "ci_lb", "ci_ub", "pval", "tau2", "I2"):
            assert getattr(row, key) == pytest.approx(ref[key], rel=RTOL_ITERATIVE), key
    assert syn.primary.yi == pytest.approx(REF["MC_r0.5"]["yi"], rel=RTOL)
    assert syn.primary.vi == pytest.approx(REF["MC_r0.5"]["vi"], rel=RTOL)
    knha = REF["primary_knha"]
    assert syn.primary_knha.ci_lb[0] == pytest.approx(knha["ci_lb"], rel=RTOL_ITERATIVE)
    assert syn.primary_knha.ci_ub[0] == pytest.approx(knha["ci_ub"], rel=RTOL_ITERATIVE)
    for group, ref in REF["subgroups_cell"].items():
        fit = syn.by_cell_type.fits[group]
        assert fit.estimate == pytest.approx(ref["estimate"], rel=RTOL_ITERATIVE)
        assert fit.tau2 == pytest.approx(ref["tau2"], rel=RTOL_ITERATIVE)
    test = REF["subgroups_cell_test"]
    assert syn.by_cell_type.Q_between == pytest.approx(test["Q_between"], rel=RTOL_ITERATIVE)
    assert syn.by_cell_type.pval == pytest.approx(test["pval"], rel=RTOL_ITERATIVE)
    mr = REF["metareg_adm"]
    assert syn.metareg.b == pytest.approx(mr["coef"], rel=RTOL_ITERATIVE)
    assert syn.metareg.se == pytest.approx(mr["se"], rel=RTOL_ITERATIVE)
    assert syn.metareg.QMp == pytest.approx(mr["QMp"], rel=RTOL_ITERATIVE)
    assert syn.metareg.tau2 == pytest.approx(mr["tau2"], rel=RTOL_ITERATIVE)


def test_bundled_synthesis_and_caveats(studies):
    syn = alsfrs_synthesis(studies)
    assert syn.k == 4
    assert syn.primary.estimate == pytest.approx(REF["MC_r0.5"]["estimate"], rel=RTOL_ITERATIVE)
    text = " ".join(syn.caveats)
    for phrase in ("Few data", "open-label", "imputed", "r = 0.2, 0.5, 0.8", "identically"):
        assert phrase in text, phrase
    assert {r.ri for r in syn.sensitivity.rows} == {0.2, 0.5, 0.8}
    assert "MC (r = 0.5, REML)" in syn.summary()


def test_too_few_cohorts_give_no_pooled_result(cohorts):
    syn = synthesise_cohorts(cohorts[:1])
    assert syn.primary is None and syn.metareg is None and syn.k == 1
