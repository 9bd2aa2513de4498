"""Three concurrent `alsreview import` processes into one SQLite project (issue 8).

Before the project import lock, the third of three concurrent 50k-record imports failed after
SQLite's 30 s busy timeout ("database is locked", rolled back).  This writes three RIS exports
of N records each (real titles and abstracts from /work/shared/data/screening via
`store_import.load`, distinct DOIs and ids per file), starts the three imports at once, and
prints for each: exit code, wall time, how many "waiting for another import" lines it printed,
its summary line; then the records and imports stored.

    python benchmarks/concurrent_import.py [--n 50000] [--dedup exact]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_import import load  # noqa: I001

from alsreview.records import write_records
from alsreview.store import Project

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.pop("ALSREVIEW_DB_URL", None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--dedup", default="exact")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = load(args.n)
        files = []
        for b in range(3):
            recs = [
                r.copy(doi=f"10.5555/bench.{b}.{i}", source_id=f"{b}-{i}", pmid=None)
                for i, r in enumerate(base)
            ]
            f = folder / f"export_{b}.ris"
            write_records(recs, f)
            files.append(f)
        root = folder / "proj"
        Project.create(root).close()
        start = time.perf_counter()
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
                    args.dedup,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=ENV,
            )
            for f in files
        ]
        rows = []
        for f, p in zip(files, procs, strict=True):
            out, err = p.communicate()
            waits = sum("waiting" in line for line in err.splitlines())
            last = (out.strip().splitlines() or err.strip().splitlines() or [""])[-1]
            rows.append((f.name, p.returncode, time.perf_counter() - start, waits, last))
        with Project.open(root) as project:
            n_imports = len(project.imports())
            n_records = sum(i.n_records for i in project.imports())
            n_stored = len(project.records())
    print(
        f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}; 3 x {args.n:,} records, --dedup {args.dedup}"
    )
    print("| file | exit | finished after s | 'waiting' lines | last line |")
    print("|---|---:|---:|---:|---|")
    for name, code, secs, waits, last in rows:
        print(f"| {name} | {code} | {secs:.0f} | {waits} | {last[:90]} |")
    print(
        f"summary: {sum(r[1] == 0 for r in rows)} of 3 imports succeeded; {n_imports} imports "
        f"stored with {n_records:,} records; {n_stored:,} record rows in the project "
        f"(expected {3 * args.n:,})"
    )


if __name__ == "__main__":
    main()
