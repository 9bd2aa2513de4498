"""One import at a time into a SQLite project, queued in arrival order with a progress message.

SQLite lets one writer in at a time and makes the others wait at most `busy_timeout` (30 s):
a third concurrent 50k-record import used to give up after that ("database is locked").
Imports now first take an exclusive `flock` on a lock file next to the database
(`project.db.import-lock`), polling and reporting whom they wait for, and only then open
their write transaction, so every import waits as long as it must and none fails.  The lock
is released when its holder's file descriptor closes, also when the process dies.
PostgreSQL projects serialise imports with an advisory lock inside the transaction instead.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: on_wait(pid of the import being waited for or None if unknown, seconds waited so far)
OnWait = Callable[[int | None, float], None]


def lock_path(database: str | Path) -> Path:
    p = Path(database)
    return p.with_name(p.name + ".import-lock")


@contextmanager
def import_lock(
    database: str | Path | None,
    on_wait: OnWait | None = None,
    *,
    poll: float = 0.1,
    report_every: float = 10.0,
) -> Iterator[None]:
    """Hold the import lock of the SQLite file `database` (None: nothing to lock).

    `on_wait` is called when the lock is first found taken and then every `report_every`
    seconds until it is free."""
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's busy timeout is all there is
        yield
        return
    if database is None or str(database) in ("", ":memory:"):
        yield
        return
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = last = None
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                if start is None:
                    start = now
                if on_wait is not None and (last is None or now - last >= report_every):
                    on_wait(_holder(fd), now - start)
                    last = now
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


def _holder(fd: int) -> int | None:
    """The pid the lock's holder wrote into the file (None while it is being written)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
