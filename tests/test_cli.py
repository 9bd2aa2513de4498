"""The command line answers --help and turns AlsreviewError into a message and exit code 1."""

import subprocess
import sys


def test_help_lists_report():
    out = subprocess.run(
        [sys.executable, "-m", "alsreview", "--help"], capture_output=True, text=True, check=True
    )
    assert "report" in out.stdout
