"""End to end in Debian's chromium: the full-text stage with an upload and a reason, an
appraisal form judged live, an extraction with an accepted suggestion, an export.
Screenshots go to test-artifacts/web/<test name>/."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect
from tests.extraction.pdfs import make_pdf
from tests.web.test_fulltext_extraction import TRIAL

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_full_text_appraisal_extraction_export(browser_page, shots, login, tmp_path):
    for name in ("rita", "ravi"):  # both include record 1 at title/abstract: full text
        assert login(name).vote(1, "include").status_code == 201
    pdf = tmp_path / "petrou2016.pdf"
    pdf.write_bytes(make_pdf([TRIAL]))

    rita = browser_page("rita")
    # full text: upload
    rita.goto("/fulltext")
    rita.get_by_label("PDF or text file").set_input_files(str(pdf))
    rita.get_by_role("button", name="Upload").click()
    rita.wait_for_selector("a[href^='/fulltext/file/']")
    shots(rita, "fulltext_uploaded")

    # full-text decision: exclusion without a reason is refused, with one it is saved
    rita.goto("/screen?stage=full_text")
    assert "Intrathecal mesenchymal" in rita.locator("#rec-title").inner_text()
    assert rita.locator("a[href^='/fulltext/file/']").count() == 1
    rita.locator("body").press("e")
    rita.wait_for_selector("#card .error[role=alert]")
    assert "reason" in rita.locator("#card .error").inner_text()
    shots(rita, "fulltext_reason_required")
    rita.get_by_label("Exclusion reason").select_option("no_outcome")
    rita.get_by_role("button", name="Exclude").click()
    rita.wait_for_selector("text=Nothing left for you to screen")
    shots(rita, "fulltext_excluded_with_reason")
    vote = rita.request.get("/api/records/1/decisions?stage=full_text").json()["votes"][0]
    assert (vote["decision"], vote["reason"]) == ("excluded", "no_outcome")

    # appraisal: the JBI checklist, judged as the answers change
    rita.goto("/appraisal")
    rita.get_by_role("link", name="jbi-rct").first.click()
    for i in range(1, 14):
        rita.get_by_label(f"{i}. ", exact=False).first.select_option("yes" if i > 2 else "no")
    # two "no" answers: moderate risk by the rule of the 2022 review (001_*)
    # (expect() polls without eval: the page's CSP forbids eval, rightly)
    expect(rita.locator("#overall")).to_have_text("moderate")
    shots(rita, "appraisal_jbi_live")
    rita.get_by_label("1. ", exact=False).first.select_option("yes")
    rita.get_by_label("2. ", exact=False).first.select_option("yes")
    expect(rita.locator("#overall")).to_have_text("low")
    rita.get_by_role("button", name="Save appraisal").click()
    rita.wait_for_selector("#saved-r1-jbi-rct")
    assert rita.locator("#saved-r1-jbi-rct .judgement").inner_text() == "low"
    shots(rita, "appraisal_saved")

    # extraction: accept the suggested number of patients, with its quote
    rita.goto("/extraction/r1")
    assert (
        "Nineteen patients with ALS were enrolled" in rita.locator("blockquote").first.inner_text()
    )
    rita.get_by_role("button", name="Accept patients_enrolled").click()
    rita.wait_for_selector("text=patients_enrolled accepted")
    # the button is gone with the swap: focus goes to the message, not back to the top
    expect(rita.get_by_role("status").filter(has_text="patients_enrolled accepted")).to_be_focused()
    row = rita.locator("#field-patients_enrolled")
    assert "19" in row.inner_text() and "r1: page 1" in row.inner_text()
    shots(rita, "extraction_accepted")

    # export: the CSV download
    rita.goto("/exports")
    with rita.expect_download() as dl:
        rita.get_by_role("link", name="CSV", exact=True).click()
    rows = list(csv.DictReader(io.StringIO(dl.value.path().read_text(encoding="utf-8"))))
    assert len(rows) == 5
    shots(rita, "exports")
    assert rita.errors == [], rita.errors
    assert rita.evaluate("window.__xss") is None
