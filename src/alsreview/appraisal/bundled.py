"""Published appraisals of the bundled evidence base (`data/appraisals_als_stem_cells.json`).

Each entry records what a seed paper states about one study: the tool, the overall judgement
(a single word, or the set of words the paper allows, e.g. Blume et al. 2026: "low or
moderate") and domain judgements where printed, each with its provenance ("paper: section").
Nothing is inferred: a study the papers do not appraise has no entry.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from alsreview.appraisal.instrument import load_instrument
from alsreview.errors import Problem, ValidationError

BUNDLED_APPRAISALS = "appraisals_als_stem_cells.json"

__all__ = ["BUNDLED_APPRAISALS", "PublishedAppraisal", "PublishedAppraisals", "load_published"]


class PublishedAppraisal(BaseModel):
    """One study's appraisal as a paper states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    study: str
    tool: str
    tool_from: list[str] = Field(default_factory=list)
    overall: list[str] = Field(description="the judgement, or every judgement the paper allows")
    domains: dict[str, str] = Field(default_factory=dict)
    from_: list[str] = Field(alias="from")
    note: str | None = None

    @property
    def overall_text(self) -> str:
        """ "low", or "low or moderate" when the paper does not say which."""
        return " or ".join(self.overall)


class PublishedAppraisals(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    note: str
    sources: list[str]
    appraisals: list[PublishedAppraisal]

    def by_study(self) -> dict[str, PublishedAppraisal]:
        return {a.study: a for a in self.appraisals}


def load_published(path: str | Path | None = None) -> PublishedAppraisals:
    """Read and check a published-appraisals file (the bundled one by default)."""
    import pydantic

    if path is None:
        name = f"<bundled {BUNDLED_APPRAISALS}>"
        text = resources.files("alsreview.data").joinpath(BUNDLED_APPRAISALS).read_text("utf-8")
    else:
        name = str(path)
        text = Path(path).read_text("utf-8")
    try:
        data = PublishedAppraisals.model_validate(json.loads(text))
    except (json.JSONDecodeError, pydantic.ValidationError) as exc:
        raise ValidationError([Problem(str(exc), file=name)]) from None
    problems = []
    for a in data.appraisals:
        inst = load_instrument(a.tool)
        for j in [*a.overall, *a.domains.values()]:
            if j not in inst.judgement_ids() and j not in inst.answer_words:
                problems.append(Problem(f"study {a.study}: {j!r} is not a value of {a.tool}", name))
        if not a.from_:
            problems.append(Problem(f"study {a.study}: no provenance", name))
    if problems:
        raise ValidationError(problems)
    return data
