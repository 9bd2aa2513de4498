"""Summary of findings: per outcome and kind of evidence, studies, patients, effect, GRADE.

In:  an `EvidenceBase`, optionally risk-of-bias judgements per study (from the appraisal
     stage) and GRADE overrides.  Out: `SofRow`s in reading order - for each outcome,
     randomised evidence first, then non-randomised controlled, then uncontrolled
     before/after - each with the studies, patients (cohorts reported twice counted once),
     the effect (the pooled estimate where `meta.alsfrs` pools one, else each study's
     result as printed), the `Certainty` and the GRADE statement.  Randomised results are
     never pooled with, or shown after, uncontrolled ones.

A study's result enters the kind of evidence its comparison is: "vs placebo" in an RCT is
randomised; "vs control" / "vs external control" is non-randomised controlled; "pre-post",
"none" (descriptive) and "between subgroups" are uncontrolled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alsreview.evidence.model import EvidenceBase, Outcome, Study
from alsreview.report.evidence_sections import statistic_text
from alsreview.report.grade import DESIGNS, Body, Certainty, Override, rate, statement
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.meta.alsfrs import AlsfrsSynthesis

INTERVENTION = "stem-cell therapy"


@dataclass(frozen=True)
class OutcomeSpec:
    key: str
    name: str
    measures: tuple[str, ...] = ()
    benefit: str = ""  # base-form verb phrase for the GRADE statement
    harm: str = ""
    safety: bool = False


OUTCOMES = (
    OutcomeSpec(
        "alsfrs",
        "functional decline (ALSFRS-R)",
        ("alsfrs_r_monthly_decline", "alsfrs_r_change", "alsfrs_r_slope", "response_rate"),
        benefit="slow functional decline (ALSFRS-R)",
        harm="speed up functional decline (ALSFRS-R)",
    ),
    OutcomeSpec(
        "survival", "survival", ("survival",), benefit="prolong survival", harm="shorten survival"
    ),
    OutcomeSpec(
        "fvc",
        "breathing capacity (FVC)",
        ("fvc",),
        benefit="slow the loss of breathing capacity (FVC)",
        harm="speed up the loss of breathing capacity (FVC)",
    ),
    OutcomeSpec("serious", "serious adverse events related to treatment", safety=True),
    OutcomeSpec("procedure", "adverse events related to the procedure", safety=True),
)

_DIRECTION = {
    "favours treatment": "benefit",
    "favours control": "harm",
    "no difference": "no difference",
    "mixed": "unclear",
    "unclear": "unclear",
}


def design_of(study: Study, outcome: Outcome | None = None) -> str:
    """The kind of evidence a study's result is (see module docstring)."""
    if outcome is not None:
        if outcome.comparison == "vs placebo" or (
            study.design.value == "RCT" and outcome.comparison in ("vs control",)
        ):
            return "randomised"
        if outcome.comparison in ("vs control", "vs external control"):
            return "non-randomised controlled"
        return "uncontrolled before/after"
    if study.design.value == "RCT":
        return "randomised"
    if study.design.value == "non-randomised":
        return "non-randomised controlled"
    return "uncontrolled before/after"


@dataclass(frozen=True)
class StudyResult:
    """One study's contribution to a SoF cell, as printed, with its source."""

    study: Study
    text: str
    source: str
    direction: str  # benefit / harm / no difference / unclear
    subgroup_only: bool = False


@dataclass(frozen=True)
class SofRow:
    outcome: OutcomeSpec
    design: str
    results: tuple[StudyResult, ...] = ()
    patients: int | None = None
    patients_note: str = ""
    pooled: str | None = None  # the pooled effect, when there is one
    pooled_note: str = ""
    direction: str = "unclear"
    certainty: Certainty | None = None
    statement: str = ""
    extra: tuple[str, ...] = field(default_factory=tuple)  # safety counts etc.

    @property
    def studies(self) -> tuple[Study, ...]:
        seen: dict[str, Study] = {}
        for r in self.results:
            seen.setdefault(r.study.id, r.study)
        return tuple(seen.values())

    @property
    def k(self) -> int:
        return len(self.studies)


