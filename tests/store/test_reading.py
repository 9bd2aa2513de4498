"""`Project.reading()`: the reads of a block on one pooled connection (autocommit on
PostgreSQL, one read transaction on SQLite), and votes returned as stored by the INSERT."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text

from alsreview.records.model import Record
from alsreview.screening import decide, next_record, undo
from alsreview.screening.decisions import eligible_record_ids
from alsreview.store import Project
from alsreview.store import decisions as store


def add_records(project, n: int = 4) -> None:
    recs = [Record(title=f"Stem cells in ALS {i}", source="t", source_id=str(i)) for i in range(n)]
    project.import_records(recs, source="t", label="t", dedup="none")


def checkouts(project) -> list[int]:
    seen = [0]

    @event.listens_for(project.engine, "checkout")
    def _count(*_args) -> None:
        seen[0] += 1

    return seen


def test_reads_in_a_block_share_one_connection_and_agree(project):
    add_records(project)
    decide(project, "ann", 1, "title_abstract", "included")
    outside = (
        eligible_record_ids(project, "title_abstract"),
        store.record_statuses(project, "title_abstract"),
    )
    seen = checkouts(project)
    with project.reading():
        inside = (
            eligible_record_ids(project, "title_abstract"),
            store.record_statuses(project, "title_abstract"),
        )
        found = next_record(project, "bob", "title_abstract")  # nested block: same connection
        assert found is not None and found.record_id in inside[0]
    assert seen[0] == 1
    assert inside == outside
    eligible_record_ids(project, "title_abstract")
    assert seen[0] == 2  # outside a block, a session checks out its own


def test_postgresql_reads_autocommit_and_the_pool_gets_transactions_back(tmp_path, pg_url):
    """PostgreSQL: no BEGIN/ROLLBACK inside the block (each statement its own transaction,
    so a commit made meanwhile is seen, as READ COMMITTED showed it before); afterwards
    the pooled connection runs ordinary transactions again (a rolled-back write leaves
    nothing)."""
    project = Project.create(tmp_path / "p", url=pg_url)
    try:
        add_records(project)
        with project.reading(), project.session() as s:
            assert s.connection().connection.dbapi_connection.autocommit is True
            first = s.execute(text("SELECT transaction_timestamp()")).scalar()
            second = s.execute(text("SELECT pg_sleep(0.01), transaction_timestamp()")).one()[1]
            assert second > first
            before = s.execute(text("SELECT count(*) FROM decisions")).scalar()
            decide(project, "ann", 1, "title_abstract", "included")  # its own connection
            assert s.execute(text("SELECT count(*) FROM decisions")).scalar() == before + 1
        with project.session() as s:
            assert s.connection().connection.dbapi_connection.autocommit is False
        with pytest.raises(RuntimeError), project.session() as s, s.begin():
            s.execute(text("DELETE FROM meta WHERE key = 'name'"))
            raise RuntimeError("roll back")
        with project.session() as s:
            assert s.execute(text("SELECT count(*) FROM meta WHERE key = 'name'")).scalar() == 1
    finally:
        project.close()


def test_sqlite_block_is_one_snapshot(tmp_path):
    """SQLite: the block is one read transaction; a vote committed meanwhile by another
    connection shows after the block."""
    project = Project.create(tmp_path / "p")
    try:
        add_records(project)
        with project.reading(), project.session() as s:
            before = s.execute(text("SELECT count(*) FROM decisions")).scalar()
            decide(project, "ann", 1, "title_abstract", "included")  # its own connection
            assert s.execute(text("SELECT count(*) FROM decisions")).scalar() == before
        with project.session() as s:
            assert s.execute(text("SELECT count(*) FROM decisions")).scalar() == before + 1
    finally:
        project.close()


def test_decide_and_undo_return_the_votes_as_stored(project):
    """The votes `decide`/`undo` return (from the INSERT's RETURNING) equal the rows read
    back afterwards, timestamps and labels included."""
    add_records(project)
    returned = [
        decide(project, "ann", 1, "title_abstract", "included", note="n", labels=["a", "b"]),
        decide(project, "bob", 1, "title_abstract", "excluded", reason=None),
        decide(project, "ann", 2, "title_abstract", "maybe"),
        undo(project, "ann", 2, "title_abstract"),
    ]
    assert returned == store.vote_history(project, "title_abstract")
    assert returned[0].labels == ("a", "b") and returned[3].decision == "undecided"
    ids = store.insert_votes(project, [store.VoteIn(3, "title_abstract", "excluded", "cy")])
    assert ids == [store.vote_history(project, "title_abstract")[-1].id]
