"""Issue 8: `alsreview --help` printed without building the Typer app, and never different
from what the app prints (the text is generated from it by
`python -m alsreview.cli.toplevel_help`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main
from tests.cli.conftest import SRC

from alsreview.cli import app
from alsreview.cli.toplevel_help import TEXT

REGENERATE = "regenerate it: python -m alsreview.cli.toplevel_help"


def _app_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        app(["--help"], prog_name="alsreview")
    assert exc.value.code == 0
    return capsys.readouterr().out


def test_stored_help_is_what_the_app_prints(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert _app_help(capsys) == TEXT, REGENERATE


def test_stored_help_lists_every_registered_command():
    cmd = typer.main.get_command(app)
    with cmd.make_context("alsreview", [], resilient_parsing=True) as ctx:
        names = cmd.list_commands(ctx)
    listed = [ln.split()[0] for ln in TEXT.split("Commands:\n", 1)[1].splitlines() if ln]
    assert sorted(listed) == sorted(names), REGENERATE
    assert len(names) >= 20  # report, meta, import, ..., user


def test_console_script_prints_it_without_importing_typer(cli):
    res = cli("--help", COLUMNS="120")
    assert res.returncode == 0, res.stderr
    assert res.stdout == TEXT
    env = {**os.environ, "COLUMNS": "120", "PYTHONPATH": str(SRC)}
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "alsreview", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout == TEXT
    imported = {ln.rsplit("|", 1)[-1].strip() for ln in probe.stderr.splitlines()}
    assert "alsreview.cli" in imported
    assert not {"typer", "click", "alsreview.cli.report", "pydantic"} & imported


def test_narrow_terminal_gets_the_app_wrapping_it(cli):
    res = cli("--help", COLUMNS="60")
    assert res.returncode == 0, res.stderr
    assert res.stdout != TEXT
    assert max(len(line) for line in res.stdout.splitlines()) <= 58
    assert "\n  report " in res.stdout and "\n  user " in res.stdout


def test_other_arguments_still_go_to_the_app(cli):
    res = cli("report", "--help", COLUMNS="120")
    assert res.returncode == 0, res.stderr
    assert "--out" in res.stdout
    res = cli(COLUMNS="120")  # no arguments: click prints the help and exits 2
    assert res.returncode == 2
    assert "Commands:" in res.stdout + res.stderr
