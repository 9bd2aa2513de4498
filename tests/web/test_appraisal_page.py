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
