"""Extracted evidence: the Study model, taxonomies, dose parsing and integrity checks.

In: the bundled evidence base or a user's JSON file in the same format.
Out: a validated `EvidenceBase`; `load_evidence()` is the one way to read one.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from alsreview.errors import Problem, ValidationError
from alsreview.evidence.model import EvidenceBase, Fact, Provenance, Study

BUNDLED = "evidence_als_stem_cells.json"

__all__ = ["BUNDLED", "EvidenceBase", "Fact", "Provenance", "Study", "load_evidence"]


def load_evidence(path: str | Path | None = None) -> EvidenceBase:
    """Read and validate an evidence base; the bundled ALS stem-cell one when `path` is None.

    Raises `ValidationError` listing every problem with its location in the file.
    """
    if path is None:
        text = resources.files("alsreview.data").joinpath(BUNDLED).read_text("utf-8")
        name = f"<bundled {BUNDLED}>"
    else:
        name = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise ValidationError([Problem(f"cannot read: {exc.strerror}", file=name)]) from exc
    return parse_evidence(text, name)


def parse_evidence(text: str, name: str = "<evidence>") -> EvidenceBase:
    import pydantic

    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            [Problem(f"not valid JSON: {exc.msg}", file=name, row=exc.lineno)]
        ) from exc
    try:
        return EvidenceBase.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [
            Problem(
                f"{err['msg']}",
                file=name,
                column=".".join(str(p) for p in err["loc"]) or None,
            )
            for err in exc.errors()
        ]
        raise ValidationError(problems) from None


def evidence_json_schema() -> dict[str, Any]:
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
