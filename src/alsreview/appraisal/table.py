"""A summary table of risk-of-bias judgements for one tool: one row per study.

In: judgements from the project store (`current_judgements`), a robvis CSV
(`robvis_csv.read_robvis_csv`) or the bundled appraisals.  Out: a `RobTable` that the plots
(`alsreview.report.robvis`), the CSV writer and the synthesis filter read.  Rows keep the
order they were given in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.appraisal.instrument import Instrument, load_instrument
from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.store import Project

__all__ = ["RobRow", "RobTable"]


@dataclass(frozen=True)
class RobRow:
    """One study's domain values and overall judgement; `weight` as in robvis (optional)."""

    study: str
    domains: dict[str, str]
    overall: str
    weight: float | None = None
    source: str | None = None  # provenance, e.g. "blume2026: Figure 2"


@dataclass(frozen=True, repr=False)
class RobTable(Result):
    """Judgements of several studies with one tool (`tool` is the instrument id)."""

    tool: str
    rows: tuple[RobRow, ...]

    @property
    def instrument(self) -> Instrument:
        return load_instrument(self.tool)

    def domain_ids(self) -> list[str]:
        return [d.id for d in self.instrument.domains]

    def overall(self) -> dict[str, str]:
        """Study id -> overall judgement."""
        return {r.study: r.overall for r in self.rows}

    def to_dict(self) -> JSONDict:
        return {"tool": self.tool, "rows": [r.__dict__ for r in self.rows]}

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [{"study": r.study, **r.domains, "overall": r.overall, "weight": r.weight}
             for r in self.rows]
        )  # fmt: skip

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for r in self.rows:
            counts[r.overall] = counts.get(r.overall, 0) + 1
        overall = ", ".join(f"{n} {j}" for j, n in counts.items())
        return f"{self.tool}: {len(self.rows)} studies ({overall or 'none'})"

    @classmethod
    def from_store(cls, project: Project, tool: str) -> RobTable:
        """The judgements a project's store settles on (consensus, or agreeing reviewers)."""
        from alsreview.appraisal.assessments import current_judgements

        cur = current_judgements(project, tool)
        rows = [
            RobRow(f"{s} ({o})" if o else s, a.values(), a.overall)
            for (s, o), a in cur.chosen.items()
        ]
        return cls(load_instrument(tool).id, tuple(rows))
