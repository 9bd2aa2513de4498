"""Risk-of-bias instruments as data: the file format, its loader and its static checks.

An instrument file (JSON, one per tool, in `alsreview/data/appraisal/`) lists the tool's
domains, their signalling questions with the ids printed on the official form ("1.1",
"1b.2", JBI "1".."13"), the answer options, the ordered judgement words, and the algorithm
from answers to judgements as a decision tree:

- `{"result": "low"}`                      a judgement;
- `{"assessor": true}`                     the tool gives no algorithm: the reviewer judges;
- `{"answer": "3"}`                        the domain's value is that question's answer (JBI);
- `{"question": "1.2", "branches": [{"answers": ["Y", "PY"], "then": NODE}, ...]}`;
- `{"questions": ["2.1", "2.2"], "branches": [{"all"|"any": [...], "then": NODE}, ...]}`
  (both / either of the questions has one of those answers; first matching branch wins);
- `{"worst_of": [NODE, ...]}`              the worst judgement of the parts (RoB 2 domain 2);
- `{"use": "name"}`                        a named subtree of the domain (`subtrees`).

The overall judgement is `{"rule": "worst"}` (by the judgements' `rank`) or
`{"rule": "count", "answers": [...], "bands": [{"max": 0, "judgement": "low"}, ...]}`.
A new tool or version (ROBINS-I V2, QUADAS-2, RoB 2 for crossover trials) is a new file.
`instrument_json_schema()` is the file format's JSON Schema.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alsreview.errors import ImportFormatError, Problem, ValidationError
from alsreview.typealiases import JSONDict

TOOLS = {
    "jbi-rct": "jbi_rct.json",
    "jbi-quasi": "jbi_quasi.json",
    "rob2": "rob2.json",
    "rob2-cluster": "rob2_cluster.json",
    "robins-i": "robins_i.json",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    """One answer option: its code as written on the form, label, accepted spellings."""

    code: str
    label: str
    aliases: list[str] = Field(default_factory=list)


class Question(_Model):
    """A signalling question; `condition` is the form's "If Y/PY to 2.1:" prefix."""

    id: str
    text: str
    options: str = Field(description="name of an option set of the instrument")
    condition: str | None = None
    guidance: str | None = None


class Result(_Model):
    result: str


class Assessor(_Model):
    assessor: Literal[True]


class AnswerOf(_Model):
    answer: str


class Use(_Model):
    use: str


class Branch(_Model):
    answers: list[str] | None = None
    all: list[str] | None = None
    any: list[str] | None = None
    then: Node


class Ask(_Model):
    question: str
    branches: list[Branch]


class AskMany(_Model):
    questions: list[str]
    branches: list[Branch]


class WorstOf(_Model):
    worst_of: list[Node]


Node = Annotated[
    Result | Assessor | AnswerOf | Use | Ask | AskMany | WorstOf,
    Field(union_mode="left_to_right"),
]
for _m in (Branch, WorstOf):
    _m.model_rebuild()


class Variant(_Model):
    """One version of a domain (RoB 2 domain 2: effect of assignment / of adhering)."""

    name: str
    questions: list[Question]
    algorithm: Node
    subtrees: dict[str, Node] = Field(default_factory=dict)


class Domain(_Model):
    """A bias domain: `questions` + `algorithm`, or `variants` keyed by effect of interest."""

    id: str
    name: str
    short: str | None = None
    questions: list[Question] = Field(default_factory=list)
    algorithm: Node | None = None
    subtrees: dict[str, Node] = Field(default_factory=dict)
    variants: dict[str, Variant] = Field(default_factory=dict)
    note: str | None = None

    def variant(self, effect: str | None) -> Variant:
        """The questions and algorithm in force for `effect` (ignored without variants)."""
        if not self.variants:
            assert self.algorithm is not None
            return Variant(
                name=self.name,
                questions=self.questions,
                algorithm=self.algorithm,
                subtrees=self.subtrees,
            )
        key = effect or next(iter(self.variants))
        if key not in self.variants:
            raise ValidationError(
                f"{self.id}: no variant {key!r}; choose one of {', '.join(self.variants)}"
            )
        return self.variants[key]


