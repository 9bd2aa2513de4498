"""Decisions made elsewhere into the store: alsreview CSV, ASReview or Rayyan exports.

In: a file and a stage.  Out: an `ImportedDecisions` summary; the votes are stored in ONE
transaction (all or none) through `alsreview.store.decisions.insert_votes`.

Formats:
* alsreview CSV: columns `record_id, reviewer, decision` (+ optional `reason`, `note`):
  `record_id` is the project's record id; decisions included / excluded / maybe (and
  not_retrieved at full text).
* ASReview export (CSV/TSV/XLSX with `label_included`/`asreview_label`, or RIS with
  ASReview_relevant notes) and Rayyan export (CSV or RIS with RAYYAN-INCLUSION notes):
  read by `alsreview.records.read_records`; each record is matched to the project's
  record by identifiers and title (`Project.match`).  Rayyan keeps one vote per
  reviewer; ASReview's label is the vote of `reviewer` (default "asreview").
  Rayyan's exclusion reasons (RAYYAN-EXCLUSION-REASONS, one list per record) are mapped
  to the protocol's reason codes (`map_reason`: the same code or label, ignoring case,
  spaces and punctuation) on each "excluded" vote of the record; a reason the protocol
  does not know is kept as free text in the vote's note and named in a warning.

A row naming an unknown record, a record the file cannot be matched to, or a bad
decision raises `ImportFormatError` (file, line, record) and nothing is stored.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from alsreview.errors import ImportFormatError, StoreError
from alsreview.inputs import read_limited
from alsreview.store.decisions import VOTES, VoteIn, check_stage, insert_votes
from alsreview.store.project import Project

OWN_COLUMNS = ("record_id", "reviewer", "decision")
_RAYYAN = {"included": "included", "excluded": "excluded", "maybe": "maybe"}


@dataclass(frozen=True)
class ImportedDecisions:
    path: str
    format: str
    n_votes: int
    reviewers: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    def summary(self) -> str:
        who = ", ".join(self.reviewers)
        return f"{self.path}: {self.n_votes} decisions imported ({self.format}; {who})"


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def map_reason(text: str, reasons: Sequence[tuple[str, str]]) -> str | None:
    """The protocol code (of `(code, label)` pairs) that an exclusion reason names, or None.

    A reason matches a code or a label when both are equal after lower-casing and
    replacing every run of non-alphanumerics by one space ("Animal study only",
    "animal-study only" and code "animal" when the text is "Animal")."""
    key = _norm(text)
    if not key:
        return None
    for code, label in reasons:
        if key in (_norm(code), _norm(label)):
            return code
    return None


def _rayyan_reasons(
    found: Sequence[str], reasons: Sequence[tuple[str, str]], where: str, warnings: list[str]
) -> tuple[str | None, str]:
    """(protocol code of the first known reason, note text with the others)."""
    codes: list[str] = []
    free: list[str] = []
    for text in found:
        code = map_reason(text, reasons)
        if code is None:
            free.append(text)
            warnings.append(
                f"{where}: Rayyan exclusion reason {text!r} is not in the protocol; kept as a note"
            )
        elif code not in codes:
            codes.append(code)
    note = [f"Rayyan exclusion reason: {t}" for t in codes[1:] + free]
    return (codes[0] if codes else None), "; ".join(note)


def _own_csv(text: str, name: str, stage: str) -> list[VoteIn]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    votes: list[VoteIn] = []
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if not any((v or "").strip() for v in row.values()):
                continue
            rid_text = (row.get("record_id") or "").strip()
            if not rid_text.isdigit():
                raise ImportFormatError(name, f"record_id {rid_text!r} is not a number", line=line)
            decision = (row.get("decision") or "").strip().lower()
            if decision not in VOTES or decision == "undecided":
                raise ImportFormatError(
                    name,
                    f"decision {decision!r} is not one of included, excluded, maybe, not_retrieved",
                    line=line,
                    record=rid_text,
                )
            reviewer = (row.get("reviewer") or "").strip()
            if not reviewer:
                raise ImportFormatError(name, "reviewer is empty", line=line, record=rid_text)
            votes.append(
                VoteIn(
                    int(rid_text),
                    stage,
                    decision,
                    reviewer,
                    (row.get("reason") or "").strip() or None,
                    (row.get("note") or "").strip(),
                    origin="import:csv",
                )
            )
    except csv.Error as exc:
        raise ImportFormatError(name, f"malformed CSV: {exc}", line=line) from None
    return votes


def import_decisions(
    project: Project, path: str | Path, *, stage: str, reviewer: str | None = None
) -> ImportedDecisions:
    """Read a decisions file and store its votes atomically (see the module docstring)."""
    from alsreview.records import read_records
    from alsreview.records.textfile import decode_export

    check_stage(stage)
    p = Path(path)
    name = str(p)
    data = read_limited(p)  # regular file within the size limit, or a named error
    head = ""
    warnings: list[str] = []
    if p.suffix.lower() in (".csv", ".tsv", ".txt"):
        text = decode_export(data, name)
        if not text.strip():
            raise ImportFormatError(name, "empty file")
        head = text.split("\n", 1)[0].lower()
    cols = [c.strip().strip('"') for c in head.split(",")]
    if all(c in cols for c in OWN_COLUMNS):
        votes, fmt = _own_csv(text, name, stage), "alsreview CSV"
        known = {rid for rid, _ in project.records()}
        for v in votes:
            if v.record_id not in known:
                raise ImportFormatError(name, "no such record in this project", record=v.record_id)
    else:
        records = read_records(p)
        if not records:
            raise ImportFormatError(name, "no records")
        matches = project.match(records)
        votes = []
        fmt = "export"
        reasons = _protocol_reasons(project)
        for i, rec in enumerate(records):
            line = rec.extra.get("line")
            where = rec.source_id or rec.title[:60]
            if i not in matches:
                raise ImportFormatError(
                    name,
                    "record not found in this project (import the records first)",
                    line=line if isinstance(line, int) else None,
                    record=where,
                )
            rid = matches[i][0]
            rayyan = rec.extra.get("votes")
            if rayyan:
                fmt = "Rayyan"
                found = [str(t) for t in rec.extra.get("exclusion_reasons") or ()]
                code, note = _rayyan_reasons(found, reasons, f"record {where}", warnings)
                for who, value in rayyan.items():
                    d = _RAYYAN.get(value.strip().lower())
                    if d is None:
                        raise ImportFormatError(
                            name, f"Rayyan vote {value!r} of {who}", record=where
                        )
                    if d == "excluded" and found:
                        vote = VoteIn(rid, stage, d, who, code, note, origin="import:rayyan")
                    else:
                        vote = VoteIn(rid, stage, d, who, origin="import:rayyan")
                    votes.append(vote)
            elif rec.decision in ("included", "excluded", "maybe"):
                fmt = "ASReview" if fmt == "export" else fmt
                votes.append(
                    VoteIn(rid, stage, rec.decision, reviewer or "asreview", origin="import")
                )
    if not votes:
        raise ImportFormatError(name, "no decisions in the file")
    try:
        insert_votes(project, votes)
    except StoreError as exc:
        raise ImportFormatError(name, f"refused, nothing imported: {exc}") from None
    who = tuple(sorted({v.reviewer for v in votes}))
    return ImportedDecisions(name, fmt, len(votes), who, tuple(dict.fromkeys(warnings)))


def _protocol_reasons(project: Project) -> list[tuple[str, str]]:
    """(code, label) of the project's protocol exclusion reasons ([] without a protocol)."""
    from alsreview.protocol import PROTOCOL_FILENAME

    if project.root is None or not (project.root / PROTOCOL_FILENAME).exists():
        return []
    return [(r.code, r.label) for r in project.protocol.exclusion_reasons]
