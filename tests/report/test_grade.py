"""GRADE rules at each domain's thresholds, overrides, and the certainty wording.

Thresholds (data/grade_rules.json) follow the GRADE Handbook (Schünemann et al. 2013) and
Guyatt et al., GRADE guidelines 5-9 (J Clin Epidemiol 2011;64): I2 above 50% substantial
and above 75% considerable heterogeneity (Cochrane Handbook 10.10.2), an optimal
information size of 400 patients for a continuous outcome and 300 events for a dichotomous
one, funnel-plot tests only from 10 studies, rating up for a ratio above 2 (large) or 5
(very large). Wording: Santesso et al., GRADE guidelines 26 (J Clin Epidemiol 2020;119).
"""

from __future__ import annotations

import pytest

from alsreview.errors import ValidationError
from alsreview.report.grade import Body, Override, load_rules, rate, statement

IDS = ("a", "b", "c", "d")


def body(**kw):
    base = dict(
        outcome="functional decline",
        design="randomised",
        studies=IDS,
        patients=1000,
        rob=dict.fromkeys(IDS, "low"),
        weights=dict.fromkeys(IDS, 250.0),
        estimate=-1.0,
        ci=(-1.5, -0.5),
        pi=(-2.0, -0.1),
        i2=0.0,
    )
    base.update(kw)
    return Body(**base)


def change(b, domain):
    return rate(b).judgement(domain).change


def test_all_clear_randomised_evidence_is_high():
    c = rate(body())
    assert (c.start, c.level, c.label) == (4, 4, "high")
    assert all(j.change == 0 for j in c.judgements) and c.reasons == []


@pytest.mark.parametrize(
    ("judgements", "expected"),
    [
        (("high", "high", "low", "low"), 0),  # exactly half at high risk: not "most"
        (("high", "high", "high", "low"), -1),
        (("serious", "serious", "serious", "moderate"), -1),  # ROBINS-I words
        (("some concerns",) * 4, 0),
        (("critical", "critical", "low", "low"), 0),  # half: not "most" of the information
        (("critical", "critical", "high", "low"), -1),  # most serious or worse, half critical
        (("critical", "critical", "critical", "low"), -2),
    ],
)
def test_risk_of_bias_share_thresholds(judgements, expected):
    assert change(body(rob=dict(zip(IDS, judgements, strict=True))), "risk_of_bias") == expected


def test_risk_of_bias_weights_by_patients():
    rob = dict(zip(IDS, ("high", "low", "low", "low"), strict=True))
    w = {"a": 700.0, "b": 100.0, "c": 100.0, "d": 100.0}
    assert change(body(rob=rob, weights=w), "risk_of_bias") == -1  # 70% of patients


def test_not_appraised_counts_as_serious_and_is_said():
    j = rate(body(rob={})).judgement("risk_of_bias")
    assert j.change == -1 and "4 of 4 studies not appraised (100% of the patients)" in j.reason
    # one small study unappraised: most information is judged, no downgrade, still said
    w = {"a": 100.0, "b": 300.0, "c": 300.0, "d": 300.0}
    one = body(rob={"b": "low", "c": "low", "d": "moderate"}, weights=w)
    j = rate(one).judgement("risk_of_bias")
    assert j.change == 0 and "1 of 4 studies not appraised (10% of the patients)" in j.reason


def test_uncontrolled_evidence_is_rated_down_for_its_design_whatever_its_appraisal():
    j = rate(body(design="uncontrolled before/after")).judgement("risk_of_bias")
    assert j.change == -1 and "no control group" in j.reason
    j = rate(body(rob={}, design="uncontrolled before/after")).judgement("risk_of_bias")
    assert j.change == -2


def test_unknown_judgement_word_is_an_error():
    with pytest.raises(ValidationError, match="unknown risk-of-bias judgement"):
        rate(body(rob=dict.fromkeys(IDS, "dubious")))


