"""Time listing the dedup review queue on a large project, this checkout against another.

Builds one SQLite project with N records and P queued borderline pairs (in 50 imports'
`dedup.review` events), 10 % of them dismissed and 5 % linked by hand, and 20,000 other
events (one screening vote each, as the web app writes them), at schema revision
0005_users_sessions (before the queue table).  Then, for each checkout, a new Python
process opens a copy of it (this checkout's open runs migration 0006, which backfills the
table; timed apart) and lists the queue R times.  Both must return the same queue.

    python benchmarks/dedup_queue.py [--records 50000] [--pairs 5000] [--runs 5]
        [--compare OTHER_SRC]     # e.g. `git archive main src | tar -x -C /tmp/before`
        [--postgres]              # a new database on $ALSREVIEW_TEST_PG_URL, dropped after
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PREVIOUS_HEAD = "0005_users_sessions"


def build(root: Path, n_records: int, n_pairs: int, url: str | None = None) -> None:
    from alembic import command

    from alsreview.records.model import Record
    from alsreview.store import Project
    from alsreview.store.events import log
    from alsreview.store.project import _alembic_config

    project = Project.create(root, url=url)
    records = [
        Record(title=f"Benchmark report {i}", year=2000 + i % 25, source="bench", source_id=str(i))
        for i in range(n_records)
    ]
    project.import_records(records, source="bench", label="bench", dedup="none")
    with project.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), PREVIOUS_HEAD)
    rng = random.Random(20261202)
    pairs = set()
    while len(pairs) < n_pairs:
        a, b = sorted(rng.sample(range(1, n_records + 1), 2))
        pairs.add((a, b))
    ordered = sorted(pairs)
    rng.shuffle(ordered)
    with project.write_session() as s, s.begin():
        step = n_pairs // 50
        for k in range(50):
            chunk = ordered[k * step : (k + 1) * step]
            details = {"import_id": 1, "pairs": [[a, b, "title 0.85"] for a, b in chunk]}
            log(s, "dedup.review", details, "bench")
        for i in range(20_000):
            details = {"decision_id": i + 1, "record_id": i + 1, "stage": "title_abstract"}
            log(s, "screening.decide", details, "bench")
        for a, b in ordered[: n_pairs // 10]:
            log(s, "dedup.dismiss", {"pair": [b, a]}, "bench")
    for a, b in ordered[n_pairs // 10 : n_pairs // 10 + n_pairs // 20]:
        project.mark_duplicate(b, a, "bench")
    project.close()


def measure(root: Path, runs: int) -> dict[str, Any]:
    """(Run in the child process.)  Open the project, list the queue `runs` times."""
    from alsreview.store import Project

    t0 = time.perf_counter()
    project = Project.open(root)
    opened = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        queue = project.dedup_review_queue()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    project.close()
    digest = hashlib.sha256(json.dumps([list(p) for p in queue]).encode()).hexdigest()[:12]
    return {"open": opened, "times": times, "cpu": cpu, "n": len(queue), "sha": digest}


def child(src: str, root: Path, runs: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=src)
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(root), "--runs", str(runs)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--pairs", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", default=None, help="another checkout's src/ to time too")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="a new database on $ALSREVIEW_TEST_PG_URL instead of SQLite (one database: the "
        "compared checkout runs first, then this one migrates it)",
    )
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.runs)))
        return
    here = str(Path(__file__).resolve().parents[1] / "src")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        t0 = time.perf_counter()
        url = None
        if args.postgres:
            from store_import import pg_database

            url = pg_database(os.environ["ALSREVIEW_TEST_PG_URL"])
        build(base, args.records, args.pairs, url)
        print(
            f"built {args.records} records, {args.pairs} pairs in {time.perf_counter() - t0:.1f} s"
        )
        print(
            "| checkout | open (s) | list queue: wall, median (s) | CPU, median (s) "
            "| wall per run (s) | pairs left | sha |"
        )
        print("|---|---:|---:|---:|---|---:|---|")
        for label, src in (("compare", args.compare), ("this", here)):
            if src is None:
                continue
            root = base if url else Path(tmp) / label
            if not url:
                shutil.copytree(base, root)
            r = child(src, root, args.runs)
            wall = statistics.median(r["times"])
            cpu = statistics.median(r["cpu"])
            print(
                f"| {label} ({src}) | {r['open']:.2f} | {wall:.3f} | {cpu:.3f} | "
                f"{', '.join(f'{t:.3f}' for t in r['times'])} | {r['n']} | {r['sha']} |"
            )
        if url:
            drop_database(url)


def drop_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(os.environ["ALSREVIEW_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()
