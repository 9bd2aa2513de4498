"""The report's bottom line (issue 13): summary of findings, conclusions, safety, disclosure.

Checked against the seeds: 000_* (Khalid 2023), 001_* (Blume 2026) and 002_* (Syková 2017)
in ../shared/seeds, and the pooled before/after estimate against metafor 3.8-1
(tests/meta/data/alsfrs_prepost.json).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from alsreview.evidence import load_evidence
from alsreview.report.build import build_report
from alsreview.report.grade import Override, load_overrides
from alsreview.report.sof import summary_of_findings

ROOT = Path(__file__).parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"
REF = json.loads((ROOT / "tests" / "meta" / "data" / "alsfrs_prepost.json").read_text())
DESIGN_ORDER = ["randomised", "non-randomised controlled", "uncontrolled before/after"]


@pytest.fixture(scope="module")
def tree(bundled_report):
    return lxml_html.parse(str(bundled_report))


def text_of(tree, xpath):
    return " ".join(" ".join(e.text_content().split()) for e in tree.xpath(xpath))


def test_the_report_leads_with_the_bottom_line_and_randomised_evidence(tree):
    ids = tree.xpath("//section/@id")
    assert ids[:3] == ["bottom-line", "summary-of-findings", "conclusions"]
    works = tree.xpath("//div[@data-question='works']/div[@data-design]/@data-design")
    assert works == DESIGN_ORDER
    for q in ("works", "sure", "safe"):
        assert tree.xpath(f"//section[@id='bottom-line']//div[@data-question='{q}']")
    # every outcome's rows: randomised first, never pooled together
    rows = tree.xpath("//table[@data-table='sof']//tr[@data-outcome]")
    for outcome in {r.get("data-outcome") for r in rows}:
        designs = [r.get("data-design") for r in rows if r.get("data-outcome") == outcome]
        assert designs == DESIGN_ORDER, outcome


def test_randomised_alsfrs_row_holds_both_trials_and_the_phase_3_result(tree):
    (row,) = tree.xpath(
        "//table[@data-table='sof']//tr[@data-outcome='alsfrs' and @data-design='randomised']"
    )
    assert row.get("data-studies").split() == ["berry2019", "cudkowicz2022"]
    assert row.get("data-patients") == "244"  # 48 + 196 (Blume Table 1)
    text = " ".join(row.text_content().split())
    assert "p = 0.45" in text and "Pooled" not in text
    # Blume appraised both trials "low or moderate" (JBI); no CI printed and 244 < 400
    # patients: imprecision very serious -> low certainty, "may"
    assert "low" in text and "imprecision: very serious (-2)" in text
    assert "may result in little to no difference in functional decline" in text


def test_only_the_before_after_cohorts_are_pooled_and_match_metafor(tree):
    pooled = tree.xpath("//table[@data-table='sof']//tr[.//strong[text()='Pooled:']]")
    assert [r.get("data-design") for r in pooled] == ["uncontrolled before/after"]
    ref = REF["MC_r0.5"]
    text = " ".join(pooled[0].text_content().split())
    expect = f"{ref['estimate']:.2f} points/month (95% CI {ref['ci_lb']:.2f} to {ref['ci_ub']:.2f}"
    assert expect in text


def test_statements_match_the_certainty_shown(tree):
    for row in tree.xpath("//table[@data-table='sof']//tr[@data-outcome]"):
        cert = row.xpath(".//span[contains(@class, 'cert ')]/text()")
        statement = row.xpath("./td[@class='statement']")[0].text_content()
        if not cert:
            assert statement.startswith("No ") and "evidence" in statement
            continue
        wording = {"very low": "very uncertain", "low": " may ", "moderate": "probably"}
        if statement.startswith("It is unclear whether"):  # no direction to state
            assert cert[0] != "very low"
        elif cert[0] in wording:
            assert wording[cert[0]] in statement, (cert, statement)


def test_risk_of_bias_source_and_gaps_are_said(tree):
    (note,) = tree.xpath("//section[@id='bottom-line']//p[@data-rob]")
    assert note.get("data-rob") == "partly appraised"
    text = " ".join(note.text_content().split())
    # Blume (Results): every included study at low or moderate risk; Khalid appraises none
    assert "blume2026: low or moderate" in text and "18 of 21 studies" in text
    assert "not appraised : Sobus A 2018, Staff NP 2016, Mohseni R 2022" in text.replace(
        "not appraised:", "not appraised :"
    )
    reasons = text_of(tree, "//table[@data-table='sof']//li[@data-domain='risk_of_bias']")
    assert "no control group" in reasons and "judged at low or moderate risk" in reasons


def test_without_appraisals_the_report_says_so(tmp_path):
    index = build_report(tmp_path / "o", appraisals={}, trial=None)
    tree = lxml_html.parse(str(index))
    (note,) = tree.xpath("//section[@id='bottom-line']//p[@data-rob]")
    assert note.get("data-rob") == "not appraised"
    reasons = text_of(tree, "//table[@data-table='sof']//li[@data-domain='risk_of_bias']")
    assert "not appraised (100% of the patients)" in reasons


def test_appraisals_and_overrides_change_the_rating(tmp_path):
    evidence = load_evidence()
    rob = {s.id: "low" for s in evidence.studies}
    rows = summary_of_findings(evidence, rob=rob)
    rct = next(r for r in rows if (r.outcome.key, r.design) == ("alsfrs", "randomised"))
    assert rct.certainty.judgement("risk_of_bias").change == 0
    ov = Override(
        "functional decline (ALSFRS-R)", "randomised", "imprecision", -1, "checked: test says so"
    )
    index = build_report(tmp_path / "o", appraisals=rob, overrides=[ov], trial=None)
    page = index.read_text("utf-8")
    assert "checked: test says so" in page and "the rule said:" in page
    assert 'data-rob="appraised"' in page


def test_safety_keeps_the_trials_deaths_and_headaches(tree):
    # 002 Table 3: patients 2 and 10 died of respiratory failure, not related to the cells
    row = tree.xpath("//table[@data-table='safety-by-study']//tr[@data-study='sykova2017']")[0]
    text = " ".join(row.text_content().split())
    assert "2: respiratory failure (2); none related to treatment" in text
    # 002 Table 3: headache in patients 4, 5, 8, 9, 13, 16, 17 = 7 of 26
    assert "headache after lumbar puncture (7 of 26 patients)" in text
    # Blume (Results, Safety): headache after lumbar puncture in refs 24-27, 29, 30, 32 = 7
    routes = text_of(tree, "//table[@data-table='safety-by-route']")
    counts = re.findall(r"headache after lumbar puncture: (\d+) stud", routes)
    assert sum(int(c) for c in counts) == 7
    assert "death" in text_of(tree, "//section[@id='bottom-line']").lower()


def test_serious_event_figure_counts_studies_only(bundled_report):
    from alsreview.report.figures import plot_serious_events_by_route

    evidence = load_evidence()
    fig = plot_serious_events_by_route(evidence.studies)
    ax = fig.axes[0]
    widths = {}
    for patch in ax.patches:
        y = round(patch.get_y() + patch.get_height() / 2)
        widths[y] = widths.get(y, 0) + patch.get_width()
    assert sum(widths.values()) == len(evidence.studies)
    assert ax.get_xlabel() == "Studies"


def test_changed_values_show_what_was_printed(tree):
    eff = tree.xpath("//section[@id='efficacy']//div[@class='changes']")
    printed = " | ".join(d.get("data-printed") for d in eff)
    assert "-1.054 ± 0.86/month" in printed  # Blume, Results (Petrou 2021): sign flipped
    assert "-0.6; -0.7" in printed  # Ruiz-López: sign flipped
    assert "0.38 (0.29–0.80)" in printed  # Rushkevich: recorded as median (IQR)
    notes = text_of(tree, "//section[@id='efficacy']//div[@class='changes']")
    assert "sign flipped" in notes and "without naming the dispersion" in notes
    # 002 Table 4 labels the row mean ± SEM; the dispersions are SDs (integrity check)
    efficacy = text_of(tree, "//section[@id='efficacy']")
    assert "89 % predicted ± 11 (SD)" in efficacy and "± 11 (SEM)" not in efficacy
    assert "89 ± 11 (row labelled Mean ± SEM)" in efficacy
    # the abstract's 75% does not reproduce from Table 5
    flags = text_of(tree, "//section[@id='efficacy']//div[@class='flag']")
    assert "20/23 (87%)" in flags


def test_no_monthly_axis_for_values_without_a_time_unit():
    from alsreview.report.figures import pre_post_pairs

    labels = [p[0] for p in pre_post_pairs(load_evidence().studies)]
    assert not any(label.startswith(("Ruiz", "Kim")) for label in labels)


def test_derived_counts_and_readability(bundled_report, tree):
    page = " ".join(tree.getroot().text_content().split())
    evidence = load_evidence()
    named = {s.cell_type.value for s in evidence.studies if s.cell_type.value}
    assert len(named) == 12
    assert "12 named cell types (1 study does not report the cell type)" in page
    assert not re.search(r"\b1 studies\b", page)
    assert "every bimonthly" not in page and ", bimonthly" in page
    assert "{'field'" not in page and "window: 2 months" in page
    assert " 0 patients" not in page
    assert "N not reported" in page


def test_external_details_and_inferred_cohorts_are_marked(tree):
    ext = text_of(tree, "//section[@id='sources']//span[@data-external]")
    assert "not printed in the seed text (000_*)" in ext and "ecommons.aku.edu" in ext
    overview = text_of(tree, "//section[@id='overview']")
    assert "Inferred by alsreview, not stated by any source" in overview


def _seed_text(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    text = re.sub(r"-\s*\n\s*", "", path.read_text("utf-8"))  # undo hyphenation at line ends
    return " ".join(text.split())


def test_conclusions_are_quoted_verbatim_with_provenance(tree):
    seeds = {"khalid2023": "000", "blume2026": "001", "sykova2017": "002"}
    blocks = tree.xpath("//section[@id='conclusions']//div[@data-source]")
    assert sorted(b.get("data-source") for b in blocks) == sorted(seeds)
    for block in blocks:
        seed = _seed_text(seeds[block.get("data-source")])
        for quote in block.xpath(".//blockquote"):
            text = " ".join(quote.text_content().split())
            said = text.split("”")[0].lstrip("“")
            assert said in seed, said
            assert quote.xpath("./cite")[0].text_content().startswith(block.get("data-source"))
    statements = tree.xpath("//section[@id='conclusions']//ul[@class='statements']/li")
    assert len(statements) >= 5


def test_trial_section_is_in_the_review_report(tree):
    text = text_of(tree, "//section[@id='trial']")
    assert "51.2 ± 1.7" in text and "Headache" in text


@pytest.mark.browser
def test_first_screen_and_sof_in_a_real_browser(bundled_report, browser, tmp_path):
    browser.set_window_size(1400, 1000)
    browser.get(bundled_report.as_uri())
    height = browser.execute_script("return window.innerHeight")
    for q in ("works", "sure", "safe"):
        top = browser.execute_script(
            "return document.querySelector(`div[data-question='${arguments[0]}'] h3`)"
            ".getBoundingClientRect().top",
            q,
        )
        assert 0 < top < height, (q, top, height)
    rct = browser.find_element(
        "css selector", "div[data-question='works'] div[data-design='randomised']"
    )
    assert rct.is_displayed() and "Cudkowicz" in rct.text
    browser.execute_script("document.getElementById('summary-of-findings').scrollIntoView()")
    table = browser.find_element("css selector", "table[data-table='sof']")
    assert table.is_displayed() and table.size["width"] > 800
    badge = table.find_element("css selector", "span.cert")
    colour = badge.value_of_css_property("background-color")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    assert len(table.find_elements("css selector", "tr[data-outcome]")) == 15
    shot = tmp_path / "sof.png"
    assert table.screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_trial_table_2_is_said_to_reproduce(tree):
    (p,) = tree.xpath("//section[@id='trial']//p[@data-reproduces]")
    assert p.get("data-reproduces") == "yes"
    rows = tree.xpath("//table[@data-table='trial-reproduction']//tbody/tr")
    cells = [[c.text_content() for c in r.xpath("./td")] for r in rows]
    # 002 Table 2, bottom row: 51.2 ± 1.7, 38.1 ± 4.2, 29.5 ± 1.0, 88.8 ± 2.3 (mean ± SEM)
    assert [c[1] for c in cells] == ["51.2", "1.7", "38.1", "4.2", "29.5", "1.0", "88.8", "2.3"]
    assert all(c[1] == c[2] and c[3] == "yes" for c in cells)


def test_a_table_that_does_not_reproduce_is_said_so():
    from alsreview.report.trial import reproduction
    from alsreview.trial.analysis import analyze_trial
    from alsreview.trial.ipd import load_trial

    evidence = load_evidence()
    table = next(t for t in evidence.tables if t.id == "Table 2")
    stated = [
        s.model_copy(update={"value": s.value.model_copy(update={"value": 51.3})})
        if s.label == "age (mean)"
        else s
        for s in table.stated_totals
    ]
    bad = table.model_copy(update={"stated_totals": stated})
    trial = analyze_trial(load_trial(ROOT / "src" / "alsreview" / "data" / "trial_example"))
    check = reproduction(trial, bad)
    assert check["reproduces"] is False
    assert [r["what"] for r in check["rows"] if not r["same"]] == ["age (years): mean"]


def test_cli_reads_grade_overrides_and_refuses_bad_ones(tmp_path):
    import subprocess
    import sys

    good = tmp_path / "overrides.json"
    good.write_text(json.dumps([{
        "outcome": "survival", "design": "non-randomised controlled", "domain": "indirectness",
        "change": 0, "justification": "PRO-ACT controls matched on onset and ALSFRS-R (checked)",
    }]), "utf-8")  # fmt: skip
    bad = tmp_path / "bad.json"
    entry = {"outcome": "survival", "design": "randomised", "domain": "imprecision"}
    bad.write_text(json.dumps([{**entry, "change": -1, "justification": ""}]), "utf-8")
    cmd = [sys.executable, "-m", "alsreview", "report", "--out", str(tmp_path / "b")]
    out = subprocess.run(
        [*cmd, "--grade-overrides", str(bad)], capture_output=True, text=True, env=_wide_env()
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "override 1" in out.stderr and "needs a written justification" in out.stderr
    assert not (tmp_path / "b" / "index.html").exists()
    index = build_report(tmp_path / "g", overrides=load_overrides(good), trial=None)
    assert "PRO-ACT controls matched on onset" in index.read_text("utf-8")


def _wide_env() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "400"}  # error text not wrapped mid-word
