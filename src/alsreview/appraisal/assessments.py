"""Assessments in the project store: per study (and outcome), per reviewer, with support text,
the algorithm's judgements and any override with its justification; consensus records.

In: a `Project`, a study id, a tool and answers (`{"1.1": "Y"}` or
`{"1.1": {"answer": "Y", "support": "quote or reason"}}`, plus domain judgements where the
tool has no algorithm).  Out: `StoredAppraisal` rows (`alsreview.store.appraisals`); each
save is one transaction with its event.  `current_judgements()` gives the judgement a
synthesis or plot should use per study: the consensus when there is one, else the single
reviewer's assessment; studies whose reviewers disagree without consensus are left out and
listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from alsreview.appraisal.algorithm import judge, normalise_judgement, overall_judgement
from alsreview.appraisal.instrument import Overall, load_instrument
from alsreview.errors import Problem, ValidationError
from alsreview.store.appraisals import StoredAppraisal, current_appraisals, save_appraisal
from alsreview.store.project import Project
from alsreview.typealiases import JSONDict, JSONValue

__all__ = [
    "CurrentJudgements",
    "adopt_as_consensus",
    "current_judgements",
    "record_assessment",
]


def _split_answers(raw: Mapping[str, Any], name: str) -> tuple[JSONDict, dict[str, str]]:
    answers: JSONDict = {}
    support: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping):
            unknown = set(value) - {"answer", "support"}
            if unknown or "answer" not in value:
                raise ValidationError(
                    [Problem(f"question {key}: expected {{answer, support}}", file=name)]
                )
            answers[key] = value["answer"]
            if value.get("support"):
                support[key] = str(value["support"])
        else:
            answers[key] = value
    return answers, support


def record_assessment(
    project: Project,
    study: str,
    tool: str,
    answers: Mapping[str, JSONValue],
    *,
    outcome: str = "",
    effect: str | None = None,
    reviewer: str | None = None,
    overrides: Mapping[str, tuple[str, str]] | None = None,
    overall_override: tuple[str, str] | None = None,
    overall_rule: Overall | None = None,
    kind: str = "assessment",
    name: str = "<answers>",
) -> StoredAppraisal:
    """Judge `answers` with `tool`'s algorithm and store the result.

    `overrides` maps a domain id to (judgement, justification): the reviewer's judgement
    replaces the algorithm's, which is kept beside it.  The overall is the tool's rule on
    the final domain judgements; `overall_override` (judgement, justification) replaces it
    (RoB 2: several "some concerns" raised to high).  An override needs a justification.
    Nothing is stored when anything is wrong.
    """
    inst = load_instrument(tool)
    plain, support = _split_answers(answers, name)
    result = judge(inst, plain, effect=effect, overall_rule=overall_rule, name=name)
    problems: list[Problem] = []
    final = {d.domain: {"algorithm": d.value, "value": d.value, "source": d.source}
             for d in result.domains}  # fmt: skip
    for domain, (judgement, why) in (overrides or {}).items():
        j = normalise_judgement(inst, judgement)
        if domain not in final:
            problems.append(Problem(f"override of unknown domain {domain!r}", file=name))
        elif j is None:
            problems.append(Problem(f"domain {domain}: override {judgement!r} is not a "
                                    f"judgement of {inst.id}", file=name))  # fmt: skip
        elif not why or not why.strip():
            problems.append(Problem(f"domain {domain}: an override needs a justification",
                                    file=name))  # fmt: skip
        else:
            final[domain] |= {"value": j, "justification": why.strip()}
    values = [v["value"] for v in final.values()]
    overall_alg = overall_judgement(inst, values, overall_rule)
    overall, overall_why = overall_alg, None
    if overall_override is not None:
        j = normalise_judgement(inst, overall_override[0])
        why = (overall_override[1] or "").strip()
        if j is None:
            problems.append(Problem(f"overall override {overall_override[0]!r} is not a "
                                    f"judgement of {inst.id}", file=name))  # fmt: skip
        elif not why:
            problems.append(Problem("the overall override needs a justification", file=name))
        else:
            overall, overall_why = j, why
    if problems:
        raise ValidationError(problems)
    stored_answers = {
        q: {"answer": a, **({"support": support[q]} if q in support else {})}
        for q, a in result.answers.items()
    }
    for q, text in support.items():  # support text given for a domain judgement
        stored_answers.setdefault(q, {"answer": plain[q], "support": text})
    return save_appraisal(
        project, study=study, tool=inst.id, answers=stored_answers, domains=final,
        overall_algorithm=overall_alg, overall=overall, overall_justification=overall_why,
        outcome=outcome, effect=result.effect, kind=kind, reviewer=reviewer,
    )  # fmt: skip


def adopt_as_consensus(
    project: Project, study: str, tool: str, from_reviewer: str, *, outcome: str = "",
    reviewer: str | None = None,
) -> StoredAppraisal:  # fmt: skip
    """Record `from_reviewer`'s current assessment as the consensus (the usual outcome of a
    discussion in which one reviewer's answers are agreed)."""
    rows = [
        r for r in current_appraisals(project, tool=tool, study=study, kind="assessment")
        if r.reviewer == from_reviewer and r.outcome == outcome
    ]  # fmt: skip
    if not rows:
        raise ValidationError(f"no assessment of {study} with {tool} by {from_reviewer}")
    r = rows[-1]
    return save_appraisal(
        project, study=study, tool=tool, answers=r.answers, domains=r.domains,
        overall_algorithm=r.overall_algorithm, overall=r.overall,
        overall_justification=r.overall_justification, outcome=outcome, effect=r.effect,
        kind="consensus", reviewer=reviewer,
    )  # fmt: skip


@dataclass(frozen=True)
class CurrentJudgements:
    """Per (study, outcome): the appraisal to use, and the studies still in disagreement."""

    tool: str
    chosen: dict[tuple[str, str], StoredAppraisal] = field(default_factory=dict)
    unresolved: tuple[tuple[str, str], ...] = ()

    def overall(self) -> dict[str, str]:
        """Study id -> overall judgement (the first outcome's when a study has several)."""
        out: dict[str, str] = {}
        for (study, _outcome), a in self.chosen.items():
            out.setdefault(study, a.overall)
        return out


def current_judgements(project: Project, tool: str) -> CurrentJudgements:
    """Consensus if recorded; else the assessment when all reviewers' values agree (or there
    is only one reviewer); else unresolved."""
    chosen: dict[tuple[str, str], StoredAppraisal] = {}
    groups: dict[tuple[str, str], list[StoredAppraisal]] = {}
    for a in current_appraisals(project, tool=tool):
        groups.setdefault((a.study, a.outcome), []).append(a)
    unresolved = []
    for key, rows in groups.items():
        consensus = [r for r in rows if r.kind == "consensus"]
        if consensus:
            chosen[key] = consensus[-1]
            continue
        distinct = {(tuple(sorted(r.values().items())), r.overall) for r in rows}
        if len(distinct) == 1:
            chosen[key] = rows[-1]
        else:
            unresolved.append(key)
    return CurrentJudgements(tool, chosen, tuple(unresolved))
