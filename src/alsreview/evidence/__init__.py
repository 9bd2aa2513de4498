"""Extracted evidence: the Study model, taxonomies, dose parsing and integrity checks.

In: the bundled evidence base or a user's JSON file in the same format.
Out: a validated `EvidenceBase`; `load_evidence()` is the one way to read one.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.errors import Problem, ValidationError
from alsreview.evidence.model import EvidenceBase, Fact, Provenance, Study
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pydantic

BUNDLED = "evidence_als_stem_cells.json"

__all__ = [
    "BUNDLED",
    "EvidenceBase",
    "Fact",
    "Provenance",
    "Study",
    "load_evidence",
    "pydantic_problems",
]


def load_evidence(path: str | Path | None = None) -> EvidenceBase:
    """Read and validate an evidence base; the bundled ALS stem-cell one when `path` is None.

    Raises `ValidationError` listing every problem with its location in the file (a file
    that is not a regular file, too large, not UTF-8 or nested too deeply included).
    """
    from alsreview.errors import ImportFormatError

    if path is None:
        text = resources.files("alsreview.data").joinpath(BUNDLED).read_text("utf-8")
        name = f"<bundled {BUNDLED}>"
    else:
        from alsreview.inputs import read_text_limited

        name = str(path)
        try:
            text = read_text_limited(path)
        except ImportFormatError as exc:
            raise ValidationError([Problem(exc.reason, file=name, row=exc.line)]) from None
    return parse_evidence(text, name)


def parse_evidence(text: str, name: str = "<evidence>") -> EvidenceBase:
    import pydantic

    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            [Problem(f"not valid JSON: {exc.msg}", file=name, row=exc.lineno)]
        ) from exc
    except RecursionError:
        raise ValidationError([Problem("JSON nested too deeply", file=name)]) from None
    try:
        return EvidenceBase.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(pydantic_problems(exc, name)) from None
    except RecursionError:
        raise ValidationError([Problem("JSON nested too deeply", file=name)]) from None


def pydantic_problems(exc: pydantic.ValidationError, name: str | None = None) -> list[Problem]:
    """One `Problem` per pydantic error, located by its field path."""
    return [
        Problem(
            f"{err['msg']}",
            file=name,
            column=".".join(str(p) for p in err["loc"]) or None,
        )
        for err in exc.errors()
    ]


def evidence_json_schema() -> JSONDict:
    """JSON Schema of the evidence-base file format.

    Provenance may be written as the string "paper-key: section or table" (as the bundled
    file does) or as an object; the model accepts both, so the schema says so.
    """
    schema = EvidenceBase.model_json_schema(by_alias=True)
    as_object = schema["$defs"]["Provenance"]
    schema["$defs"]["Provenance"] = {
        "title": "Provenance",
        "description": as_object.get("description", ""),
        "anyOf": [
            {"type": "string", "pattern": r"^[^:]*\S[^:]*:.*\S"},
            {k: v for k, v in as_object.items() if k not in ("title", "description")},
        ],
    }
    return schema
