"""The dedup review queue kept in its own table (migration 0006): a project made before it
(queue only in the event log) is upgraded with the same queue, and new verdicts keep it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from alsreview.records.model import Record
from alsreview.store import Project
from alsreview.store.project import _alembic_config, schema_revision

from .test_project import TRIALS, trial_records

PREVIOUS_HEAD = "0005_users_sessions"


def _queue_four_pairs(project: Project) -> list[tuple[int, int, str]]:
    """Borderline pairs from two imports: the Blume et al. trials, then the same trials with
    the first four words of the title replaced (titles ~0.85-0.90 alike, no DOI: a person
    must decide), then trial 1 reworded."""
    project.import_records(trial_records(), source="scopus", label="a")
    variants = [
        Record(
            title="Report on " + " ".join(t.split()[4:]), year=y, source="embase", source_id=f"e{i}"
        )
        for i, (t, _, y) in enumerate(TRIALS)
    ]
    project.import_records(variants, source="embase", label="b")
    reworded = Record(
        title="Repeated intrathecal autologous bone marrow-derived mesenchymal stromal cells "
        "in amyotrophic lateral sclerosis: a phase I trial",
        year=2015,
        source="wos",
        source_id="w1",
    )
    project.import_records([reworded], source="wos", label="c")
    queue = project.dedup_review_queue()
    assert len(queue) == 4 and all(reason.startswith("title 0.") for *_, reason in queue)
    return queue


def _downgrade(project: Project, revision: str) -> None:
    with project.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def test_upgrade_keeps_the_queue_with_old_dismissals_and_links(tmp_path, backend):
    project = Project.create(tmp_path / "p", url=backend)
    queue = _queue_four_pairs(project)
    # back to the schema before the queue table: only the events remain, as the old
    # alsreview wrote them; then verdicts the old way (a dismissal was only an event)
    _downgrade(project, PREVIOUS_HEAD)
    assert schema_revision(project.engine) == PREVIOUS_HEAD
    dismissed, linked = queue[0], queue[1]
    project.log_event("dedup.dismiss", {"pair": [dismissed[1], dismissed[0]]}, actor="JAB")
    project.mark_duplicate(linked[1], linked[0], "same trial")
    project.close()

    with Project.open(tmp_path / "p") as upgraded:
        assert schema_revision(upgraded.engine) != PREVIOUS_HEAD
        assert upgraded.dedup_review_queue() == [queue[2], queue[3]]
        with upgraded.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT record_a, record_b, dismissed_by FROM dedup_queue ORDER BY id")
            ).all()
        assert [tuple(r) for r in rows] == [
            (a, b, "JAB" if (a, b, r) == dismissed else None) for a, b, r in queue
        ]
        # verdicts after the upgrade go to the table
        upgraded.dismiss_pair(queue[3][1], queue[3][0], actor="MK")
        assert upgraded.dedup_review_queue() == [queue[2]]
        assert upgraded.events()[-1].action == "dedup.dismiss"


def test_new_imports_fill_the_table_and_a_link_through_a_third_record_empties_it(project):
    queue = _queue_four_pairs(project)
    assert count_rows(project) == 4
    (a, b, _), *_ = queue
    # both records linked to a third record: they share a primary, so the pair is settled
    third = next(rid for rid, _ in project.records() if rid not in (a, b))
    project.mark_duplicate(a, third, "same trial")
    project.mark_duplicate(b, third, "same trial")
    assert project.dedup_review_queue() == queue[1:]


def count_rows(project: Project) -> int:
    with project.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM dedup_queue")).scalar_one()
