"""The assessment form: which question to ask next, and a question-by-question dialogue.

In: an instrument, and two callables supplied by the user interface: `ask(prompt, choices)`
returns the typed text (choices None = free text) and `say(text)` shows text.  Out: the
answers, support texts, overrides and justifications, ready for `record_assessment`.

Only questions the algorithm reaches are asked (RoB 2: 1.3 is skipped when 1.2 = N).  Where
the tool has no algorithm (ROBINS-I 2016) every signalling question of the domain is offered
(empty answer = skip) and the reviewer then gives the domain judgement.  After each domain
and the overall, the reviewer may override the proposed judgement with a justification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alsreview.appraisal.algorithm import (
    _Missing,
    _NeedsReviewer,
    _NoBranch,
    _walk,
    normalise_judgement,
    overall_judgement,
)
from alsreview.appraisal.instrument import Instrument, Question

__all__ = ["FormResult", "next_question", "run_form"]

Ask = Callable[[str, list[str] | None], str]
Say = Callable[[str], None]


def next_question(
    inst: Instrument, domain: str, answers: dict[str, str], effect: str | None = None
) -> tuple[str | None, str | None]:
    """(question id to ask next, None) or (None, judgement) or (None, None) when the
    reviewer must judge; raises ValueError when an answer leads nowhere (NA where reached)."""
    v = inst.domain(domain).variant(effect)
    try:
        return None, _walk(v.algorithm, answers, v, inst, [])
    except _Missing as exc:
        return exc.question, None
    except _NeedsReviewer:
        return None, None
    except _NoBranch as exc:
        raise ValueError(f"question {exc.question}: answer {exc.answer} does not apply") from None


@dataclass
class FormResult:
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    overrides: dict[str, tuple[str, str]] = field(default_factory=dict)
    overall_override: tuple[str, str] | None = None


def _ask_answer(inst: Instrument, q: Question, ask: Ask, say: Say, optional: bool) -> str | None:
    options = inst.options(q)
    say("")
    say(f"{q.id}  {q.text}" + (f"  [{q.condition}]" if q.condition else ""))
    if q.guidance:
        say(f"      {q.guidance}")
    say("      " + "  ".join(f"{o.code} = {o.label}" for o in options))
    while True:
        text = ask(f"{q.id} answer" + (" (empty = skip)" if optional else ""), None).strip()
        if optional and not text:
            return None
        code = inst.normalise(q, text)
        if code is not None:
            return code
        say(f"      {text!r} is not one of {', '.join(o.code for o in options)}")


def _ask_override(inst: Instrument, what: str, proposed: str, ask: Ask, say: Say) -> Any:
    words = inst.judgement_ids()
    while True:
        text = ask(f"{what}: {proposed}. Enter to accept, or a judgement ({', '.join(words)})",
                   None).strip()  # fmt: skip
        if not text:
            return None
        j = normalise_judgement(inst, text)
        if j is None:
            say(f"      {text!r} is not one of {', '.join(words)}")
            continue
        if j == proposed:
            return None
        while True:
            why = ask(f"Justify {what} = {j} (required)", None).strip()
            if why:
                return j, why


def run_form(inst: Instrument, ask: Ask, say: Say, effect: str | None = None) -> FormResult:
    """Ask every reached question, domain by domain; return what the reviewer entered."""
    result = FormResult()
    plain: dict[str, str] = {}
    values: list[str] = []
    say(f"{inst.name} ({inst.version})")
    for d in inst.domains:
        v = d.variant(effect)
        say("")
        say(f"== {d.id}: {v.name if d.variants else d.name}")
        questions = {q.id: q for q in v.questions}
        while True:
            qid, judgement = next_question(inst, d.id, plain, effect)
            if qid is None:
                break
            code = _ask_answer(inst, questions[qid], ask, say, optional=False)
            assert code is not None
            plain[qid] = code
            support = ask(f"{qid} support (quote or reason; empty = none)", None).strip()
            result.answers[qid] = {"answer": code, **({"support": support} if support else {})}
        if judgement is None:  # no algorithm: offer the questions, then ask the judgement
            for q in v.questions:
                if q.id in plain:
                    continue
                code = _ask_answer(inst, q, ask, say, optional=True)
                if code is not None:
                    plain[q.id] = code
                    result.answers[q.id] = {"answer": code}
            words = inst.judgement_ids()
            while judgement is None:
                judgement = normalise_judgement(
                    inst, ask(f"{d.id} judgement ({', '.join(words)})", None)
                )
            result.answers[d.id] = {"answer": judgement}
            values.append(judgement)
            continue
        say(f"   {d.id} proposed by the algorithm: {judgement}")
        if inst.answer_words:  # JBI items: the answer is the value
            values.append(judgement)
            continue
        override = _ask_override(inst, d.id, judgement, ask, say)
        if override:
            result.overrides[d.id] = override
        values.append(override[0] if override else judgement)
    overall = overall_judgement(inst, values)
    say("")
    result.overall_override = _ask_override(inst, "overall", overall, ask, say)
    return result
