"""Benchmark: cold `alsreview report` on the bundled evidence base, and the package's import time.

Run: python benchmarks/report.py [--runs 5]
Prints one table: wall time of each cold run (a new Python process each time), the median,
the import time of `alsreview.cli` (what `alsreview --help` pays) and the heaviest imports of
a full report run.  Target (issue 2): under 3 s cold on the CI machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time


def cold_report(out: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "alsreview", "report", "--out", out], check=True, capture_output=True
    )
    return time.perf_counter() - start


def import_times(code: str) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) from `python -X importtime`."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times = [cold_report(os.path.join(tmp, f"r{i}")) for i in range(args.runs)]
    cli = import_times("import alsreview.cli")
    full = import_times(
        "import tempfile; from alsreview.report.build import build_report; "
        "build_report(tempfile.mkdtemp())"
    )
    with open("/proc/cpuinfo") as fh:
        cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
    print("| measure | value |")
    print("|---|---|")
    for i, t in enumerate(times, 1):
        print(f"| cold `alsreview report`, run {i} | {t:.2f} s |")
    print(f"| cold `alsreview report`, median of {len(times)} | {statistics.median(times):.2f} s |")
    print(f"| import `alsreview.cli` (what `--help` pays) | {cli[0][0] / 1e6:.3f} s |")
    print(
        "| heaviest top-level imports of a report run | "
        + ", ".join(f"{m} {t / 1e6:.2f} s" for t, m in full[:5])
        + " |"
    )


if __name__ == "__main__":
    main()
