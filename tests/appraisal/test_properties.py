"""Properties of the judging engine over arbitrary answer sheets (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.appraisal import judge, load_instrument
from alsreview.errors import ValidationError

TOOLS = ["rob2", "rob2-cluster", "jbi-rct", "jbi-quasi"]


@st.composite
def sheets(draw):
    """A tool and answers to a random subset of its questions, some of them invalid."""
    tool = draw(st.sampled_from(TOOLS))
    inst = load_instrument(tool)
    answers = {}
    for qid, q in inst.questions().items():
        if draw(st.booleans()) or draw(st.booleans()):
            codes = [o.code for o in inst.options(q)]
            answers[qid] = draw(st.sampled_from([*codes, "maybe"]) if draw(st.integers(0, 20))
                                == 0 else st.sampled_from(codes))  # fmt: skip
    return tool, answers


@settings(max_examples=150, deadline=None)
@given(sheets())
def test_judge_returns_judgements_or_names_the_question(sheet):
    tool, answers = sheet
    inst = load_instrument(tool)
    try:
        result = judge(inst, answers)
    except ValidationError as exc:
        for p in exc.problems:
            assert p.message.startswith(("question ", "domain ")), p.message
        return
    words = set(inst.judgement_ids())
    assert result.overall in words
    for d in result.domains:
        assert d.value in (set(inst.answer_words) if inst.answer_words else words)


@settings(max_examples=150, deadline=None)
@given(sheets(), st.data())
def test_unreached_questions_do_not_change_the_judgement(sheet, data):
    """Adding or changing the answer to a question the algorithm did not use changes nothing."""
    tool, answers = sheet
    inst = load_instrument(tool)
    try:
        result = judge(inst, answers)
    except ValidationError:
        return
    used = {step.split(" = ")[0] for d in result.domains for step in d.path}
    unused = [q for q in inst.questions() if q not in used]
    if not unused:
        return
    qid = data.draw(st.sampled_from(unused))
    options = [o.code for o in inst.options(inst.questions()[qid]) if o.code != "NA"]
    changed = dict(answers) | {qid: data.draw(st.sampled_from(options))}
    assert judge(inst, changed).to_dict() == result.to_dict()
