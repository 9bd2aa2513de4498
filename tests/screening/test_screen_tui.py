"""The terminal screen driven by Textual's pilot: keys decide, undo and pick reasons, and
every decision lands in the store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from alsreview import screening
from alsreview.cli.screen_tui import ScreenApp
from alsreview.records.model import Record

TITLES = [
    "Phase I trial of repeated intrathecal autologous bone marrow-derived mesenchymal "
    "stromal cells in amyotrophic lateral sclerosis",
    "Nasal effect of cetirizine and loratadine at 24 hours in patients with allergic rhinitis",
    "Safety of mesenchymal stem cells secreting neurotrophic factors in ALS",
]

T = TypeVar("T")


def run_apart(coro: Awaitable[T]) -> T:
    """`asyncio.run` in a thread of its own: in the same pytest worker, Playwright's sync API
    (tests/web) can leave an event loop running in the main thread, where asyncio.run
    refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_keys_decide_undo_and_reasons(project):
    recs = [Record(title=t, source="pubmed", source_id=str(i)) for i, t in enumerate(TITLES)]
    project.import_records(recs, source="pubmed", label="t", dedup="none")

    async def drive() -> list[str]:
        app = ScreenApp(project, "ana", "title_abstract")
        seen = []
        async with app.run_test() as pilot:
            seen.append(app.current.record.title)
            assert "amyotrophic" in str(app.query_one("#title").render()).lower()
            await pilot.press("i")
            await pilot.pause()
            seen.append(app.current.record.title)
            await pilot.press("e", "4")  # exclude, reason 4 = animal
            await pilot.pause()
            await pilot.press("u")  # undo: the excluded record comes back
            await pilot.pause()
            seen.append(app.current.record.title)
            await pilot.press("e", "x")  # exclude without a reason at title/abstract
            await pilot.pause()
            await pilot.press("m")
            await pilot.pause()
            assert app.current is None
            assert "Nothing left" in str(app.query_one("#title").render())
            await pilot.press("q")
        return seen

    seen = run_apart(drive())
    assert seen[1] == seen[2]  # undo brought the same record back
    votes = {v.record_id: v for v in screening.visible_decisions(project, "ana", "title_abstract")}
    assert sorted(v.decision for v in votes.values()) == ["excluded", "included", "maybe"]
    excluded = next(v for v in votes.values() if v.decision == "excluded")
    assert excluded.reason is None
    history = screening.decision_history(project, "ana", "title_abstract")
    assert [v.decision for v in history] == ["included", "excluded", "undecided", "excluded",
                                             "maybe"]  # fmt: skip
    assert history[1].reason == "animal" and history[2].origin == "undo"


def test_full_text_exclusion_waits_for_a_reason(project):
    project.import_records([Record(title=TITLES[0], source="pubmed", source_id="1")],
                           source="pubmed", label="t", dedup="none")  # fmt: skip
    (rid,) = [r for r, _ in project.records()]
    screening.decide(project, "ana", rid, "title_abstract", "included")

    async def drive() -> None:
        app = ScreenApp(project, "ana", "full_text")
        async with app.run_test() as pilot:
            await pilot.press("e", "x")
            await pilot.pause()
            assert "needs a reason" in str(app.query_one("#status").render())
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("q")

    run_apart(drive())
    (v,) = screening.visible_decisions(project, "ana", "full_text")
    assert (v.decision, v.reason) == ("excluded", "gene_therapy")
