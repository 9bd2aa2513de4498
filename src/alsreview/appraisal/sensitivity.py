"""Risk of bias in synthesis: keep only studies at low (or low and moderate) risk.

In: study ids, and what is known of each study's overall risk of bias (a set of possible
judgements: one word when known exactly, several when a paper only bounds it, none when
unappraised) from the bundled published appraisals and/or a project's store.  Out: a
`Restriction` with the studies kept and, for every study left out, why.

A study is kept only when every judgement it may have is allowed: "low or moderate" passes
a low-and-moderate restriction but not a low-only one; an unappraised study never passes.
RoB 2's "some concerns" counts as moderate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.store import Project

__all__ = [
    "LEVELS",
    "Restriction",
    "known_overall",
    "restrict_by_risk",
    "restrict_csv",
    "restrict_studies",
]

LEVELS: dict[str, frozenset[str]] = {
    "low": frozenset({"low"}),
    "low-moderate": frozenset({"low", "moderate", "some concerns"}),
}


class HasId(Protocol):
    """A study (or anything) with an id, such as an evidence-base `Study`."""

    @property
    def id(self) -> str: ...


S = TypeVar("S", bound=HasId)


@dataclass(frozen=True, repr=False)
class Restriction(Result):
    """Studies kept by a risk-of-bias restriction, and the reason each other one was left out."""

    level: str
    kept: tuple[str, ...]
    excluded: dict[str, str]

    def summary(self) -> str:
        out = [f"risk of bias {self.level}: kept {len(self.kept)}, left out {len(self.excluded)}"]
        out += [f"  {s}: {why}" for s, why in self.excluded.items()]
        return "\n".join(out)

    def to_dict(self) -> JSONDict:
        return {"level": self.level, "kept": list(self.kept), "excluded": dict(self.excluded)}


def known_overall(
    *, published: bool = True, project: Project | None = None, tools: Iterable[str] = ()
) -> dict[str, tuple[frozenset[str], str]]:
    """Study id -> (possible overall judgements, where from).  A project's judgements
    (consensus, or agreeing reviewers) for `tools` take precedence over published ones."""
    out: dict[str, tuple[frozenset[str], str]] = {}
    if published:
        from alsreview.appraisal.bundled import load_published

        for a in load_published().appraisals:
            out[a.study] = (frozenset(a.overall), f"{a.tool}, {'; '.join(a.from_)}")
    if project is not None:
        from alsreview.appraisal.assessments import current_judgements

        for tool in tools:
            for study, overall in current_judgements(project, tool).overall().items():
                out[study] = (frozenset({overall}), f"{tool}, project store")
    return out


def restrict_by_risk(
    studies: Iterable[str],
    level: str,
    known: Mapping[str, tuple[frozenset[str], str]] | None = None,
) -> Restriction:
    """Keep the studies whose overall risk of bias is certainly within `level`
    ("low" or "low-moderate"); `known` defaults to the bundled published appraisals."""
    if level not in LEVELS:
        from alsreview.errors import ValidationError

        raise ValidationError(f"unknown risk-of-bias level {level!r}; use {', '.join(LEVELS)}")
    known = known_overall() if known is None else known
    allowed = LEVELS[level]
    kept: list[str] = []
    excluded: dict[str, str] = {}
    for s in studies:
        if s not in known:
            excluded[s] = "no risk-of-bias appraisal"
            continue
        possible, where = known[s]
        if possible <= allowed:
            kept.append(s)
        else:
            text = " or ".join(sorted(possible, key=["low", "moderate", "some concerns"].index)
                               if possible <= {"low", "moderate", "some concerns"}
                               else sorted(possible))  # fmt: skip
            excluded[s] = f"{text} ({where})"
    return Restriction(level, tuple(kept), excluded)


def restrict_studies(
    studies: Iterable[S],
    level: str,
    known: Mapping[str, tuple[frozenset[str], str]] | None = None,
) -> tuple[list[S], Restriction]:
    """The `Study` objects (anything with `.id`) a restriction keeps, and the restriction;
    e.g. `alsfrs_synthesis(restrict_studies(evidence.studies, "low-moderate")[0])`."""
    studies = list(studies)
    r = restrict_by_risk([s.id for s in studies], level, known)
    keep = set(r.kept)
    return [s for s in studies if s.id in keep], r


def restrict_csv(
    text: str, level: str, column: str = "study", name: str = "<csv>",
    known: Mapping[str, tuple[frozenset[str], str]] | None = None,
) -> tuple[str, Restriction]:  # fmt: skip
    """The rows of a meta-analysis CSV whose `column` (study id) passes the restriction."""
    import csv
    import io

    from alsreview.errors import ImportFormatError

    rows = list(csv.reader(io.StringIO(text)))
    if not rows or column not in rows[0]:
        raise ImportFormatError(name, f"no {column!r} column to match studies against", line=1)
    i = rows[0].index(column)
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    r = restrict_by_risk([row[i].strip() for row in body], level, known)
    keep = set(r.kept)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [rows[0], *(row for row in body if row[i].strip() in keep)]
    )
    return out.getvalue(), r