@pytest.mark.parametrize(
    ("i2", "pi", "expected"),
    [
        (50.0, (-2.0, 0.5), 0),  # at the threshold: not above it
        (50.1, (-2.0, 0.5), -1),  # substantial, prediction interval includes no effect
        (50.1, (-2.0, -0.1), 0),  # substantial but all predicted effects on one side
        (75.0, (-2.0, 0.5), -1),
        (75.1, (-2.0, 0.5), -2),  # considerable and includes no effect
        (75.1, (-2.0, -0.1), -1),
    ],
)
def test_inconsistency_i2_thresholds(i2, pi, expected):
    assert change(body(i2=i2, pi=pi), "inconsistency") == expected


def test_inconsistency_single_study_and_directions():
    assert change(body(studies=("a",), i2=None), "inconsistency") == 0
    mixed = body(i2=None, directions=("favours treatment", "no difference"))
    j = rate(mixed).judgement("inconsistency")
    assert j.change == -1 and "favours treatment / no difference" in j.reason
    same = body(i2=None, directions=("no difference", "no difference", "unclear"))
    assert change(same, "inconsistency") == 0


def test_indirectness():
    assert change(body(comparisons=("vs placebo",)), "indirectness") == 0
    assert change(body(comparisons=("vs external control",)), "indirectness") == -1
    both = body(comparisons=("vs external control",), subgroup_only=("rapid progressors",))
    j = rate(both).judgement("indirectness")
    assert j.change == -2 and "rapid progressors" in j.reason


@pytest.mark.parametrize(
    ("ci", "patients", "expected"),
    [
        ((-1.5, -0.5), 400, 0),  # optimal information size reached exactly
        ((-1.5, -0.5), 399, -1),
        ((-1.5, 0.5), 400, -1),  # CI includes no effect
        ((-1.5, 0.5), 399, -2),
        (None, 400, -1),  # no CI reported
        (None, 399, -2),
        (None, None, -2),  # patients not reported either
    ],
)
def test_imprecision_thresholds(ci, patients, expected):
    b = body(ci=ci, estimate=None if ci is None else -1.0, patients=patients)
    assert change(b, "imprecision") == expected


def test_imprecision_dichotomous_counts_events():
    b = body(continuous=False, events=299, patients=5000)
    assert change(b, "imprecision") == -1
    assert change(body(continuous=False, events=300), "imprecision") == 0


@pytest.mark.parametrize(
    ("k", "egger", "expected"),
    [(9, 0.001, 0), (10, 0.099, -1), (10, 0.10, 0), (10, None, 0)],
)
def test_publication_bias_needs_ten_studies(k, egger, expected):
    ids = tuple(f"s{i}" for i in range(k))
    b = body(
        studies=ids, rob=dict.fromkeys(ids, "low"), weights=dict.fromkeys(ids, 100.0), egger_p=egger
    )
    j = rate(b).judgement("publication_bias")
    assert j.change == expected
    if k < 10:
        assert "not assessable: 9 studies" in j.reason


@pytest.mark.parametrize(
    ("ratio", "expected"), [(2.0, 0), (2.01, 1), (0.49, 1), (5.0, 1), (5.01, 2), (0.19, 2)]
)
def test_rating_up_large_effects(ratio, expected):
    b = body(design="non-randomised controlled", ratio=ratio)
    c = rate(b)
    assert c.judgement("upgrade").change == expected
    assert c.level == 2 + expected


def test_no_rating_up_for_randomised_or_downgraded_evidence():
    assert change(body(ratio=10.0), "upgrade") == 0
    downgraded = body(design="non-randomised controlled", ratio=10.0, patients=100)
    assert change(downgraded, "upgrade") == 0


def test_level_is_clamped_and_labelled():
    worst = body(
        design="uncontrolled before/after",
        rob={},
        i2=90.0,
        pi=(-3.0, 1.0),
        ci=(-1.0, 0.2),
        patients=20,
        comparisons=("vs external control",),
    )
    c = rate(worst)
    assert sum(j.change for j in c.judgements) <= -6
    assert (c.level, c.label) == (1, "very low")
    assert rate(body(patients=399)).label == "moderate"
    assert rate(body(patients=399, rob={})).label == "low"


