"""The ALSFRS-R outcome form in Debian's chromium, keyboard only: Tab order, visible focus,
the library's message next to the field, the saved outcome equal to what the library keeps
for the same JSON, hostile text inert.  Screenshots go to test-artifacts/web/<test name>/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.web.test_outcome_form import JSON

from alsreview.extraction.review import add_study, reviewer_extraction, set_field

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = '<img src=x onerror="window.__xss = 7">'


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
        return {id: e.id, tag: e.tagName, outline: getComputedStyle(e).outlineStyle}; }"""
    )


def tab_to(page, element_id: str, limit: int = 400) -> list[dict]:
    """Press Tab until `element_id` has the focus; every stop on the way."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        stops.append(now)
        if now["id"] == element_id:
            return stops
    raise AssertionError(f"Tab never reached #{element_id}: {stops[-10:]}")


def type_into(page, element_id: str, text: str) -> None:
    """Tab to a field and type (in a <select>, typing picks the option by its first letters)."""
    tab_to(page, element_id, limit=40)
    page.keyboard.type(text)


def test_outcome_form_keyboard_only(browser_page, shots, project):
    add_study(project, "r1", [1])
    page = browser_page("rita")
    page.goto("/extraction/r1")
    stops = tab_to(page, "o-measure")
    assert all(s["outline"] != "none" for s in stops), "every focus stop is visibly focused"
    # the form's fields come in reading order
    order = [s["id"] for s in tab_to(page, "o-g0-label")]
    assert order == [
        "o-comparison", "o-window", "o-subgroup", "o-direction", "o-p_relation",
        "o-p_value", "o-source", "o-description", "o-note", "o-g0-label",
    ]  # fmt: skip
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "o-note"

    page.goto("/extraction/r1")
    tab_to(page, "o-measure")
    page.keyboard.type("ALSFRS-R decline")
    for element_id, text in [
        ("o-comparison", "vs c"),
        ("o-window", "12 months of follow-up"),
        ("o-direction", "favours t"),
        ("o-p_value", "0.003"),
        ("o-source", "Table 2"),
        ("o-description", "Slower ALSFRS-R decline with MSC than without"),
        ("o-note", HOSTILE),
        ("o-g0-label", "treated"),
        ("o-g0-n", "10"),
        ("o-g0-central", "med"),
        ("o-g0-estimate", "0.38"),
        ("o-g0-unit", "points/month"),
        ("o-g0-dispersion_kind", "IQR"),
        ("o-g0-dispersion", "0.25"),  # an IQR typed as a ± value: the library refuses it
        ("o-g0-low", "0.29"),
        ("o-g0-high", "0.80"),
        ("o-g1-label", "control"),
        ("o-g1-n", "15"),
        ("o-g1-central", "med"),
        ("o-g1-estimate", "1.47"),
        ("o-g1-unit", "points/month"),
        ("o-g1-dispersion_kind", "IQR"),
        ("o-g1-low", "1.0"),
        ("o-g1-high", "1.58"),
        ("o-g1-printed", "1.47 (1.0; 1.58)"),
        ("o-g1-changes", "recorded as median (IQR): the brackets are not labelled"),
    ]:
        type_into(page, element_id, text)
    assert page.locator("#o-g0-dispersion_kind").input_value() == "IQR"
    assert page.locator("#o-g0-central").input_value() == "median"
    shots(page, "outcome_form_filled")
    tab_to(page, "o-g1-high")
    page.keyboard.press("Enter")  # implicit submission from a text field

    # not saved: the problems are listed and focused, the message sits next to its field
    expect(page.locator("#outcome-problems")).to_be_focused()
    err = page.locator("#o-g0-dispersion_kind-err")
    assert "IQR is given by its bounds (low, high), not as a ± dispersion" in err.inner_text()
    assert "o-g0-dispersion_kind-err" in (
        page.locator("#o-g0-dispersion_kind").get_attribute("aria-describedby") or ""
    )
    assert page.locator("#o-g1-printed").input_value() == "1.47 (1.0; 1.58)"  # input kept
    shots(page, "outcome_form_refused")
    # keyboard fix: the summary's link, then clear the ± value
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == ("#o-g0-dispersion_kind")
    tab_to(page, "o-g0-dispersion", limit=200)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Outcome 1 saved.")
    expect(page.locator("#outcome-1 li").first).to_contain_text(
        "treated: median 0.38 points/month (0.29 to 0.8, IQR), n = 10"
    )
    shots(page, "outcome_saved")

    # what the browser saved is what the library keeps for the same outcome as JSON
    web = reviewer_extraction(project, "r1", "rita")["efficacy"]
    set_field(project, "r1", "efficacy", [{**JSON, "note": HOSTILE}], reviewer="lib")
    assert web == reviewer_extraction(project, "r1", "lib")["efficacy"]
    # the hostile note is shown as text, never run
    assert HOSTILE in page.locator("#outcome-1").inner_text()
    assert page.evaluate("window.__xss") is None
    # the console holds the refused post's 422 and nothing else (no CSP violation, no error)
    assert [e for e in page.errors if "status of 422" not in e] == [], page.errors
    assert len(page.errors) == 1
