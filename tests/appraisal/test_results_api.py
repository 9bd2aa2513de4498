"""The appraisal results in a notebook (issue 9: results on the shared mixin): ``repr`` is the
summary, ``summary_frame()`` a DataFrame with one row per domain or study, ``_repr_html_()``
renders it, ``to_dict()`` keeps the JSON layout the CLI and the web app write."""

from __future__ import annotations

import json

import pandas as pd

from alsreview.appraisal.agreement import agreement
from alsreview.appraisal.algorithm import judge
from alsreview.appraisal.instrument import load_instrument
from alsreview.appraisal.sensitivity import restrict_by_risk
from alsreview.appraisal.table import RobRow, RobTable


def notebook_view(res) -> pd.DataFrame:
    assert repr(res) == res.summary()
    frame = res.summary_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) > 0
    html = res._repr_html_()
    assert "<table" in html and html.count("<tr") == len(frame) + 1
    json.dumps(res.to_dict())
    return frame


def test_agreement_frame_has_one_row_per_domain():
    agr = agreement(
        {"S1": {"D1": "low", "overall": "low"}, "S2": {"D1": "high", "overall": "high"}},
        {"S1": {"D1": "low", "overall": "low"}, "S2": {"D1": "low", "overall": "low"}},
        ["D1"],
        tool="rob2",
        names=("ana", "ben"),
    )
    frame = notebook_view(agr)
    assert list(frame["domain"]) == ["D1", "overall"]
    assert list(frame["agreement"]) == [0.5, 0.5] and list(frame["differ"]) == ["S2", "S2"]
    assert agr.to_dict()["domains"]["D1"] == {"n": 2, "agreement": 0.5, "kappa": 0.0,
                                              "differ": ["S2"]}  # fmt: skip


def test_appraisal_frame_has_the_domains_and_their_paths():
    # every RoB 2 domain low (as test_rob2_truth_tables.LOW) but 5.1 = NI: domain 5 and the
    # overall judgement "some concerns" (the 22 August 2019 algorithm, guidance Table 3)
    answers = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y",
               "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "NI", "5.2": "N",
               "5.3": "N"}  # fmt: skip
    result = judge(load_instrument("rob2"), answers)
    frame = notebook_view(result)
    assert list(frame["domain"]) == [d.domain for d in result.domains]
    assert frame.set_index("domain").loc["D5", "judgement"] == "some concerns"
    assert result.to_dict()["overall"] == result.overall == "some concerns"


def test_rob_table_and_restriction():
    table = RobTable(
        "rob2", (RobRow("A", {"D1": "low"}, "low"), RobRow("B", {"D1": "high"}, "high"))
    )
    assert repr(table) == "rob2: 2 studies (1 low, 1 high)"
    frame = notebook_view(table)
    assert list(frame["study"]) == ["A", "B"] and list(frame["overall"]) == ["low", "high"]

    r = restrict_by_risk(
        ["A", "B"], "low", {"A": (frozenset({"low"}), "x"), "B": (frozenset({"high"}), "x")}
    )
    assert r.kept == ("A",) and repr(r).startswith("risk of bias low: kept 1, left out 1")
    assert r.to_dict()["excluded"] == dict(r.excluded)
    assert "<table" in r._repr_html_()
