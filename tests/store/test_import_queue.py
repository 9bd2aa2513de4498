"""Issue 8: concurrent `alsreview import` into one SQLite project queue for the import lock
(`store.importlock`), saying whom they wait for, and all succeed; nothing is stored twice.

Before the lock, a third concurrent 50k-record import failed once SQLite's 30 s busy timeout
ran out.  Here the test itself holds the lock while three imports start, so every one of them
must wait (deterministic, and as long as a slow import would make them wait), then lets go."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from alsreview.store import Project
from alsreview.store.importlock import import_lock, lock_path
from alsreview.store.models import Import, StoredRecord

SRC = Path(__file__).resolve().parents[2] / "src"
PER_FILE = 200


def _ris(batch: int) -> str:
    """A Scopus-style RIS export of PER_FILE distinct journal articles."""
    out = []
    for i in range(PER_FILE):
        n = batch * PER_FILE + i
        out += [
            "TY  - JOUR",
            "AU  - Petrou, P.",
            "AU  - Karussis, D.",
            f"TI  - Mesenchymal stem cell transplantation in ALS: cohort {n} of a registry",
            f"PY  - {2000 + n % 25}",
            "T2  - Journal of Neurology",
            f"DO  - 10.1000/als.{n}",
            "DB  - Scopus",
            "ER  - ",
            "",
        ]
    return "\n".join(out)


def _first_stderr_line(proc: subprocess.Popen[str], timeout: float = 120) -> str:
    assert proc.stderr is not None
    ready, _, _ = select.select([proc.stderr], [], [], timeout)
    assert ready, "the import printed nothing while the lock was held"
    return proc.stderr.readline()


def test_three_concurrent_imports_queue_and_all_succeed(tmp_path):
    root = tmp_path / "proj"
    Project.create(root).close()
    files = []
    for b in range(3):
        f = tmp_path / f"scopus_{b}.ris"
        f.write_text(_ris(b), encoding="utf-8")
        files.append(f)
    env = {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    env.pop("ALSREVIEW_DB_URL", None)
    db = root / "project.db"
    with import_lock(db):  # another import "running": the three must queue behind it
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "alsreview",
                    "import",
                    str(f),
                    "--project",
                    str(root),
                    "--dedup",
                    "exact",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for f in files
        ]
        first = [_first_stderr_line(p) for p in procs]
    for line in first:
        assert line.startswith(f"waiting for another import (pid {os.getpid()})"), line
    for p, f in zip(procs, files, strict=True):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, (out, err)
        assert f"{f}: " in out and "Traceback" not in err
        assert "locked" not in err
    assert lock_path(db).exists()
    with Project.open(root) as project, project.session() as s:
        assert s.scalar(sql_select(func.count()).select_from(Import)) == 3
        assert s.scalar(sql_select(func.count()).select_from(StoredRecord)) == 3 * PER_FILE
        dois = s.scalars(sql_select(StoredRecord.doi)).all()
        assert len(set(dois)) == 3 * PER_FILE  # every record once


def test_the_lock_is_free_again_after_its_holder_dies(tmp_path):
    db = tmp_path / "project.db"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from alsreview.store.importlock import import_lock\n"
            "with import_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(600)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    fd = os.open(lock_path(db), os.O_RDWR | os.O_CREAT)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert lock_path(db).read_text() == f"{holder.pid}\n"  # whom a waiter names
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.kill()  # SIGKILL: no clean-up runs; the kernel drops the flock
        holder.wait(timeout=30)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free, without waiting
    finally:
        os.close(fd)
        if holder.poll() is None:
            holder.kill()