def _value_text(o: Outcome) -> str:
    parts = []
    changes: list[str] = []
    for g in o.groups:
        if g.estimate is None and not g.n:
            continue
        text = statistic_text(g)
        if g.changes:
            text += f" [printed: {g.printed}]"
            changes += [c for c in g.changes if c not in changes]
        parts.append(text)
    p = str(o.p_value) if o.p_value is not None else ""
    if not parts:  # nothing numeric but p: say what was found, in the source's terms
        first = o.description.split(". ")[0].rstrip(".")
        return first + (f" ({p})" if p and p not in first else "")
    if p:
        parts.append(p)
    if changes:
        parts.append("changed from the printed values: " + "; ".join(changes))
    return "; ".join(parts)


def _result_text(o: Outcome) -> str:
    lead = ", ".join(x for x in (o.subgroup, o.window) if x)
    body = _value_text(o)
    verdict = {
        "favours treatment": "favours treatment",
        "no difference": "no difference",
        "favours control": "favours control",
    }.get(o.direction, "direction unclear")
    return (f"{lead}: " if lead else "") + f"{body} [{verdict}]"


def patients_of(studies: Iterable[Study], evidence: EvidenceBase) -> tuple[int | None, str]:
    """Patients enrolled, reports of one cohort counted once; with a note on what is missing."""
    from alsreview.report.evidence_sections import cohorts

    ids = {s.id for s in studies}
    total = 0
    missing: list[str] = []
    merged = []
    for group in cohorts(evidence):
        members = [s for s in group if s.id in ids]
        if not members:
            continue
        known = [s.patients_enrolled.value for s in members if s.patients_enrolled.value]
        if not known:
            missing.extend(s.label for s in members)
            continue
        total += max(known)
        if len(members) > 1:
            merged.append(" + ".join(s.label for s in members))
    notes = []
    if missing:
        notes.append(f"N not reported: {', '.join(missing)}")
    if merged:
        notes.append(f"counted once (overlapping reports): {'; '.join(merged)}")
    return (total if total or not missing else None), "; ".join(notes)


def _body_direction(results: list[StudyResult]) -> str:
    primary = [r.direction for r in results if not r.subgroup_only] or [
        r.direction for r in results
    ]
    found = set(primary) - {"unclear"}
    if len(found) == 1 and "unclear" not in primary:
        return found.pop()
    return "unclear"


def _empty_row(spec: OutcomeSpec, design: str) -> SofRow:
    """A row saying there is no evidence of this kind on this outcome."""
    text = statement(None, "unclear", intervention=INTERVENTION, outcome=spec.name, design=design)
    return SofRow(spec, design, statement=text)


def _body(
    spec: OutcomeSpec,
    design: str,
    studies: list[Study],
    patients: int | None,
    rob: Mapping[str, str | None],
    **kw: Any,
) -> Body:
    """The GRADE body of a row: its studies, weighted by patients enrolled."""
    return Body(
        outcome=spec.name,
        design=design,
        studies=tuple(s.id for s in studies),
        patients=patients,
        rob={s.id: rob.get(s.id) for s in studies},
        weights={s.id: float(s.patients_enrolled.value or 1) for s in studies},
        **kw,
    )


