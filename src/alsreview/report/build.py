"""`alsreview report`: assemble sections into one self-contained HTML page plus figure files.

In: an evidence base (bundled by default, or a user's JSON file).  Out: `DIR/index.html`
with every figure inlined as SVG, and each figure also as `DIR/<name>.svg` and `<name>.png`.
Files are written to a temporary name and renamed, so an interrupted run never leaves a
half-written page.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.evidence import BUNDLED, load_evidence
from alsreview.evidence.integrity import run_integrity_checks
from alsreview.evidence.model import EvidenceBase
from alsreview.report import evidence_sections as es
from alsreview.report.grade import Override
from alsreview.report.html import render
from alsreview.report.section import Figure, Section

if TYPE_CHECKING:
    from alsreview.report.findings import AppraisalInput
    from alsreview.trial.analysis import TrialAnalysis


def review_sections(
    evidence: EvidenceBase,
    *,
    appraisals: Mapping[str, AppraisalInput] | None = None,
    overrides: Iterable[Override] = (),
    trial: TrialAnalysis | None = None,
) -> list[Section]:
    """Every section of the review report, in reading order.

    Extras: `appraisals` (study id -> `appraisal.Appraisal`, published appraisal or overall
    judgement) feed the GRADE risk-of-bias domain; None = the bundled published appraisals
    of these studies (`appraisal.bundled`), {} = none (the report says what was appraised
    and by whom); `overrides`
    replace GRADE judgements with a justification; `trial` (a `trial.TrialAnalysis`) adds
    the individual-patient trial section."""
    from alsreview.meta.alsfrs import alsfrs_synthesis
    from alsreview.report.alsfrs import alsfrs_section
    from alsreview.report.findings import (
        bottom_line_section,
        conclusions_section,
        published_appraisals,
        rob_from_appraisals,
        rob_status,
        sof_section,
    )
    from alsreview.report.sof import summary_of_findings

    findings = run_integrity_checks(evidence)
    synthesis = alsfrs_synthesis(evidence.studies)
    source = "given"
    if appraisals is None:
        appraisals, source = published_appraisals(evidence), "published"
    rob = rob_from_appraisals(appraisals)
    status = rob_status(evidence, rob, appraisals, source)
    sof = summary_of_findings(evidence, rob=rob, overrides=overrides, synthesis=synthesis)
    sections = [
        bottom_line_section(sof, rob=status),
        sof_section(sof, rob=status),
        conclusions_section(evidence, sof),
        es.overview_section(evidence, findings),
    ]
    sections += es.prisma_sections(evidence)
    sections += es.studies_sections(evidence, appraisals)
    from alsreview.report.robvis import appraisal_section

    sections.append(appraisal_section(evidence, synthesis=synthesis))
    sections.append(es.safety_section(evidence, ipd=_ipd_study(evidence, trial)))
    sections.append(es.efficacy_section(evidence))
    sections.append(alsfrs_section(syn=synthesis))
    if trial is not None:
        from alsreview.report.trial import trial_section

        printed = next(
            (
                t
                for t in evidence.tables
                if t.id == "Table 2" and evidence.sources[t.review].kind == "trial report"
            ),
            None,
        )
        sections.append(trial_section(trial, figures=False, printed=printed))
    sections.append(es.integrity_section(findings))
    sections.append(es.disagreements_section(evidence))
    sections.append(es.sources_section(evidence))
    return sections


def build_report(
    out: str | Path,
    evidence_path: str | Path | None = None,
    *,
    evidence: EvidenceBase | None = None,
    appraisals: Mapping[str, AppraisalInput] | None = None,
    overrides: Iterable[Override] = (),
    trial: TrialAnalysis | str | Path | None = "bundled",
) -> Path:
    """Write the report for an evidence base into folder `out`; return the index.html path.

    The evidence base is `evidence`, else the file `evidence_path`, else the bundled one.
    `trial`: a `TrialAnalysis`, a trial data folder, None, or "bundled" (the bundled trial
    example, the Syková 2017 trial of the bundled evidence base, when that base is used)."""
    if evidence is None:
        evidence = load_evidence(evidence_path)
        name = str(evidence_path) if evidence_path else f"the bundled evidence base ({BUNDLED})"
    else:
        name = str(evidence_path) if evidence_path else "an evidence base given in Python"
    bundled = evidence_path is None and trial == "bundled"
    sections = review_sections(
        evidence,
        appraisals=appraisals,
        overrides=overrides,
        trial=_trial(trial if not bundled else _bundled_trial_folder()) if trial else None,
    )
    return write_report(out, sections, title=evidence.title, evidence_name=name)


def _ipd_study(evidence: Any, trial: Any) -> Any:
    """The trial analysis exported into the evidence model (`trial.export`) as the base's
    trial-report study; None without a trial or without such a study to name it after."""
    typed = es.trial_report_study(evidence) if trial is not None else None
    if typed is None or not typed.cell_type.value or not typed.routes.value:
        return None
    from alsreview.trial.export import export_study

    return export_study(
        trial,
        study_id=typed.id,
        first_author=typed.citation.first_author,
        year=typed.citation.year,
        title=typed.citation.title or typed.label,
        cell_type=typed.cell_type.value,
        routes=list(typed.routes.value),
    ).study


def _bundled_trial_folder() -> Path:
    from importlib import resources

    return Path(str(resources.files("alsreview.data").joinpath("trial_example")))


def _trial(trial: Any) -> Any:
    """A `TrialAnalysis` from an analysis, a trial data folder/workbook, or None."""
    if trial is None or trial == "bundled":
        return None
    if isinstance(trial, str | Path):
        from alsreview.trial.analysis import analyze_trial
        from alsreview.trial.ipd import load_trial

        return analyze_trial(load_trial(trial))
    return trial


def write_report(
    out: str | Path, sections: list[Section], *, title: str, evidence_name: str
) -> Path:
    """Render sections to `out/index.html` and write each figure as SVG and PNG."""
    from alsreview import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    inline: dict[str, str] = {}
    has_png: dict[str, bool] = {}
    figures = [fig for section in sections for fig in section.figures]
    names = [fig.name for fig in figures]
    if len(set(names)) != len(names):
        raise ValueError(
            f"figure names repeat: {sorted(n for n in set(names) if names.count(n) > 1)}"
        )
    for fig, (svg, png) in zip(figures, render_figures(figures), strict=True):
        _write(out / f"{fig.name}.svg", svg.encode("utf-8"))
        if png is not None:
            _write(out / f"{fig.name}.png", png)
        inline[fig.name] = _inline(svg)
        has_png[fig.name] = png is not None
    html = render(
        "report.html.j2",
        title=title,
        version=__version__,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        evidence_name=evidence_name,
        sections=sections,
        inline_svg=inline,
        has_png=has_png,
    )
    index = out / "index.html"
    _write(index, html.encode("utf-8"))
    return index


_PENDING: list[Figure] = []


def render_figures(figures: list[Figure]) -> list[tuple[str, bytes | None]]:
    """Render figures, on every core where the platform can fork (rendering is CPU-bound).

    Forked workers inherit the figures already built in memory, so nothing is pickled but
    the rendered bytes coming back.
    """
    import multiprocessing as mp

    workers = min(len(figures), _usable_cores())
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [render_figure(f) for f in figures]
    global _PENDING
    _PENDING = figures
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            return pool.map(_render_pending, range(len(figures)), chunksize=1)
    finally:
        _PENDING = []


def _usable_cores() -> int:
    """Cores this process may run on (its affinity, e.g. under `taskset`), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render_pending(i: int) -> tuple[str, bytes | None]:
    return render_figure(_PENDING[i])


