"""Benchmark: 8 reviewers screening through the web API at once (issue 14 load target).

Run: nice python benchmarks/web_load.py [--seconds 60] [--records 2000] [--backend sqlite]
     [--backend postgresql] [--workers N] [--pace S]
     (PostgreSQL from $ALSREVIEW_TEST_PG_URL, in a fresh database that is dropped after)

What it simulates.  For each backend: a project with `--records` real references (the
first 2000 titled rows of Cohen_2006_BetaBlockers.csv from ../shared/data/screening/: enough
that 8 fast reviewers do not run out within 60 s with two votes per record), eight reviewer
accounts and dual screening (two votes settle a record).  `alsreview serve` runs in its
own process (its default worker count unless `--workers`) on loopback.  This process runs
eight reviewers, one thread and one keep-alive HTTP connection each (`http.client`,
cookies and the CSRF header handled as a browser's script does), that log in and
repeat GET /api/records/next (the active-learning ranking, refitted on the reviewer's own
labels) -> POST /api/decisions (the data set's label as the decision):

* `stress` (default; the strict reading of the target): closed loop, no think time: each
  reviewer sends the next request the moment the previous answer arrives, so the server
  is never idle and every request may queue behind the seven others' requests.
* `paced` (`--pace S`): each reviewer starts one cycle every S seconds (starts spread over
  the first S seconds), like a person who reads a record for S seconds.

Afterwards every 201 is checked against the store: no decision lost, none duplicated.
Measured: p50/p95/max latency of both calls as the client sees them, decisions per
second, CPU time per decision cycle (next + post, from /proc) of the server processes
(HTTP included), of the PostgreSQL backends serving the benchmark's database and of this
client process, the reviewers' connections per server worker (sampled once, mid-run:
`serve` closes a keep-alive connection every 25 requests so that they spread), and, in
this process without HTTP, the CPU time of one `next_record` and one
`decide` on the same store after the run.  The machine's 1-minute load average is printed
at the start and end of each run: other work on the machine inflates every latency.
Targets (issue 14): p95 under 100 ms for posting a decision, under 200 ms for the next
ranked record, on both backends.  Prints a Markdown table ready for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import http.cookies
import json
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


def start_server(
    directory: Path, port: int, env: dict[str, str], workers: int | None
) -> tuple[subprocess.Popen, float]:
    """`alsreview serve` in its own process; (process, seconds until it answered)."""
    cmd = [sys.executable, "-m", "alsreview", "serve", str(directory), "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import httpx

    deadline = time.monotonic() + 300  # each worker imports scikit-learn and fits TF-IDF
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
            wait_until_idle(proc.pid, deadline)
            return proc, time.perf_counter() - t0
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def database_backends_cpu(database: str | None) -> float:
    """CPU seconds used so far by the PostgreSQL backend processes serving `database`
    (their command line names it; Linux); 0 for SQLite (it runs inside the server)."""
    if not database:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if database.encode() not in (entry / "cmdline").read_bytes():
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_until_idle(pid: int, deadline: float) -> None:
    """Wait until the server's processes stop using CPU: the first worker answering does
    not mean the others are ready (each builds the ranking features first), and a worker
    that starts late gets no connection of the reviewers, who keep theirs open."""
    before = process_tree_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = process_tree_cpu(pid)
        if now - before < 0.05:
            return
        before = now


def connections_per_worker(server_pid: int, port: int) -> list[int]:
    """Established client connections to `port` held by each worker process of the server
    (Linux /proc): uvicorn's workers share one listening socket, and a reviewer's
    keep-alive connection stays with the worker that accepted it."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port:
                established.add(f[9])  # inode
    counts = []
    for child in sorted(_children(server_pid)):
        n = 0
        try:
            for fd in Path(f"/proc/{child}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:[") and target[8:-1] in established:
                    n += 1
        except OSError:
            continue
        if n or "spawn_main" in Path(f"/proc/{child}/cmdline").read_text(errors="replace"):
            counts.append(n)
    return counts


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, CPU seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total, grew = {pid}, 0.0, True
    while grew:
        more = {p for p, (parent, _) in stats.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    for p in tree:
        total += stats.get(p, (0, 0.0))[1]
    return total


class Reviewer(threading.Thread):
    """One simulated reviewer: log in, then next -> post until `stop_at` (closed loop), or
    one such cycle every `pace` seconds (paced)."""

    def __init__(
        self,
        base: str,
        name: str,
        labels: dict[int, int],
        stop_at: float,
        pace: float = 0.0,
        offset: float = 0.0,
    ) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.labels, self.stop_at = base, name, labels, stop_at
        self.pace, self.offset = pace, offset
        self.next_ms: list[float] = []
        self.post_ms: list[float] = []
        self.posted: list[int] = []
        self.errors: list[str] = []
        self.finished = False

    def run(self) -> None:
        c = Browser(self.base)
        try:
            status, body = c.request(
                "POST",
                "/api/login",
                {"username": self.name, "password": f"{self.name}-password"},
            )
            if status != 200:
                raise RuntimeError(f"{self.name}: login {status} {body[:200]!r}")
            csrf = json.loads(body)["csrf_token"]
            start = time.monotonic() + self.offset
            cycle = 0
            while True:
                if self.pace:  # the next cycle starts on this reviewer's own clock
                    due = start + cycle * self.pace
                    time.sleep(max(0.0, due - time.monotonic()))
                if time.monotonic() >= self.stop_at:
                    break
                cycle += 1
                t0 = time.perf_counter()
                status, body = c.request("GET", "/api/records/next?stage=title_abstract")
                self.next_ms.append((time.perf_counter() - t0) * 1000)
                if status == 204:
                    self.finished = True
                    break
                if status != 200:
                    self.errors.append(f"next {status} {body[:200]!r}")
                    continue
                rid = json.loads(body)["id"]  # a fresh project: ids follow the file's rows
                decision = {
                    "record_id": rid,
                    "stage": "title_abstract",
                    "decision": "include" if self.labels.get(rid) else "exclude",
                }
                t0 = time.perf_counter()
                status, body = c.request("POST", "/api/decisions", decision, csrf=csrf)
                self.post_ms.append((time.perf_counter() - t0) * 1000)
                if status == 201:
                    self.posted.append(rid)
                else:
                    self.errors.append(f"decision {status} {body[:200]!r}")
        finally:
            c.close()


class Browser:
    """A minimal HTTP/1.1 client on one keep-alive connection that keeps its cookies and
    sends JSON, like the web pages' scripts: the standard library's `http.client`, which
    costs the benchmark process far less CPU per request than httpx (the client shares
    the machine's two cores with the server it measures)."""

    def __init__(self, base: str) -> None:
        host, port = base.split("://", 1)[1].rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.cookies: dict[str, str] = {}
        self.last = time.monotonic()

    def request(
        self, method: str, path: str, body: dict | None = None, csrf: str | None = None
    ) -> tuple[int, bytes]:
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if time.monotonic() - self.last > 4:  # uvicorn closes connections idle for 5 s
            self.conn.close()  # (http.client reconnects on the next request)
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        self.last = time.monotonic()
        for value in response.headers.get_all("set-cookie") or []:
            jar = http.cookies.SimpleCookie(value)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return response.status, payload

    def close(self) -> None:
        self.conn.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _open(directory: Path, url: str | None):
    from alsreview.store import Project

    if url:
        os.environ["ALSREVIEW_DB_URL"] = url
    try:
        return Project.open(directory)
    finally:
        os.environ.pop("ALSREVIEW_DB_URL", None)


def check_store(directory: Path, url: str | None, reviewers: list[Reviewer]) -> str:
    """Every 201 is one stored row, and no (record, reviewer) pair is stored twice."""
    from alsreview.store.decisions import vote_history

    with _open(directory, url) as p:
        rows = vote_history(p, "title_abstract")
    stored: dict[str, list[int]] = {}
    for v in rows:
        stored.setdefault(v.reviewer, []).append(v.record_id)
    problems = []
    for rv in reviewers:
        got = stored.get(rv.name, [])
        if sorted(got) != sorted(rv.posted):
            problems.append(f"{rv.name}: {len(rv.posted)} accepted, {len(got)} stored")
        if len(set(got)) != len(got):
            problems.append(f"{rv.name}: a record decided twice")
    return "; ".join(problems) or "none"


def in_process_cpu(
    directory: Path, url: str | None, names: list[str], labels: dict[int, int], n: int = 24
) -> tuple[float, float]:
    """(CPU ms of one next_record, of one decide) in this process, no HTTP: the service
    cost of a request, after a warm-up call (features and caches built)."""
    from alsreview.screening import decide, next_record

    with _open(directory, url) as p:
        next_record(p, names[0], "title_abstract")  # warm: ranking features, vote cache
        t_next = t_post = 0.0
        done = 0
        for i in range(n):
            who = names[i % len(names)]
            c0 = time.process_time()
            found = next_record(p, who, "title_abstract")
            c1 = time.process_time()
            if found is None:
                continue
            word = "included" if labels.get(found.record_id) else "excluded"
            decide(p, who, found.record_id, "title_abstract", word)
            t_next += c1 - c0
            t_post += time.process_time() - c1
            done += 1
    if not done:
        return float("nan"), float("nan")
    return t_next / done * 1000, t_post / done * 1000


def run_backend(
    backend: str,
    seconds: float,
    n_records: int,
    data: Path,
    n_reviewers: int = N_REVIEWERS,
    workers: int | None = None,
    pace: float = 0.0,
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
    try:
        names = make_project(directory, url, records, n_reviewers)
        port = free_port()
        server, startup = start_server(directory, port, env, workers)
        try:
            load_before = loadavg()
            stop_at = time.monotonic() + seconds
            base = f"http://127.0.0.1:{port}"
            reviewers = [
                Reviewer(base, n, labels, stop_at, pace, pace * i / len(names))
                for i, n in enumerate(names)
            ]
            cpu0 = process_tree_cpu(server.pid)
            db_cpu0 = database_backends_cpu(url and name)
            client_cpu0 = time.process_time()
            t0 = time.perf_counter()
            for r in reviewers:
                r.start()
            time.sleep(min(seconds / 2, 10))
            split = connections_per_worker(server.pid, port)
            for r in reviewers:
                r.join()
            elapsed = time.perf_counter() - t0
            server_cpu = process_tree_cpu(server.pid) - cpu0
            client_cpu = time.process_time() - client_cpu0
            db_cpu = database_backends_cpu(url and name) - db_cpu0
            load = f"{load_before} / {loadavg()}"
        finally:
            server.terminate()
            server.wait(timeout=60)
        integrity = check_store(directory, url, reviewers)
        cpu_next, cpu_post = in_process_cpu(directory, url, names, labels)
    finally:
        if admin:
            with eng.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    next_ms = [x for r in reviewers for x in r.next_ms]
    post_ms = [x for r in reviewers for x in r.post_ms]
    posted = sum(len(r.posted) for r in reviewers)
    return {
        "backend": backend,
        "mode": f"paced, 1 per {pace:g} s" if pace else "stress",
        "workers": workers or "default",
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
        "server_cpu_ms": server_cpu / max(posted, 1) * 1000,
        "db_cpu_ms": db_cpu / max(posted, 1) * 1000,
        "client_cpu_ms": client_cpu / max(posted, 1) * 1000,
        "cpu_next": cpu_next,
        "cpu_post": cpu_post,
        "startup": startup,
        "errors": sum(len(r.errors) for r in reviewers),
        "error_sample": next((r.errors[0] for r in reviewers if r.errors), ""),
        "finished_early": sum(r.finished for r in reviewers),
        "integrity": integrity,
        "load": load,
        "reviewers": len(names),
        "split": split,
    }


HEADER = (
    "| backend | mode | server workers (connections each) | reviewers | decisions | decisions/s "
    "| next p50 / p95 / max (ms) | post p50 / p95 / max (ms) "
    "| CPU per decision: server / PostgreSQL / client (ms) | in-process CPU next / post (ms) "
    "| errors | lost or duplicated | load avg start / end |"
)


def row(r: dict) -> str:
    return (
        f"| {r['backend']} | {r['mode']} | {r['workers']} ({'/'.join(map(str, r['split']))}) "
        f"| {r['reviewers']} "
        f"| {r['decisions']} in {r['seconds']:.0f} s | {r['throughput']:.1f} "
        f"| {r['next_p50']:.0f} / {r['next_p95']:.0f} / {r['next_max']:.0f} "
        f"| {r['post_p50']:.0f} / {r['post_p95']:.0f} / {r['post_max']:.0f} "
        f"| {r['server_cpu_ms']:.1f} / {r['db_cpu_ms']:.1f} / {r['client_cpu_ms']:.1f} "
        f"| {r['cpu_next']:.1f} / {r['cpu_post']:.1f} "
        f"| {r['errors']} | {r['integrity']} | {r['load']} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    ap.add_argument("--reviewers", type=int, default=N_REVIEWERS)
    ap.add_argument("--workers", type=int, help="alsreview serve --workers (default: its own)")
    ap.add_argument(
        "--pace", type=float, default=0.0, help="seconds per decision cycle (0: stress)"
    )
    ap.add_argument("--data", type=Path, default=DATA / "Cohen_2006_BetaBlockers.csv")
    args = ap.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    from alsreview.web.server import default_workers

    print(
        f"<!-- {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
        f"{args.reviewers} reviewers, {args.seconds:.0f} s per backend, data {args.data.name}; "
        f"alsreview serve default workers here: {default_workers()} -->"
    )
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    sys.stdout.flush()
    notes = []
    for b in backends:
        r = run_backend(
            b, args.seconds, args.records, args.data, args.reviewers, args.workers, args.pace
        )
        print(row(r))
        sys.stdout.flush()
        notes.append(f"{b}: server answered {r['startup']:.1f} s after it was started")
        if r["finished_early"]:
            notes.append(f"{b}: {r['finished_early']} reviewers ran out of records")
        if r["error_sample"]:
            notes.append(f"{b}: first error: {r['error_sample']}")
    for n in notes:
        print(f"<!-- {n} -->")


if __name__ == "__main__":
    main()
