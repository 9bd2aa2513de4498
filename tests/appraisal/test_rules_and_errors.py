"""ROBINS-I's overall rule, the JBI scoring rule at its boundaries, the instrument files and
the errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest

from alsreview.appraisal import (
    TOOLS,
    count_rule,
    instrument_json_schema,
    judge,
    load_instrument,
    parse_instrument,
)
from alsreview.errors import ImportFormatError, ValidationError

# ---- ROBINS-I -------------------------------------------------------------------------------
# Sterne JAC et al. ROBINS-I. BMJ 2016;355:i4919, Table 2 (overall risk of bias): low = low in
# all domains; moderate = low or moderate in all; serious = serious in at least one domain,
# critical in none; critical = critical in at least one; no information = no clear indication
# of serious or critical risk and a lack of information in one or more domains.
ROBINS_OVERALL = [
    (["low"] * 7, "low"),
    (["low", "moderate", "low", "low", "moderate", "low", "low"], "moderate"),
    (["moderate"] * 7, "moderate"),
    (["low", "serious", "moderate", "low", "low", "low", "low"], "serious"),
    (["serious", "serious", "critical", "low", "low", "low", "low"], "critical"),
    (["low", "moderate", "no information", "low", "low", "low", "low"], "no information"),
    (["no information", "serious", "low", "low", "low", "low", "low"], "serious"),
    (["no information", "critical", "low", "low", "low", "low", "low"], "critical"),
]


@pytest.mark.parametrize(("domains", "expected"), ROBINS_OVERALL)
def test_robins_i_overall_rule(domains, expected):
    answers = {f"D{i}": j for i, j in enumerate(domains, 1)}
    result = judge(load_instrument("robins-i"), answers)
    assert result.overall == expected
    assert list(result.to_dict()["domains"].values()) == domains


def test_robins_i_no_confounding_is_low_by_the_form():
    """Form, question 1.1: "If N/PN to 1.1: the study can be considered to be at low risk of
    bias due to confounding and no further signalling questions need be considered"."""
    answers = {"1.1": "PN"} | {f"D{i}": "low" for i in range(2, 8)}
    result = judge(load_instrument("robins-i"), answers)
    assert result.domains[0].value == "low" and result.domains[0].source == "algorithm"


def test_robins_i_asks_for_judgements_it_has_no_algorithm_for():
    with pytest.raises(ValidationError) as err:
        judge(load_instrument("robins-i"), {"1.1": "Y", "D2": "low"})
    text = str(err.value)
    assert "domain D1: ROBINS-I gives no algorithm" in text and "1.1 = Y" in text
    assert "domain D3" in text and "domain D2" not in text


def test_given_judgement_contradicting_the_algorithm_is_refused():
    answers = {"1.1": "N", "D1": "serious"} | {f"D{i}": "low" for i in range(2, 8)}
    with pytest.raises(ValidationError, match="domain D1: given 'serious' but the answers give"):
        judge(load_instrument("robins-i"), answers)


# ---- JBI ------------------------------------------------------------------------------------
# Blume et al. 2026 (001_*, Methods): "no negative responses ... low risk of bias; one to three
# negative responses ... moderate risk; and more than three ... high risk".
@pytest.mark.parametrize("tool", ["jbi-rct", "jbi-quasi"])
@pytest.mark.parametrize(
    ("n_no", "expected"), [(0, "low"), (1, "moderate"), (3, "moderate"), (4, "high")]
)
def test_jbi_boundaries(tool, n_no, expected):
    inst = load_instrument(tool)
    items = [d.id for d in inst.domains]
    answers = {i: ("no" if k < n_no else "yes") for k, i in enumerate(items)}
    answers[items[-1]] = "unclear" if n_no < len(items) else answers[items[-1]]
    result = judge(inst, answers)
    assert result.overall == expected
    assert sum(v == "no" for v in result.to_dict()["domains"].values()) == n_no


def test_jbi_counts_and_thresholds_are_settable():
    inst = load_instrument("jbi-rct")
    answers = {str(i): "yes" for i in range(1, 14)} | {"2": "unclear", "5": "no"}
    assert judge(inst, answers).overall == "moderate"
    assert judge(inst, answers, overall_rule=count_rule(1, 3)).overall == "low"
    strict = count_rule(0, 1, answers=("no", "unclear"))
    assert judge(inst, answers, overall_rule=strict).overall == "high"
    with pytest.raises(ValidationError, match="thresholds"):
        count_rule(3, 2)


def test_jbi_every_item_must_be_answered():
    answers = {str(i): "yes" for i in range(1, 13)}
    with pytest.raises(ValidationError, match="question 13: missing answer"):
        judge(load_instrument("jbi-rct"), answers)


def test_jbi_item_counts():
    assert len(load_instrument("jbi-rct").domains) == 13
    assert len(load_instrument("jbi-quasi").domains) == 9


# ---- bad answers ------------------------------------------------------------------------------
def test_unknown_question_and_bad_answer_are_named_together():
    answers = {"1.1": "Y", "1.2": "sometimes", "9.9": "Y"}
    with pytest.raises(ValidationError) as err:
        judge(load_instrument("rob2"), answers, name="mine.json")
    text = str(err.value)
    assert "mine.json: question 1.2: answer 'sometimes' is not one of Y, PY, PN, N, NI" in text
    assert "unknown question id '9.9'" in text


def test_missing_answer_names_question_and_path():
    with pytest.raises(ValidationError) as err:
        judge(load_instrument("rob2"), {"1.2": "Y", "1.1": "Y"})
    text = str(err.value)
    assert (
        "question 1.3: missing answer, required for domain D1 (reached because 1.2 = Y, "
        "1.1 = Y)" in text
    )
    assert "question 2.1: missing answer" in text


