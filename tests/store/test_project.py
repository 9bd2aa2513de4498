"""Project store on SQLite and PostgreSQL: schema by migrations, transactional imports,
append-only event log, duplicates against the whole project, decisions."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from alsreview.errors import ImportFormatError, StoreError
from alsreview.protocol import bundled_protocol_text
from alsreview.records.model import Record
from alsreview.store import Project
from alsreview.store.project import schema_revision

# Real trials from the Blume et al. 2026 review (DOIs as published).
TRIALS = [
    (
        "Phase I trial of repeated intrathecal autologous bone marrow-derived mesenchymal "
        "stromal cells in amyotrophic lateral sclerosis",
        "10.5966/sctm.2014-0212",
        2015,
    ),
    (
        "Safety and clinical effects of mesenchymal stem cells secreting neurotrophic factor "
        "transplantation in patients with amyotrophic lateral sclerosis",
        "10.1001/jamaneurol.2015.4321",
        2016,
    ),
    (
        "NurOwn, phase 2, randomized, clinical trial in patients with ALS: safety, clinical, and "
        "biomarker results",
        "10.1212/WNL.0000000000008620",
        2019,
    ),
    (
        "A randomized placebo-controlled phase 3 study of mesenchymal stem cells induced to "
        "secrete high levels of neurotrophic factors in amyotrophic lateral sclerosis",
        "10.1002/mus.27472",
        2022,
    ),
    (
        "Transplantation of mesenchymal stromal cells in patients with amyotrophic lateral "
        "sclerosis: results of phase I/IIa clinical trial",
        "10.3727/096368916X693716",
        2017,
    ),
]


def trial_records(source: str = "scopus", doi_as_url: bool = False) -> list[Record]:
    return [
        Record(
            title=t,
            doi=("https://doi.org/" + d.upper()) if doi_as_url else d,
            year=y,
            source=source,
            source_id=f"{source}-{i}",
        )
        for i, (t, d, y) in enumerate(TRIALS)
    ]


def count(project: Project, table: str) -> int:
    with project.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def script_head() -> str:
    """The newest revision of the migration scripts (the chain grows as stages add tables)."""
    from alembic.script import ScriptDirectory

    from alsreview.store.project import _alembic_config

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def test_schema_comes_from_migrations_and_matches_models(project):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from alsreview.store.models import Base

    assert schema_revision(project.engine) == script_head()
    with project.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrations_downgrade_and_upgrade_again(project):
    from alembic import command

    from alsreview.store.project import _alembic_config, migrate

    project.import_records(trial_records(), source="scopus", label="a")
    with project.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "base")
    assert schema_revision(project.engine) is None
    with project.engine.connect() as conn:
        tables = set(project.engine.dialect.get_table_names(conn))
    assert not tables & {"records", "events", "imports"}
    migrate(project.engine)
    assert schema_revision(project.engine) == script_head() and count(project, "records") == 0


def test_sqlite_file_uses_wal_and_foreign_keys(tmp_path):
    p = Project.create(tmp_path / "p")
    with p.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    p.close()
    assert (tmp_path / "p" / "project.db").exists()
    assert (tmp_path / "p" / "protocol.toml").read_text() == bundled_protocol_text()
    with Project.open(tmp_path / "p") as again:
        assert again.protocol.title.startswith("Stem-cell therapy")
    with pytest.raises(StoreError, match="already an alsreview project"):
        Project.create(tmp_path / "p")
    with pytest.raises(StoreError, match="not an alsreview project"):
        Project.open(tmp_path / "nothing")


def test_foreign_keys_are_enforced(project):
    with pytest.raises(StoreError, match="no record 999"):
        project.add_decisions([(999, "title_abstract", "excluded", None)])
    # below the API, the database itself refuses a decision on a record it does not hold
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), project.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO decisions (record_id, stage, decision, reviewer, created_at) "
                "VALUES (999, 'title_abstract', 'excluded', 'A', CURRENT_TIMESTAMP)"
            )
        )
    assert count(project, "decisions") == 0


def test_event_log_is_append_only(project):
    project.log_event("note", {"text": "hello"}, actor="tester")
    for sql in ("UPDATE events SET actor = 'mallory'", "DELETE FROM events"):
        with pytest.raises(Exception, match="append-only"), project.engine.begin() as conn:
            conn.execute(text(sql))
    actions = [(e.action, e.actor) for e in project.events()]
    assert actions[-1] == ("note", "tester") and actions[0][0] == "project.create"


def test_failed_import_leaves_project_unchanged(project):
    project.import_records(trial_records()[:2], source="scopus", label="first.ris")
    before = (count(project, "records"), count(project, "imports"), count(project, "events"))

    class Boom(RuntimeError):
        pass

    def explode(done, total):
        raise Boom("disk on fire")

    big = [Record(title=f"Record {i}", source="x", source_id=str(i)) for i in range(5000)]
    with pytest.raises(Boom):
        project.import_records(big, source="x", label="big.ris", progress=explode)
    after = (count(project, "records"), count(project, "imports"), count(project, "events"))
    assert after == before == (2, 1, 2)


def test_unreadable_file_is_refused_before_the_database_is_touched(project, tmp_path):
    bad = tmp_path / "broken.xml"
    bad.write_bytes(b"<PubmedArticleSet><PubmedArticle><MedlineCitation>")
    with pytest.raises(ImportFormatError, match=r"broken\.xml"):
        project.import_file(bad, format="pubmed_xml")
    assert count(project, "imports") == 0


def test_duplicates_are_linked_against_the_whole_project(project):
    first = project.import_records(trial_records("scopus"), source="scopus", label="scopus.ris")
    assert (first.n_new, first.n_duplicates) == (5, 0)
    # the same five papers from another database, DOIs written as URLs in capitals,
    # plus one new paper and one in-file duplicate of it
    again = trial_records("embase", doi_as_url=True)
    extra = Record(
        title="MUSE cells in ALS",
        doi="10.1016/j.example.2023.001",
        source="embase",
        source_id="embase-9",
    )
    second = project.import_records(
        [*again, extra, extra.copy(source_id="embase-10")], source="embase", label="embase.ris"
    )
    assert (second.n_records, second.n_new, second.n_duplicates) == (7, 1, 6)
    links = project.duplicate_links()
    assert len(links) == 6
    primaries = {rid for rid, _ in project.records(primary_only=True)}
    assert len(primaries) == 6
    assert all(primary in primaries for _, primary, _ in links)
    assert all(why.startswith("same DOI") for _, _, why in links)
    queue = project.screening_queue()
    assert [r.title for _, r in queue][-1] == "MUSE cells in ALS"
    assert len(queue) == 6


def test_decisions_only_for_primaries_and_disagreement_settles_nothing(project):
    project.import_records(trial_records(), source="scopus", label="a")
    project.import_records(trial_records("embase"), source="embase", label="b")
    (rid, _), *_ = project.records(primary_only=True)
    dup_id = project.duplicate_links()[0][0]
    with pytest.raises(StoreError, match="duplicates"):
        project.add_decisions([(dup_id, "title_abstract", "included", None)])
    project.add_decisions([(rid, "title_abstract", "excluded", "review")], reviewer="A")
    assert project.latest_decisions("title_abstract") == {rid: ("excluded", "review")}
    project.add_decisions([(rid, "title_abstract", "included", None)], reviewer="B")
    assert project.latest_decisions("title_abstract") == {}  # A and B disagree: a conflict
    project.add_decisions([(rid, "title_abstract", "included", None)], reviewer="A")
    assert project.latest_decisions("title_abstract") == {rid: ("included", None)}
    with pytest.raises(StoreError, match="unknown decision"):
        project.add_decisions([(rid, "title_abstract", "perhaps", None)])
    with pytest.raises(StoreError, match="'not_a_code' is not in the protocol"):
        project.add_decisions([(rid, "full_text", "excluded", "not_a_code")])
    assert project.latest_decisions("full_text") == {}
    assert len(project.screening_queue()) == 4


def test_postgres_and_sqlite_open_by_project_file(tmp_path, backend):
    p = Project.create(tmp_path / "team", url=backend)
    p.import_records(trial_records(), source="scopus", label="a")
    p.close()
    with Project.open(tmp_path / "team") as q:
        assert len(q.records()) == 5
        assert q.engine.dialect.name == ("sqlite" if backend is None else "postgresql")


def _borderline_pair(project: Project) -> tuple[int, int]:
    project.import_records(trial_records()[:1], source="scopus", label="a")
    reworded = Record(
        title="Repeated intrathecal autologous bone marrow-derived mesenchymal stromal cells "
        "in amyotrophic lateral sclerosis: a phase I trial",
        year=2015,
        source="embase",
        source_id="e1",
    )
    result = project.import_records([reworded], source="embase", label="b")
    assert result.n_new == 1  # not merged automatically...
    ((a, b, reason),) = project.dedup_review_queue()  # ...but queued for a person
    assert {a, b} == {rid for rid, _ in project.records()} and reason.startswith("title")
    return a, b


def test_borderline_pair_dismissed_leaves_the_queue(project):
    a, b = _borderline_pair(project)
    project.dismiss_pair(a, b, actor="JAB")
    assert project.dedup_review_queue() == []
    assert project.events()[-1].actor == "JAB"


def test_borderline_pair_linked_leaves_the_queue(project):
    a, b = _borderline_pair(project)
    project.mark_duplicate(max(a, b), min(a, b), "same trial, reworded title")
    assert project.dedup_review_queue() == []
    assert project.duplicate_links() == [(max(a, b), min(a, b), "same trial, reworded title")]
    assert len(project.screening_queue()) == 1


CONCURRENT = """
import sys
from alsreview.records.model import Record
from alsreview.store import Project