class Judgement(_Model):
    """A judgement word; `rank` orders them from least to most concern."""

    id: str
    rank: int
    robvis: str = Field(description="the spelling in robvis's CSV and legends")


class Band(_Model):
    max: int | None = None
    judgement: str


class Overall(_Model):
    rule: Literal["worst", "count"]
    answers: list[str] = Field(default_factory=list)
    bands: list[Band] = Field(default_factory=list)
    note: str | None = None


class Instrument(_Model):
    """A risk-of-bias tool as read from its data file."""

    schema_: str | None = Field(default=None, alias="$schema")
    id: str
    name: str
    version: str
    source: str
    robvis_tool: str | None = None
    level: Literal["study", "result"] = "study"
    effects: list[str] = Field(default_factory=list)
    judgements: list[Judgement]
    answer_words: dict[str, str] = Field(
        default_factory=dict, description="domain values that are answers, for plots (JBI)"
    )
    option_sets: dict[str, list[Option]]
    domains: list[Domain]
    overall: Overall
    note: str | None = None

    # -- lookups --------------------------------------------------------------------------
    def judgement_ids(self) -> list[str]:
        return [j.id for j in sorted(self.judgements, key=lambda j: j.rank)]

    def rank(self, judgement: str) -> int:
        for j in self.judgements:
            if j.id == judgement:
                return j.rank
        raise KeyError(judgement)

    def domain(self, domain_id: str) -> Domain:
        for d in self.domains:
            if d.id == domain_id:
                return d
        raise KeyError(domain_id)

    def questions(self, effect: str | None = None) -> dict[str, Question]:
        """Every question id of the form (for `effect`) -> its question, in form order."""
        return {q.id: q for d in self.domains for q in d.variant(effect).questions}

    def options(self, question: Question) -> list[Option]:
        return self.option_sets[question.options]

    def normalise(self, question: Question, answer: object) -> str | None:
        """The option code an answer spells (case-insensitive, aliases), or None."""
        if not isinstance(answer, str):
            return None
        text = answer.strip().casefold()
        for o in self.options(question):
            if text == o.code.casefold() or text in (a.casefold() for a in o.aliases):
                return o.code
        return None


def _node_problems(
    node: Any, qids: set[str], options: dict[str, set[str]], ok: set[str], subtrees: set[str]
) -> list[str]:
    out: list[str] = []
    if isinstance(node, Result):
        if node.result not in ok:
            out.append(f"result {node.result!r} is not a judgement of the tool")
    elif isinstance(node, AnswerOf):
        if node.answer not in qids:
            out.append(f"answer of unknown question {node.answer!r}")
    elif isinstance(node, Use):
        if node.use not in subtrees:
            out.append(f"unknown subtree {node.use!r}")
    elif isinstance(node, WorstOf):
        for part in node.worst_of:
            out += _node_problems(part, qids, options, ok, subtrees)
    elif isinstance(node, Ask | AskMany):
        asked = [node.question] if isinstance(node, Ask) else node.questions
        unknown = [q for q in asked if q not in qids]
        if unknown:
            return [f"branches on unknown question {', '.join(unknown)}"]
        allowed = set.intersection(*(options[q] for q in asked))
        seen: set[str] = set()
        for b in node.branches:
            given = [x for x in (b.answers, b.all, b.any) if x is not None]
            if len(given) != 1 or (isinstance(node, Ask) and b.answers is None):
                out.append(f"a branch of {'/'.join(asked)} needs exactly one of answers/all/any")
                continue
            bad = set(given[0]) - allowed
            if bad:
                out.append(f"{'/'.join(asked)}: branch answers {sorted(bad)} are not options")
            if isinstance(node, Ask):
                if seen & set(given[0]):
                    out.append(f"{node.question}: answer listed in two branches")
                seen |= set(given[0])
            out += _node_problems(b.then, qids, options, ok, subtrees)
        if isinstance(node, Ask):
            uncovered = options[node.question] - seen - {"NA"}
            if uncovered:
                out.append(f"{node.question}: no branch for {sorted(uncovered)}")
    return out


