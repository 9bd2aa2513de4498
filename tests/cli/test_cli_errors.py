"""Issue 8, part 1: usage errors, AlsreviewError messages and bugs, via the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

USAGE_ERRORS = [
    ["nonsense"],
    ["report", "--bogus"],
    ["meta"],
    ["trial", "export"],
    ["trial", "export", "somewhere", "--id", "x"],
    ["trial", "power", "--n", "many"],
    ["import"],
    ["evidence", "nonsense"],
]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=" ".join)
def test_usage_error_prints_click_usage_and_exits_2(cli, args):
    res = cli(*args)
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    assert res.stderr.startswith("Usage: alsreview"), res.stderr
    assert "Error:" in res.stderr


def test_help_is_plain_and_lists_the_commands(cli):
    res = cli("--help")
    assert res.returncode == 0
    for command in ("report", "meta", "import", "export", "trial", "evidence"):
        assert f"\n  {command} " in res.stdout
    assert "╭" not in res.stdout  # no Rich panels: plain click help


BRACKETS = "[pico][[search]]evidence[v2][/y][/]"  # folders "...[", "y][" and a file "]"


def test_bracketed_message_printed_literally(cli):
    bad = cli.cwd / f"{BRACKETS}.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"studies": [}', encoding="utf-8")
    res = cli("evidence", "check", f"{BRACKETS}.json")
    err = cli.user_error(res, BRACKETS + ".json", "not valid JSON")
    assert "MarkupError" not in err


def test_bracketed_path_in_missing_directory(cli):
    # "a[/y]b.json" is the folder "a[" and the file "y]b.json": nothing exists
    res = cli("evidence", "check", "a[/y]b.json")
    cli.user_error(res, "a[/y]b.json")


def test_200_character_path_is_not_wrapped(cli):
    folder = cli.cwd / ("d" * 120) / ("e" * 60)
    folder.mkdir(parents=True)
    bad = folder / "[bad] evidence.json"
    bad.write_text("[", encoding="utf-8")
    assert len(str(bad)) >= 200
    res = cli("evidence", "check", str(bad))
    err = cli.user_error(res)
    assert str(bad) in err.splitlines()[1], err  # whole path on one line, no wrapping


def test_output_path_that_cannot_be_created_is_an_error(cli):
    (cli.cwd / "file").write_text("x")
    res = cli("trial", "example", str(cli.cwd / "file" / "sub"))
    cli.user_error(res, str(cli.cwd / "file"))


def test_a_bug_keeps_its_traceback(tmp_path):
    code = (
        "import sys; from alsreview.cli import app, main\n"
        "@app.command('boom')\n"
        "def boom():\n"
        "    raise ZeroDivisionError('a bug')\n"
        "main(['boom'])\n"
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2] / "src")
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert res.returncode == 1
    assert "Traceback" in res.stderr and "ZeroDivisionError: a bug" in res.stderr


def test_json_schema_still_prints(cli):
    res = cli("evidence", "schema")
    assert res.returncode == 0
    assert json.loads(res.stdout)["title"]