def _efficacy_rows(
    spec: OutcomeSpec,
    evidence: EvidenceBase,
    rob: Mapping[str, str | None],
    overrides: Iterable[Override],
    synthesis: AlsfrsSynthesis | None,
) -> list[SofRow]:
    by_design: dict[str, list[tuple[Study, Outcome]]] = {d: [] for d in DESIGNS}
    for s in evidence.studies:
        for o in s.efficacy:
            if o.measure in spec.measures:
                by_design[design_of(s, o)].append((s, o))
    rows = []
    for design in DESIGNS:
        pairs = by_design[design]
        if not pairs:
            rows.append(_empty_row(spec, design))
            continue
        results = [
            StudyResult(
                s,
                _result_text(o),
                "; ".join(str(p) for p in o.provenance),
                _DIRECTION.get(o.direction, "unclear"),
                subgroup_only=bool(o.subgroup),
            )
            for s, o in pairs
        ]
        studies = list({r.study.id: r.study for r in results}.values())
        patients, pnote = patients_of(studies, evidence)
        # indirect population only when no study reports a result for all its patients
        subgroup_only: tuple[str, ...] = ()
        if all(o.subgroup for _, o in pairs):
            subgroup_only = tuple(sorted({str(o.subgroup) for _, o in pairs}))
        pooled = pooled_note = None
        kw: JSONDict = {}
        direction = _body_direction(results)
        if (
            spec.key == "alsfrs"
            and design == "uncontrolled before/after"
            and synthesis is not None
            and synthesis.primary is not None
        ):
            p = synthesis.primary
            pred = p.predict()
            ci = (float(p.ci_lb[0]), float(p.ci_ub[0]))
            pi = (float(pred.pi_lb[0]), float(pred.pi_ub[0]))
            n_pooled = sum(c.n for c in synthesis.studies)
            pooled = (
                f"{p.estimate:.2f} points/month (95% CI {ci[0]:.2f} to {ci[1]:.2f}; "
                f"prediction interval {pi[0]:.2f} to {pi[1]:.2f}; I2 = {p.I2:.0f}%), "
                f"{synthesis.k} cohorts, {n_pooled} patients"
            )
            pooled_note = (
                "Pooled change in monthly decline, after minus before treatment (MC, r = "
                f"{synthesis.primary_r:g}, REML); negative = slower decline. Single-arm cohorts "
                "without controls; the other results in this row are not pooled."
            )
            kw = dict(estimate=float(p.estimate), ci=ci, pi=pi, i2=float(p.I2))
            direction = "benefit" if ci[1] < 0 else "harm" if ci[0] > 0 else "unclear"
        body = _body(
            spec,
            design,
            studies,
            patients,
            rob,
            directions=tuple(o.direction for _, o in pairs if not o.subgroup),
            comparisons=tuple(o.comparison for _, o in pairs),
            subgroup_only=subgroup_only,
            **kw,
        )
        cert = rate(body, overrides=overrides)
        rows.append(
            SofRow(
                spec,
                design,
                tuple(results),
                patients,
                pnote,
                pooled,
                pooled_note or "",
                direction,
                cert,
                statement(
                    cert,
                    direction,
                    intervention=INTERVENTION,
                    outcome=spec.name,
                    benefit=spec.benefit,
                    harm=spec.harm,
                ),
            )
        )
    return rows


PROCEDURE_TERMS = {
    "headache": "headache after lumbar puncture",
    "nausea": "headache after lumbar puncture",
    "puncture": "pain at the puncture site",
    "back pain": "low back or radicular pain",
    "radicular": "low back or radicular pain",
    "surgical site": "surgical-site infection",
    "dermatome": "pain in the dermatome of the transplant site",
    "kyphosis": "cervical kyphosis",
    "oedema": "spinal cord oedema with neurological deterioration",
    "refractory pain": "refractory pain",
    "diabetes": "iatrogenic diabetes",
    "neuropathic": "neuropathic pain",
}


def event_category(term: str) -> str:
    t = term.lower()
    for key, cat in PROCEDURE_TERMS.items():
        if key in t:
            return cat
    return t


