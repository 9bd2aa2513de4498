"""Run the installed `alsreview` console script in a subprocess, as a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def console_script() -> str:
    """The `alsreview` script installed next to this interpreter (not a pyenv shim)."""
    here = Path(sys.executable).parent / "alsreview"
    found = str(here) if here.exists() else shutil.which("alsreview")
    assert found, "the alsreview console script is not installed (pip install -e .)"
    return found


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.script = console_script()

    def __call__(
        self, *args: str, input: bytes | None = None, timeout: float = 60, **env: str
    ) -> subprocess.CompletedProcess[str]:
        environ = dict(os.environ)
        # the code under test (a worktree's src/) before whatever is installed editable
        environ["PYTHONPATH"] = os.pathsep.join(
            [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]
        )
        environ["COLUMNS"] = "80"
        environ.update(env)
        return subprocess.run(
            [self.script, *args],
            cwd=self.cwd,
            capture_output=True,
            text=True,
            input=input.decode() if input is not None else None,
            timeout=timeout,
            env=environ,
        )

    @staticmethod
    def user_error(res: subprocess.CompletedProcess[str], *needles: str) -> str:
        """Exit 1, an `error:` message and no traceback; returns stderr."""
        assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr, res.stderr
        assert res.stderr.startswith("error: "), res.stderr
        for needle in needles:
            assert needle in res.stderr, (needle, res.stderr)
        return res.stderr


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)