def test_override_replaces_a_judgement_and_keeps_the_rule_reason():
    ov = Override(
        "functional decline", "randomised", "risk_of_bias", 0,
        "both trials were double-blind and placebo-controlled (full texts checked)",
    )  # fmt: skip
    c = rate(body(rob={}), overrides=[ov])
    j = c.judgement("risk_of_bias")
    assert j.change == 0 and j.reason.startswith("both trials were double-blind")
    assert j.overridden and "4 of 4 studies not appraised" in j.overridden
    assert c.level == 4
    other = Override("survival", "randomised", "risk_of_bias", 0, "x")
    assert rate(body(rob={}), overrides=[other]).judgement("risk_of_bias").change == -1


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(justification="  "), "needs a written justification"),
        (dict(change=1), r"change must be one of \(0, -1, -2\)"),
        (dict(domain="vibes"), "unknown GRADE domain"),
        (dict(design="case report"), "unknown evidence type"),
    ],
)
def test_bad_overrides_are_refused(kw, message):
    args = dict(
        outcome="o", design="randomised", domain="imprecision", change=-1, justification="ok"
    )
    args.update(kw)
    with pytest.raises(ValidationError, match=message):
        Override(**args)


def _at(level: int):
    # randomised, clear, then rated down (4 - level) levels by imprecision and inconsistency
    kw = {4: {}, 3: dict(patients=399), 2: dict(patients=399, rob={})}
    if level == 1:
        kw[1] = dict(patients=100, rob={}, i2=None, directions=("a", "b"), ci=None)
    c = rate(body(**kw[level]))
    assert c.level == level
    return c


WORDS = dict(
    intervention="stem-cell therapy",
    outcome="functional decline (ALSFRS-R)",
    benefit="slow functional decline (ALSFRS-R)",
    harm="speed up functional decline (ALSFRS-R)",
)


@pytest.mark.parametrize(
    ("level", "direction", "expected"),
    [
        (4, "benefit", "Stem-cell therapy slows functional decline (ALSFRS-R)."),
        (3, "benefit", "Stem-cell therapy probably slows functional decline (ALSFRS-R)."),
        (2, "benefit", "Stem-cell therapy may slow functional decline (ALSFRS-R)."),
        (4, "harm", "Stem-cell therapy speeds up functional decline (ALSFRS-R)."),
        (3, "harm", "Stem-cell therapy probably speeds up functional decline (ALSFRS-R)."),
        (3, "no difference", "Stem-cell therapy probably results in little to no difference "
                             "in functional decline (ALSFRS-R)."),
        (2, "no difference", "Stem-cell therapy may result in little to no difference in "
                             "functional decline (ALSFRS-R)."),
    ],
)  # fmt: skip
def test_certainty_wording(level, direction, expected):
    assert statement(_at(level), direction, **WORDS) == expected


@pytest.mark.parametrize("direction", ["benefit", "harm", "no difference", "unclear"])
def test_very_low_certainty_is_always_very_uncertain(direction):
    text = statement(_at(1), direction, **WORDS)
    assert text == (
        "The evidence is very uncertain about the effect of stem-cell therapy on functional "
        "decline (ALSFRS-R)."
    )


def test_wording_is_never_stronger_than_the_certainty():
    for level in (1, 2, 3, 4):
        for direction in ("benefit", "harm", "no difference", "unclear"):
            text = statement(_at(level), direction, **WORDS)
            assert ("probably" in text) == (level == 3 and direction != "unclear")
            assert (" may " in text) == (level == 2 and direction != "unclear")
            assert ("very uncertain" in text) == (level == 1)


def test_no_evidence_of_a_kind_is_said():
    assert statement(
        None, "unclear", outcome="survival", intervention="x", design="randomised"
    ) == ("No randomised evidence on survival was found.")


def test_rules_file_holds_the_thresholds_used():
    r = load_rules()
    assert (r["inconsistency"]["i2_serious"], r["inconsistency"]["i2_very_serious"]) == (50, 75)
    assert (r["imprecision"]["ois_continuous"], r["publication_bias"]["min_k"]) == (400, 10)
    assert r["start"]["randomised"]["level"] == 4
    assert r["start"]["uncontrolled before/after"]["level"] == 2
