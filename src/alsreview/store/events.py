"""The append-only event log: who did what, when (UPDATE/DELETE refused by triggers).

In: an open session or `Project`, an action name and JSON details.  Out: `Event` rows.
"""

from __future__ import annotations

import getpass
import os
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from alsreview.store.models import Event, utcnow
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.store.project import Project


def current_actor() -> str:
    """Who is acting: $ALSREVIEW_USER, else the login name."""
    return os.environ.get("ALSREVIEW_USER") or getpass.getuser()


def log(s: Session, action: str, details: JSONDict, actor: str | None = None) -> None:
    """Add one event to the session's transaction (committed with the change it records)."""
    s.add(Event(at=utcnow(), actor=actor or current_actor(), action=action, details=details))


def log_event(project: Project, action: str, details: JSONDict, actor: str | None = None) -> None:
    """Append one event in its own transaction."""
    with project.write_session() as s, s.begin():
        log(s, action, details, actor)


def events(project: Project, action: str | None = None) -> list[Event]:
    """Every event (of one action, if given), oldest first."""
    q = select(Event).order_by(Event.id)
    if action is not None:
        q = q.where(Event.action == action)
    with project.session() as s:
        return list(s.scalars(q))
