"""The risk-of-bias section and its robvis figures in a real browser (headless Chromium)."""

from __future__ import annotations

import pytest

from alsreview.appraisal.table import RobRow, RobTable
from alsreview.evidence import load_evidence
from alsreview.report.build import write_report
from alsreview.report.robvis import appraisal_section


@pytest.mark.browser
def test_risk_of_bias_section_in_a_browser(browser, tmp_path):
    judgements = ["low", "some concerns", "high"]
    rows = tuple(
        RobRow(
            f"Study {i:02d}",
            {f"D{k}": judgements[(i * k) % 3] for k in range(1, 6)},
            judgements[i % 3],
        )
        for i in range(41)
    )
    section = appraisal_section(load_evidence(), tables=[RobTable("rob2", rows)])
    index = write_report(tmp_path, [section], title="RoB test", evidence_name="bundled")
    browser.get(index.as_uri())
    el = browser.find_element("id", "risk-of-bias")
    assert el.is_displayed() and "Risk of bias" in el.find_element("tag name", "h2").text
    assert "low or moderate" in el.text and "No published risk-of-bias appraisal" in el.text
    fills = browser.execute_script(
        "const f = document.querySelector(`figure[data-figure='rob_rob2_traffic_light'] svg`);"
        "return Array.from(f.querySelectorAll('g[id^=\"rob-cell-\"] path'))"
        ".map(p => getComputedStyle(p).fill);"
    )
    assert len(fills) == 41 * 6
    colour = {"low": "rgb(2, 193, 0)", "some concerns": "rgb(226, 223, 7)",
              "high": "rgb(191, 0, 0)"}  # fmt: skip
    assert fills[:6] == [colour[rows[0].domains[f"D{k}"]] for k in range(1, 6)] + [
        colour[rows[0].overall]]  # fmt: skip
    box = browser.execute_script(
        "const s = document.querySelector(`figure[data-figure='rob_rob2_summary'] svg`);"
        "const r = s.getBoundingClientRect(); return [r.width, r.height];"
    )
    assert box[0] > 300 and box[1] > 100
    shot = tmp_path / "rob.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
