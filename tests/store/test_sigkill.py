"""SIGKILL during an import of 50,000 records leaves the project without that import or
with all of it - never with part of it - on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text

from alsreview.store import Project

N = 50_000

CHILD = textwrap.dedent(
    """
    import sys
    from alsreview.records.model import Record
    from alsreview.store import Project

    root, stop_at = sys.argv[1], sys.argv[2]
    records = [
        Record(title=f"Mesenchymal stem cells in ALS, report {i}", pmid=str(20_000_000 + i),
               authors=["Petrou P", "Karussis D"], journal="JAMA Neurol", year=2016,
               abstract="Intrathecal and intramuscular MSC-NTF. " * 20,
               source="pubmed", source_id=str(20_000_000 + i))
        for i in range(N_RECORDS)
    ]
    project = Project.open(root)

    def progress(done, total):
        print(f"written {done} of {total}", flush=True)
        if stop_at == "mid" and done >= total // 2:
            sys.stdin.readline()  # wait, inside the open transaction, to be killed

    result = project.import_records(records, source="pubmed", label="big", dedup="exact",
                                    progress=progress)
    print("committed", result.n_new, flush=True)
    sys.stdin.readline()  # wait to be killed after the commit
    """
).replace("N_RECORDS", str(N))


def _run_and_kill(root, stop_at: str) -> list[str]:
    env = dict(os.environ)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), stop_at],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = []
    wanted = "written" if stop_at == "mid" else "committed"
    try:
        for line in proc.stdout:
            seen.append(line.strip())
            if line.startswith(wanted) and (stop_at != "mid" or int(line.split()[1]) >= N // 2):
                break
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    return seen


def _state(root) -> tuple[int, int, int]:
    with Project.open(root) as p, p.engine.connect() as conn:
        if p.engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        return tuple(
            conn.execute(text(q)).scalar_one()
            for q in (
                "SELECT count(*) FROM records",
                "SELECT count(*) FROM imports",
                "SELECT count(*) FROM events WHERE action = 'import.file'",
            )
        )


@pytest.mark.slow
@pytest.mark.parametrize("stop_at", ["mid", "after_commit"])
def test_sigkill_during_import_is_all_or_nothing(tmp_path, backend, stop_at):
    root = tmp_path / "proj"
    Project.create(root, url=backend).close()
    seen = _run_and_kill(root, stop_at)
    if stop_at == "mid":
        # killed inside the transaction, with half of the rows written
        assert any(s.startswith("written") for s in seen) and "committed" not in " ".join(seen)
        assert _state(root) == (0, 0, 0)
    else:
        assert seen[-1] == f"committed {N}"
        assert _state(root) == (N, 1, 1)
    # the project stays usable after the crash
    with Project.open(root) as p:
        p.log_event("after.crash", {})
        assert p.events()[-1].action == "after.crash"


@pytest.mark.slow
def test_sigkill_of_the_import_command_mid_file(tmp_path):
    """`alsreview import` of a 50,000-record RIS file killed while the database grows."""
    import time

    from alsreview.records import write_records
    from alsreview.records.model import Record

    root = tmp_path / "proj"
    Project.create(root).close()
    ris = tmp_path / "big.ris"
    write_records(
        [
            Record(
                title=f"Intrathecal mesenchymal stem cells in ALS, report {i}",
                authors=["Petrou, P.", "Karussis, D."],
                journal="JAMA Neurology",
                year=2016,
                abstract="Repeated intrathecal injections of autologous MSC. " * 10,
            )
            for i in range(N)
        ],
        ris,
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alsreview",
            "import",
            str(ris),
            "-p",
            str(root),
            "--dedup",
            "exact",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wal = root / "project.db-wal"
    try:
        while proc.poll() is None and (not wal.exists() or wal.stat().st_size < 4_000_000):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    records, imports, events = _state(root)
    assert (records, imports, events) in ((0, 0, 0), (N, 1, 1))
