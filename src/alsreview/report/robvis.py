"""Risk-of-bias figures like robvis: the traffic-light plot and the weighted summary plot.

In: a `RobTable` (one tool, one row per study).  Out: `matplotlib.figure.Figure`s (no pyplot
state) wrapped as report `Figure`s; `write_rob_plots` writes each as SVG and PNG.

Every cell carries a symbol as well as a colour (+ low, - some concerns/moderate, x high/
serious, ! critical, ? no information/unclear), so judgements stay readable in grey scale;
`palette="colourblind"` uses the Okabe-Ito colours.  Cells are tagged in the SVG
(`id="rob-cell-<row>-<column>"`) so tests and scripts can read the figure back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.appraisal.table import RobTable
from alsreview.report.section import Figure, Section
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure as MplFigure

    from alsreview.appraisal.bundled import PublishedAppraisal, PublishedAppraisals
    from alsreview.evidence.model import EvidenceBase, Study
    from alsreview.meta.alsfrs import AlsfrsSynthesis

# value -> (colour key, symbol)
STYLE: dict[str, tuple[str, str]] = {
    "low": ("good", "+"),
    "yes": ("good", "+"),
    "some concerns": ("mid", "-"),
    "moderate": ("mid", "-"),
    "unclear": ("mid", "?"),
    "high": ("bad", "x"),
    "serious": ("bad", "x"),
    "no": ("bad", "x"),
    "critical": ("worst", "!"),
    "no information": ("info", "?"),
    "not applicable": ("na", ""),
}
PALETTES: dict[str, dict[str, str]] = {
    "cochrane": {"good": "#02C100", "mid": "#E2DF07", "bad": "#BF0000", "worst": "#820000",
                 "info": "#4EA1F7", "na": "#CCCCCC"},
    # Okabe & Ito (2008) colour-universal design
    "colourblind": {"good": "#009E73", "mid": "#F0E442", "bad": "#D55E00", "worst": "#CC79A7",
                    "info": "#56B4E9", "na": "#BBBBBB"},
}  # fmt: skip


def colour(value: str, palette: str = "cochrane") -> str:
    """The fill colour of a judgement or answer in a palette."""
    return PALETTES[palette][STYLE[value][0]]


def _legend_values(table: RobTable) -> list[str]:
    inst = table.instrument
    used = {v for r in table.rows for v in [*r.domains.values(), r.overall]}
    order = [*inst.answer_words, *inst.judgement_ids()]
    return [v for v in dict.fromkeys(order) if v in used]


def _label(table: RobTable, value: str) -> str:
    inst = table.instrument
    if value in inst.answer_words:
        return inst.answer_words[value]
    return next(j.robvis for j in inst.judgements if j.id == value)


def plot_traffic_light(table: RobTable, palette: str = "cochrane") -> MplFigure:
    """Studies x domains (and Overall) as coloured, symbol-marked circles, with a key to the
    domains and to the judgements."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    inst = table.instrument
    domains = list(inst.domains)
    cols = [d.id for d in domains] + ["Overall"]
    n, m = len(table.rows), len(cols)
    cell = 0.34  # inches per row/column: 40 studies -> about 14 inches tall
    name_w = max([len(r.study) for r in table.rows] + [6]) * 0.075 + 0.3
    key_lines = len(domains) + 1
    width = max(name_w + m * cell + 0.6, 5.5)
    height = 0.9 + n * cell + 0.2 * key_lines + 0.5
    fig = MplFigure(figsize=(width, height))
    ax = fig.add_axes((name_w / width, (0.2 * key_lines + 0.5) / height,
                       m * cell / width, n * cell / height))  # fmt: skip
    ax.set_xlim(-0.5, m - 0.5)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_aspect("equal")
    for i, row in enumerate(table.rows):
        values = [row.domains[d.id] for d in domains] + [row.overall]
        for j, v in enumerate(values):
            circ = Circle((j, i), 0.4, facecolor=colour(v, palette), edgecolor="#333333",
                          linewidth=0.6)  # fmt: skip
            circ.set_gid(f"rob-cell-{i}-{j}")
            ax.add_artist(circ)  # limits are fixed above: skip add_patch's autoscaling
            sym = STYLE[v][1]
            if sym:
                ax.text(j, i, sym, ha="center", va="center", fontsize=9, fontweight="bold",
                        color="#000000")  # fmt: skip
    ax.set_xticks(range(m), cols, fontsize=8)
    ax.xaxis.set_ticks_position("top")
    ax.set_yticks(range(n), [r.study for r in table.rows], fontsize=8)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.axvline(m - 1.5, color="#888888", linewidth=0.6)
    key = "\n".join(f"{d.id}: {d.short or d.name}" for d in domains)
    fig.text(0.02, 0.02 + 0.5 / height, f"{inst.name}\n{key}", fontsize=7, va="bottom",
             ha="left", linespacing=1.25)  # fmt: skip
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=colour(v, palette),
               markeredgecolor="#333333", label=f"{STYLE[v][1] or ' '}  {_label(table, v)}")
        for v in _legend_values(table)
    ]  # fmt: skip
    legend = fig.legend(handles=handles, loc="lower right", fontsize=7, frameon=False,
                        title="Judgement", title_fontsize=7,
                        bbox_to_anchor=(0.98, 0.02 + 0.5 / height))  # fmt: skip
    legend.set_gid("rob-legend")
    return fig


