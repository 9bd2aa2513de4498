"""mypy in CI (issue 9 part 6): src/alsreview type-checks cleanly with the [tool.mypy]
configuration in pyproject.toml (non-strict; untyped third-party libraries ignored)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # cold cache (a clean CI clone): ~25 s of CPU; warm: ~3 s
def test_mypy_reports_no_errors():
    # the default cache, ROOT/.mypy_cache (git-ignored), makes reruns incremental
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(ROOT / "src" / "alsreview"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"mypy failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Success: no issues found" in proc.stdout, proc.stdout
