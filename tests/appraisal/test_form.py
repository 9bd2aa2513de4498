"""The interactive form, driven by scripted answers and through the terminal command."""

from __future__ import annotations

import io
import re

import pytest

from alsreview.appraisal import load_instrument
from alsreview.appraisal.form import next_question, run_form
from alsreview.store import Project
from alsreview.store.appraisals import current_appraisals


class Driver:
    """Answers prompts from a script keyed by the prompt's start; records what was asked."""

    def __init__(self, script: dict[str, list[str]]):
        self.script = {k: list(v) for k, v in script.items()}
        self.asked: list[str] = []
        self.shown: list[str] = []

    def ask(self, prompt: str, choices):
        self.asked.append(prompt)
        for key, replies in self.script.items():
            if prompt.startswith(key) and replies:
                return replies.pop(0)
        return ""

    def say(self, text: str) -> None:
        self.shown.append(text)


def test_form_asks_only_reached_questions_and_takes_overrides():
    d = Driver({
        "1.2 answer": ["N"],  # not concealed: high, 1.1 and 1.3 not asked
        "1.2 support": ["sealed envelopes not mentioned"],
        "2.1 answer": ["Y"], "2.2 answer": ["Y"], "2.3 answer": ["maybe", "N"],
        "2.6 answer": ["Y"], "3.1 answer": ["Y"],
        "4.1 answer": ["N"], "4.2 answer": ["N"], "4.3 answer": ["N"],
        "5.2 answer": ["N"], "5.3 answer": ["N"], "5.1 answer": ["Y"],
        "D3:": ["some concerns"], "Justify D3": ["", "30% lost to follow-up"],
    })  # fmt: skip
    form = run_form(load_instrument("rob2"), d.ask, d.say)
    asked = [p.split()[0] for p in d.asked if p.split()[1] == "answer"]
    assert asked == ["1.2", "2.1", "2.2", "2.3", "2.3", "2.6", "3.1", "4.1", "4.2", "4.3",
                     "5.2", "5.3", "5.1"]  # fmt: skip
    assert "      'maybe' is not one of NA, Y, PY, PN, N, NI" in d.shown
    assert form.answers["1.2"] == {"answer": "N", "support": "sealed envelopes not mentioned"}
    assert form.overrides == {"D3": ("some concerns", "30% lost to follow-up")}
    assert "   D1 proposed by the algorithm: high" in d.shown
    assert any(p.startswith("overall: high.") for p in d.asked)
    assert form.overall_override is None


def test_robins_i_form_offers_questions_then_asks_the_judgement():
    d = Driver({"1.1 answer": ["Y"], "D1 judgement": ["serious"],
                "D2 judgement": ["low"], "D3 judgement": ["low"], "D4 judgement": ["moderate"],
                "D5 judgement": ["low"], "D6 judgement": ["no information"],
                "D7 judgement": ["low"]})  # fmt: skip
    form = run_form(load_instrument("robins-i"), d.ask, d.say)
    assert form.answers["D1"] == {"answer": "serious"} and form.answers["1.1"]["answer"] == "Y"
    assert "1.2 answer (empty = skip)" in d.asked
    assert any(p.startswith("overall: serious.") for p in d.asked)


def test_next_question_follows_the_tree():
    inst = load_instrument("rob2")
    assert next_question(inst, "D4", {}) == ("4.1", None)
    assert next_question(inst, "D4", {"4.1": "N", "4.2": "NI"}) == ("4.3", None)
    assert next_question(inst, "D4", {"4.1": "Y"}) == (None, "high")
    with pytest.raises(ValueError, match=r"4\.3: answer NA"):
        next_question(inst, "D4", {"4.1": "N", "4.2": "N", "4.3": "NA"})


def test_terminal_form_stores_the_assessment(tmp_path, monkeypatch, capsys):
    """`alsreview appraise STUDY --tool jbi-quasi` read from the terminal's input."""
    from alsreview.cli import main

    Project.create(tmp_path / "p").close()
    keys = []
    for item in range(1, 10):
        keys += ["no" if item in (4, 5) else "yes", "Table 1" if item == 4 else ""]
    keys += [""]  # accept the overall
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(keys) + "\n"))
    main(["appraise", "kim2014", "--tool", "jbi-quasi", "--project", str(tmp_path / "p"),
          "--reviewer", "ana"])  # fmt: skip
    out = capsys.readouterr().out
    assert re.search(r"stored: kim2014 jbi-quasi overall moderate", out)
    with Project.open(tmp_path / "p") as p:
        (row,) = current_appraisals(p)
    assert row.reviewer == "ana" and row.values()["4"] == "no"
    assert row.answers["4"] == {"answer": "no", "support": "Table 1"}
