"""The two-reviewer workflow through the store, on SQLite and PostgreSQL: blinding, changes
as new rows, undo, full-text rules, conflicts and their resolution, PRISMA counts from the
settled decisions only, the next record by ranking, and two reviewers writing at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import text

from alsreview import screening
from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.screening import BlindedError
from alsreview.store.prisma import prisma_counts

TA, FT = "title_abstract", "full_text"

# Real trials of stem cells in ALS (Blume et al. 2026, Table 1) and real off-topic papers.
ON_TOPIC = [
    "Phase I trial of repeated intrathecal autologous bone marrow-derived mesenchymal "
    "stromal cells in amyotrophic lateral sclerosis",
    "Safety and clinical effects of mesenchymal stem cells secreting neurotrophic factor "
    "transplantation in patients with amyotrophic lateral sclerosis",
    "NurOwn, phase 2, randomized, clinical trial in patients with ALS: safety, clinical, and "
    "biomarker results",
    "Transplantation of mesenchymal stromal cells in patients with amyotrophic lateral "
    "sclerosis: results of phase I/IIa clinical trial",
]
OFF_TOPIC = [
    "Docetaxel plus cisplatin: an active and well-tolerated combination in patients with "
    "advanced non-small cell lung cancer",
    "Link between patient preferences and treatment outcomes in seasonal allergic rhinitis",
    "Nasal effect of cetirizine and loratadine at 24 hours in patients with allergic rhinitis",
    "Comparative efficacy of once-daily versus twice-daily loratadine-pseudoephedrine "
    "combinations in seasonal allergic rhinitis",
]


def load(project, titles=None) -> list[int]:
    titles = titles or (ON_TOPIC + OFF_TOPIC)
    recs = [Record(title=t, source="pubmed", source_id=str(i)) for i, t in enumerate(titles)]
    project.import_records(recs, source="pubmed", label="t", dedup="none")
    return [rid for rid, _ in project.records(primary_only=True)]


def count(project, sql: str) -> int:
    with project.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_blinded_reviewers_see_only_their_own_votes_until_the_owner_unblinds(project):
    a, b, *_ = load(project)
    screening.decide(project, "ana", a, TA, "included", note="MSC trial", labels=["RCT"])
    screening.decide(project, "ben", a, TA, "excluded", reason="review")
    screening.decide(project, "ben", b, TA, "included")
    mine = screening.visible_decisions(project, "ana", TA)
    assert [(v.record_id, v.reviewer, v.decision) for v in mine] == [(a, "ana", "included")]
    assert mine[0].note == "MSC trial" and mine[0].labels == ("RCT",)
    assert {v.reviewer for v in screening.decision_history(project, "ben", TA)} == {"ben"}
    own = screening.record_status(project, a, TA, "ana")
    assert own.status == "blinded" and [v.reviewer for v in own.votes] == ["ana"]
    with pytest.raises(BlindedError, match="blinded"):
        screening.conflicts(project, TA)
    with pytest.raises(BlindedError, match="only the project owner"):
        screening.unblind(project, TA, "ana")
    assert screening.is_blinded(project, TA) and screening.owner(project) == "owner"
    info = screening.unblind(project, TA, "owner")
    assert info["by"] == "owner" and not screening.is_blinded(project, TA)
    assert screening.is_blinded(project, FT)  # stages are unblinded one by one
    seen = screening.visible_decisions(project, "ana", TA)
    assert [(v.record_id, v.reviewer) for v in seen] == [(a, "ana"), (a, "ben"), (b, "ben")]
    assert [e.action for e in project.events()].count("screening.unblind") == 1


def test_a_change_is_a_new_row_and_an_event_and_undo_goes_back(project):
    a, *_ = load(project)
    first = screening.decide(project, "ana", a, TA, "included")
    second = screening.decide(project, "ana", a, TA, "excluded", reason="animal")
    assert second.id > first.id
    assert count(project, "SELECT count(*) FROM decisions") == 2
    decide_events = [e for e in project.events() if e.action == "screening.decide"]
    assert [e.details["decision_id"] for e in decide_events] == [first.id, second.id]
    assert all(e.actor == "ana" for e in decide_events)
    assert [v.decision for v in screening.visible_decisions(project, "ana", TA)] == ["excluded"]
    back = screening.undo(project, "ana", a, TA)
    assert (back.decision, back.origin) == ("included", "undo")
    gone = screening.undo(project, "ana", a, TA)
    assert gone.decision == "undecided"
    assert screening.visible_decisions(project, "ana", TA) == []
    assert a in {rid for rid, _ in project.screening_queue()}  # back in the queue
    with pytest.raises(StoreError, match="no title_abstract decision to undo"):
        screening.undo(project, "ana", a, TA)
    assert count(project, "SELECT count(*) FROM decisions") == 4  # nothing deleted


def test_full_text_needs_a_settled_title_abstract_include_and_a_protocol_reason(project):
    screening.set_reviewers_required(project, TA, 2, "owner")  # dual review
    with pytest.raises(BlindedError):
        screening.set_reviewers_required(project, TA, 1, "ana")
    a, b, *_ = load(project)
    screening.decide(project, "ana", a, TA, "included")
    with pytest.raises(StoreError, match="not been sent to full text"):
        screening.decide(project, "ana", a, FT, "included")  # only one of two reviewers
    assert screening.full_text_queue(project) == []
    screening.decide(project, "ben", a, TA, "included")
    assert screening.full_text_queue(project) == [a]
    with pytest.raises(StoreError, match="needs a reason from the protocol"):
        screening.decide(project, "ana", a, FT, "excluded")
    with pytest.raises(StoreError, match="'wrong_dose' is not in the protocol"):
        screening.decide(project, "ana", a, FT, "excluded", reason="wrong_dose")
    with pytest.raises(StoreError, match="unknown decision"):
        screening.decide(project, "ana", a, FT, "perhaps")
    with pytest.raises(StoreError, match="full-text decision"):
        screening.decide(project, "ana", b, TA, "not_retrieved")
    with pytest.raises(StoreError, match="no record 99999"):
        screening.decide(project, "ana", 99999, TA, "included")
    screening.decide(project, "ana", a, FT, "excluded", reason="animal")
    assert count(project, "SELECT count(*) FROM decisions WHERE stage = 'full_text'") == 1


def test_conflicts_are_resolved_by_a_third_reviewer_and_prisma_counts_only_settled(project):
    screening.set_reviewers_required(project, TA, 2, "owner")
    screening.set_reviewers_required(project, FT, 2, "owner")
    ids = load(project)
    agree_in, conflict, agree_out, maybe, pending = ids[:5]
    for who in ("ana", "ben"):
        screening.decide(project, who, agree_in, TA, "included")
        screening.decide(project, who, agree_out, TA, "excluded")
        screening.decide(project, who, maybe, TA, "maybe")
    screening.decide(project, "ana", conflict, TA, "included")
    screening.decide(project, "ben", conflict, TA, "excluded", reason="review")
    screening.decide(project, "ana", pending, TA, "included")

    counts = prisma_counts(project)
    assert (counts.screened, counts.excluded_screening, counts.sought) == (8, 1, 1)
    assert counts.awaiting_screening == 6  # conflict, maybe, pending and 3 unscreened

    screening.unblind(project, TA, "owner")
    listed = screening.conflicts(project, TA)
    assert [c.record_id for c in listed] == [conflict, maybe]
    assert {v.reviewer: v.decision for v in listed[0].votes} == {
        "ana": "included",
        "ben": "excluded",
    }
    with pytest.raises(StoreError, match="cannot resolve as third reviewer"):
        screening.resolve(
            project, conflict, TA, "included", resolved_by="ana", method="third_reviewer", why="x"
        )
    with pytest.raises(StoreError, match="needs who resolved it and why"):
        screening.resolve(
            project, conflict, TA, "included", resolved_by="cy", method="third_reviewer", why=" "
        )
    with pytest.raises(StoreError, match="no conflict to resolve"):
        screening.resolve(
            project, agree_in, TA, "excluded", resolved_by="cy", method="consensus", why="x"
        )
    st = screening.resolve(
        project,
        conflict,
        TA,
        "included",
        resolved_by="cy",
        method="third_reviewer",
        why="a phase I trial, not a review",
    )
    assert (st.status, st.decision, st.resolution.resolved_by) == ("resolved", "included", "cy")
    st = screening.resolve(
        project,
        maybe,
        TA,
        "excluded",
        resolved_by="ana",
        method="consensus",
        why="ana and ben agreed: animal model",
        reason="animal",
    )
    assert st.resolution.method == "consensus"
    assert [c.record_id for c in screening.conflicts(project, TA)] == []
    resolved = screening.conflicts(project, TA, include_resolved=True)
    assert [(c.record_id, c.resolution.why) for c in resolved] == [
        (conflict, "a phase I trial, not a review"),
        (maybe, "ana and ben agreed: animal model"),
    ]
    assert sorted(screening.full_text_queue(project)) == sorted([agree_in, conflict])

    # full text: one agreed include, one exclusion with reasons that differ (a conflict)
    for who in ("ana", "ben"):
        screening.decide(project, who, agree_in, FT, "included")
    screening.decide(project, "ana", conflict, FT, "excluded", reason="review")
    screening.decide(project, "ben", conflict, FT, "excluded", reason="animal")
    counts = prisma_counts(project)
    assert (counts.excluded_screening, counts.sought, counts.awaiting_screening) == (2, 2, 4)
    assert (counts.included, counts.excluded_reasons, counts.awaiting_assessment) == (1, {}, 1)
    screening.unblind(project, FT, "owner")
    screening.resolve(
        project,
        conflict,
        FT,
        "excluded",
        resolved_by="cy",
        method="third_reviewer",
        why="the report is a narrative review",
        reason="review",
    )
    counts = prisma_counts(project)
    assert (counts.included, counts.excluded_reasons, counts.awaiting_assessment) == (
        1,
        {"review": 1},
        0,
    )
    assert counts.screened == counts.excluded_screening + counts.sought + counts.awaiting_screening
    actions = [e.action for e in project.events()]
    assert actions.count("screening.resolve") == 3


def test_next_record_follows_the_ranking_and_skips_what_the_reviewer_did(project):
    screening.set_reviewers_required(project, TA, 2, "owner")
    ids = load(project, OFF_TOPIC + ON_TOPIC)  # off-topic records first in import order
    on = set(ids[len(OFF_TOPIC) :])
    nxt = screening.next_record(project, "ana", TA)
    # before any decision the protocol (PICO, criteria) is the query: an ALS trial comes first
    assert nxt is not None and nxt.record_id in on and nxt.rank_source == "protocol"
    assert (nxt.n_eligible, nxt.n_done, nxt.n_remaining) == (8, 0, 8)
    screening.decide(project, "ana", nxt.record_id, TA, "included")
    screening.decide(project, "ana", ids[0], TA, "excluded")
    seen = {nxt.record_id, ids[0]}
    for _ in range(3):  # with both classes known the model ranks the other trials next
        n = screening.next_record(project, "ana", TA)
        assert n is not None and n.rank_source == "model"
        assert n.record_id in on and n.record_id not in seen
        screening.decide(project, "ana", n.record_id, TA, "included")
        seen.add(n.record_id)
    n = screening.next_record(project, "ana", TA)
    assert n is not None and n.n_done == 5 and n.n_remaining == 3 and n.record_id not in on
    # ben screens blind: ana's votes neither hide records from him nor train his ranking
    b = screening.next_record(project, "ben", TA)
    assert b is not None and b.n_remaining == 8 and b.rank_source == "protocol"


def test_next_record_sends_no_record_to_a_third_reviewer_once_settled(project):
    screening.set_reviewers_required(project, TA, 2, "owner")
    ids = load(project, ON_TOPIC[:2])
    for who in ("ana", "ben"):
        screening.decide(project, who, ids[0], TA, "included")
    screening.decide(project, "ana", ids[1], TA, "included")
    cy = screening.next_record(project, "cy", TA)
    assert cy is not None and cy.record_id == ids[1] and cy.n_remaining == 1
    screening.decide(project, "cy", ids[1], TA, "included")
    assert screening.next_record(project, "ben", TA) is None  # settled by ana and cy
    assert screening.next_record(project, "ana", FT).n_remaining == 2


CONCURRENT = textwrap.dedent(
    """
    import os, sys
    os.environ["ALSREVIEW_USER"] = sys.argv[2]
    from alsreview import screening
    from alsreview.store import Project
    p = Project.open(sys.argv[1])
    ids = [rid for rid, _ in p.records(primary_only=True)]
    for rid in ids:
        screening.decide(p, sys.argv[2], rid, "title_abstract",
                         "included" if rid % 2 else "excluded")
    p.close()
    """
)


def test_two_reviewers_screening_at_once_lose_nothing(project, tmp_path):
    titles = [f"{t} (report {k})" for k in range(15) for t in ON_TOPIC[:2]]
    ids = load(project, titles)
    env_path = ":".join(sys.path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT, str(project.root), who],
            env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
            stderr=subprocess.PIPE,
        )
        for who in ("ana", "ben")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    n = len(ids)
    assert count(project, "SELECT count(*) FROM decisions") == 2 * n
    assert count(project, "SELECT count(*) FROM events WHERE action = 'screening.decide'") == 2 * n
    settled = screening.settled_decisions(project, TA)
    assert len(settled) == n
    assert all(d == ("included" if rid % 2 else "excluded") for rid, (d, _) in settled.items())
