"""The terminal screen of `alsreview screen` (Textual): one record at a time, by ranking.

Keys: i include, e exclude (at full text, then 1-9 picks the protocol's reason; at
title/abstract a reason is optional: 1-9 right after e, any other key skips), m maybe,
u undo the last decision (the record comes back), q quit.  The screen shows the title,
the abstract with the protocol's search terms highlighted, the rule-based pre-screen
suggestion, the stopping recommendation and a progress bar.  Everything is done by
`alsreview.screening` functions; this module only draws and reads keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, ProgressBar, Static

from alsreview import screening
from alsreview.errors import AlsreviewError
from alsreview.store.project import Project

if TYPE_CHECKING:
    from textual import events

    from alsreview.screening.decisions import NextRecord


class ScreenApp(App[None]):
    """Screen records for one reviewer at one stage."""

    CSS = """
    #title { text-style: bold; padding: 1 1 0 1; }
    #meta { color: $text-muted; padding: 0 1; }
    #abstract { padding: 1 1; }
    #suggest { color: $warning; padding: 0 1; }
    #stopping { color: $success; padding: 0 1; }
    #reasons { padding: 0 1; }
    #status { color: $text-muted; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[Any]] = [
        Binding("i", "decide('included')", "include"),
        Binding("e", "exclude", "exclude"),
        Binding("m", "decide('maybe')", "maybe"),
        Binding("u", "undo", "undo"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, project: Project, reviewer: str, stage: str) -> None:
        super().__init__()
        self.project = project
        self.reviewer = reviewer
        self.stage = stage
        self.current: Any = None  # NextRecord or None
        self.history: list[int] = []
        self.choosing_reason = False
        protocol = project.protocol
        self.protocol = protocol
        from alsreview.screening.highlight import protocol_terms

        self.terms = protocol_terms(protocol)
        self.reasons = list(protocol.exclusion_reasons)

    def compose(self) -> ComposeResult:
        yield ProgressBar(id="progress", show_eta=False)
        yield Static(id="title")
        yield Static(id="meta")
        with VerticalScroll():
            yield Static(id="abstract")
        yield Static(id="suggest")
        yield Static(id="stopping")
        yield Static(id="reasons")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"alsreview screen: {self.stage} ({self.reviewer})"
        self.show_next()

    # -- drawing -------------------------------------------------------------------------
    def _highlighted(self, text: str) -> Text:
        from alsreview.screening.highlight import highlight_terms

        out = Text()
        for piece, is_term in highlight_terms(text, self.terms):
            out.append(piece, style="bold yellow" if is_term else "")
        return out

    def show(self, nxt: NextRecord | None) -> None:
        from alsreview.screening.prescreen import prescreen
        from alsreview.screening.stopping import project_advice

        self.current = nxt
        self.choosing_reason = False
        self.query_one("#reasons", Static).update("")
        bar = self.query_one("#progress", ProgressBar)
        if nxt is None:
            self.query_one("#title", Static).update("Nothing left to screen at this stage.")
            for wid in ("#meta", "#abstract", "#suggest"):
                self.query_one(wid, Static).update("")
        else:
            rec = nxt.record
            bar.update(total=nxt.n_eligible, progress=nxt.n_eligible - nxt.n_remaining)
            self.query_one("#title", Static).update(self._highlighted(rec.title or "(no title)"))
            meta = " · ".join(
                x
                for x in (
                    f"record {nxt.record_id}",
                    str(rec.year or ""),
                    rec.journal,
                    ", ".join(rec.authors[:3]),
                    f"ranked by {nxt.rank_source}",
                )
                if x
            )
            self.query_one("#meta", Static).update(meta)
            self.query_one("#abstract", Static).update(
                self._highlighted(rec.abstract or "(no abstract)")
            )
            hints = prescreen(rec, self.protocol)
            self.query_one("#suggest", Static).update(
                "\n".join(f"suggestion ({h.rule}): exclude, {h.why}" for h in hints)
            )
        advice = project_advice(self.project, self.reviewer, self.stage)
        self.query_one("#stopping", Static).update(f"stopping: {advice.recommendation}")

    def show_next(self) -> None:
        self.show(screening.next_record(self.project, self.reviewer, self.stage))

    def say(self, message: str) -> None:
        self.query_one("#status", Static).update(message)

    # -- actions ---------------------------------------------------------------------------
    def _decide(self, decision: str, reason: str | None = None) -> None:
        if self.current is None:
            return
        rid = self.current.record_id
        try:
            screening.decide(self.project, self.reviewer, rid, self.stage, decision, reason=reason)
        except AlsreviewError as exc:
            self.say(f"refused: {exc}")
            return
        self.history.append(rid)
        self.say(f"record {rid}: {decision}{f' ({reason})' if reason else ''}")
        self.show_next()

    def action_decide(self, decision: str) -> None:
        if not self.choosing_reason:
            self._decide(decision)

    def action_exclude(self) -> None:
        if self.current is None or self.choosing_reason:
            return
        self.choosing_reason = True
        lines = [f"{k}  {r.label} ({r.code})" for k, r in enumerate(self.reasons[:9], start=1)]
        tail = (
            "pick the exclusion reason (required at full text)"
            if self.stage == "full_text"
            else "pick a reason, or press any other key to exclude without one"
        )
        self.query_one("#reasons", Static).update("\n".join([tail, *lines]))

    def on_key(self, event: events.Key) -> None:
        if not self.choosing_reason:
            return
        event.stop()
        event.prevent_default()
        key = event.key
        if key.isdigit() and 1 <= int(key) <= min(9, len(self.reasons)):
            self._decide("excluded", self.reasons[int(key) - 1].code)
        elif key == "escape":
            self.choosing_reason = False
            self.query_one("#reasons", Static).update("")
        elif self.stage == "title_abstract":
            self._decide("excluded")
        else:
            self.say("a full-text exclusion needs a reason: press 1-9 (escape cancels)")

    def action_undo(self) -> None:
        if self.choosing_reason or not self.history:
            return
        rid = self.history.pop()
        try:
            vote = screening.undo(self.project, self.reviewer, rid, self.stage)
        except AlsreviewError as exc:
            self.say(f"cannot undo: {exc}")
            return
        self.say(f"record {rid}: undone (now {vote.decision})")
        if vote.decision == "undecided":
            records = dict(self.project.records())
            open_, n_eligible = screening.reviewer_queue(self.project, self.reviewer, self.stage)
            self.show(
                screening.NextRecord(
                    record_id=rid,
                    record=records[rid],
                    score=0.0,
                    rank_source="undo",
                    n_eligible=n_eligible,
                    n_done=n_eligible - len(open_),
                    n_remaining=len(open_),
                )
            )
        else:
            self.show_next()
