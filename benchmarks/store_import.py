"""Time transactional imports into a project: 50,000 records, SQLite file and PostgreSQL.

Prints one Markdown table: backend, dedup mode, records, seconds, records per second.
Records are built from /work/shared/data/screening/*.csv (8,828 real titles and
abstracts); past that the same rows are repeated (new source ids), so in "full" mode the
repeats are found as duplicates of the first copy - like re-importing the same exports.
PostgreSQL is used when ALSREVIEW_TEST_PG_URL is set (`source .ci/postgres.sh`).

    python benchmarks/store_import.py [N]
"""

from __future__ import annotations

import csv
import glob
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from alsreview.records.model import Record
from alsreview.store import Project

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"


def load(n: int) -> list[Record]:
    rows = load_rows()
    return [rows[i % len(rows)].copy(source_id=str(i)) for i in range(n)]


def load_rows() -> list[Record]:
    csv.field_size_limit(10**8)
    out: list[Record] = []
    for path in sorted(glob.glob(str(DATA / "*.csv"))):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                i = len(out)
                year = (row.get("year") or "").strip()[:4]
                out.append(
                    Record(
                        title=row.get("title") or "",
                        abstract=row.get("abstract") or "",
                        authors=[a.strip() for a in (row.get("authors") or "").split(";") if a],
                        year=int(year) if year.isdigit() else None,
                        doi=row.get("doi") or None,
                        source="benchmark",
                        source_id=str(i),
                    )
                )
    return out


def pg_database(admin: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"alsreview_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    records = load(n)
    backends = [("SQLite (WAL)", None)]
    if os.environ.get("ALSREVIEW_TEST_PG_URL"):
        backends.append(("PostgreSQL", pg_database(os.environ["ALSREVIEW_TEST_PG_URL"])))
    print("| backend | dedup | records | new | duplicates | seconds | records/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, url in backends:
        for mode in ("exact", "full"):
            with tempfile.TemporaryDirectory() as tmp:
                if url is not None and mode == "full":
                    url = pg_database(os.environ["ALSREVIEW_TEST_PG_URL"])
                project = Project.create(Path(tmp) / "p", url=url)
                t0 = time.perf_counter()
                result = project.import_records(records, source="benchmark", label="b", dedup=mode)
                dt = time.perf_counter() - t0
                project.close()
            assert result.n_records == len(records)
            print(
                f"| {label} | {mode} | {len(records):,} | {result.n_new:,} | "
                f"{result.n_duplicates:,} | {dt:.1f} | {len(records) / dt:,.0f} |"
            )


if __name__ == "__main__":
    main()
