"""Stages and decisions as string enums, store rows as named tuples: they read and compare
as the plain strings and tuples they replace, and unknown values are refused by name."""

from __future__ import annotations

import json

import pytest

from alsreview.errors import AlsreviewError, StoreError
from alsreview.store import Decision, Stage
from alsreview.store.decisions import VoteIn, vote_history

from .test_project import trial_records


def test_members_are_their_strings():
    assert Stage.FULL_TEXT == "full_text" and f"{Stage.TITLE_ABSTRACT}" == "title_abstract"
    assert json.dumps({"stage": Stage.FULL_TEXT}) == '{"stage": "full_text"}'
    assert {Decision.EXCLUDED: 1}["excluded"] == 1  # same hash as the string
    assert Decision.parse("maybe") is Decision.MAYBE


def test_unknown_values_are_a_store_error_naming_the_allowed_ones():
    with pytest.raises(StoreError, match=r"unknown stage 'abstract' \(one of title_abstract, "):
        Stage.parse("abstract")
    with pytest.raises(AlsreviewError, match=r"record 7: unknown decision 'include' \(one of"):
        VoteIn(7, "title_abstract", "include", "A")


def test_votes_come_back_as_members_and_rows_as_named_tuples(project):
    project.import_records(trial_records(), source="scopus", label="a")
    (rid, record), *_ = project.records()
    row = project.records()[0]
    assert (row.id, row.record) == (rid, record)
    project.add_decisions([(rid, Stage.TITLE_ABSTRACT, Decision.EXCLUDED, None)], reviewer="A")
    project.add_decisions([(rid + 1, "title_abstract", "included", None)], reviewer="A")
    votes = vote_history(project, "title_abstract")
    assert [(v.stage, v.decision) for v in votes] == [
        (Stage.TITLE_ABSTRACT, Decision.EXCLUDED),
        (Stage.TITLE_ABSTRACT, Decision.INCLUDED),
    ]
    assert all(type(v.decision) is Decision and type(v.stage) is Stage for v in votes)
    settled = project.latest_decisions("title_abstract")
    assert settled[rid].decision is Decision.EXCLUDED and settled[rid] == ("excluded", None)
    assert json.loads(json.dumps(votes[0].to_dict()))["decision"] == "excluded"
