"""CLI of the screening stage (thin wrappers over `alsreview.screening`):

    alsreview screen [--stage S] [--reviewer NAME]     keyboard-driven terminal screen
    alsreview agreement [--stage S] [--json]           kappa, PABAK, AC1, Fleiss
    alsreview conflicts [--stage S] [--resolve ID --decision D --why TEXT ...] [--json]
    alsreview unblind STAGE                            owner only
    alsreview decisions import FILE [--stage S] [--reviewer NAME]
    alsreview simulate FILE.csv --seed S [--json] [--plot FILE.svg]
    alsreview embed                                    sentence embeddings for the ranking

Reviewer names default to $ALSREVIEW_USER, else the login name.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

PROJECT = typer.Option(Path("."), "--project", "-p", help="Project folder.")
STAGE = typer.Option("title_abstract", "--stage", "-s", help="title_abstract or full_text.")
REVIEWER = typer.Option(None, "--reviewer", "-r", help="Reviewer (default: $ALSREVIEW_USER).")


def _who(reviewer: str | None) -> str:
    from alsreview.store.project import current_actor

    return reviewer or current_actor()


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""

    @app.command("screen")
    def screen_command(
        project: Path = PROJECT, stage: str = STAGE, reviewer: str | None = REVIEWER
    ) -> None:
        """Screen records one by one: i include, e exclude, m maybe, u undo, q quit."""
        from alsreview.cli.screen_tui import ScreenApp
        from alsreview.store import Project
        from alsreview.store.decisions import check_stage

        at = check_stage(stage)
        with Project.open(project) as p:
            ScreenApp(p, _who(reviewer), at).run()

    @app.command("agreement")
    def agreement_command(
        project: Path = PROJECT,
        stage: str = STAGE,
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Agreement between reviewers at an unblinded stage."""
        from alsreview.screening.agreement import stage_agreement
        from alsreview.store import Project

        with Project.open(project) as p:
            result = stage_agreement(p, stage)
        typer.echo(json.dumps(result.to_dict(), indent=1) if as_json else result.summary())

    @app.command("conflicts")
    def conflicts_command(
        project: Path = PROJECT,
        stage: str = STAGE,
        resolve: int | None = typer.Option(None, "--resolve", help="Record id to resolve."),
        decision: str | None = typer.Option(None, "--decision", help="included / excluded."),
        why: str | None = typer.Option(None, "--why", help="Why (required to resolve)."),
        method: str = typer.Option(
            "third_reviewer", "--method", help="third_reviewer or consensus."
        ),
        reason: str | None = typer.Option(None, "--reason", help="Exclusion reason code."),
        reviewer: str | None = REVIEWER,
        all_: bool = typer.Option(False, "--all", help="Also list resolved conflicts."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List conflicts at an unblinded stage, or resolve one (--resolve ID)."""
        from alsreview import screening
        from alsreview.store import Project

        with Project.open(project) as p:
            if resolve is not None:
                if not decision or not why:
                    raise typer.BadParameter("--resolve needs --decision and --why")
                st = screening.resolve(
                    p,
                    resolve,
                    stage,
                    decision,
                    resolved_by=_who(reviewer),
                    method=method,
                    why=why,
                    reason=reason,
                )
                typer.echo(
                    json.dumps(st.to_dict(), indent=1)
                    if as_json
                    else f"record {resolve}: {st.decision} ({method}, {_who(reviewer)})"
                )
                return
            rows = screening.conflicts(p, stage, include_resolved=all_)
            titles = dict(p.records()) if rows else {}
        if as_json:
            typer.echo(json.dumps([r.to_dict() for r in rows], indent=1))
            return
        if not rows:
            typer.echo(f"no conflicts at {stage}")
        for r in rows:
            votes = ", ".join(f"{v.reviewer}: {v.decision}" for v in r.votes)
            title = titles[r.record_id].title[:70] if r.record_id in titles else ""
            extra = ""
            if r.resolution is not None:
                extra = f"  -> {r.decision} by {r.resolution.resolved_by}: {r.resolution.why}"
            typer.echo(f"{r.record_id:>6}  {title}\n        {votes}{extra}")

    @app.command("unblind")
    def unblind_command(
        stage: str = typer.Argument(..., help="title_abstract or full_text."),
        project: Path = PROJECT,
        reviewer: str | None = REVIEWER,
    ) -> None:
        """Show every reviewer's decisions at a stage (the project owner only)."""
        from alsreview import screening
        from alsreview.store import Project

        with Project.open(project) as p:
            info = screening.unblind(p, stage, _who(reviewer))
        typer.echo(f"{stage} unblinded by {info['by']} at {info['at']}")

    decisions = typer.Typer(help="Decisions made elsewhere (CSV, ASReview, Rayyan).")
    app.add_typer(decisions, name="decisions")

    @decisions.command("import")
    def decisions_import(
        file: Path = typer.Argument(
            ..., help="CSV (record_id, reviewer, decision, reason) or an ASReview/Rayyan export."
        ),
        project: Path = PROJECT,
        stage: str = STAGE,
        reviewer: str | None = typer.Option(
            None, "--reviewer", "-r", help="Reviewer of an ASReview export (default asreview)."
        ),
    ) -> None:
        """Import decisions in one transaction: all or nothing."""
        from alsreview.screening.importing import import_decisions
        from alsreview.store import Project

        with Project.open(project) as p:
            result = import_decisions(p, file, stage=stage, reviewer=reviewer)
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
        typer.echo(result.summary())

    @app.command("embed")
    def embed_command(project: Path = PROJECT) -> None:
        """Compute the sentence embeddings the ranking fuses, once per record (cached).

        Run it after an import, as the user that runs `alsreview serve`: the web app ranks
        with TF-IDF only until every record has a cached embedding, and never embeds."""
        import time

        from alsreview.screening.ranking import embed_project
        from alsreview.store import Project

        t0 = time.process_time()
        with Project.open(project) as p:
            n, new = embed_project(p)
        cpu = time.process_time() - t0
        if new:
            typer.echo(f"embedded {new} new texts of {n} records ({cpu:.1f} CPU s); cached")
        else:
            typer.echo(f"all {n} records already had a cached embedding")

    @app.command("simulate")
    def simulate_command(
        file: Path = typer.Argument(..., help="Labelled CSV with label_included (0/1)."),
        seed: int = typer.Option(..., "--seed", help="Chooses the prior records."),
        as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
        plot: Path | None = typer.Option(None, "--plot", help="Recall curve (.svg/.png)."),
    ) -> None:
        """Replay a labelled set through the ranking (one included, one excluded prior)."""
        from alsreview.screening.simulate import simulate_file

        result = simulate_file(str(file), seed=seed)
        for note in result.notes:
            typer.echo(f"warning: {note}", err=True)
        if plot is not None:
            from alsreview.report.screening import write_recall_plot

            write_recall_plot(result, plot)
        typer.echo(json.dumps(result.to_dict()) if as_json else result.summary())
