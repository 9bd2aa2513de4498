"""Timing of child processes for the benchmarks that compare whole commands (imported by
meta_vs_metafor.py and trial_mixed_model.py, which run with this folder on sys.path)."""

from __future__ import annotations

import resource
import subprocess
import sys
import time


def run_process(cmd: list[str]) -> tuple[float, float, str, str]:
    """Wall seconds, CPU seconds (user + sys of the child), stdout and stderr of one process;
    exits with the child's stderr when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout, proc.stderr
