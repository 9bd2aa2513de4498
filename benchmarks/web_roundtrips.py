"""Benchmark: database round trips and CPU of the two hot web API calls, in process.

Run: python benchmarks/web_roundtrips.py [--backend postgresql] [--records 2000] [--cycles 100]
     (PostgreSQL from $ALSREVIEW_TEST_PG_URL, in a fresh database dropped afterwards)

What it measures.  The load benchmark's project (`web_load.py`: the first 2000 titled
records of Cohen_2006_BetaBlockers.csv, 8 reviewer accounts, dual screening), then
`--cycles` decision cycles of the 8 reviewers in turn, each made of what the two requests
do: the session lookup of `GET /api/records/next` + `next_record`, and the session lookup
of `POST /api/decisions` + `decide`.  Counted per call: round trips to the database
(statements sent by SQLAlchemy, plus psycopg's own BEGIN/COMMIT/ROLLBACK on PostgreSQL;
SQLite's BEGIN is a statement) and CPU time of this process; per cycle: CPU of the
PostgreSQL backend processes serving the database (Linux /proc).  No HTTP: the web
layer's own cost is what `web_load.py`'s server CPU adds to these figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_load  # the load benchmark's project and helpers


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--cycles", type=int, default=100)
    args = ap.parse_args()
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.engine import make_url

    from alsreview.screening import decide, next_record
    from alsreview.web.accounts import list_users, lookup_session, start_session

    records, labels = web_load.load_records(
        web_load.DATA / "Cohen_2006_BetaBlockers.csv", args.records
    )
    directory = Path(tempfile.mkdtemp(prefix="alsreview-roundtrips-")) / "project"
    url = name = admin = None
    if args.backend == "postgresql":
        admin = create_engine(os.environ["ALSREVIEW_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
        name = f"alsreview_rt_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(os.environ["ALSREVIEW_TEST_PG_URL"]).set(database=name)
        url = url.render_as_string(hide_password=False)
    try:
        names = web_load.make_project(directory, url, records)
        project = web_load._open(directory, url)
        users = {u.name: u for u in list_users(project)}
        tokens = {n: start_session(project, users[n])[0] for n in names}
        trips = [0]

        @event.listens_for(project.engine, "before_cursor_execute")
        def _statement(*_args) -> None:
            trips[0] += 1

        if url:  # psycopg sends BEGIN/COMMIT/ROLLBACK itself, not through a cursor
            import psycopg

            original = psycopg.Connection._exec_command

            def counted(self, *a, **k):
                trips[0] += 1
                return original(self, *a, **k)

            psycopg.Connection._exec_command = counted  # type: ignore[method-assign]
        next_record(project, names[0], "title_abstract")  # warm: features, vote cache
        totals: dict[str, list[float]] = {}

        def measure(label: str, fn, *fn_args):
            trips[0] = 0
            c0 = time.process_time()
            out = fn(project, *fn_args)
            slot = totals.setdefault(label, [0, 0.0])
            slot[0] += trips[0]
            slot[1] += time.process_time() - c0
            return out

        db0 = web_load.database_backends_cpu(name)
        for i in range(args.cycles):
            who = names[i % len(names)]
            measure("session lookup (GET)", lookup_session, tokens[who])
            found = measure("next_record", next_record, who, "title_abstract")
            measure("session lookup (POST)", lookup_session, tokens[who])
            word = "included" if labels.get(found.record_id) else "excluded"
            measure("decide", decide, who, found.record_id, "title_abstract", word)
        db_cpu = (web_load.database_backends_cpu(name) - db0) / args.cycles * 1000
        project.close()
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    n = args.cycles
    print(f"<!-- {args.backend}, {args.records} records, {n} cycles, load {web_load.loadavg()} -->")
    print("| call | round trips | CPU (ms) |\n|---|---:|---:|")
    for label, (count, cpu) in totals.items():
        print(f"| {label} | {count / n:.1f} | {cpu / n * 1000:.2f} |")
    trips_cycle = sum(c for c, _ in totals.values()) / n
    cpu_cycle = sum(t for _, t in totals.values()) / n * 1000
    print(f"| per cycle | {trips_cycle:.1f} | {cpu_cycle:.2f} |")
    if url:
        print(f"<!-- PostgreSQL backend CPU per cycle: {db_cpu:.2f} ms -->")


if __name__ == "__main__":
    main()
