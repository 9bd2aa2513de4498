"""robvis-style plots read back structurally, and robvis's CSV layout both ways."""

from __future__ import annotations

import re

import pytest
from defusedxml import ElementTree

from alsreview.appraisal.robvis_csv import read_robvis_csv, robvis_csv_text, write_robvis_csv
from alsreview.appraisal.table import RobRow, RobTable
from alsreview.errors import ImportFormatError, ValidationError
from alsreview.report.build import render_figure
from alsreview.report.robvis import PALETTES, plot_summary, rob_figures, write_rob_plots

SVG = "{http://www.w3.org/2000/svg}"
J = ["low", "some concerns", "high"]


def rob2_table(n: int) -> RobTable:
    rows = []
    for i in range(n):
        d = {f"D{k}": J[(i + k) % 3] for k in range(1, 6)}
        rows.append(RobRow(f"Trial {i + 1:02d} (20{i % 20:02d})", d,
                           max(d.values(), key=J.index), weight=float(i + 1)))  # fmt: skip
    return RobTable("rob2", tuple(rows))


def cells(svg: str) -> dict[tuple[int, int], str]:
    """(row, column) -> fill colour of every tagged cell of a traffic-light SVG."""
    root = ElementTree.fromstring(svg.encode())
    out = {}
    for g in root.iter(f"{SVG}g"):
        m = re.fullmatch(r"rob-cell-(\d+)-(\d+)", g.get("id", ""))
        if m:
            path = next(g.iter(f"{SVG}path"))
            fill = re.search(r"fill: (#[0-9a-f]{6})", path.get("style", "")).group(1)
            out[int(m.group(1)), int(m.group(2))] = fill
    return out


@pytest.mark.parametrize("palette", ["cochrane", "colourblind"])
def test_traffic_light_has_one_cell_per_study_and_domain_coloured_by_judgement(palette):
    table = rob2_table(42)
    fig = rob_figures(table, palette)[0]
    svg, png = render_figure(fig)
    got = cells(svg)
    assert len(got) == 42 * 6
    style = {"low": "good", "some concerns": "mid", "high": "bad"}
    for i, row in enumerate(table.rows):
        values = [row.domains[f"D{k}"] for k in range(1, 6)] + [row.overall]
        for j, v in enumerate(values):
            assert got[i, j] == PALETTES[palette][style[v]].lower(), (i, j, v)
    root = ElementTree.fromstring(svg.encode())
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "rob-legend")
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert texts == ["Judgement", "+  Low", "-  Some concerns", "x  High"]
    all_text = [t.text for t in root.iter(f"{SVG}text")]
    assert "Trial 42 (2001)" in all_text and "Overall" in all_text
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_forty_studies_stay_legible():
    """Rows are at least 0.3 inch apart and labels at least 8 pt, however many studies."""
    fig = rob_figures(rob2_table(45))[0].figure
    ax = fig.axes[0]
    bbox = ax.get_window_extent()
    row_pitch_in = bbox.height / fig.dpi / 45
    assert row_pitch_in >= 0.3
    assert all(t.get_fontsize() >= 8 for t in ax.get_yticklabels())


def test_summary_shares_are_weighted():
    table = rob2_table(6)  # weights 1..6
    fig = plot_summary(table)
    ax = fig.axes[0]
    widths = {p.get_gid(): p.get_width() for p in ax.patches if p.get_gid()}
    # D1 of trial i is J[(i + 1) % 3]: trials 0,3 some concerns; 1,4 high; 2,5 low
    total = sum(range(1, 7))
    assert widths["rob-bar-0-some_concerns"] == pytest.approx((1 + 4) / total * 100)
    assert widths["rob-bar-0-high"] == pytest.approx((2 + 5) / total * 100)
    assert widths["rob-bar-0-low"] == pytest.approx((3 + 6) / total * 100)
    unweighted = {p.get_gid(): p.get_width() for p in plot_summary(table, weighted=False)
                  .axes[0].patches if p.get_gid()}  # fmt: skip
    assert unweighted["rob-bar-0-low"] == pytest.approx(100 / 3)


def test_write_rob_plots_svg_and_png(tmp_path):
    files = write_rob_plots(rob2_table(3), tmp_path / "out")
    assert sorted(p.name for p in files) == [
        "rob_rob2_summary.png", "rob_rob2_summary.svg",
        "rob_rob2_traffic_light.png", "rob_rob2_traffic_light.svg"]  # fmt: skip
    assert all(p.stat().st_size > 1000 for p in files)


