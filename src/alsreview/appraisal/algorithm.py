"""From answers to judgements: walk an instrument's decision trees.

In: an `Instrument` and answers keyed by the form's question ids (`{"1.1": "Y", ...}`),
optionally domain judgements keyed by domain id (`{"D3": "moderate"}`: required where the
tool has no algorithm, as in ROBINS-I 2016; checked against the algorithm where it has one).
Out: an `Appraisal` (per-domain judgement with the path that led to it, and the overall).

Every problem (unknown question id, answer outside the options, a reached question left
unanswered, NA given to a question the algorithm reaches) is collected and raised at once
as a `ValidationError` naming the question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alsreview.appraisal.instrument import (
    AnswerOf,
    Ask,
    Assessor,
    Band,
    Instrument,
    Overall,
    Result,
    Use,
    Variant,
    WorstOf,
)
from alsreview.errors import Problem, ValidationError
from alsreview.results import Result as ResultMixin
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Appraisal",
    "DomainResult",
    "count_rule",
    "judge",
    "normalise_judgement",
    "overall_judgement",
]


@dataclass(frozen=True)
class DomainResult:
    """One domain's value; `source` is "algorithm", "reviewer" or "answer" (JBI items)."""

    domain: str
    value: str
    source: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, repr=False)
class Appraisal(ResultMixin):
    """A judged assessment: per-domain values and the overall judgement."""

    tool: str
    domains: tuple[DomainResult, ...]
    overall: str
    effect: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> JSONDict:
        """`{"domains": {"D1": "low", ...}, "overall": "..."}`."""
        return {"domains": {d.domain: d.value for d in self.domains}, "overall": self.overall}

    def summary(self) -> str:
        parts = ", ".join(f"{d.domain} {d.value}" for d in self.domains)
        return f"{self.tool}: overall {self.overall} ({parts})"

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "domain": d.domain,
                    "judgement": d.value,
                    "source": d.source,
                    "path": "; ".join(d.path),
                }
                for d in self.domains
            ]
        )


class _Missing(Exception):
    def __init__(self, question: str, path: list[str]) -> None:
        self.question, self.path = question, list(path)


class _NoBranch(Exception):
    def __init__(self, question: str, answer: str, path: list[str]) -> None:
        self.question, self.answer, self.path = question, answer, list(path)


class _NeedsReviewer(Exception):
    def __init__(self, path: list[str]) -> None:
        self.path = list(path)


def _because(path: list[str]) -> str:
    return f" (reached because {', '.join(path)})" if path else ""


def _walk(
    node: Any, answers: Mapping[str, str], v: Variant, inst: Instrument, path: list[str]
) -> str:
    if isinstance(node, Result):
        return node.result
    if isinstance(node, Assessor):
        raise _NeedsReviewer(path)
    if isinstance(node, AnswerOf):
        if node.answer not in answers:
            raise _Missing(node.answer, path)
        path.append(f"{node.answer} = {answers[node.answer]}")
        return answers[node.answer]
    if isinstance(node, Use):
        return _walk(v.subtrees[node.use], answers, v, inst, path)
    if isinstance(node, WorstOf):
        parts = [_walk(p, answers, v, inst, path) for p in node.worst_of]
        return max(parts, key=inst.rank)
    asked = [node.question] if isinstance(node, Ask) else node.questions
    for q in asked:
        if q not in answers:
            raise _Missing(q, path)
    given = [answers[q] for q in asked]
    for b in node.branches:
        if (
            (b.answers is not None and given[0] in b.answers)
            or (b.all is not None and all(a in b.all for a in given))
            or (b.any is not None and any(a in b.any for a in given))
        ):
            path.extend(f"{q} = {a}" for q, a in zip(asked, given, strict=True))
            return _walk(b.then, answers, v, inst, path)
    if isinstance(node, Ask):
        raise _NoBranch(node.question, given[0], path)
    raise _NoBranch("/".join(asked), "/".join(given), path)


def normalise_judgement(inst: Instrument, text: object) -> str | None:
    """The judgement id a word spells ("Some concerns", "some_concerns", "NI"...), or None."""
    if not isinstance(text, str):
        return None
    t = text.strip().casefold().replace("_", " ")
    for j in inst.judgements:
        if t in (j.id.casefold(), j.robvis.casefold()):
            return j.id
    if t == "ni":
        return "no information" if "no information" in inst.judgement_ids() else None
    return None


def count_rule(
    low_max: int = 0, moderate_max: int = 3, answers: tuple[str, ...] = ("no",)
) -> Overall:
    """JBI scoring as in Blume et al. 2026 (001_*, Methods): no "no" answers = low risk,
    one to three = moderate, more than three = high; thresholds and counted answers settable.
    """
    if not 0 <= low_max < moderate_max:
        raise ValidationError(f"thresholds must satisfy 0 <= {low_max} < {moderate_max}")
    return Overall(
        rule="count",
        answers=list(answers),
        bands=[
            Band(max=low_max, judgement="low"),
            Band(max=moderate_max, judgement="moderate"),
            Band(judgement="high"),
        ],
    )