def render_figure(fig: Figure) -> tuple[str, bytes | None]:
    """SVG text and PNG bytes of a figure (matplotlib figures are rendered here)."""
    if fig.figure is None:
        if fig.svg is None:
            raise ValueError(f"figure {fig.name!r} has neither a matplotlib figure nor SVG")
        return fig.svg, fig.png
    import matplotlib

    mpl = fig.figure
    if mpl.get_layout_engine() is not None:
        # lay the figure out once, then keep it: each savefig would otherwise re-run a
        # constrained layout (half the rendering time of a figure).  No engine at all, not
        # the "none" placeholder: savefig draws a figure with any engine one extra time.
        mpl.get_layout_engine().execute(mpl)
        with matplotlib.rc_context(
            {"figure.autolayout": False, "figure.constrained_layout.use": False}
        ):
            mpl.set_layout_engine(None)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": fig.name}):
        buf = io.StringIO()
        fig.figure.savefig(buf, format="svg", metadata={"Date": None})
        png = io.BytesIO()
        fig.figure.savefig(png, format="png", dpi=150)
    return buf.getvalue(), png.getvalue()


def _inline(svg: str) -> str:
    """SVG document -> element for inlining (drop the XML declaration and DOCTYPE)."""
    svg = re.sub(r"^\s*<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.DOTALL)
    return svg.strip()


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