def plot_summary(table: RobTable, palette: str = "cochrane", weighted: bool = True) -> MplFigure:
    """Per domain (and Overall), the share of studies at each judgement as one stacked bar;
    with `weighted`, studies count by their `weight` (robvis's default when weights exist)."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.patches import Patch

    inst = table.instrument
    cols = list(inst.domains)
    use_w = weighted and all(r.weight is not None for r in table.rows) and table.rows
    weights = [float(r.weight) if use_w and r.weight is not None else 1.0 for r in table.rows]
    total = sum(weights) or 1.0
    order = _legend_values(table)
    labels = [f"{d.id} {d.short or d.name}" for d in cols] + ["Overall risk of bias"]
    fig = MplFigure(figsize=(8.0, 0.9 + 0.36 * len(labels)), layout="constrained")
    ax = fig.add_subplot()
    for i in range(len(labels)):
        left = 0.0
        for v in order:
            share = sum(
                w
                for r, w in zip(table.rows, weights, strict=True)
                if (r.overall if i == len(cols) else r.domains[cols[i].id]) == v
            )
            share = share / total * 100  # fmt: skip
            if share:
                bar = ax.barh(i, share, left=left, color=colour(v, palette), edgecolor="#333333",
                              linewidth=0.5, height=0.7)  # fmt: skip
                bar.patches[0].set_gid(f"rob-bar-{i}-{v.replace(' ', '_')}")
                left += share
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Studies (%)" + (", weighted" if use_w else ""), fontsize=8)
    handles = [Patch(facecolor=colour(v, palette), edgecolor="#333333", label=_label(table, v))
               for v in order]  # fmt: skip
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22 - 0.5 / len(labels)),
              ncol=len(order), fontsize=7, frameon=False)  # fmt: skip
    ax.set_title(f"{inst.name}: {len(table.rows)} studies", fontsize=9)
    return fig


def rob_figures(
    table: RobTable, palette: str = "cochrane", stem: str | None = None
) -> list[Figure]:
    """The traffic-light and summary figures of a table, as report figures."""
    stem = stem or f"rob_{table.tool.replace('-', '_')}"
    name = table.instrument.name
    return [
        Figure(f"{stem}_traffic_light", f"Risk of bias ({name}): judgement per study and "
               "domain.", plot_traffic_light(table, palette)),
        Figure(f"{stem}_summary", f"Risk of bias ({name}): share of studies at each judgement "
               "per domain.", plot_summary(table, palette)),
    ]  # fmt: skip


def write_rob_plots(table: RobTable, out: str | Path, palette: str = "cochrane") -> list[Path]:
    """Write the traffic-light and summary plots as SVG and PNG into folder `out`."""
    from alsreview.report.build import _write, render_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fig in rob_figures(table, palette):
        svg, png = render_figure(fig)
        _write(out / f"{fig.name}.svg", svg.encode("utf-8"))
        written.append(out / f"{fig.name}.svg")
        if png is not None:
            _write(out / f"{fig.name}.png", png)
            written.append(out / f"{fig.name}.png")
    return written


def appraisal_section(
    evidence: EvidenceBase,
    published: PublishedAppraisals | None = None,
    tables: list[RobTable] | None = None,
    unresolved: dict[str, list[str]] | None = None,
    palette: str = "cochrane",
    synthesis: AlsfrsSynthesis | None = None,
) -> Section:
    """The report's risk-of-bias section: every study's published appraisal with its source,
    the studies nobody appraised, and robvis figures for tables from a project's store.
    `synthesis`: the ALSFRS-R synthesis of all `evidence.studies` if already computed."""
    from alsreview.appraisal.bundled import load_published
    from alsreview.report.html import render

    published = published if published is not None else load_published()
    by_study = published.by_study()
    label = {s.id: f"{s.citation.first_author} {s.citation.year}" for s in evidence.studies}
    rows, missing = [], []
    for s in evidence.studies:
        a = by_study.get(s.id)
        if a is None:
            missing.append(label[s.id])
            continue
        rows.append({
            "study": s.id, "label": label[s.id], "tool": load_instrument_name(a.tool),
            "overall": a.overall_text, "bounded": len(a.overall) > 1,
            "css": "-".join(a.overall).replace(" ", "_"),
            "source": "; ".join(a.from_),
        })  # fmt: skip
    method = (
        "Risk of bias as the reviews appraised it. Blume et al. 2026 used the JBI checklists "
        "(randomized or quasi-experimental) and scored them: no 'no' answers = low risk, one to "
        "three = moderate, more than three = high; studies at high risk were to be excluded."
    )
    caveat = (
        "Blume et al. state only that every included study was at low or moderate risk; they "
        "print no judgement or checklist answers per study, so each is shown as 'low or "
        "moderate'. Their ROBINS-I and RoB 2 figures are not reproduced (their cell values are "
        "not available as text). Khalid et al. 2023 do not appraise risk of bias."
    )
    forest = rob_forest_figure(evidence.studies, by_study, synthesis=synthesis)
    figures: list[Figure] = [] if forest is None else [forest]
    listed = []
    for t in tables or []:
        if t.rows:
            figures += rob_figures(t, palette, stem=f"rob_{t.tool.replace('-', '_')}")
        listed.append({"name": t.instrument.name, "n": len(t.rows),
                       "unresolved": (unresolved or {}).get(t.tool, [])})  # fmt: skip
    sensitivity = _alsfrs_sensitivity(evidence.studies, synthesis=synthesis)
    if not rows:
        method = caveat = "No study of this evidence base has a published risk-of-bias appraisal."
    html = render("appraisal.html.j2", method=method, caveat=caveat, rows=rows, missing=missing,
                  tables=listed, sensitivity=sensitivity)  # fmt: skip
    return Section(id="risk-of-bias", title="Risk of bias", html=html, figures=figures)


def load_instrument_name(tool: str) -> str:
    from alsreview.appraisal.instrument import load_instrument

    return load_instrument(tool).name


def _alsfrs_sensitivity(studies: list[Any], synthesis: Any = None) -> list[JSONDict]:
    """The ALSFRS-R slope synthesis (its primary model) on all studies and restricted by
    risk of bias, as rows for the section's table; a subset equal to an earlier one (or to
    all studies, whose `synthesis` may be given) reuses that synthesis."""
    from alsreview.appraisal.sensitivity import restrict_studies
    from alsreview.errors import AlsreviewError
    from alsreview.meta.alsfrs import alsfrs_synthesis

    out = []
    done: dict[tuple[int, ...], Any] = {}
    if synthesis is not None:
        done[tuple(map(id, studies))] = synthesis
    for level, label in ((None, "all studies"), ("low-moderate", "low or moderate risk"),
                         ("low", "low risk only")):  # fmt: skip
        kept = studies if level is None else restrict_studies(studies, level)[0]
        key = tuple(map(id, kept))
        if key not in done:
            try:
                done[key] = alsfrs_synthesis(kept)
            except AlsreviewError:  # e.g. too few cohorts for the model
                done[key] = None
        syn = done[key]
        if syn is None or syn.k == 0:
            out.append({"label": label, "k": 0, "cohorts": "", "estimate": "not estimable: "
                        "no cohort qualifies"})  # fmt: skip
            continue
        p = syn.primary
        out.append({
            "label": label, "k": syn.k, "cohorts": ", ".join(c.label for c in syn.studies),
            "estimate": f"{float(p.estimate):.2f} [{float(p.ci_lb[0]):.2f}, "
                        f"{float(p.ci_ub[0]):.2f}]",
        })  # fmt: skip
    return out


SHORT = {"low": "L", "moderate": "M", "some concerns": "SC", "high": "H", "serious": "S",
         "critical": "C", "no information": "NI"}  # fmt: skip


def rob_forest_figure(
    studies: Sequence[Study],
    published: Mapping[str, PublishedAppraisal],
    synthesis: AlsfrsSynthesis | None = None,
) -> Figure | None:
    """The ALSFRS-R pre-post forest plot with each cohort's published overall risk of bias
    beside its label (like robvis's rob_forest), or None when fewer than two are pooled.
    `synthesis`: `alsfrs_synthesis(studies)` if already computed."""
    from alsreview.meta.alsfrs import alsfrs_synthesis
    from alsreview.report.meta_plots import forest

    syn = synthesis if synthesis is not None else alsfrs_synthesis(studies)
    if syn.primary is None:  # fewer than two cohorts: nothing pooled
        return None

    def rob(study_id: str) -> str:
        a = published.get(study_id)
        return "not appraised" if a is None else "/".join(SHORT[j] for j in a.overall)

    fig = forest(
        syn.primary,
        slab=[f"{c.label} ({rob(c.study_id)})" for c in syn.studies],
        xlab="After - before, ALSFRS-R points/month (negative = slower decline)",
    )
    return Figure(
        "rob_alsfrs_forest",
        "ALSFRS-R pre-post synthesis (MC, r = 0.5, REML) with each study's overall risk of "
        "bias as published, in brackets: "
        + "; ".join(f"{v} = {k}" for k, v in SHORT.items())
        + ". 'L/M' (low or moderate) is all Blume et al. state for a study.",
        fig,
    )