def check_instrument(inst: Instrument, name: str) -> None:
    """Static checks a schema cannot express; raises ValidationError naming each problem."""
    problems: list[Problem] = []
    ids = [j.id for j in inst.judgements]
    if len(set(ids)) != len(ids):
        problems.append(Problem("judgement ids repeat", file=name, column="judgements"))
    domain_ids = [d.id for d in inst.domains]
    if len(set(domain_ids)) != len(domain_ids):
        problems.append(Problem("domain ids repeat", file=name, column="domains"))
    for d in inst.domains:
        if (d.algorithm is None) == (not d.variants):
            problems.append(
                Problem("give either questions+algorithm or variants", file=name, column=d.id)
            )
            continue
        variants: list[tuple[str | None, Variant]] = list(d.variants.items()) or [
            (None, d.variant(None))
        ]
        for key, v in variants:
            where = d.id + (f" ({key})" if key else "")
            qids = [q.id for q in v.questions]
            if len(set(qids)) != len(qids):
                problems.append(Problem("question ids repeat", file=name, column=where))
            for q in v.questions:
                if q.options not in inst.option_sets:
                    problems.append(
                        Problem(f"question {q.id}: unknown option set {q.options!r}", file=name)
                    )
            if any(q.options not in inst.option_sets for q in v.questions):
                continue
            options = {q.id: {o.code for o in inst.option_sets[q.options]} for q in v.questions}
            for tree in [v.algorithm, *v.subtrees.values()]:
                for msg in _node_problems(tree, set(qids), options, set(ids), set(v.subtrees)):
                    problems.append(Problem(msg, file=name, column=where))
    for b in inst.overall.bands:
        if b.judgement not in ids:
            problems.append(Problem(f"band judgement {b.judgement!r} unknown", file=name))
    if inst.overall.rule == "count" and (not inst.overall.bands or inst.overall.bands[-1].max):
        problems.append(Problem("count rule needs bands ending with an open band", file=name))
    if problems:
        raise ValidationError(problems)


def parse_instrument(text: str, name: str = "<instrument>") -> Instrument:
    """Parse and check an instrument file's text."""
    import pydantic

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(name, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    try:
        inst = Instrument.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(
            [
                Problem(err["msg"], file=name, column=".".join(str(p) for p in err["loc"]) or None)
                for err in exc.errors()
            ]
        ) from None
    check_instrument(inst, name)
    return inst


_CACHE: dict[str, Instrument] = {}


def load_instrument(tool: str | Path) -> Instrument:
    """A bundled tool by id (`rob2`, `rob2-cluster`, `robins-i`, `jbi-rct`, `jbi-quasi`)
    or an instrument file's path."""
    key = str(tool)
    if key in TOOLS:
        if key not in _CACHE:
            text = resources.files("alsreview.data").joinpath("appraisal", TOOLS[key])
            _CACHE[key] = parse_instrument(text.read_text("utf-8"), f"<bundled {TOOLS[key]}>")
        return _CACHE[key]
    if Path(key).suffix == ".json" and Path(key).exists():
        inst = parse_instrument(Path(key).read_text("utf-8"), key)
    else:
        raise ValidationError(
            f"unknown tool {key!r}: use one of {', '.join(TOOLS)} or an instrument .json file"
        )
    return inst


def instrument_json_schema() -> JSONDict:
    """JSON Schema of the instrument file format."""
    return Instrument.model_json_schema(by_alias=True)
