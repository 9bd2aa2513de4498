"""Benchmark: 8 reviewers screening through the web API at once (issue 14 load target).

Run: nice python benchmarks/web_load.py [--seconds 60] [--records 2000] [--backend sqlite]
     [--backend postgresql]   (PostgreSQL from $ALSREVIEW_TEST_PG_URL; a fresh database)

For each backend: a project with `--records` real references (the first rows of a labelled
screening set in ../shared/data/screening/, or of Cohen_2006_ADHD.csv), eight reviewer
accounts and dual screening; `alsreview serve` in its own process on loopback; this process
then runs eight reviewers (one thread and one HTTP connection each) that log in and loop
GET /api/records/next -> POST /api/decisions (the data set's label as the decision) for
`--seconds`.  Afterwards every 201 is checked against the store: no decision lost, none
duplicated.  Prints p50/p95/max latency of both calls and decisions per second.
Targets (issue 14): p95 under 100 ms for posting a decision, under 200 ms for the next
ranked record.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "screening"
N_REVIEWERS = 8


def loadavg() -> str:
    """The machine's 1-minute load average (other work competing for the cores)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def load_records(path: Path, n: int):
    from alsreview.records.model import Record

    out, labels = [], {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if not (row.get("title") or "").strip():
                continue
            out.append(
                Record(
                    title=row["title"],
                    abstract=row.get("abstract") or "",
                    source="bench",
                    source_id=str(len(out) + 1),
                )
            )
            labels[len(out)] = int(row.get("label_included") or 0)
            if len(out) == n:
                break
    return out, labels


def make_project(
    directory: Path, url: str | None, records, n_reviewers: int = N_REVIEWERS
) -> list[str]:
    from alsreview.screening import set_reviewers_required
    from alsreview.store import Project
    from alsreview.web.accounts import add_user

    project = Project.create(directory, url=url)
    try:
        add_user(project, "owner", "owner", "owner-password")
        names = [f"reviewer{i}" for i in range(1, n_reviewers + 1)]
        for name in names:
            add_user(project, name, "reviewer", f"{name}-password")
        project.import_records(records, source="bench", label="bench", dedup="none")
        set_reviewers_required(project, "title_abstract", 2, "owner")
    finally:
        project.close()
    return names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(directory: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "alsreview", "serve", str(directory), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


class Reviewer(threading.Thread):
    def __init__(self, base: str, name: str, labels: dict[int, int], stop_at: float) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.labels, self.stop_at = base, name, labels, stop_at
        self.next_ms: list[float] = []
        self.post_ms: list[float] = []
        self.posted: list[int] = []
        self.errors: list[str] = []
        self.finished = False

    def run(self) -> None:
        import httpx

        with httpx.Client(base_url=self.base, timeout=30) as c:
            r = c.post(
                "/api/login", json={"username": self.name, "password": f"{self.name}-password"}
            )
            r.raise_for_status()
            headers = {"X-CSRF-Token": r.json()["csrf_token"]}
            while time.monotonic() < self.stop_at:
                t0 = time.perf_counter()
                r = c.get("/api/records/next", params={"stage": "title_abstract"})
                self.next_ms.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 204:
                    self.finished = True
                    break
                if r.status_code != 200:
                    self.errors.append(f"next {r.status_code} {r.text[:200]}")
                    continue
                rid = r.json()["id"]  # a fresh project: store ids follow the file's rows
                body = {
                    "record_id": rid,
                    "stage": "title_abstract",
                    "decision": "include" if self.labels.get(rid) else "exclude",
                }
                t0 = time.perf_counter()
                r = c.post("/api/decisions", json=body, headers=headers)
                self.post_ms.append((time.perf_counter() - t0) * 1000)
                if r.status_code == 201:
                    self.posted.append(rid)
                else:
                    self.errors.append(f"decision {r.status_code} {r.text[:200]}")


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def check_store(directory: Path, env_url: str | None, reviewers: list[Reviewer]) -> str:
    """Every 201 is one stored row, and no (record, reviewer) pair is stored twice."""
    from alsreview.store import Project
    from alsreview.store.decisions import vote_history

    if env_url:
        os.environ["ALSREVIEW_DB_URL"] = env_url
    try:
        with Project.open(directory) as p:
            rows = vote_history(p, "title_abstract")
    finally:
        os.environ.pop("ALSREVIEW_DB_URL", None)
    stored = {}
    for v in rows:
        stored.setdefault(v.reviewer, []).append(v.record_id)
    problems = []
    for rv in reviewers:
        got = stored.get(rv.name, [])
        if sorted(got) != sorted(rv.posted):
            problems.append(f"{rv.name}: {len(rv.posted)} accepted, {len(got)} stored")
        if len(set(got)) != len(got):
            problems.append(f"{rv.name}: a record decided twice")
    return "; ".join(problems) or "none lost, none duplicated"


def run_backend(
    backend: str, seconds: float, n_records: int, data: Path, n_reviewers: int = N_REVIEWERS
) -> dict:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    records, labels = load_records(data, n_records)
    tmp = Path(tempfile.mkdtemp(prefix="alsreview-load-"))
    directory = tmp / "project"
    url = None
    admin = None
    env = dict(os.environ)
    if backend == "postgresql":
        admin = os.environ.get("ALSREVIEW_TEST_PG_URL")
        if not admin:
            raise SystemExit("set ALSREVIEW_TEST_PG_URL for the PostgreSQL run")
        name = f"alsreview_load_{uuid.uuid4().hex[:10]}"
        eng = create_engine(admin, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    names = make_project(directory, url, records, n_reviewers)
    port = free_port()
    server = start_server(directory, port, env)
    try:
        load_before = loadavg()
        stop_at = time.monotonic() + seconds
        base = f"http://127.0.0.1:{port}"
        reviewers = [Reviewer(base, n, labels, stop_at) for n in names]
        t0 = time.perf_counter()
        for r in reviewers:
            r.start()
        for r in reviewers:
            r.join()
        elapsed = time.perf_counter() - t0
        load = f"{load_before}/{loadavg()}"
    finally:
        server.terminate()
        server.wait(timeout=30)
    integrity = check_store(directory, url, reviewers)
    if admin:
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    next_ms = [x for r in reviewers for x in r.next_ms]
    post_ms = [x for r in reviewers for x in r.post_ms]
    posted = sum(len(r.posted) for r in reviewers)
    return {
        "backend": backend,
        "records": len(records),
        "seconds": elapsed,
        "decisions": posted,
        "throughput": posted / elapsed,
        "next_p50": pct(next_ms, 50),
        "next_p95": pct(next_ms, 95),
        "next_max": max(next_ms, default=float("nan")),
        "post_p50": pct(post_ms, 50),
        "post_p95": pct(post_ms, 95),
        "post_max": max(post_ms, default=float("nan")),
        "errors": sum(len(r.errors) for r in reviewers),
        "error_sample": next((r.errors[0] for r in reviewers if r.errors), ""),
        "finished_early": sum(r.finished for r in reviewers),
        "integrity": integrity,
        "load": load,
        "reviewers": len(names),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    ap.add_argument("--reviewers", type=int, default=N_REVIEWERS)
    ap.add_argument("--data", type=Path, default=DATA / "Cohen_2006_ADHD.csv")
    args = ap.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    print(
        f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.reviewers} reviewers, {args.seconds:.0f} s, "
        f"data {args.data.name}"
    )
    print(
        "backend     records decisions  dec/s  next p50  next p95  next max  post p50  "
        "post p95  post max  errors  load avg (start/end)  integrity"
    )
    for b in backends:
        r = run_backend(b, args.seconds, args.records, args.data, args.reviewers)
        print(
            f"{r['backend']:<11} {r['records']:>7} {r['decisions']:>9} {r['throughput']:>6.1f}"
            f" {r['next_p50']:>7.0f}ms {r['next_p95']:>7.0f}ms {r['next_max']:>7.0f}ms"
            f" {r['post_p50']:>7.0f}ms {r['post_p95']:>7.0f}ms {r['post_max']:>7.0f}ms"
            f" {r['errors']:>7}  {r['load']:>20}  {r['integrity']}"
        )
        if r["error_sample"]:
            print(f"  first error: {r['error_sample']}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
