"""Issue 8: every reader of a user's file refuses a FIFO (it would block forever) and a
device such as /dev/zero (it never ends) before opening it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from alsreview.errors import AlsreviewError


def _readers():
    from alsreview.evidence import load_evidence
    from alsreview.meta.csvfile import read_columns
    from alsreview.protocol import load_protocol
    from alsreview.records import read_records
    from alsreview.trial.ipd import load_trial
    from alsreview.trial.survival import read_control_cohort

    return {
        "records": read_records,
        "evidence": load_evidence,
        "protocol": load_protocol,
        "control cohort": read_control_cohort,
        "meta table": lambda p: read_columns(p, []),
        "trial folder": lambda p: load_trial(p.parent),
    }


@pytest.mark.parametrize("name", list(_readers()))
def test_fifo_and_device_are_refused(tmp_path, name):
    read = _readers()[name]
    fifo = tmp_path / ("patients.csv" if name == "trial folder" else "input.csv")
    os.mkfifo(fifo)
    with pytest.raises(AlsreviewError, match="FIFO"):
        read(fifo)
    if name != "trial folder":
        with pytest.raises(AlsreviewError, match="device"):
            read(Path("/dev/zero"))
