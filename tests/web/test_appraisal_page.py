"""Appraisal forms: every tool renders, and the judgement shown is the algorithm's."""

from __future__ import annotations

import re

import pytest

TOOLS = ["jbi-rct", "jbi-quasi", "rob2", "rob2-cluster", "robins-i"]


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_has_a_form_with_a_labelled_control_per_question(login, tool):
    from alsreview.appraisal import load_instrument

    r = login("rita").get(f"/appraisal/form?tool={tool}&record_id=1")
    assert r.status_code == 200
    inst = load_instrument(tool)
    effect = inst.effects[0] if inst.effects else None
    for qid in inst.questions(effect):
        assert f'<label for="q-{qid}">' in r.text and f'name="q:{qid}"' in r.text
    assert "Not complete yet" in r.text


def test_jbi_rule_of_the_review_at_its_boundaries(login):
    # 001_* (the 2022 review): no "no" answers = low risk, one to three = moderate,
    # more than three = high
    rita = login("rita")
    for n_no, expected in [(0, "low"), (1, "moderate"), (3, "moderate"), (4, "high")]:
        params = {"tool": "jbi-rct", **{f"q:{i}": "yes" for i in range(1, 14)}}
        params.update({f"q:{i}": "no" for i in range(1, n_no + 1)})
        r = rita.get("/appraisal/judge", params=params)
        overall = re.search(r'id="overall">([^<]+)<', r.text).group(1)
        assert overall == expected, (n_no, overall)


def test_an_incomplete_form_lists_what_is_missing_by_question(login):
    r = login("rita").get("/appraisal/judge", params={"tool": "rob2", "q:1.1": "Y"})
    assert "question 1.2: missing answer" in r.text
    r = login("rita").get("/appraisal/judge", params={"tool": "rob2", "q:1.1": "maybe"})
    assert "question 1.1: answer &#39;maybe&#39; is not one of" in r.text


def test_unknown_record_or_tool_is_refused(login):
    rita = login("rita")
    assert rita.get("/appraisal/form?tool=rob2&record_id=999").status_code == 404
    assert rita.get("/appraisal/form?tool=rob9&record_id=1").status_code == 422


def test_saving_stores_the_algorithms_judgement_for_the_reviewer(login, project):
    from alsreview.store.appraisals import current_appraisals

    rita = login("rita")
    form = {"tool": "jbi-quasi", "record_id": "1", **{f"q:{i}": "yes" for i in range(1, 10)}}
    form["q:3"] = "no"
    r = rita.post("/appraisal/save", data=form, follow_redirects=False)
    assert r.status_code == 303
    (saved,) = current_appraisals(project)
    assert (saved.study, saved.tool, saved.reviewer, saved.overall) == (
        "r1",
        "jbi-quasi",
        "rita",
        "moderate",
    )
    # an incomplete form is refused with the question named, nothing stored
    form.pop("q:5")
    r = rita.post("/appraisal/save", data=form)
    assert r.status_code == 422 and "question 5" in r.text
    assert len(current_appraisals(project)) == 1


def test_a_saved_appraisal_comes_back_filled_in_for_its_reviewer_only(login, project):
    """Coming back to a form shows your saved answers and their judgement (JBI rule of the
    2022 review, 001_*: one "no" = moderate), so editing does not start from blank."""
    rita = login("rita")
    form = {"tool": "jbi-quasi", "record_id": "1", **{f"q:{i}": "yes" for i in range(1, 10)}}
    form["q:3"] = "no"
    assert rita.post("/appraisal/save", data=form, follow_redirects=False).status_code == 303
    page = rita.get("/appraisal/form?tool=jbi-quasi&record_id=1").text
    assert 'id="saved-note"' in page and "overall moderate" in page
    chosen = dict(re.findall(r'name="q:(\d+)">.*?<option value="(\w+)" selected>', page, re.S))
    assert chosen == {str(i): "no" if i == 3 else "yes" for i in range(1, 10)}
    assert re.search(r'id="overall">([^<]+)<', page).group(1) == "moderate"
    # another reviewer's form is blank (blind), and so is another tool's
    ravi = login("ravi").get("/appraisal/form?tool=jbi-quasi&record_id=1").text
    assert "saved-note" not in ravi and " selected>" not in ravi.split('id="appraisal"')[1]
    other = rita.get("/appraisal/form?tool=jbi-rct&record_id=1").text
    assert "saved-note" not in other


def test_a_saved_rob2_judgement_of_the_reviewer_comes_back_for_its_effect(login):
    from alsreview.appraisal import load_instrument

    inst = load_instrument("rob2")
    effect = inst.effects[0]
    rita = login("rita")
    page = rita.get(f"/appraisal/form?tool=rob2&record_id=1&effect={effect}").text
    form = {"tool": "rob2", "record_id": "1", "effect": effect}
    for qid in inst.questions(effect):
        opts = re.search(rf'name="q:{re.escape(qid)}">(.*?)</select>', page, re.S).group(1)
        form[f"q:{qid}"] = re.findall(r'<option value="(\w+)"', opts)[1]  # the first answer
    r = rita.post("/appraisal/save", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    back = rita.get("/appraisal/form?tool=rob2&record_id=1").text  # the effect it was for
    assert f'<option value="{effect}" selected>' in back
    for qid in inst.questions(effect):
        sel = re.search(rf'name="q:{re.escape(qid)}">(.*?)</select>', back, re.S).group(1)
        assert f'<option value="{form[f"q:{qid}"]}" selected>' in sel, qid
    if len(inst.effects) > 1:  # another effect asks other questions: nothing carried over
        other = rita.get(f"/appraisal/form?tool=rob2&record_id=1&effect={inst.effects[1]}")
        assert " selected>" not in other.text.split('id="appraisal"')[1]
