"""Benchmark: `alsreview --help` as a whole process (issue 8: target under 0.15 s).

Run: python benchmarks/cli_help.py [--rounds 20]
Alternating rounds of three whole processes, each started fresh: the installed console
script `alsreview --help` (the one next to this interpreter, not a pyenv shim), `python -m
alsreview --help`, and an empty interpreter (`python -c pass`) as the floor no command can
beat.  Prints min and median wall and CPU (user + system) time of each (CPU time is what
the process itself costs; wall time adds the wait for a core on a loaded machine), and the
cumulative import time of `alsreview.cli` (python -X importtime, the in-process share).
The last line is a summary: the median wall time against the 0.15 s target (on a loaded
machine compare the CPU time and the interpreter floor: wall time includes the wait for a core).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

# Children may write and use .pyc files, as a pip-installed package has them (this machine
# sets PYTHONDONTWRITEBYTECODE=1, which would compile alsreview from source on every run).
TARGET_WALL_S = 0.15
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def wall(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _pid, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, cmd
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def import_seconds(module: str) -> float:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    for line in proc.stderr.splitlines():
        m = re.match(rf"import time:\s+\d+ \|\s+(\d+) \| {re.escape(module)}$", line)
        if m:
            return int(m.group(1)) / 1e6
    raise RuntimeError(f"{module} not in the import-time listing")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    script = str(Path(sys.executable).parent / "alsreview")
    commands = {
        "alsreview --help (console script)": [script, "--help"],
        "python -m alsreview --help": [sys.executable, "-m", "alsreview", "--help"],
        "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
    }
    for cmd in commands.values():  # warm-up: .pyc files written, disk cache filled
        wall(cmd)
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    for _ in range(args.rounds):  # alternate, so load changes hit every command alike
        for name, cmd in commands.items():
            times[name].append(wall(cmd))
    imports = [import_seconds("alsreview.cli") for _ in range(5)]
    print(f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# load average {os.getloadavg()[0]:.1f}, {args.rounds} alternating rounds")
    print("| process | wall min s | wall median s | CPU min s | CPU median s |")
    print("|---|---:|---:|---:|---:|")
    for name, ts in times.items():
        w, c = [t[0] for t in ts], [t[1] for t in ts]
        print(
            f"| {name} | {min(w):.3f} | {statistics.median(w):.3f} | {min(c):.3f} "
            f"| {statistics.median(c):.3f} |"
        )
    print(f"| import alsreview.cli (in-process, min of 5) | {min(imports):.3f} | | | |")
    w, c = ([t[i] for t in times["alsreview --help (console script)"]] for i in (0, 1))
    floor = [t[0] for t in times["python -c pass (interpreter floor)"]]
    verdict = "met" if statistics.median(w) < TARGET_WALL_S else "NOT met"
    print(
        f"summary: `alsreview --help` median {statistics.median(w):.3f} s wall "
        f"(min {min(w):.3f}), {statistics.median(c):.3f} s CPU; an empty interpreter "
        f"{statistics.median(floor):.3f} s wall; load average {os.getloadavg()[0]:.1f}; "
        f"target < {TARGET_WALL_S} s wall: {verdict}"
    )


if __name__ == "__main__":
    main()
