"""CLI of the literature stage: `init`, `search`, `import`, `export`, `prisma`.

Every command works on a project folder (`--project`, default: the current folder) made
by `alsreview init DIR`, and is a thin wrapper over `alsreview.store`:

    alsreview init DIR [--db URL]              folder + bundled ALS protocol + database
    alsreview search [--source pubmed] [--update]  run the protocol's searches, import
    alsreview import FILE...                   each file in its own transaction
    alsreview export OUT [--all]               records (with decisions) as RIS/CSV/BibTeX
    alsreview prisma [--round N] [--svg F]     PRISMA 2020 counts from the store (+ diagram)
"""

from __future__ import annotations

from pathlib import Path

import typer

PROJECT_OPTION = typer.Option(Path("."), "--project", "-p", help="Project folder.")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""

    @app.command("init")
    def init_command(
        directory: Path = typer.Argument(..., help="Folder for the new project."),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Database URL for a team project, e.g. postgresql+psycopg://user@host/db "
            "(default: the SQLite file DIR/project.db).",
        ),
        protocol: Path | None = typer.Option(
            None, "--protocol", help="Start from this protocol TOML instead of the bundled one."
        ),
    ) -> None:
        """Make a review project, starting from the bundled ALS stem-cell protocol."""
        from alsreview.protocol import load_protocol
        from alsreview.store import Project

        text = None
        if protocol is not None:
            load_protocol(protocol)  # validate before anything is written
            text = protocol.read_text(encoding="utf-8-sig")
        Project.create(directory, url=db, protocol_text=text).close()
        typer.echo(f"project created in {directory}; edit {directory / 'protocol.toml'}")

    @app.command("search")
    def search_command(
        project: Path = PROJECT_OPTION,
        source: list[str] = typer.Option(
            None, "--source", "-s", help="Only these sources (pubmed, europepmc, ctgov, ...)."
        ),
        update: bool = typer.Option(
            False, "--update", help="Start a living-update round: search since the last run."
        ),
        log: bool = typer.Option(
            False, "--log", help="Only print the search log (PRISMA-S) and stop."
        ),
    ) -> None:
        """Run the protocol's searches and import the records (only new ones are screened)."""
        import logging

        from alsreview.store import Project
        from alsreview.store.living import run_searches

        handler = logging.StreamHandler()  # retries and waits, as they happen, on stderr
        handler.setFormatter(logging.Formatter("retry: %(message)s"))
        logging.getLogger("alsreview.sources").addHandler(handler)

        with Project.open(project) as p:
            if log:
                typer.echo("round\tsource\trun_at\tdate_from\tdate_to\thits\tretrieved\tquery")
                for e in p.search_log():
                    typer.echo(
                        f"{e.round}\t{e.source}\t{e.run_at:%Y-%m-%d %H:%M}\t{e.date_from or ''}"
                        f"\t{e.date_to or ''}\t{e.count}\t{e.retrieved}\t{e.query}"
                    )
                return
            if update:
                typer.echo(f"update round {p.start_update()}")
            outcomes = run_searches(
                p, sources=source or None, on_done=lambda o: typer.echo(o.summary())
            )
            if not outcomes:
                typer.echo("the protocol has no search alsreview can run; use `import`")

    @app.command("import")
    def import_command(
        files: list[Path] = typer.Argument(..., help="Exported records (RIS, nbib, XML, CSV...)."),
        project: Path = PROJECT_OPTION,
        format: str | None = typer.Option(None, "--format", help="Force the reader."),
        source: str | None = typer.Option(
            None, "--source", help="Database the file came from (e.g. scopus, embase)."
        ),
        dedup: str = typer.Option("full", "--dedup", help="full, exact (identifiers) or none."),
    ) -> None:
        """Import files, each in one transaction: a file that fails changes nothing."""
        from alsreview.errors import AlsreviewError
        from alsreview.store import Project

        def waiting(pid: int | None, seconds: float) -> None:
            who = f"another import (pid {pid})" if pid else "another import"
            still = f"still waiting ({seconds:.0f} s) for" if seconds >= 1 else "waiting for"
            typer.echo(f"{still} {who} into this project to finish...", err=True)

        failed = 0
        with Project.open(project) as p:
            for f in files:
                try:
                    result = p.import_file(
                        f, format=format, source=source, dedup=dedup, on_wait=waiting
                    )
                except AlsreviewError as exc:
                    failed += 1
                    typer.echo(f"error: {exc} (nothing imported from {f})", err=True)
                else:
                    typer.echo(f"{f}: {result.summary()}")
        if failed:  # an AlsreviewError: main() prints it and exits 1
            raise AlsreviewError(f"{failed} of {len(files)} files not imported")

    @app.command("export")
    def export_command(
        out: Path = typer.Argument(..., help="Output file: .ris, .csv, .tsv or .bib."),
        project: Path = PROJECT_OPTION,
        format: str | None = typer.Option(None, "--format", help="ris, csv, tsv or bibtex."),
        all_records: bool = typer.Option(
            False, "--all", help="Also the duplicates (default: one record per reference)."
        ),
        force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
    ) -> None:
        """Write the project's records with their newest screening decision."""
        from alsreview.records import write_records
        from alsreview.store import Project
        from alsreview.store.export import records_with_decisions

        with Project.open(project) as p:
            records = records_with_decisions(p, primary_only=not all_records)
        path = write_records(records, out, format=format, force=force)
        typer.echo(f"{len(records)} records written to {path}")

    @app.command("prisma")
    def prisma_command(
        project: Path = PROJECT_OPTION,
        round: int | None = typer.Option(
            None, "--round", help="An update round: the PRISMA 2020 updated-review layout."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
        svg: Path | None = typer.Option(None, "--svg", help="Also draw the diagram as SVG."),
    ) -> None:
        """PRISMA 2020 flow counts computed from the project store."""
        import dataclasses
        import json

        from alsreview.store import Project
        from alsreview.store.prisma import prisma_counts

        with Project.open(project) as p:
            counts = prisma_counts(p, round=round)
        if as_json:
            typer.echo(json.dumps(dataclasses.asdict(counts), ensure_ascii=False, indent=2))
        else:
            typer.echo(counts.summary())
        if svg is not None:
            from alsreview.report.prisma import draw_prisma

            flow = counts.to_flow()
            svg.write_text(draw_prisma(flow), encoding="utf-8")
            for problem in flow.inconsistencies():
                typer.echo(f"note: {problem}", err=True)
            typer.echo(f"diagram written to {svg}")
