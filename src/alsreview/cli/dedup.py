"""`alsreview dedup FILE`: find duplicate records in an exported file (no project needed).

`--json` prints `{"clusters": [[record_id, ...], ...]}`: clusters of two or more records,
identified as in the file (the `record_id` column of a CSV, the PMID of PubMed XML/MEDLINE,
the ID/AN of RIS, the NCT number, the BibTeX key; the 1-based position when the file has no
ids or they repeat).  Ids are always JSON strings, as in the file ("00123" stays "00123"), so
a consumer never has to handle two types; `in_project` gives the project's record id, also
as a string.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from alsreview.store.imports import Match


def register(app: typer.Typer) -> None:
    """Add `dedup` to the main app."""

    @app.command("dedup")
    def dedup_command(
        file: Path = typer.Argument(..., help="Exported records (RIS, nbib, XML, BibTeX, CSV...)."),
        as_json: bool = typer.Option(False, "--json", help="Print the clusters as JSON."),
        format: str | None = typer.Option(
            None,
            "--format",
            help="Force the reader: ris, medline, pubmed_xml, bibtex, "
            "endnote_xml, csv, tsv, xlsx, ctgov (default: from extension/content).",
        ),
        review: bool = typer.Option(False, "--review", help="Also list pairs needing review."),
        project: Path | None = typer.Option(
            None,
            "--project",
            help="Also match FILE against this project's records (read-only; "
            "`alsreview import` stores them).",
        ),
    ) -> None:
        """Find duplicates in FILE: exact PMID/DOI, then blocked fuzzy matching."""
        import json

        from alsreview.dedup import deduplicate
        from alsreview.records import read_records

        records = read_records(file, format=format)
        ids = [r.source_id for r in records]
        if any(not i for i in ids) or len(set(ids)) != len(ids):
            ids = [str(n) for n in range(1, len(records) + 1)]
        result = deduplicate(records)
        clusters = sorted(sorted(c.members) for c in result.clusters)
        in_project: dict[int, Match] = {}
        if project is not None:
            from alsreview.store import Project

            with Project.open(project) as p:
                in_project = p.match(records)
        if as_json:
            out: dict[str, object] = {"clusters": [[ids[i] for i in c] for c in clusters]}
            if project is not None:
                out["in_project"] = {
                    ids[i]: {"record": str(rid), "reason": why}
                    for i, (rid, why) in in_project.items()
                }
            if review:
                out["review"] = [
                    {"ids": [ids[p.a], ids[p.b]], "reason": p.reason} for p in result.review
                ]
            typer.echo(json.dumps(out, ensure_ascii=False))
            return
        typer.echo(result.summary())
        for c in result.clusters:
            members = ", ".join(("*" if i == c.primary else "") + ids[i] for i in sorted(c.members))
            typer.echo(f"[{members}]  " + "; ".join(m.reason for m in c.merges))
        for i, (rid, why) in sorted(in_project.items()):
            typer.echo(f"{ids[i]} is already in the project as record {rid}: {why}")
        if review:
            for pair in result.review:
                typer.echo(f"review {ids[pair.a]} / {ids[pair.b]}: {pair.reason}")
