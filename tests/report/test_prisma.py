"""PRISMA 2020 flow diagrams: arithmetic checks, the layout, its matplotlib SVG and PNG.

The two bundled reviews' counts are taken from their text:
- 001_* (Blume et al.): PubMed 26, LILACS 0, SciELO 0; 8 excluded on title and abstract,
  18 selected and included (Results, "Data extraction"); no full-text counts given.
- 000_* (the 2022 review): 157 records from MEDLINE/PubMed, Cochrane Library and Scopus
  (no per-database counts); duplicates removed (number not given) and 56 clinical trials
  kept; 20 full texts reviewed; 19 trials reviewed (Introduction, Table 1).
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import zlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from alsreview.errors import ValidationError
from alsreview.prisma import NOT_REPORTED, OtherMethods, PreviousReview, PrismaFlow
from alsreview.report.prisma import (
    draw_prisma,
    prisma_figure,
    prisma_layout,
    prisma_matplotlib,
    prisma_png,
)
from alsreview.report.section import Figure

SVG_NS = "http://www.w3.org/2000/svg"
NBSP = "\u00a0"

BLUME_001 = PrismaFlow(
    databases={"PubMed": 26, "LILACS": 0, "SciELO": 0},
    records_screened=26,
    records_excluded=8,
    studies_included=18,
)
REVIEW_000 = PrismaFlow(
    databases={"MEDLINE (PubMed)": None, "Cochrane Library": None, "Scopus": None},
    databases_total=157,
    records_screened=56,
    reports_assessed=20,
    studies_included=19,
)

# A complete, consistent updated review with both columns; every count is distinct so a
# test that looks for one cannot be satisfied by another.
FULL = PrismaFlow(
    databases={"PubMed": 301, "Scopus": 251, "Embase": 151},
    registers={"ClinicalTrials.gov": 41},
    duplicates_removed=203,
    automation_removed=11,
    other_removed=6,
    records_screened=524,
    records_excluded=397,
    reports_sought=127,
    reports_not_retrieved=7,
    reports_assessed=120,
    reports_excluded={"Wrong population": 43, "Animal study": 29, "Review article": 17},
    studies_included=25,
    reports_included=33,
    other_methods=OtherMethods(
        sources={"Websites": 13, "Citation searching": 14},
        reports_sought=23,
        reports_not_retrieved=3,
        reports_assessed=20,
        reports_excluded={"Conference abstract only": 18},
    ),
    previous=PreviousReview(
        studies_included=19, reports_included=21, total_studies=44, total_reports=54
    ),
)


def parse_svg(svg: str) -> etree._Element:
    # Strict XML parse (lxml refuses malformed documents); bytes because of the declaration.
    return etree.fromstring(svg.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False))


TEXT_ID = re.compile(r"prisma-(box|note|header|phase)-(\d+)-text-(\d+)")


def box_texts(root: etree._Element, kind: str = "box|note|header|phase") -> list[str]:
    """Text of each drawn box, its wrapped lines joined with spaces, no-break spaces kept.
    The renderer gives every line of box i of a kind the element id `prisma-<kind>-i-text-j`."""
    boxes: dict[tuple[str, int], list[str]] = {}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        m = TEXT_ID.fullmatch(g.get("id", ""))
        if m and re.fullmatch(kind, m.group(1)):
            boxes.setdefault((m.group(1), int(m.group(2))), []).append(
                " ".join(t.text or "" for t in g.iter(f"{{{SVG_NS}}}text"))
            )
    return [" ".join(lines) for lines in boxes.values()]


def n(value: int) -> str:
    return f"(n{NBSP}={NBSP}{value})"


# ----------------------------------------------------------------------------- arithmetic


def test_bundled_reviews_counts_are_consistent():
    assert BLUME_001.inconsistencies() == []
    assert REVIEW_000.inconsistencies() == []
    assert FULL.inconsistencies() == []
    assert BLUME_001.records_identified == 26
    assert REVIEW_000.databases_identified == 157
    assert REVIEW_000.records_identified == 157  # no registers named -> none searched


def test_equation_broken_between_adjacent_boxes():
    flow = replace(FULL, records_screened=530)  # 744 - 220 = 524, not 530
    issues = flow.inconsistencies()
    screened = [i for i in issues if i.box == "records screened"]
    assert len(screened) == 1
    assert (screened[0].kind, screened[0].expected, screened[0].found) == ("equation", 524, 530)
    assert "744" in screened[0].message and "524" in screened[0].message
    # 530 - 397 = 133 is not the 127 sought either: the next box is checked against 530.
    sought = [i for i in issues if i.box == "reports sought for retrieval"]
    assert [(i.expected, i.found) for i in sought] == [(133, 127)]


def test_each_step_of_the_chain_is_checked():
    cases = {
        "reports_not_retrieved": ("reports assessed for eligibility", 127 - 9, 120),
        "records_excluded": ("reports sought for retrieval", 524 - 390, 127),
    }
    flows = {
        "reports_not_retrieved": replace(FULL, reports_not_retrieved=9),
        "records_excluded": replace(FULL, records_excluded=390),
    }
    for key, flow in flows.items():
        box, expected, found = cases[key]
        got = [(i.box, i.expected, i.found) for i in flow.inconsistencies()]
        assert got == [(box, expected, found)], key


def test_included_reports_count_both_columns():
    # databases: 120 - 89 = 31 reports; other methods: 20 - 18 = 2 reports; total 33.
    assert FULL.inconsistencies() == []
    issues = replace(FULL, reports_included=31).inconsistencies()
    assert [(i.kind, i.box, i.expected, i.found) for i in issues] == [
        ("equation", "reports of included studies", 33, 31),
        ("equation", "total reports included", 52, 54),  # 21 previous + 31 new
    ]
    assert "120 assessed - 89 excluded" in issues[0].message
    om = replace(FULL.other_methods, reports_assessed=21)  # 23 - 3 = 20, not 21
    boxes = {i.box for i in replace(FULL, other_methods=om).inconsistencies()}
    assert "other methods: reports assessed for eligibility" in boxes


def test_unreported_boxes_turn_equations_into_bounds():
    # 001: sought and assessed are not reported; 26 - 8 = 18 leaves room for 18 included.
    assert replace(BLUME_001, studies_included=18).inconsistencies() == []
    issues = replace(BLUME_001, studies_included=19).inconsistencies()
    assert len(issues) == 1
    assert (issues[0].kind, issues[0].expected, issues[0].found) == ("bound", 18, 19)
    assert "at most 18" in issues[0].message
    # Duplicates not reported: screened may be fewer than identified but never more.
    assert replace(REVIEW_000, records_screened=157).inconsistencies() == []
    over = replace(REVIEW_000, records_screened=158).inconsistencies()
    assert [(i.box, i.kind) for i in over] == [("records screened", "bound")]


def test_studies_may_be_fewer_than_reports_but_not_more():
    # Without a reports count, studies included is only bounded by assessed - excluded.
    flow = replace(REVIEW_000, reports_excluded_total=1, studies_included=17)
    assert flow.inconsistencies() == []
    flow = replace(REVIEW_000, reports_excluded_total=1, studies_included=20)
    assert [(i.kind, i.expected, i.found) for i in flow.inconsistencies()] == [("bound", 19, 20)]
    issues = replace(FULL, studies_included=34).inconsistencies()
    assert any(i.box == "studies included" and i.found == 34 for i in issues)


def test_stated_totals_must_match_their_parts():
    flow = replace(REVIEW_000, databases={"MEDLINE": 100, "Scopus": 50}, databases_total=157)
    issues = flow.inconsistencies()
    assert [(i.kind, i.box, i.expected, i.found) for i in issues] == [
        ("total", "databases", 150, 157)
    ]
    flow = replace(FULL, reports_excluded_total=90)  # reasons sum to 89
    assert ("total", "reports excluded") in {(i.kind, i.box) for i in flow.inconsistencies()}


def test_updated_review_totals():
    bad = replace(FULL, previous=replace(FULL.previous, total_studies=45))
    issues = bad.inconsistencies()
    assert [(i.box, i.expected, i.found) for i in issues] == [("total studies included", 44, 45)]


@st.composite
def consistent_flows(draw):
    """A flow built forwards from random counts, so its arithmetic holds by construction."""
    c = st.integers(0, 500)
    dbs = draw(st.lists(c, min_size=1, max_size=4))
    identified = sum(dbs)
    dup = draw(st.integers(0, identified))
    screened = identified - dup
    excluded = draw(st.integers(0, screened))
    sought = screened - excluded
    not_retrieved = draw(st.integers(0, sought))
    assessed = sought - not_retrieved
    reasons = draw(st.lists(st.integers(0, 50), max_size=3))
    reasons = reasons if sum(reasons) <= assessed else []
    reports = assessed - sum(reasons)
    studies = draw(st.integers(0, reports))
    return PrismaFlow(
        databases={f"DB{i}": v for i, v in enumerate(dbs)},
        duplicates_removed=dup,
        automation_removed=0,
        other_removed=0,
        records_screened=screened,
        records_excluded=excluded,
        reports_sought=sought,
        reports_not_retrieved=not_retrieved,
        reports_assessed=assessed,
        reports_excluded={f"reason {i}": v for i, v in enumerate(reasons)},
        reports_excluded_total=sum(reasons),
        studies_included=studies,
        reports_included=reports,
    )


COUNT_FIELDS = [
    "duplicates_removed",
    "records_screened",
    "records_excluded",
    "reports_sought",
    "reports_not_retrieved",
    "reports_assessed",
    "reports_included",
]


@settings(max_examples=150, deadline=None)
@given(consistent_flows(), st.sampled_from(COUNT_FIELDS), st.integers(1, 40))
def test_any_single_change_to_a_consistent_flow_is_caught(flow, name, delta):
    assert flow.inconsistencies() == []
    changed = replace(flow, **{name: getattr(flow, name) + delta})
    assert changed.inconsistencies(), name
    # ...and hiding any one count never creates an inconsistency.
    assert replace(flow, **{name: None}).inconsistencies() == []


def test_bad_counts_raise_a_validation_error():
    with pytest.raises(ValidationError, match=r"records_screened.*negative"):
        PrismaFlow(records_screened=-1)
    with pytest.raises(ValidationError, match="whole number"):
        PrismaFlow(records_excluded=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="whole number"):
        PrismaFlow(databases={"PubMed": "26"})  # type: ignore[dict-item]


def test_dict_round_trip_and_errors_name_the_field_and_file():
    data = FULL.to_dict()
    assert PrismaFlow.from_dict(data) == FULL
    assert data["other_methods"]["sources"] == {"Websites": 13, "Citation searching": 14}
    with pytest.raises(ValidationError) as err:
        PrismaFlow.from_dict({"records_screend": 3}, source="evidence.json")
    assert "records_screend" in str(err.value)
    assert err.value.problems[0].file == "evidence.json"
    with pytest.raises(ValidationError) as err:
        PrismaFlow.from_dict({"previous": {"studies_included": -2}}, source="x.json")
    assert "previous.studies_included" in str(err.value)
    assert err.value.problems[0].file == "x.json"


def test_summary_lists_counts_and_problems():
    text = replace(BLUME_001, studies_included=19).summary()
    assert "PubMed (n = 26)" in text
    assert "Records excluded (n = 8)" in text
    assert f"Reports sought for retrieval ({NOT_REPORTED})" in text
    assert "Inconsistencies:" in text and "at most 18" in text


# ----------------------------------------------------------------------------- SVG


def test_svg_is_valid_xml_with_a_viewbox():
    svg = draw_prisma(FULL)
    root = parse_svg(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    x0, y0, w, h = (float(v) for v in root.get("viewBox").split())
    assert (x0, y0) == (0, 0) and w > 500 and h > 400
    assert root.find(f"{{{SVG_NS}}}title").text == "PRISMA 2020 flow diagram (updated review)"
    lay = prisma_layout(FULL)
    # 1 layout px = 1/100 inch = 0.72 pt, the SVG's unit
    assert (w, h) == pytest.approx((0.72 * lay.width, 0.72 * lay.height), abs=0.01)
    # every arrow is drawn: a polyline and an arrowhead each
    ids = [g.get("id", "") for g in root.iter(f"{{{SVG_NS}}}g")]
    lines = [i for i in ids if re.fullmatch(r"prisma-arrow-\d+", i)]
    heads = [i for i in ids if re.fullmatch(r"prisma-arrowhead-\d+", i)]
    # databases column 4 down + 4 across; previous 2; other methods 2 down + 2 across + 1
    assert len(lines) == len(heads) == len(lay.arrows) == 15


def test_every_count_appears_in_the_svg():
    texts = box_texts(parse_svg(draw_prisma(FULL)))
    expected = [
        f"Databases {n(703)}",
        f"PubMed {n(301)}",
        f"Scopus {n(251)}",
        f"Embase {n(151)}",
        f"Registers {n(41)}",
        f"ClinicalTrials.gov {n(41)}",
        f"Duplicate records removed {n(203)}",
        f"Records marked as ineligible by automation tools {n(11)}",
        f"Records removed for other reasons {n(6)}",
        f"Records screened {n(524)}",
        f"Records excluded {n(397)}",
        f"Reports sought for retrieval {n(127)}",
        f"Reports not retrieved {n(7)}",
        f"Reports assessed for eligibility {n(120)}",
        f"Reports excluded {n(89)}",
        f"Wrong population {n(43)}",
        f"Animal study {n(29)}",
        f"Review article {n(17)}",
        f"New studies included in review {n(25)}",
        f"Reports of new included studies {n(33)}",
        f"Websites {n(13)}",
        f"Citation searching {n(14)}",
        f"Reports sought for retrieval {n(23)}",
        f"Reports not retrieved {n(3)}",
        f"Reports assessed for eligibility {n(20)}",
        f"Conference abstract only {n(18)}",
        f"Studies included in previous version of review {n(19)}",
        f"Reports of studies included in previous version of review {n(21)}",
        f"Total studies included in review {n(44)}",
        f"Reports of total included studies {n(54)}",
    ]
    for item in expected:
        assert any(item in t for t in texts), item


def test_unreported_counts_are_drawn_as_not_reported():
    texts = box_texts(parse_svg(draw_prisma(BLUME_001)))
    nr = f"({NOT_REPORTED})".replace(" ", NBSP)
    for label in (
        "Duplicate records removed",
        "Reports sought for retrieval",
        "Reports not retrieved",
        "Reports assessed for eligibility",
        "Reports excluded",
        "Reports of included studies",
    ):
        assert any(f"{label} {nr}" in t for t in texts), label
    assert any(f"Records excluded {n(8)}" in t for t in texts)
    assert any(f"Studies included in review {n(18)}" in t for t in texts)
    # 000 gives only the total over its databases: the total is drawn, the parts are not.
    texts = box_texts(parse_svg(draw_prisma(REVIEW_000)))
    assert any(f"Databases {n(157)}" in t and f"Scopus {nr}" in t for t in texts)


def test_inconsistencies_are_noted_on_the_diagram():
    flow = replace(BLUME_001, studies_included=19)
    (text,) = box_texts(parse_svg(draw_prisma(flow)), "note")
    assert "do not add up" in text and "at most 18" in text
    assert box_texts(parse_svg(draw_prisma(BLUME_001)), "note") == []


HOSTILE = '</text><script>alert("x")</script> & Co. <![CDATA[ ]]> \x00\x1b\ud800 é 🧬'


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # the emoji in HOSTILE
def test_hostile_names_are_escaped():
    flow = replace(
        BLUME_001,
        databases={HOSTILE: 26},
        reports_excluded={"<b>bold</b> & 'quoted'": 0},
    )
    svg = draw_prisma(flow)
    root = parse_svg(svg)  # would raise if any markup or control character leaked
    assert not list(root.iter("{*}script")) and not list(root.iter("script"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    joined = " ".join(box_texts(root))
    assert '</text><script>alert("x")</script> & Co.' in joined  # shown literally
    assert "\ufffd" in joined and "é 🧬" in joined  # controls replaced, text kept
    assert "<b>bold</b> & 'quoted'" in joined


def test_long_names_are_wrapped_inside_their_box():
    long = "Latin American and Caribbean Health Sciences Literature " * 3
    flow = replace(BLUME_001, databases={long.strip(): 26, "X" * 90: 0})
    lay = prisma_layout(flow)
    ident = next(b for b in lay.boxes if b.lines and b.lines[0][0] == "Records identified from:")
    assert len(ident.lines) >= 7  # the long names took several lines each
    from alsreview.report.prisma import PAD, text_width

    for text, weight in ident.lines:
        assert text_width(text, bold=weight == "bold") <= ident.w - 2 * PAD + 1e-9, text


def _overlap(a, b) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


@pytest.mark.parametrize(
    "flow",
    [BLUME_001, REVIEW_000, FULL, replace(FULL, other_methods=None), replace(FULL, previous=None)],
    ids=["001", "000", "full", "updated-no-other", "new-with-other"],
)
def test_boxes_do_not_overlap_and_stay_in_the_canvas(flow):
    lay = prisma_layout(flow)
    for i, a in enumerate(lay.boxes):
        assert a.x >= 0 and a.right <= lay.width and a.y >= 0 and a.bottom <= lay.height
        for b in lay.boxes[i + 1 :]:
            assert not _overlap(a, b), (a.lines[0], b.lines[0])
    for pts in lay.arrows:  # arrows start on one box edge and end on another
        for x, y in (pts[0], pts[-1]):
            assert any(
                ((abs(x - b.x) < 1e-6 or abs(x - b.right) < 1e-6) and b.y <= y <= b.bottom)
                or ((abs(y - b.y) < 1e-6 or abs(y - b.bottom) < 1e-6) and b.x <= x <= b.right)
                for b in lay.boxes
                if b.kind == "box"
            ), (x, y)


def test_updated_review_layout():
    lay = prisma_layout(FULL)
    headers = [b.lines[0][0] for b in lay.boxes if b.kind == "header"]
    assert headers == [
        "Previous studies",
        "Identification of new studies via databases and registers",
        "Identification of new studies via other methods",
    ]
    phases = [b.lines[0][0] for b in lay.boxes if b.kind == "phase"]
    assert phases == ["Identification", "Screening", "Included"]
    boxes = {b.lines[0][0].split(" (")[0]: b for b in lay.boxes if b.kind == "box"}
    prev = next(b for k, b in boxes.items() if k.startswith("Studies included in previous"))
    new = next(b for k, b in boxes.items() if k.startswith("New studies included"))
    total = next(b for k, b in boxes.items() if k.startswith("Total studies included"))
    assert prev.right < new.x and prev.y < new.y < total.y  # left column, above; total last
    ends = {(p[0], p[-1]) for p in lay.arrows}
    assert ((prev.cx, prev.bottom), (total.x, total.cy)) in ends  # previous -> total
    assert ((new.cx, new.bottom), (new.cx, total.y)) in ends  # new -> total
    # a new review has none of this
    plain = prisma_layout(BLUME_001)
    assert [b.lines[0][0] for b in plain.boxes if b.kind == "header"] == [
        "Identification of studies via databases and registers"
    ]
    assert not any("previous" in t for b in plain.boxes for t, _ in b.lines)


def test_drawing_leaves_pyplot_and_the_backend_alone():
    """A notebook user's pyplot state and backend are not touched by drawing a diagram."""
    code = (
        "import sys, matplotlib\n"
        "raw = lambda: dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "backend = raw()  # read without resolving it (which would import pyplot)\n"
        "from alsreview.prisma import PrismaFlow\n"
        "from alsreview.report.prisma import draw_prisma, prisma_png\n"
        "flow = PrismaFlow(databases={'PubMed': 26}, records_screened=26)\n"
        "draw_prisma(flow); prisma_png(flow)\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "assert raw() == backend, 'backend changed'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- PNG


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_png_bytes_and_size():
    data = prisma_png(FULL, dpi=100)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = _png_size(data)
    lay = prisma_layout(FULL)
    assert (w, h) == (round(lay.width), round(lay.height))  # 1 layout px = 1/100 inch
    assert zlib.crc32(data[12:29]) == struct.unpack(">I", data[29:33])[0]  # IHDR intact
    assert 20_000 < len(data) < 2_000_000


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # the emoji in HOSTILE
def test_png_text_fits_inside_the_boxes():
    """Measured by matplotlib's Agg renderer (hinted glyphs, kerning): every line of text
    lies inside a box, so the glyph advances used for wrapping are not too optimistic."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import FancyBboxPatch

    for flow in (FULL, REVIEW_000, replace(BLUME_001, databases={HOSTILE * 2: 26})):
        fig = prisma_matplotlib(flow, dpi=100)

        renderer = FigureCanvasAgg(fig).get_renderer()
        ax = fig.axes[0]
        patches = [
            p.get_window_extent(renderer) for p in ax.patches if isinstance(p, FancyBboxPatch)
        ]
        assert ax.texts
        for t in ax.texts:
            bb = t.get_window_extent(renderer)
            assert any(
                p.x0 <= bb.x0 and bb.x1 <= p.x1 and p.y0 <= bb.y0 and bb.y1 <= p.y1 for p in patches
            ), t.get_text()


def test_prisma_figure_for_the_report():
    fig = prisma_figure(BLUME_001, "prisma_001", "PRISMA 2020 flow diagram of 001")
    assert isinstance(fig, Figure)
    assert (fig.name, fig.caption, fig.svg) == (
        "prisma_001",
        "PRISMA 2020 flow diagram of 001",
        None,
    )
    texts = " ".join(t.get_text() for t in fig.figure.axes[0].texts)
    assert f"Records excluded {n(8)}" in texts


def test_matplotlib_draws_into_a_given_axes():
    from matplotlib.figure import Figure as MplFigure

    lay = prisma_layout(BLUME_001)
    fig = MplFigure(figsize=(2 * lay.width / 100, 2 * lay.height / 100 + 1))
    ax = fig.add_axes((0, 0, 1, 2 * lay.height / 100 / fig.get_figheight()))
    assert prisma_matplotlib(BLUME_001, ax=ax) is fig
    assert ax.get_xlim() == (0, lay.width) and ax.get_ylim() == (lay.height, 0)
    sizes = [t.get_fontsize() for t in ax.texts]
    assert sizes == pytest.approx([12 * 0.72 * 2] * len(sizes))  # twice as wide: twice as large
    texts = " ".join(t.get_text() for t in ax.texts)
    assert f"Records excluded {n(8)}" in texts


def test_bare_svg_for_inlining_in_html():
    bare = draw_prisma(BLUME_001, xml_declaration=False)
    assert bare.startswith("<svg ") and "<?xml" not in bare
    assert parse_svg(bare).tag == f"{{{SVG_NS}}}svg"