def test_na_to_a_reached_question_is_refused():
    answers = {"4.1": "N", "4.2": "N", "4.3": "NA"}
    with pytest.raises(ValidationError, match=r"question 4\.3: answer NA does not apply here"):
        judge(load_instrument("rob2"), answers)


def test_answers_are_case_insensitive_and_long_forms_accepted():
    answers = {"1.1": "probably yes", "1.2": "y", "1.3": "No information"}
    with pytest.raises(ValidationError) as err:
        judge(load_instrument("rob2"), answers)
    assert "question 1." not in str(err.value)


def test_unknown_effect():
    with pytest.raises(ValidationError, match="unknown effect 'per-protocol'"):
        judge(load_instrument("rob2"), {}, effect="per-protocol")


# ---- instrument files -------------------------------------------------------------------------
def _rob2_data() -> dict:
    path = resources.files("alsreview.data").joinpath("appraisal", TOOLS["rob2"])
    return json.loads(path.read_text("utf-8"))


def test_malformed_json_names_the_line():
    with pytest.raises(ImportFormatError, match=r"x.json, line 2: not valid JSON"):
        parse_instrument('{"id": "x",\n nope}', "x.json")


def test_branch_on_unknown_question_is_named():
    data = _rob2_data()
    data["domains"][0]["algorithm"]["branches"][2]["then"] = {
        "question": "1.9",
        "branches": [{"answers": ["Y"], "then": {"result": "low"}}],
    }
    with pytest.raises(ValidationError, match=r"D1: branches on unknown question 1\.9"):
        parse_instrument(json.dumps(data), "bad.json")


def test_uncovered_option_and_unknown_result_are_named():
    data = _rob2_data()
    d3 = data["domains"][2]["algorithm"]
    d3["branches"][0] = {"answers": ["Y"], "then": {"result": "fine"}}
    with pytest.raises(ValidationError) as err:
        parse_instrument(json.dumps(data), "bad.json")
    text = str(err.value)
    assert "result 'fine' is not a judgement" in text
    assert "3.1: no branch for ['PY']" in text


def test_missing_field_is_named():
    data = _rob2_data()
    del data["domains"][0]["questions"][0]["text"]
    with pytest.raises(ValidationError, match=r"domains\.0\.questions\.0\.text"):
        parse_instrument(json.dumps(data), "bad.json")


def test_a_new_tool_is_a_file(tmp_path):
    """A two-question instrument written as data judges without code changes."""
    tool = {
        "id": "mini",
        "name": "Mini",
        "version": "1",
        "source": "test",
        "judgements": [
            {"id": "low", "rank": 0, "robvis": "Low"},
            {"id": "high", "rank": 1, "robvis": "High"},
        ],
        "option_sets": {"yn": [{"code": "Y", "label": "Yes"}, {"code": "N", "label": "No"}]},
        "domains": [
            {
                "id": "D1",
                "name": "Only",
                "questions": [{"id": "a", "text": "A?", "options": "yn"}],
                "algorithm": {
                    "question": "a",
                    "branches": [
                        {"answers": ["Y"], "then": {"result": "low"}},
                        {"answers": ["N"], "then": {"result": "high"}},
                    ],
                },
            }
        ],
        "overall": {"rule": "worst"},
    }
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(tool))
    assert judge(load_instrument(path), {"a": "n"}).to_dict() == {
        "domains": {"D1": "high"},
        "overall": "high",
    }


def test_committed_schema_matches_and_bundled_files_validate():
    import jsonschema

    committed = json.loads(
        resources.files("alsreview.data")
        .joinpath("appraisal", "instrument.schema.json")
        .read_text("utf-8")
    )
    assert committed == instrument_json_schema()
    for file in TOOLS.values():
        data = json.loads(
            resources.files("alsreview.data").joinpath("appraisal", file).read_text("utf-8")
        )
        jsonschema.validate(data, committed)


# ---- CLI --------------------------------------------------------------------------------------
def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "alsreview", *args], capture_output=True, text=True
    )


def test_cli_judge_prints_exactly_domains_and_overall(tmp_path):
    answers = {
        "1.1": "Y",
        "1.2": "PY",
        "1.3": "N",
        "2.1": "Y",
        "2.2": "Y",
        "2.3": "NI",
        "2.6": "Y",
        "3.1": "Y",
        "4.1": "N",
        "4.2": "N",
        "4.3": "N",
        "5.1": "Y",
        "5.2": "N",
        "5.3": "N",
    }
    f = tmp_path / "a.json"
    f.write_text(json.dumps(answers))
    out = _cli("appraise", "judge", "--tool", "rob2", str(f), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {
        "domains": {"D1": "low", "D2": "some concerns", "D3": "low", "D4": "low", "D5": "low"},
        "overall": "some concerns",
    }


def test_cli_judge_error_names_question(tmp_path):
    f = tmp_path / "a.json"
    f.write_text(json.dumps({"1": "yes", "2": "perhaps"}))
    out = _cli("appraise", "judge", "--tool", "jbi-quasi", str(f), "--json")
    assert out.returncode == 1
    assert "question 2: answer 'perhaps' is not one of" in " ".join(out.stderr.split())
    assert out.stdout == ""


def test_answers_with_support_text_are_read_as_answers():
    inst = load_instrument("jbi-quasi")
    answers = {str(i): {"answer": "yes", "support": "Methods"} for i in range(1, 10)}
    answers["4"] = {"answer": "no", "support": "no control group (Table 1)"}
    assert judge(inst, answers).overall == "moderate"
