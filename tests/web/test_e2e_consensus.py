"""The owner's consensus pages in Debian's chromium, keyboard only: the disagreements side by
side, a reviewer's value taken and an agreed value typed (Tab, Space, typing, Enter), the
appraisal adopted with a button; every control labelled, focus visible, the reviewers'
hostile text inert.  Screenshots go to test-artifacts/web/<test name>/."""

from __future__ import annotations

import pytest
from tests.web.a11y import page_problems
from tests.web.conftest import consensus_of
from tests.web.test_e2e_outcome import tab_to

from alsreview.appraisal.assessments import current_judgements

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_owner_records_both_consensuses_with_the_keyboard(browser_page, shots, dual, live):
    page = browser_page("olivia")
    page.goto("/consensus")
    assert page_problems(page) == []
    shots(page, "index")
    assert page.get_by_role("link", name="jbi-quasi appraisals").count() == 1
    page.get_by_role("link", name="extractions").click()
    page.wait_for_url(f"{live.url}/consensus/extraction/r1")
    assert page_problems(page) == []
    assert page.get_by_role("group", name="patients_analysed").count() == 1
    assert page.get_by_role("group", name="design").count() == 0  # agreed: not asked
    shots(page, "extraction")
    # patients analysed: the agreed value typed, with where it was read
    # (Tab reaches a radio group once; the arrow keys move the choice within it)
    stops = tab_to(page, "c-1-1")
    assert [s for s in stops if s["outline"] == "none"] == []  # focus always shown
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.get_by_label("Enter the agreed value for patients_analysed").is_checked()
    page.keyboard.press("Tab")  # the value field follows its radio button
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    page.keyboard.type("Table 2, corrected count")
    # cell type: rita's value (the radio group's first button, reached by Tab)
    tab_to(page, "c-2-1")
    page.keyboard.press("Space")
    assert page.get_by_label("Take rita’s value for cell_type").is_checked()
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(f"{live.url}/consensus?saved=extraction:r1")
    saved = consensus_of(dual)
    assert saved.data["patients_analysed"] == {
        "value": 25,
        "from": ["r1: Table 2, corrected count"],
    }
    assert saved.data["cell_type"]["value"] == "BM-MSC"
    shots(page, "saved")
    # the appraisal: ravi's assessment adopted by pressing its button
    page.goto("/consensus/appraisal/r1?tool=jbi-quasi")
    assert page_problems(page) == []
    shots(page, "appraisal")
    button = page.get_by_role("button", name="Adopt ravi’s assessment")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/consensus?saved=appraisal:r1")
    chosen = current_judgements(dual, "jbi-quasi").chosen[("r1", "")]
    assert (chosen.kind, chosen.overall) == ("consensus", "moderate")
    assert page.evaluate("window.__xss") is None
    assert page.errors == [], page.errors


def test_reviewer_is_refused_the_pages(browser_page, dual):
    page = browser_page("rita")
    page.goto("/")
    assert page.get_by_role("link", name="Consensus").count() == 0
    response = page.goto("/consensus/extraction/r1")
    assert response.status == 403 and "only the project owner" in page.content()
