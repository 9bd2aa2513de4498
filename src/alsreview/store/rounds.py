"""Review rounds: 0 is the original review, each living update starts a new round.

In: an open `Project` or session.  Out: the current round number (meta key `round`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from alsreview.store.events import log
from alsreview.store.models import Meta

if TYPE_CHECKING:
    from alsreview.store.project import Project


def round_in(s: Session) -> int:
    """The current round, read inside an open session."""
    meta = s.get(Meta, "round")
    return int(meta.value) if meta else 0


def current_round(project: Project) -> int:
    with project.session() as s:
        return round_in(s)


def start_update(project: Project, actor: str | None = None) -> int:
    """Begin a living update: later imports belong to a new review round."""
    with project.write_session() as s, s.begin():
        meta = s.get(Meta, "round", with_for_update=True)
        new = (int(meta.value) if meta else 0) + 1
        s.merge(Meta(key="round", value=str(new)))
        log(s, "round.start", {"round": new}, actor)
    return new
