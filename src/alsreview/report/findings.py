"""The report's bottom line: first screen, summary of findings, conclusions.

In:  an `EvidenceBase`, the `SofRow`s of `report.sof` and whether risk of bias was
     appraised.  Out: three `Section`s - "Bottom line" (does it work, how sure are we, is it
     safe; randomised evidence first), "Summary of findings" (GRADE, one row per outcome and
     kind of evidence, every downgrade with its reason) and "Conclusions" (alsreview's
     evidence statements generated from the summary of findings, then each paper's own
     conclusions quoted with where they stand).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from alsreview.evidence.model import EvidenceBase
from alsreview.report.grade import DOMAIN_NAMES, DOMAINS
from alsreview.report.html import render
from alsreview.report.section import Section
from alsreview.report.sof import SofRow
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from collections.abc import Sequence

    from alsreview.appraisal.algorithm import Appraisal
    from alsreview.appraisal.bundled import PublishedAppraisal

    #: what `appraisals=` maps a study id to: an `appraisal.Appraisal`, a published appraisal
    #: (`appraisal.bundled`) or the overall judgement in words (None: not appraised)
    AppraisalInput = Appraisal | PublishedAppraisal | str | Sequence[str] | None

SHORT_DESIGN = {
    "randomised": "Randomised trials",
    "non-randomised controlled": "Non-randomised controlled studies",
    "uncontrolled before/after": "Uncontrolled (single-arm before/after) studies",
}


def _row(r: SofRow) -> JSONDict:
    by_study: dict[str, JSONDict] = {}
    for res in r.results:
        entry = by_study.setdefault(
            res.study.id,
            {
                "label": res.study.label,
                "id": res.study.id,
                "n": res.study.patients_enrolled.value,
                "results": [],
            },
        )
        entry["results"].append({"text": res.text, "source": res.source})
    c = r.certainty
    return {
        "outcome": r.outcome.name,
        "outcome_key": r.outcome.key,
        "design": r.design,
        "design_label": SHORT_DESIGN[r.design],
        "k": r.k,
        "patients": r.patients,
        "patients_note": r.patients_note,
        "studies": list(by_study.values()),
        "study_ids": " ".join(by_study),
        "pooled": r.pooled,
        "pooled_note": r.pooled_note,
        "certainty": c.label if c else None,
        "level": c.level if c else 0,
        "start": f"{c.start_reason}" if c else "",
        "judgements": [
            {
                "domain": DOMAIN_NAMES[j.domain],
                "key": j.domain,
                "label": j.label,
                "change": j.change,
                "reason": j.reason,
                "overridden": j.overridden,
            }
            for j in (c.judgements if c else ())
            if j.domain in DOMAINS
        ],
        "statement": r.statement,
        "extra": list(r.extra),
    }


def _plural(n: int, one: str, many: str | None = None) -> str:
    """ "1 study", "2 studies" (never "1 studies")."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def rob_status(
    evidence: EvidenceBase,
    rob: Mapping[str, str | None],
    appraisals: Mapping[str, AppraisalInput],
    source: str,
) -> JSONDict:
    """What the report says about risk of bias: how many studies are appraised, by whom."""
    k = len(evidence.studies)
    judged = [s for s in evidence.studies if rob.get(s.id)]
    missing = [s.label for s in evidence.studies if not rob.get(s.id)]
    state = "appraised" if len(judged) == k else "partly appraised" if judged else "not appraised"
    origin = ""
    if source == "published" and judged:
        a = next(iter(appraisals.values()))
        words = getattr(a, "overall_text", None) or "/".join(getattr(a, "overall", []))
        from alsreview.appraisal.bundled import PublishedAppraisal

        published = [p for p in appraisals.values() if isinstance(p, PublishedAppraisal)]
        cites = sorted({str(x).split(":")[0] for p in published for x in p.from_})
        origin = (
            f"the published appraisals ({', '.join(cites)}: {words} for each study it "
            "appraises, no per-study judgement printed; rated at the worst judgement allowed)"
        )
    elif judged:
        origin = "the appraisals given to the report"
    return {
        "state": state,
        "k": k,
        "n": len(judged),
        "origin": origin,
        "missing": missing,
    }


def sof_section(rows: list[SofRow], *, rob: JSONDict) -> Section:
    data = [_row(r) for r in rows]
    groups: list[JSONDict] = []
    for d in data:
        if not groups or groups[-1]["outcome"] != d["outcome"]:
            groups.append({"outcome": d["outcome"], "rows": []})
        groups[-1]["rows"].append(d)
    html = render("sof.html.j2", groups=groups, rob=rob, plural=_plural)
    return Section(id="summary-of-findings", title="Summary of findings (GRADE)", html=html)


def bottom_line_section(rows: list[SofRow], *, rob: JSONDict) -> Section:
    """Does it work, how sure are we, is it safe: randomised evidence first."""
    get = {(r.outcome.key, r.design): r for r in rows}
    works = []
    for design in ("randomised", "non-randomised controlled", "uncontrolled before/after"):
        r = get.get(("alsfrs", design))
        if r is None:
            continue
        d = _row(r)
        primary = []
        for s in d["studies"]:
            n = f" ({s['n']} patients)" if s["n"] else ""
            primary.append(f"{s['label']}{n}: {s['results'][0]['text']}")
        works.append({**d, "primary": primary if design == "randomised" else []})
    others = [
        _row(r) for r in rows if r.outcome.key in ("survival", "fvc") and r.certainty is not None
    ]
    safety = [_row(r) for r in rows if r.outcome.key in ("serious", "procedure") and r.k]
    html = render(
        "bottom_line.html.j2",
        works=works,
        others=others,
        safety=safety,
        rob=rob,
        plural=_plural,
    )
    return Section(id="bottom-line", title="Bottom line", html=html)


def conclusions_section(evidence: EvidenceBase, rows: list[SofRow]) -> Section:
    statements = [_row(r) for r in rows if r.certainty is not None]
    papers = [
        {"paper": p, "quotes": p.conclusions} for p in evidence.sources.values() if p.conclusions
    ]
    html = render("conclusions.html.j2", statements=statements, papers=papers)
    return Section(id="conclusions", title="Conclusions", html=html)


#: most severe first: a paper that allows several judgements ("low or moderate") is
#: rated by the worst it allows
_SEVERITY = ("critical", "serious", "high", "some concerns", "moderate", "unclear", "low")


def rob_from_appraisals(
    appraisals: Mapping[str, AppraisalInput] | None,
) -> dict[str, str | None]:
    """study id -> overall risk-of-bias judgement, from an `appraisal.Appraisal`, a published
    appraisal (`appraisal.bundled`, whose overall may list several words) or a word."""
    out: dict[str, str | None] = {}
    for sid, a in (appraisals or {}).items():
        overall: Any = getattr(a, "overall", a)  # a judgement, several words, or None
        if overall is None:
            out[sid] = None
            continue
        words = [overall] if isinstance(overall, str) else list(overall)
        words = [str(x).strip().lower().replace("_", " ") for x in words]
        out[sid] = min(words, key=lambda x: _SEVERITY.index(x) if x in _SEVERITY else -1)
    return out


def published_appraisals(evidence: EvidenceBase) -> dict[str, PublishedAppraisal]:
    """The bundled published appraisals (`appraisal.bundled`) of this evidence base's studies."""
    from alsreview.appraisal.bundled import load_published

    ids = {s.id for s in evidence.studies}
    return {sid: a for sid, a in load_published().by_study().items() if sid in ids}
