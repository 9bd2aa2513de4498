"""Dual-extraction comparison: numbers within tolerance, text after normalisation, doses
through the dose parser, route sets, taxonomy aliases, outcomes matched item by item."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.extraction.compare import (
    compare_extractions,
    doses_agree,
    normalise_text,
    values_agree,
)


def fact(v):
    return {"value": v, "from": ["x: Table 1"]}


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        (12.3, 12.30, True),
        (19, 19.0, True),
        (12.3, 12.4, False),
        (1000, 1000.9, True),  # within 0.1 %
        (1000, 1002, False),
        (0, 0.0, True),
    ],
)
def test_numbers_within_tolerance(a, b, agree):
    assert values_agree("float", "follow_up_months", a, b)[0] is agree


def test_tolerance_is_a_parameter():
    assert not values_agree("float", "x", 100, 104)[0]
    assert values_agree("float", "x", 100, 104, rel_tol=0.05)[0]


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("Czech Republic", "  czech   republic.", True),
        ("I/IIa", "I/IIA", True),
        ("every 3 months", "every 3 months", True),
        ("Intrathecal \u2013 lumbar", "intrathecal - lumbar", True),
        ("Poland", "Czech Republic", False),
        ("\uff11 month", "1 month", True),  # full-width digit (NFKC)
    ],
)
def test_text_after_normalisation(a, b, agree):
    assert values_agree("text", "country", a, b)[0] is agree
    assert (normalise_text(a) == normalise_text(b)) is agree


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        ("1.0x10^6/kg", "1 \u00d7 10\u2076 cells/kg", True),
        # the shared exponent: 15 ± 4.5 × 10^6 is (15 ± 4.5) million (dose parser docs)
        ("15 \u00b1 4.5 \u00d7 10^6", "1.5x10^7 \u00b1 4.5x10^6", True),
        ("Between 4.8*10^7 and 8.6*10^7", "4.8x10^7 to 8.6x10^7", True),
        ("1.2x10^8 IT, 4.8x10^7 IM", "IT 1.2x10^8 + IM 4.8x10^7", True),
        ("1.0x10^6/kg", "1.0x10^6", False),  # per kg vs absolute
        ("1.2x10^8 IT, 4.8x10^7 IM", "1.2x10^8 IM, 4.8x10^7 IT", False),
        ("2.0x10^5 or 5.0x10^5", "2.0x10^5", False),
        ("Not reported", "NR", True),
        ("1x10^6", "1.1x10^6", False),
    ],
)
def test_doses_through_the_dose_parser(a, b, agree):
    assert doses_agree(a, b)[0] is agree


def test_unreadable_dose_never_agrees_and_says_why():
    ok, why = doses_agree("Between 1.5x*7 to 4.5x10^7", "Between 1.5x*7 to 4.5x10^7")
    assert not ok
    assert "unreadable dose" in why and "1.5x*7" in why


def test_routes_as_sets_and_codes_through_the_taxonomy():
    assert values_agree("routes", "routes", ["IT", "IM"], ["IM", "IT"])[0]
    assert values_agree("routes", "routes", ["intrathecal"], ["IT"])[0]
    assert not values_agree("routes", "routes", ["IT"], ["IT", "IV"])[0]
    assert values_agree("code", "cell_type", "NurOwn", "MSC-NTF")[0]
    assert not values_agree("code", "cell_type", "BM-MSC", "MSC-NTF")[0]


def test_whole_extractions_list_each_disagreement():
    a = {
        "patients_enrolled": fact(26),
        "patients_analysed": fact(23),
        "country": fact("Czech Republic"),
        "dose_per_administration": fact("15 \u00b1 4.5 \u00d7 10^6"),
        "routes": fact(["IT"]),
        "schedule": {"sessions_min": fact(1)},
    }
    b = {
        "patients_enrolled": fact(26.0),
        "patients_analysed": fact(26),  # the safety population by mistake
        "country": fact("czech republic"),
        "dose_per_administration": fact("1.5x10^7 \u00b1 4.5x10^6"),
        "routes": fact(["IT"]),
        "follow_up_months": fact(18),
    }
    c = compare_extractions(a, b, study_id="sykova2017", reviewer_a="ann", reviewer_b="bob")
    bad = {d.field: d for d in c.disagreements}
    assert set(bad) == {"patients_analysed", "schedule.sessions_min", "follow_up_months"}
    assert (bad["patients_analysed"].a, bad["patients_analysed"].b) == (23, 26)
    assert bad["follow_up_months"].a is None
    assert len(c.fields) == 7
    assert c.agreement == pytest.approx(4 / 7)
    assert "patients_analysed: 23 | 26" in c.summary()
    # in a notebook (results mixin): repr is the summary, one frame row per compared field
    assert repr(c) == c.summary()
    frame = c.summary_frame()
    assert len(frame) == 7 and int((~frame["agree"]).sum()) == 3
    assert frame.set_index("field").loc["patients_analysed", "b"] == 26
    assert "<table" in c._repr_html_()


def test_outcomes_matched_by_measure_and_window():
    def outcome(window, est, n=23, p=0.02):
        return {
            "measure": "alsfrs_r_monthly_decline",
            "comparison": "pre-post",
            "window": window,
            "groups": [
                {
                    "label": "after",
                    "n": n,
                    "estimate": est,
                    "dispersion": 0.3,
                    "dispersion_kind": "SD",
                }
            ],
            "p_value": {"value": p, "relation": "<"},
            "direction": "favours treatment",
            "description": "d",
            "from": ["x: Table 3"],
        }

    a = {"efficacy": [outcome("0-3 months", 0.47), outcome("0-6 months", 0.6)]}
    b = {"efficacy": [outcome("0-6 months", 0.6), outcome("0-3 months", 0.74)]}
    c = compare_extractions(a, b)
    bad = [d.field for d in c.disagreements]
    assert bad == [
        "efficacy[alsfrs_r_monthly_decline | pre-post | 0-3 months].groups[after].estimate"
    ]
    b["efficacy"].pop()
    bad = [d.field for d in compare_extractions(a, b).disagreements]
    assert bad == ["efficacy[alsfrs_r_monthly_decline | pre-post | 0-3 months]"]


def test_adverse_events_matched_by_term():
    ae = lambda n: {"term": "Headache", "serious": False, "n_patients": n, "from": ["x: T4"]}  # noqa: E731
    a = {"safety": {"adverse_events": [ae(5)], "deaths": fact(1)}}
    b = {"safety": {"adverse_events": [{**ae(6), "term": "headache "}], "deaths": fact(1)}}
    c = compare_extractions(a, b)
    assert [d.field for d in c.disagreements] == ["safety.adverse_events[headache].n_patients"]


_mantissa = st.decimals(min_value="1.0", max_value="9.9", places=1).map(str)
_exp = st.integers(min_value=4, max_value=9)
_unit = st.sampled_from(["", "/kg", " cells", " cells/kg"])


@settings(max_examples=60, deadline=None)
@given(_mantissa, _exp, _mantissa, _unit, st.sampled_from(["x", "×", "*"]))
def test_a_dose_agrees_with_its_own_normalised_form(m1, e1, m2, unit, times):
    """Any readable dose and the dose parser's formatted reading of it are the same dose;
    changing one number by 10 % never is."""
    from alsreview.evidence.dose import parse_dose

    for text in (
        f"{m1}{times}10^{e1}{unit}",
        f"{m1}{times}10^{e1} to {m2}{times}10^{e1 + 1}{unit}",
    ):
        assert doses_agree(text, parse_dose(text).format())[0], text
        assert doses_agree(parse_dose(text).format(), text)[0], text
    bigger = f"{float(m1) * 1.1:.3f}{times}10^{e1}{unit}"
    assert not doses_agree(f"{m1}{times}10^{e1}{unit}", bigger)[0]


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(0, 1e-4))
def test_number_agreement_is_symmetric_and_tolerant(x, rel):
    y = x * (1 + rel)
    assert values_agree("float", "f", x, y)[0] == values_agree("float", "f", y, x)[0]
    assert values_agree("float", "f", x, y)[0]  # within the default 0.1 %
