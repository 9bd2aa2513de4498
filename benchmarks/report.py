"""Benchmark: cold `alsreview report` on the bundled evidence base, and the package's import time.

Run: python benchmarks/report.py [--runs 5] [--cores 1] [--compare OTHER_SRC]
Prints one table: wall and CPU time (user + sys of the child) of each cold run (a new Python
process each time), the medians, the import time of `alsreview.cli` (what `alsreview --help`
pays) and the heaviest imports of a full report run. `--cores 1` pins every run to one core
(`taskset -c 0`): on a machine shared with other jobs the wall time then measures the queue
as much as the code, so the CPU time is the number to compare. `--compare SRC` runs another
checkout's `src` (e.g. an older commit in a `git worktree`) alternately in the same session.
One warm-up run of each checkout comes first (it writes the `.pyc` files and the compiled
templates, as an installed package has them after its first run); children may write
`.pyc` files even where PYTHONDONTWRITEBYTECODE is set.
Target (issues 8 and 13): under 3 s CPU cold on one busy core; the last line says whether the
median met it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

# Children may write and use .pyc files, as a pip-installed package has them.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGET_CPU_S = 3.0


def cold_report(out: str, cores: int | None = None, src: str | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of one `alsreview report` in a new process."""
    cmd = [sys.executable, "-m", "alsreview", "report", "--out", out]
    if cores:
        cmd = ["taskset", "-c", ",".join(str(i) for i in range(cores)), *cmd]
    env = dict(ENV)
    if src:
        env["PYTHONPATH"] = src
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_times(code: str) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) from `python -X importtime`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(2)) <= 2:  # top-level imports only
            rows.append((int(m.group(1)), m.group(3)))
    return sorted(rows, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cores", type=int, default=None, help="pin runs to this many cores")
    parser.add_argument("--compare", default=None, help="another checkout's src/ to time too")
    args = parser.parse_args()
    here = os.environ.get("PYTHONPATH") or None
    other: list[tuple[float, float]] = []
    times: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        cold_report(os.path.join(tmp, "warm"), args.cores, here)
        if args.compare:
            cold_report(os.path.join(tmp, "warm-other"), args.cores, args.compare)
        for i in range(args.runs):
            times.append(cold_report(os.path.join(tmp, f"r{i}"), args.cores, here))
            if args.compare:
                other.append(cold_report(os.path.join(tmp, f"o{i}"), args.cores, args.compare))
    cli = import_times("import alsreview.cli")
    full = import_times(
        "import tempfile; from alsreview.report.build import build_report; "
        "build_report(tempfile.mkdtemp())"
    )
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    load = os.getloadavg()[0]  # after the runs: the load they ran under
    pinned = f", runs pinned to {args.cores} core(s)" if args.cores else ""
    print(
        f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
        f"load average {load:.1f}{pinned}"
    )
    print("| measure | wall | CPU (user + sys) |")
    print("|---|---|---|")
    for label, rows in (("this checkout", times), (f"compare: {args.compare}", other)):
        if not rows:
            continue
        for i, (wall, cpu_s) in enumerate(rows, 1):
            print(f"| cold `alsreview report` ({label}), run {i} | {wall:.2f} s | {cpu_s:.2f} s |")
        print(
            f"| cold `alsreview report` ({label}), median of {len(rows)} | "
            f"{statistics.median(w for w, _ in rows):.2f} s | "
            f"{statistics.median(c for _, c in rows):.2f} s |"
        )
    print(f"| import `alsreview.cli` (no Typer until a command runs) | {cli[0][0] / 1e6:.3f} s | |")
    print(
        "| heaviest top-level imports of a report run | "
        + ", ".join(f"{m} {t / 1e6:.2f} s" for t, m in full[:5])
        + " | |"
    )
    median_cpu = statistics.median(c for _, c in times)
    verdict = "met" if median_cpu < TARGET_CPU_S else "NOT met"
    print(
        f"summary: cold `alsreview report` median {median_cpu:.2f} s CPU "
        f"(min {min(c for _, c in times):.2f} s), "
        f"{statistics.median(w for w, _ in times):.2f} s wall, at load average {load:.1f}; "
        f"target < {TARGET_CPU_S:.0f} s CPU on one core: {verdict}"
    )


if __name__ == "__main__":
    main()
