"""Extraction fields: which parts of a `Study` a review extracts, and how each is checked.

An extraction is a *partial* study in the evidence format (`evidence/model.py`): a dict
such as ``{"patients_enrolled": {"value": 26, "from": ["sykova2017: Table 2"]},
"schedule": {"sessions_min": {...}}, "efficacy": [...]}``.  A field is named by its dotted
path in that dict (``schedule.interval``, ``safety.deaths``).  The protocol chooses the
fields (``[extraction] fields = [...]`` in protocol.toml); `DEFAULT_FIELDS` are the ALS
stem-cell fields tabulated by both seed reviews.

Every field has a *kind* that decides how two reviewers' values are compared
(`extraction.compare`): int / float (within a tolerance), text (after normalisation), bool,
code (a taxonomy or design code), routes (a set of route codes), dose (through the dose
parser), outcomes and adverse events (lists matched item by item).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from alsreview.errors import Problem, ValidationError
from alsreview.typealiases import JSONDict, JSONValue

# path -> kind
KINDS: dict[str, str] = {
    "design": "code",
    "controlled": "bool",
    "phase": "text",
    "country": "text",
    "patients_enrolled": "int",
    "patients_analysed": "int",
    "controls": "int",
    "control_kind": "text",
    "cell_type": "code",
    "cell_source": "code",
    "routes": "routes",
    "route_detail": "text",
    "dose_per_administration": "dose",
    "schedule.injections_per_session": "text",
    "schedule.sessions_min": "int",
    "schedule.sessions_max": "int",
    "schedule.interval": "text",
    "total_cells": "dose",
    "follow_up_months": "float",
    "efficacy": "outcomes",
    "safety.adverse_events": "adverse_events",
    "safety.serious_related_events": "int",
    "safety.deaths": "int",
    "safety.deaths_related": "int",
}

DEFAULT_FIELDS: tuple[str, ...] = tuple(KINDS)

# Parts of a study entry that are identity, not extracted data (kept as given, not compared).
IDENTITY = ("id", "citation", "reviewed_in", "related")


@dataclass(frozen=True)
class Field:
    path: str
    kind: str

    @property
    def is_fact(self) -> bool:
        return self.kind not in ("outcomes", "adverse_events")


def field_for(path: str) -> Field:
    if path not in KINDS:
        raise ValidationError(
            [Problem(f"unknown extraction field {path!r} (known: {', '.join(KINDS)})")]
        )
    return Field(path, KINDS[path])


def fields_from_protocol(names: tuple[str, ...] | list[str] | None) -> tuple[Field, ...]:
    """The review's fields: the protocol's `[extraction] fields`, else `DEFAULT_FIELDS`."""
    chosen = tuple(names) if names else DEFAULT_FIELDS
    problems = [f"unknown extraction field {n!r}" for n in chosen if n not in KINDS]
    if problems:
        raise ValidationError(
            [Problem(f"{p} (known: {', '.join(KINDS)})", "protocol.toml") for p in problems]
        )
    return tuple(Field(n, KINDS[n]) for n in chosen)


def get_path(data: JSONDict, path: str) -> JSONValue:
    """The value at a dotted path of a (partial) study dict, or None."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def set_path(data: JSONDict, path: str, value: JSONValue) -> JSONDict:
    """A copy of `data` with `value` at `path` (None removes the field)."""
    import copy

    out = copy.deepcopy(data)
    parts = path.split(".")
    node = out
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
        if len(parts) > 1 and not node:
            out.pop(parts[0], None)
    else:
        node[parts[-1]] = value
    return out


@lru_cache(maxsize=64)
def _adapter(path: str) -> Any:
    from pydantic import TypeAdapter

    from alsreview.evidence.model import Safety, Schedule, Study

    owner: Any = Study
    parts = path.split(".")
    if parts[0] == "schedule" and len(parts) == 2:
        owner = Schedule
    elif parts[0] == "safety" and len(parts) == 2:
        owner = Safety
    return TypeAdapter(owner.model_fields[parts[-1]].annotation)


def check_field(path: str, value: JSONValue, where: str = "") -> list[Problem]:
    """Problems with one field's value (the evidence model's type and rules)."""
    import pydantic

    from alsreview.errors import DoseParseError
    from alsreview.evidence.dose import parse_dose
    from alsreview.evidence.taxonomy import load_taxonomy

    field_for(path)
    loc = f"{where}{path}"
    try:
        parsed = _adapter(path).validate_python(value)
    except pydantic.ValidationError as exc:
        return [
            Problem(err["msg"], column=".".join([loc, *(str(p) for p in err["loc"])]))
            for err in exc.errors()
        ]
    problems: list[Problem] = []
    kind = KINDS[path]
    v = getattr(parsed, "value", None)
    tax = load_taxonomy()
    if path == "cell_type" and v is not None and v not in tax.cell_types:
        problems.append(
            Problem(f"unknown cell type {v!r} (known: {', '.join(tax.cell_types)})", column=loc)
        )
    if kind == "routes":
        for code in v or []:
            if code not in tax.routes:
                problems.append(
                    Problem(f"unknown route {code!r} (known: {', '.join(tax.routes)})", column=loc)
                )
    if kind == "dose" and v is not None:
        try:
            parse_dose(v)
        except DoseParseError as exc:
            problems.append(Problem(str(exc), column=loc))
    return problems


def check_extraction(data: JSONDict, where: str = "") -> None:
    """Refuse a partial study dict with an unknown field or an invalid value (all listed)."""
    if not isinstance(data, dict):
        raise ValidationError([Problem(f"{where or 'extraction'}: must be a JSON object")])
    problems: list[Problem] = []
    for key, value in data.items():
        if key in IDENTITY:
            continue
        if key in ("schedule", "safety") and isinstance(value, dict):
            for sub, v in value.items():
                path = f"{key}.{sub}"
                if path not in KINDS:
                    problems.append(Problem(f"unknown field {path!r}", column=f"{where}{path}"))
                else:
                    problems += check_field(path, v, where)
        elif key not in KINDS:
            problems.append(Problem(f"unknown field {key!r}", column=f"{where}{key}"))
        else:
            problems += check_field(key, value, where)
    if problems:
        raise ValidationError(problems)


def leaf_paths(data: JSONDict) -> list[str]:
    """The field paths present in a partial study dict, in `KINDS` order."""
    return [p for p in KINDS if get_path(data, p) is not None]
