"""`alsreview report`: every section and figure is there, in the file and in a real browser."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources

import pytest
from lxml import html as lxml_html

from alsreview.evidence import load_evidence
from alsreview.report.build import build_report

SECTIONS = [
    "overview",
    "prisma-khalid2023",
    "prisma-blume2026",
    "studies-by-cell",
    "studies-by-route",
    "safety",
    "efficacy",
    "alsfrs-synthesis",
    "integrity",
    "disagreements",
    "sources",
]
FIGURES = [
    "prisma_khalid2023",
    "prisma_blume2026",
    "studies_by_cell_type_and_route",
    "serious_adverse_events_by_route",
    "alsfrs_decline_pre_post",
    "alsfrs_prepost_forest",
]


def test_every_section_and_figure_is_in_the_page(bundled_report):
    tree = lxml_html.parse(str(bundled_report))
    ids = tree.xpath("//section/@id")
    for section in SECTIONS:
        assert section in ids
    for name in FIGURES:
        fig = tree.xpath(f"//figure[@data-figure='{name}']")
        assert fig, name
        assert fig[0].xpath(".//*[local-name()='svg']"), f"{name} is not inlined as SVG"
        svg = bundled_report.parent / f"{name}.svg"
        png = bundled_report.parent / f"{name}.png"
        assert svg.read_text("utf-8").lstrip().startswith(("<?xml", "<svg"))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_page_is_self_contained(bundled_report):
    text = bundled_report.read_text("utf-8")
    tree = lxml_html.fromstring(text)
    assert not tree.xpath("//img[not(starts-with(@src, 'data:'))]")
    assert not tree.xpath("//script[@src] | //link[@rel='stylesheet']")


def test_study_tables_list_every_study_once_per_grouping(bundled_report):
    evidence = load_evidence()
    tree = lxml_html.parse(str(bundled_report))
    for grouping in ("cell type", "route"):
        rows = tree.xpath(
            f"//table[@data-grouping='{grouping}' and @class='studies']//tr[@data-study]"
        )
        assert sorted(r.get("data-study") for r in rows) == sorted(s.id for s in evidence.studies)


def test_integrity_section_reports_the_table_that_does_not_add_up(bundled_report):
    tree = lxml_html.parse(str(bundled_report))
    rows = tree.xpath("//section[@id='integrity']//tr[@data-check='stated total']")
    text = " ".join(r.text_content() for r in rows)
    assert "623" in text and "Patients" in text


def test_sources_cite_every_paper_by_doi(bundled_report):
    evidence = load_evidence()
    tree = lxml_html.parse(str(bundled_report))
    links = set(tree.xpath("//section[@id='sources']//a/@href"))
    for paper in evidence.sources.values():
        if paper.doi:
            assert f"https://doi.org/{paper.doi}" in links
    for study in evidence.studies:
        if study.citation.doi:
            assert f"https://doi.org/{study.citation.doi}" in links


def test_user_evidence_file_is_escaped(tmp_path):
    bundled = resources.files("alsreview.data").joinpath("evidence_als_stem_cells.json")
    data = json.loads(bundled.read_text("utf-8"))
    data["title"] = "<script>alert('title')</script>"
    data["studies"][0]["citation"]["first_author"] = "<img src=x onerror=alert(1)>"
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(data), "utf-8")
    index = build_report(tmp_path / "out", evidence_path=path)
    text = index.read_text("utf-8")
    assert "<script>" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;" in text


def test_cli_reports_a_bad_evidence_file_by_name(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text('{"title": "x", "sources": {}, "studies": [{"id": "BAD ID"}]}', "utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "alsreview",
            "report",
            "--out",
            str(tmp_path / "o"),
            "--evidence",
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1
    assert "broken.json" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "o" / "index.html").exists()


@pytest.mark.browser
def test_report_in_a_real_browser(bundled_report, browser, tmp_path):
    browser.get(bundled_report.as_uri())
    assert "Stem-cell therapy in ALS" in browser.title
    for section in SECTIONS:
        el = browser.find_element("id", section)
        assert el.is_displayed(), section
        assert el.find_element("tag name", "h2").text.strip()
    for name in FIGURES:
        box = browser.execute_script(
            "const s = document.querySelector(`figure[data-figure='${arguments[0]}'] svg`);"
            "if (!s) return null; const r = s.getBoundingClientRect();"
            "return [r.width, r.height];",
            name,
        )
        assert box is not None, name
        assert box[0] > 100 and box[1] > 100, (name, box)
    # the PRISMA diagrams' counts are rendered text in the page
    text = browser.find_element("id", "prisma-khalid2023").text
    assert "157" in text and "19" in text
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_values_differing_from_a_printed_one_say_what_was_printed(bundled_report):
    """Issue 13 (disclosure): a value another paper prints differently carries a visible note
    with the other printed value and where the shown one comes from, not only the † marker.
    Real cases of the bundled evidence base: Rushkevich's country (Belarus from the trial's
    title as Blume cites it; Khalid's Table 1 prints United States), Oh's N (Blume Table 1: 8;
    Syková's Discussion: 7), and Blume's misspelt 'Cudkovicz' next to Cudkowicz 2022."""
    tree = lxml_html.parse(str(bundled_report))
    table = "//table[@data-grouping='cell type' and @class='studies']"

    def notes(study: str) -> str:
        cells = tree.xpath(
            f"{table}//tr[@data-study='{study}']//div[@class='changes printed-note']"
        )
        return " ".join(c.text_content() for c in cells)

    rushkevich = notes("rushkevich2015")
    assert "United States (khalid2023: Table 1)" in rushkevich
    assert "Shown: Belarus, from blume2026: References #25 (title)" in rushkevich
    oh = notes("oh2015")
    assert "7 (sykova2017: Discussion)" in oh and "Shown: 8, from blume2026: Table 1" in oh
    label = tree.xpath(
        f"{table}//tr[@data-study='cudkowicz2022']//div[contains(@class,'label-note')]"
    )
    assert label and "Cudkovicz" in label[0].text_content()
    # every disputed value in the table has its note, and no undisputed one has
    for span in tree.xpath(f"{table}//td/span[contains(@class,'disputed')]"):
        after = span.getnext()
        assert after is not None and "printed-note" in after.get("class", ""), span.text_content()
    n_notes = len(tree.xpath(f"{table}//div[@class='changes printed-note']"))
    assert n_notes == len(tree.xpath(f"{table}//td/span[contains(@class,'disputed')]"))


def test_trial_ipd_adverse_events_enter_the_safety_section_beside_table_3(bundled_report):
    """Issue 13 (safety): the bundled trial's adverse_events.csv, exported into the evidence
    model by `trial.export`, is counted as patients with the event / 26 exposed beside 002's
    Table 3 as typed. Table 3 lists headache in 6 (mild) + 1 (moderate) of 26 patients and
    two deaths (patients 2 and 10); the patient rows agree. The typed term 'Hyperhydrosis'
    and the rows' 'Hyperhidrosis' do not match: both are shown as a disagreement."""
    tree = lxml_html.parse(str(bundled_report))
    table = "//section[@id='safety']//table[@data-table='safety-ipd']"

    def row(term: str) -> list[str]:
        (tr,) = tree.xpath(f"{table}//tr[@data-term='{term}']")
        return [td.text_content() for td in tr.xpath("td")] + [tr.get("data-agree")]

    headache = row("Headache")
    assert headache[1:3] == ["7/26", "7/26"] and headache[-1] == "yes"
    assert "sykova2017: Table 3" in headache[3] and "sykova2017-ipd: IPD analysis" in headache[3]
    deaths = row("Deaths")
    assert deaths[1:3] == ["2/26", "2/26"] and deaths[-1] == "yes"
    typed, ipd = row("Hyperhydrosis"), row("Hyperhidrosis")
    assert typed[1:3] == ["1/26", "no patient with it"] and typed[-1] == "no"
    assert ipd[1:3] == ["not listed", "1/26"] and "sources disagree" in ipd[0]
    flag = tree.xpath(f"{table}/preceding-sibling::p[1]")[0].text_content()
    assert "2 rows differ" in flag


def test_ipd_rows_show_a_changed_count_as_a_disagreement():
    """A count the patient rows give differently from the typed table is flagged with both."""
    from alsreview.report.evidence_sections import ipd_safety_rows, trial_report_study

    evidence = load_evidence()
    typed = trial_report_study(evidence)
    assert typed is not None and typed.id == "sykova2017"
    ipd = typed.model_copy(
        update={
            "safety": typed.safety.model_copy(
                update={
                    "adverse_events": [
                        typed.safety.adverse_events[0].model_copy(update={"n_patients": 3})
                    ]
                }
            )
        }
    )
    rows = {r["term"]: r for r in ipd_safety_rows(typed, ipd)}
    peg = rows["PEG insertion"]
    assert (peg["typed"], peg["ipd"], peg["agree"]) == ("2/26", "3/26", False)
    assert rows["Cystitis"]["ipd"] == "no patient with it" and not rows["Cystitis"]["agree"]


def test_study_tables_show_each_studys_risk_of_bias_with_tool_and_source(bundled_report):
    """The risk-of-bias column repeats the bundled published appraisals as printed: Blume et
    al. 2026 (Results, 'Data extraction and risk of bias analysis') appraise with the JBI
    checklists and say only that every study was at low or moderate risk, so the cell is
    "low or moderate" with that said next to it; studies they did not include are "not
    appraised", never a guessed judgement."""
    from alsreview.appraisal.bundled import load_published
    from alsreview.appraisal.instrument import load_instrument

    published = load_published().by_study()
    evidence = load_evidence()
    tree = lxml_html.parse(str(bundled_report))
    for s in evidence.studies:
        for grouping in ("cell type", "route"):
            (cell,) = tree.xpath(
                f"//table[@data-grouping='{grouping}']//tr[@data-study='{s.id}']/td[@class='rob']"
            )
            text = " ".join(cell.text_content().split())
            if s.id in published:
                a = published[s.id]
                assert text.startswith(" or ".join(a.overall)), (s.id, text)
                assert load_instrument(a.tool).name in text
                assert "Blume et al. 2026" in text and "no per-study judgement" in text
            else:
                assert text == "not appraised", (s.id, text)
    assert {s.id for s in evidence.studies} - set(published)  # some are not appraised


def test_study_tables_show_a_reviewers_own_appraisal(tmp_path):
    """Appraisals given to the report (a team's own, judged by `appraisal.judge`) replace
    the published ones in the column; a study left out reads "not appraised"."""
    from alsreview.appraisal.algorithm import judge
    from alsreview.appraisal.instrument import load_instrument

    inst = load_instrument("rob2")
    # RoB 2 with every domain low but 5.1 = NI: overall "some concerns" (the 22 August 2019
    # algorithm, guidance Table 3; as tests/appraisal/test_results_api.py)
    answers = {"1.1": "Y", "1.2": "Y", "1.3": "N", "2.1": "N", "2.2": "N", "2.6": "Y",
               "3.1": "Y", "4.1": "N", "4.2": "N", "4.3": "N", "5.1": "NI", "5.2": "N",
               "5.3": "N"}  # fmt: skip
    own = judge(inst, answers)
    assert own.overall == "some concerns"
    index = build_report(tmp_path, appraisals={"berry2019": own}, trial=None)
    tree = lxml_html.parse(str(index))
    (cell,) = tree.xpath(
        "//table[@data-grouping='route']//tr[@data-study='berry2019']/td[@class='rob']"
    )
    text = " ".join(cell.text_content().split())
    assert text.startswith(own.overall) and inst.name in text and "Blume" not in text
    (other,) = tree.xpath(
        "//table[@data-grouping='route']//tr[@data-study='kim2014']/td[@class='rob']"
    )
    assert other.text_content().strip() == "not appraised"
