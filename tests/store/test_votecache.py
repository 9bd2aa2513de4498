"""The per-process vote cache (`store/votecache.py`) against the database it caches.

Reference: `record_statuses(..., record_ids=every id)`, which does not use the cache (it
asks the database for each reviewer's newest row per record with MAX(id) ... GROUP BY).
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from alsreview.records.model import Record
from alsreview.screening import decide, next_record, set_reviewers_required, undo
from alsreview.store import Project, votecache
from alsreview.store import decisions as store
from alsreview.store.models import DecisionRow, utcnow

STAGE = "title_abstract"


def records(n: int) -> list[Record]:
    return [
        Record(
            title=f"Stem cell trial {i} in amyotrophic lateral sclerosis"
            if i % 3 == 0
            else f"Riluzole cohort {i}",
            abstract="mesenchymal stem cells intrathecal" if i % 3 == 0 else "no cell therapy",
            source="t",
            source_id=str(i),
        )
        for i in range(n)
    ]


def fresh_statuses(project: Project) -> dict:
    """Every status read straight from the database (the uncached path)."""
    with project.session() as s:
        ids = [r for (r,) in s.execute(text("SELECT id FROM records"))]
    return store.record_statuses(project, STAGE, ids)


def test_cache_follows_votes_changes_undos_and_resolutions(project):
    project.import_records(records(6), source="t", label="t", dedup="none")
    set_reviewers_required(project, STAGE, 2, store.owner(project))
    assert store.record_statuses(project, STAGE) == {}
    decide(project, "ann", 1, STAGE, "included")
    decide(project, "bob", 1, STAGE, "excluded")
    decide(project, "ann", 2, STAGE, "included")
    decide(project, "ann", 2, STAGE, "excluded")  # a change of mind: a new row
    decide(project, "ann", 3, STAGE, "maybe")
    undo(project, "ann", 3, STAGE)  # withdrawn: record 3 has no vote any more
    cached = store.record_statuses(project, STAGE)
    assert cached == fresh_statuses(project)
    assert cached[1].status == "conflict" and cached[2].votes[0].decision == "excluded"
    assert 3 not in cached
    store.mark_unblinded(project, STAGE, "owner")
    store.insert_resolution(
        project, 1, STAGE, "included", resolved_by="cy", method="third_reviewer", why="fits"
    )
    set_reviewers_required(project, STAGE, 1, store.owner(project))  # record 2 now agreed
    cached = store.record_statuses(project, STAGE)
    assert cached == fresh_statuses(project)
    assert cached[1].status == "resolved" and cached[2].status == "agreed"
    assert store.current_votes(project, STAGE, reviewer="ann") == {
        rid: {"ann": v}
        for rid, by in store.current_votes(project, STAGE, record_ids=[1, 2, 3]).items()
        for who, v in by.items()
        if who == "ann"
    }
    assert votecache.full_reads(project, STAGE) == 0


def test_votes_and_resolutions_cannot_be_changed_or_deleted(project):
    """The cache reads only new rows: the database refuses UPDATE and DELETE."""
    project.import_records(records(2), source="t", label="t", dedup="none")
    decide(project, "ann", 1, STAGE, "included")
    for sql in (
        "UPDATE decisions SET decision = 'excluded'",
        "DELETE FROM decisions",
        "DELETE FROM resolutions",
    ):
        with pytest.raises(DBAPIError, match="append-only"), project.engine.begin() as conn:
            if "resolutions" in sql:  # a row to delete
                conn.execute(
                    text(
                        "INSERT INTO resolutions (record_id, stage, decision, resolved_by, "
                        "method, why, created_at) VALUES (1, :s, 'included', 'cy', "
                        "'consensus', 'x', :t)"
                    ),
                    {"s": STAGE, "t": utcnow()},
                )
            conn.execute(text(sql))
    assert [v.decision for v in store.vote_history(project, STAGE)] == ["included"]


@pytest.mark.postgres
def test_a_smaller_id_committed_late_is_not_missed(tmp_path, pg_url):
    """PostgreSQL hands out ids before commit: a transaction holding id 1 may commit after
    one holding id 2 was read.  The row count gives it away and the stage is read again."""
    project = Project.create(tmp_path / "p", url=pg_url)
    try:
        project.import_records(records(3), source="t", label="t", dedup="none")

        def row(rid: int, who: str) -> dict:
            return {
                "record_id": rid,
                "stage": STAGE,
                "decision": "included",
                "reviewer": who,
                "created_at": utcnow(),
            }

        slow = Session(project.engine)
        slow.begin()
        add = insert(DecisionRow).returning(DecisionRow.id)
        slow_id = slow.execute(add, row(1, "ann")).scalar()
        fast_id = decide(project, "bob", 2, STAGE, "included").id
        assert slow_id < fast_id
        assert set(store.record_statuses(project, STAGE)) == {2}  # the slow one is unseen
        slow.commit()
        slow.close()
        assert set(store.record_statuses(project, STAGE)) == {1, 2}
        assert store.record_statuses(project, STAGE) == fresh_statuses(project)
        assert votecache.full_reads(project, STAGE) == 1
    finally:
        project.close()


def test_a_resolution_committed_late_is_not_missed(tmp_path, pg_url):
    """The same for resolutions, which the cache reads only when their count changed: a
    resolution holding a smaller id that commits after a larger one was read is found."""
    from alsreview.store.models import Resolution

    project = Project.create(tmp_path / "p", url=pg_url)
    try:
        project.import_records(records(3), source="t", label="t", dedup="none")
        set_reviewers_required(project, STAGE, 2, store.owner(project))
        for rid in (1, 2):
            decide(project, "ann", rid, STAGE, "included")
            decide(project, "bob", rid, STAGE, "excluded")
        assert {st.status for st in store.record_statuses(project, STAGE).values()} == {"conflict"}
        slow = Session(project.engine)
        slow.begin()
        slow_id = slow.execute(
            insert(Resolution).returning(Resolution.id),
            {
                "record_id": 1,
                "stage": STAGE,
                "decision": "included",
                "resolved_by": "cy",
                "method": "third_reviewer",
                "why": "fits",
                "created_at": utcnow(),
            },
        ).scalar()
        fast = store.insert_resolution(
            project, 2, STAGE, "excluded", resolved_by="cy", method="third_reviewer", why="no"
        )
        assert slow_id < fast
        assert store.record_statuses(project, STAGE)[1].status == "conflict"  # unseen yet
        assert store.record_statuses(project, STAGE)[2].status == "resolved"
        slow.commit()
        slow.close()
        assert store.record_statuses(project, STAGE)[1].status == "resolved"
        assert store.record_statuses(project, STAGE) == fresh_statuses(project)
        assert votecache.full_reads(project, STAGE) == 1
    finally:
        project.close()


def test_two_processes_screening_at_once_stay_exact(tmp_path, backend):
    """Two `Project`s on one database (two server workers), four reviewers in threads
    taking the next record and deciding it: nobody is served a record they decided, every
    decision is stored once, and each process's cache equals a fresh read."""
    first = Project.create(tmp_path / "p", url=backend)
    first.import_records(records(24), source="t", label="t", dedup="none")
    set_reviewers_required(first, STAGE, 2, store.owner(first))
    second = Project.open(tmp_path / "p")  # its own engine, as another process has
    served: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def screen(p: Project, who: str) -> None:
        try:
            for _ in range(8):
                found = next_record(p, who, STAGE)
                if found is None:
                    return
                served.setdefault(who, []).append(found.record_id)
                decide(
                    p, who, found.record_id, STAGE, "included" if found.score > 0 else "excluded"
                )
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=screen, args=(p, who))
            for p, who in [(first, "ann"), (second, "bob"), (first, "cy"), (second, "dee")]
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for who, ids in served.items():
            assert len(ids) == len(set(ids)) == 8, (who, ids)
        stored = store.vote_history(first, STAGE)
        assert sorted((v.reviewer, v.record_id) for v in stored) == sorted(
            (who, rid) for who, ids in served.items() for rid in ids
        )
        reference = fresh_statuses(first)
        assert store.record_statuses(first, STAGE) == reference
        assert store.record_statuses(second, STAGE) == reference
    finally:
        second.close()
        first.close()