root, tag = sys.argv[1], sys.argv[2]
with Project.open(root) as p:
    for batch in range(5):
        records = [Record(title=f"{tag} report {batch}-{i}", pmid=None, source=tag,
                          source_id=f"{batch}-{i}") for i in range(400)]
        p.import_records(records, source=tag, label=f"{tag}-{batch}", dedup="exact")
print("ok")
"""


def test_concurrent_imports_queue_instead_of_failing(tmp_path, backend):
    import subprocess
    import sys

    Project.create(tmp_path / "p", url=backend).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(tmp_path / "p"), tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("scopus", "embase", "wos")
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [out.strip() for out, _ in results] == ["ok"] * 3, [err for _, err in results]
    with Project.open(tmp_path / "p") as p:
        assert count(p, "records") == 3 * 5 * 400 and count(p, "imports") == 15
        assert sorted(i.id for i in p.imports()) == list(range(1, 16))


def test_project_file_keeps_no_password(tmp_path, pg_url):
    """A team project's project.toml is shared; the database password must not be in it."""
    from sqlalchemy.engine import make_url

    from alsreview.store import Project

    url = make_url(pg_url).set(password="s3cret-pw").render_as_string(hide_password=False)
    Project.create(tmp_path / "team", url=url).close()
    text = (tmp_path / "team" / "project.toml").read_text("utf-8")
    assert "s3cret-pw" not in text
    assert make_url(pg_url).database in text
    with Project.open(tmp_path / "team") as project:  # trust auth on the test server
        assert project.engine.url.password is None