# ---- robvis CSV ----------------------------------------------------------------------------
ROBVIS_ROB2 = """Study,D1,D2,D3,D4,D5,Overall,Weight
Study 1,Low,Low,Low,Low,Low,Low,33.3
Study 2,Some concerns,Low,High,Low,Low,High,20
Study 3,Low,Some concerns,Low,Low,Some concerns,Some concerns,
"""


def test_read_robvis_csv(tmp_path):
    path = tmp_path / "rob2.csv"
    path.write_text(ROBVIS_ROB2)
    table = read_robvis_csv(path, "rob2")
    assert [r.study for r in table.rows] == ["Study 1", "Study 2", "Study 3"]
    assert table.rows[1].domains["D3"] == "high" and table.rows[1].overall == "high"
    assert table.rows[2].domains["D2"] == "some concerns"
    assert [r.weight for r in table.rows] == [33.3, 20.0, None]
    assert robvis_csv_text(table) == ROBVIS_ROB2


def test_round_trip_cluster_and_robins(tmp_path):
    cluster = RobTable("rob2-cluster", (RobRow("C1", {"D1a": "low", "D1b": "high", "D2": "low",
                       "D3": "low", "D4": "low", "D5": "low"}, "high"),))  # fmt: skip
    path = write_robvis_csv(cluster, tmp_path / "c.csv")
    assert path.read_text().splitlines()[0] == "Study,D1a,D1b,D2,D3,D4,D5,Overall,Weight"
    assert read_robvis_csv(path, "rob2-cluster") == cluster
    values = {f"D{i}": "moderate" for i in range(1, 8)} | {"D5": "no information"}
    robins = RobTable("robins-i", (RobRow("N1", values, "no information"),))
    assert read_robvis_csv(write_robvis_csv(robins, tmp_path / "r.csv"), "robins-i") == robins


def test_jbi_items_round_trip(tmp_path):
    values = {str(i): "yes" for i in range(1, 10)} | {"4": "no", "6": "not applicable"}
    table = RobTable("jbi-quasi", (RobRow("Q1", values, "moderate"),))
    path = write_robvis_csv(table, tmp_path / "j.csv")
    assert "Not applicable" in path.read_text()
    assert read_robvis_csv(path, "jbi-quasi") == table


def test_bad_robvis_csv_names_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(ROBVIS_ROB2.replace("Study 2,Some concerns", "Study 2,Meh")
                    .replace("Some concerns,\n", "Risky,\n"))  # fmt: skip
    with pytest.raises(ValidationError) as err:
        read_robvis_csv(path, "rob2")
    text = str(err.value)
    assert "bad.csv, row 3, column D1: 'Meh' is not a value of rob2" in text
    assert "row 4, column Overall: 'Risky'" in text
    path.write_text("Study,D1,D2,Overall\nA,Low,Low,Low\n")
    with pytest.raises(ImportFormatError, match="line 1: header"):
        read_robvis_csv(path, "rob2")


def test_jbi_traffic_light_colours_item_answers():
    """JBI items are coloured by their answers; the legend lists answers and judgements."""
    values = {str(i): "yes" for i in range(1, 10)} | {"4": "no", "5": "unclear",
                                                        "6": "not applicable"}  # fmt: skip
    table = RobTable("jbi-quasi", (RobRow("Kim 2014", values, "moderate"),))
    svg, _ = render_figure(rob_figures(table)[0])
    got = cells(svg)
    p = PALETTES["cochrane"]
    assert len(got) == 10
    assert got[0, 3] == p["bad"].lower() and got[0, 4] == p["mid"].lower()
    assert got[0, 5] == p["na"].lower() and got[0, 9] == p["mid"].lower()
    root = ElementTree.fromstring(svg.encode())
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "rob-legend")
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert texts == ["Judgement", "+  Yes", "x  No", "?  Unclear", "   Not applicable",
                     "-  Moderate"]  # fmt: skip


def test_appraisal_package_exports():
    """`__all__` is exactly the package's public names (submodules aside)."""
    from types import ModuleType

    import alsreview.appraisal as pkg

    public = [
        n for n, v in vars(pkg).items()
        if not n.startswith("_") and not isinstance(v, ModuleType) and n != "annotations"
    ]  # fmt: skip
    assert sorted(pkg.__all__) == sorted(public)
