"""The screening results in a notebook (issue 9: results on the shared mixin): ``repr`` is the
summary, ``summary_frame()`` a DataFrame, ``_repr_html_()`` renders it, ``to_dict()`` keeps
the JSON layout `alsreview screen agreement --json` and `alsreview simulate --json` print; and
the agreement's ``level`` is a percentage like everywhere else in the package."""

from __future__ import annotations

import pytest
from tests.appraisal.test_results_api import notebook_view

from alsreview.errors import ValidationError
from alsreview.screening.agreement import (
    StageAgreement,
    cohen_kappa,
    cohen_kappa_table,
    fleiss_kappa,
)
from alsreview.screening.simulate import JSON_KEYS, simulate
from alsreview.screening.stopping import recommend


def test_two_rater_agreement_dict_and_frame():
    # Fleiss, Levin & Paik (2003), Table 18.1: po = .89, kappa = .676
    r = cohen_kappa_table([[75, 1, 4], [5, 4, 1], [0, 0, 10]], categories=["p", "n", "o"])
    frame = notebook_view(r)
    assert round(float(frame.loc[0, "kappa"]), 3) == 0.676 and frame.loc[0, "percent"] == 89.0
    d = r.to_dict()
    assert list(d) == ["n", "categories", "table", "percent", "kappa", "se", "ci_lower",
                       "ci_upper", "level", "pabak", "ac1", "raters"]  # fmt: skip
    assert d["table"] == [[75, 1, 4], [5, 4, 1], [0, 0, 10]] and d["categories"] == ["p", "n", "o"]
    assert d["raters"] == ["rater 1", "rater 2"] and d["level"] == 95


def test_level_is_a_percentage_and_the_other_scale_is_refused():
    table = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]
    # SAS PROC FREQ (as in statsmodels' tests): 95% CI 0.2137 to 0.7547
    r = cohen_kappa_table(table, level=95)
    assert (round(r.ci_lower, 4), round(r.ci_upper, 4)) == (0.2137, 0.7547)
    assert "95% CI 0.214 to 0.755" in r.summary()
    assert "90% CI" in cohen_kappa_table(table, level=90).summary()
    with pytest.raises(ValidationError, match="level=95"):
        cohen_kappa_table(table, level=0.95)
    with pytest.raises(ValidationError, match="percentage"):
        cohen_kappa(["a", "b"], ["a", "b"], level=0.9)


def test_stage_agreement_keeps_its_json_layout():
    a = ["inc", "exc", "exc", "inc", "exc", "exc"]
    b = ["inc", "exc", "inc", "inc", "exc", "exc"]
    pair = cohen_kappa(a, b, categories=["inc", "exc"], raters=("ana", "ben"))
    # by hand: P = 5/6, p = (5/12, 7/12), Pe = 74/144, kappa = (P - Pe) / (1 - Pe) = 0.657
    fleiss = fleiss_kappa([[2, 0], [0, 2], [1, 1], [2, 0], [0, 2], [0, 2]])
    st = StageAgreement("title_abstract", (pair,), fleiss, ("ana", "ben"))
    frame = notebook_view(st)
    assert list(frame["rater_1"]) == ["ana"] and frame.loc[0, "n"] == 6
    d = st.to_dict()
    assert list(d) == ["stage", "reviewers", "pairs", "fleiss"]
    assert d["reviewers"] == ["ana", "ben"] and d["pairs"] == [pair.to_dict()]
    assert d["fleiss"] == {"kappa": fleiss.kappa, "p_bar": fleiss.p_bar,
                           "pe_bar": fleiss.pe_bar, "n_subjects": 6, "n_raters": 2}  # fmt: skip
    assert repr(fleiss) == fleiss.summary() == "Fleiss' kappa 0.657 (6 records, 2 raters each)"
    empty = StageAgreement("full_text", (), None, ("ana",))
    assert "no record was screened by two reviewers" in repr(empty)
    assert empty.to_dict() == {"stage": "full_text", "reviewers": ["ana"], "pairs": [],
                               "fleiss": None}  # fmt: skip


def test_simulation_result_dict_is_the_cli_contract():
    texts = [f"stem cell ALS trial {i}" if i % 4 == 0 else f"unrelated topic {i}"
             for i in range(24)]  # fmt: skip
    labels = [int(i % 4 == 0) for i in range(24)]
    res = simulate(texts, labels, priors=[0, 1])
    frame = notebook_view(res)
    assert tuple(res.to_dict()) == JSON_KEYS  # `alsreview simulate --json`: exactly these
    assert res.to_dict() == {k: getattr(res, k) for k in JSON_KEYS}
    assert list(frame.columns) == list(JSON_KEYS)
    assert repr(res).startswith("24 records, 6 included; WSS@95 ")


def test_stopping_advice_frame_has_one_row_per_rule():
    advice = recommend([1] * 100 + [0] * 900, 2000)
    frame = notebook_view(advice)
    assert list(frame["rule"]) == ["hypergeometric", "knee", "consecutive irrelevant"]
    assert list(frame["fired"]) == [c.fired for c in advice.checks]
    d = advice.to_dict()
    assert list(d) == ["n_screened", "n_total", "n_found", "fired", "recommendation", "checks"]
    assert d["fired"] == list(advice.fired) and d["fired"][0] == "hypergeometric"
    assert list(d["checks"][0]) == ["rule", "fired", "reason", "assumption",
                                    "recall_estimate", "details"]  # fmt: skip
    check = advice.checks[0]
    assert repr(check) == check.summary() and check.summary().startswith("[x] hypergeometric: ")
    assert "  " + check.summary() in advice.summary()