def judge(
    inst: Instrument,
    answers: Mapping[str, object],
    *,
    effect: str | None = None,
    overall_rule: Overall | None = None,
    name: str = "<answers>",
) -> Appraisal:
    """Judge every domain and the overall from `answers` (see the module docstring)."""
    if inst.effects and effect is not None and effect not in inst.effects:
        raise ValidationError(
            f"{inst.id}: unknown effect {effect!r}; use one of {', '.join(inst.effects)}"
        )
    effect = effect or (inst.effects[0] if inst.effects else None)
    questions = inst.questions(effect)
    domain_ids = {d.id for d in inst.domains}
    problems: list[Problem] = []
    codes: dict[str, str] = {}
    given: dict[str, str] = {}
    for key, raw in answers.items():
        if isinstance(raw, Mapping):  # {"answer": "Y", "support": "..."}, as stored
            raw = raw.get("answer")
        if key in questions:
            q = questions[key]
            code = inst.normalise(q, raw)
            if code is None:
                allowed = ", ".join(o.code for o in inst.options(q))
                problems.append(
                    Problem(f"question {key}: answer {raw!r} is not one of {allowed}", file=name)
                )
            else:
                codes[key] = code
        elif key in domain_ids:
            j = normalise_judgement(inst, raw)
            if j is None:
                problems.append(
                    Problem(
                        f"domain {key}: judgement {raw!r} is not one of "
                        f"{', '.join(inst.judgement_ids())}",
                        file=name,
                    )
                )
            else:
                given[key] = j
        else:
            known = ", ".join(questions)
            problems.append(
                Problem(f"unknown question id {key!r} for {inst.id}; known: {known}", file=name)
            )
    if problems:
        raise ValidationError(problems)

    results: list[DomainResult] = []
    for d in inst.domains:
        v = d.variant(effect)
        path: list[str] = []
        g = given.get(d.id)
        try:
            value = _walk(v.algorithm, codes, v, inst, path)
        except _NeedsReviewer as exc:
            if g is None:
                problems.append(
                    Problem(
                        f"domain {d.id}: {inst.name} gives no algorithm for this judgement"
                        f'{_because(exc.path)}; give it as "{d.id}": one of '
                        f"{', '.join(inst.judgement_ids())}",
                        file=name,
                    )
                )
            else:
                results.append(DomainResult(d.id, g, "reviewer", tuple(exc.path)))
            continue
        except _Missing as exc:
            if g is None:
                problems.append(
                    Problem(
                        f"question {exc.question}: missing answer, required for domain "
                        f"{d.id}{_because(exc.path)}",
                        file=name,
                    )
                )
            else:
                results.append(DomainResult(d.id, g, "reviewer", tuple(exc.path)))
            continue
        except _NoBranch as exc:
            problems.append(
                Problem(
                    f"question {exc.question}: answer {exc.answer} does not apply here: the "
                    f"algorithm of domain {d.id} needs an answer{_because(exc.path)}",
                    file=name,
                )
            )
            continue
        is_answer = isinstance(v.algorithm, AnswerOf)
        if g is not None and g != value and not is_answer:
            problems.append(
                Problem(
                    f"domain {d.id}: given {g!r} but the answers give {value!r} "
                    f"({', '.join(path)}); record a different judgement as an override "
                    "with its justification",
                    file=name,
                )
            )
            continue
        source = "answer" if is_answer else "algorithm"
        results.append(DomainResult(d.id, value, source, tuple(path)))
    if problems:
        raise ValidationError(problems)
    overall = overall_judgement(inst, [r.value for r in results], overall_rule)
    return Appraisal(inst.id, tuple(results), overall, effect, dict(codes))


def overall_judgement(inst: Instrument, values: list[str], rule: Overall | None = None) -> str:
    """The overall judgement from domain values by the instrument's (or the given) rule.

    "worst": the domain judgement of highest rank (RoB 2: low only if every domain is low,
    high if any is high, else some concerns; ROBINS-I: critical if any critical, else serious
    if any serious, else no information if any domain lacks information, else moderate if any
    moderate, else low). "count": the first band whose `max` the count of `answers` fits.
    """
    rule = rule or inst.overall
    if rule.rule == "worst":
        return max(values, key=inst.rank)
    n = sum(v in rule.answers for v in values)
    for band in rule.bands:
        if band.max is None or n <= band.max:
            return band.judgement
    raise AssertionError("count rule without an open band")  # excluded by check_instrument
