"""Agreement statistics against worked examples printed in the literature."""

from __future__ import annotations

import numpy as np
import pytest

from alsreview import screening
from alsreview.errors import ValidationError
from alsreview.records.model import Record
from alsreview.screening.agreement import (
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
    percent_agreement,
    stage_agreement,
)

# Feinstein AR, Cicchetti DV. High agreement but low kappa: I. The problems of two
# paradoxes. J Clin Epidemiol 1990;43:543-549: two 2x2 tables with the same 85% agreement,
# kappa .70 and .32.  Byrt, Bishop & Carlin (J Clin Epidemiol 1993;46:423) use them to show
# that PABAK (2 po - 1 = .70) does not move with prevalence.
FC_BALANCED = [[40, 9], [6, 45]]
FC_SKEWED = [[80, 10], [5, 5]]


def test_feinstein_cicchetti_paradox_tables():
    a = cohen_kappa_table(FC_BALANCED)
    b = cohen_kappa_table(FC_SKEWED)
    assert a.percent == pytest.approx(85.0) and b.percent == pytest.approx(85.0)
    assert round(a.kappa, 2) == 0.70 and round(b.kappa, 2) == 0.32
    assert a.pabak == pytest.approx(0.70) and b.pabak == pytest.approx(0.70)
    # Gwet's AC1 by hand from Gwet 2008 (Br J Math Stat Psychol 61:29), two categories:
    # pe = 2 pi (1 - pi), pi = mean share of the first category over both raters.
    # skewed: pi = (0.90 + 0.85) / 2 = 0.875, pe = 0.21875, AC1 = 0.63125 / 0.78125 = 0.808
    assert b.ac1 == pytest.approx(0.808, abs=5e-4)
    # balanced: pi = 0.475, pe = 0.49875, AC1 = 0.35125 / 0.50125 = 0.70075
    assert a.ac1 == pytest.approx(0.70075, abs=5e-5)


def test_fleiss_levin_paik_three_diagnoses():
    # Fleiss, Levin & Paik, Statistical Methods for Rates and Proportions, 3rd ed. (2003),
    # Table 18.1: 100 subjects, psychotic / neurotic / organic; po = .89, pe = .66,
    # kappa = .68 (.676).
    r = cohen_kappa_table([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    assert r.percent == pytest.approx(89.0)
    assert r.kappa == pytest.approx((0.89 - 0.66) / 0.34) and round(r.kappa, 3) == 0.676


def test_kappa_standard_error_and_ci_match_sas_printout():
    # SAS PROC FREQ agreement printout for a 3x3 table, as reproduced in statsmodels'
    # tests (stats/tests/test_inter_rater.py): kappa 0.4842, ASE 0.1380,
    # 95% CI 0.2137 to 0.7547 (Fleiss, Cohen & Everitt 1969 large-sample SE).
    r = cohen_kappa_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]])
    assert (round(r.kappa, 4), round(r.se, 4)) == (0.4842, 0.1380)
    assert (round(r.ci_lower, 4), round(r.ci_upper, 4)) == (0.2137, 0.7547)
    wider = cohen_kappa_table([[0, 4, 1], [0, 8, 0], [0, 1, 5]], level=99)
    assert wider.ci_lower < r.ci_lower and wider.ci_upper > r.ci_upper


# Fleiss JL. Measuring nominal scale agreement among many raters. Psychol Bull
# 1971;76:378-382: 30 patients, 6 psychiatrists each, 5 diagnoses (1 depression,
# 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other); kappa = .430.
FLEISS_1971 = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
    [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
    [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
    [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
    [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
    [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
    [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]  # fmt: skip


def test_fleiss_1971_psychiatric_diagnoses():
    counts = [[row.count(c) for c in range(1, 6)] for row in FLEISS_1971]
    r = fleiss_kappa(counts)
    assert round(r.kappa, 3) == 0.430
    assert (r.n_subjects, r.n_raters) == (30, 6)
    with pytest.raises(ValidationError, match="same number"):
        fleiss_kappa([[2, 0], [1, 0]])


def test_pairs_of_decisions_and_bad_input():
    a = ["included"] * 40 + ["included"] * 9 + ["excluded"] * 6 + ["excluded"] * 45
    b = ["included"] * 40 + ["excluded"] * 9 + ["included"] * 6 + ["excluded"] * 45
    r = cohen_kappa(a, b, categories=["included", "excluded"])
    assert r.table == ((40, 9), (6, 45)) and round(r.kappa, 2) == 0.70
    assert percent_agreement(a, b) == pytest.approx(85.0)
    with pytest.raises(ValidationError, match="need pairs"):
        cohen_kappa(a, b[:-1])
    with pytest.raises(ValidationError, match="no records"):
        percent_agreement([], [])
    assert np.isnan(cohen_kappa(["included"] * 3, ["included"] * 3).kappa)


def test_stage_agreement_from_the_store(project):
    titles = [f"Mesenchymal stem cells in ALS, report {k}" for k in range(12)]
    recs = [Record(title=t, source="pubmed", source_id=str(i)) for i, t in enumerate(titles)]
    project.import_records(recs, source="pubmed", label="t", dedup="none")
    ids = [rid for rid, _ in project.records()]
    ana = ["included"] * 4 + ["excluded"] * 8
    ben = ["included"] * 3 + ["excluded"] * 9
    cy = ["included"] * 4 + ["excluded"] * 7 + ["maybe"]
    for who, votes in (("ana", ana), ("ben", ben), ("cy", cy)):
        for rid, d in zip(ids, votes, strict=True):
            screening.decide(project, who, rid, "title_abstract", d)
    with pytest.raises(screening.BlindedError):
        stage_agreement(project, "title_abstract")
    screening.unblind(project, "title_abstract", "owner")
    st = stage_agreement(project, "title_abstract")
    assert st.reviewers == ("ana", "ben", "cy")
    ab = st.pairs[0]
    assert ab.raters == ("ana", "ben") and ab.n == 12
    assert ab.kappa == pytest.approx(cohen_kappa(ana, ben).kappa)
    counts = [[sum(v[i] == c for v in (ana, ben, cy)) for c in ("included", "excluded", "maybe")]
              for i in range(12)]  # fmt: skip
    assert st.fleiss is not None and st.fleiss.kappa == pytest.approx(fleiss_kappa(counts).kappa)
    assert list(st.summary_frame()["rater_2"]) == ["ben", "cy", "cy"]


def test_degenerate_se_prints_no_zero_width_interval():
    """Perfect agreement on two records: the Fleiss-Cohen-Everitt SE is 0, so the
    interval would read "1.00 to 1.00"; the summary says why there is no CI instead."""
    r = cohen_kappa_table([[1, 0], [0, 1]])
    assert r.kappa == 1.0 and r.se == 0.0
    assert "CI 1.000 to 1.000" not in r.summary()
    assert "no 95% CI: the large-sample SE is 0 with n = 2" in r.summary()
    wide = cohen_kappa_table([[75, 1, 4], [5, 4, 1], [0, 0, 10]])
    assert wide.ci_text() == f"95% CI {wide.ci_lower:.3f} to {wide.ci_upper:.3f}"