def _safety_rows(
    spec: OutcomeSpec,
    evidence: EvidenceBase,
    rob: Mapping[str, str | None],
    overrides: Iterable[Override],
) -> list[SofRow]:
    rows = []
    for design in DESIGNS:
        studies = [s for s in evidence.studies if design_of(s) == design]
        results = []
        for s in studies:
            text, source = safety_text(s, spec.key)
            if text is not None:
                results.append(StudyResult(s, text, source, "unclear"))
        if not results:
            rows.append(_empty_row(spec, design))
            continue
        used = [r.study for r in results]
        patients, pnote = patients_of(used, evidence)
        body = _body(spec, design, used, patients, rob)
        cert = rate(body, overrides=overrides)
        extra = _safety_extra(spec.key, used)
        rows.append(
            SofRow(
                spec,
                design,
                tuple(results),
                patients,
                pnote,
                None,
                "",
                "unclear",
                cert,
                statement(cert, "unclear", intervention=INTERVENTION, outcome=spec.name),
                extra,
            )
        )
    return rows


def safety_text(s: Study, key: str) -> tuple[str | None, str]:
    """What a study reports for a safety outcome, in patients with the event / exposed where
    the source gives counts, else what it states; None when it reports nothing."""
    n = s.patients_enrolled.value
    of = f" of {n}" if n else ""
    if key == "serious":
        events = [ae for ae in s.safety.adverse_events if ae.serious and ae.related]
        fact = s.safety.serious_related_events
        if events:
            parts = []
            for ae in events:
                count = f"{ae.n_patients}{of} patients" if ae.n_patients else "count not printed"
                parts.append(f"{ae.term} ({count})")
            src = "; ".join(str(p) for ae in events for p in ae.provenance)
            return "; ".join(parts), src
        if fact is not None and fact.value is not None:
            src = "; ".join(str(p) for p in fact.provenance)
            if fact.value == 0:
                return "none related to treatment reported" + (f" ({n} enrolled)" if n else ""), src
            return f"{fact.value}{of} patients", src
        return None, ""
    events = [ae for ae in s.safety.adverse_events if ae.related and not ae.serious]
    if not events:
        return None, ""
    cats: dict[str, int | None] = {}
    for ae in events:
        c = event_category(ae.term)
        if ae.n_patients is None:
            cats.setdefault(c, None)
        else:
            cats[c] = (cats.get(c) or 0) + ae.n_patients
    parts = [f"{c} ({v}{of} patients)" if v is not None else f"{c} (count not printed)"
             for c, v in cats.items()]  # fmt: skip
    src = "; ".join(sorted({str(p) for ae in events for p in ae.provenance}))
    return "; ".join(parts), src


def _safety_extra(key: str, studies: list[Study]) -> tuple[str, ...]:
    if key != "serious":
        return ()
    out = []
    for s in studies:
        d = s.safety.deaths
        if d is not None and d.value:
            rel = s.safety.deaths_related
            relation = (
                "none related to treatment"
                if rel is not None and rel.value == 0
                else "relation not stated"
            )
            out.append(
                f"{s.label}: {d.value} death{'s' if d.value != 1 else ''} ({relation}; "
                f"{'; '.join(str(p) for p in d.provenance)})"
            )
    return tuple(out)


def summary_of_findings(
    evidence: EvidenceBase,
    *,
    rob: Mapping[str, str | None] | None = None,
    overrides: Iterable[Override] = (),
    synthesis: AlsfrsSynthesis | None = None,
) -> list[SofRow]:
    """Every SoF row: outcomes in `OUTCOMES` order, randomised evidence first in each."""
    rob = rob or {}
    overrides = tuple(overrides)
    if synthesis is None:
        from alsreview.meta.alsfrs import alsfrs_synthesis

        synthesis = alsfrs_synthesis(evidence.studies)
    rows: list[SofRow] = []
    for spec in OUTCOMES:
        if spec.safety:
            rows += _safety_rows(spec, evidence, rob, overrides)
        else:
            rows += _efficacy_rows(spec, evidence, rob, overrides, synthesis)
    return rows
