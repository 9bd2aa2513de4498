"""`alsreview appraise`: risk-of-bias judgements from answers (the library is `appraisal/`).

- `alsreview appraise judge --tool TOOL FILE.json [--json]`: FILE holds answers keyed by the
  official form's question ids (`{"1.1": "Y", ...}`, JBI `{"1": "yes", ...}`) and/or domain
  judgements (`{"D1": "moderate"}`); prints `{"domains": {...}, "overall": "..."}`.
- `alsreview appraise tools`: the bundled instruments.
- `alsreview rob export|import|agreement|consensus`: appraisals in a project's store.
- `alsreview rob-plot --out DIR (--csv FILE | --project DIR)`: traffic-light and summary plots.
"""

from __future__ import annotations

from pathlib import Path

import typer

TOOL_HELP = "jbi-rct, jbi-quasi, rob2, rob2-cluster, robins-i, or an instrument .json file."


def _read_answers(path: Path) -> dict[str, object]:
    import json

    from alsreview.errors import ImportFormatError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFormatError(str(path), f"cannot read the file ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFormatError(str(path), f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(data, dict):
        raise ImportFormatError(str(path), "expected a JSON object of question id -> answer")
    return data


def register(app: typer.Typer) -> None:
    """Add `appraise`, `rob` and `rob-plot` to the main app."""
    register_rob(app)

    @app.command("appraise")
    def appraise_command(
        target: str = typer.Argument(..., help="`judge`, `tools`, or a study id (form)."),
        file: Path | None = typer.Argument(None, help="With `judge`: the answers JSON."),
        tool: str = typer.Option("rob2", "--tool", help=TOOL_HELP),
        effect: str | None = typer.Option(
            None, "--effect", help="RoB 2 domain 2: assignment (default) or adhering."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        low_max: int = typer.Option(0, "--low-max", help="JBI: most counted answers for low."),
        moderate_max: int = typer.Option(
            3, "--moderate-max", help="JBI: most counted answers for moderate."
        ),
        count: str = typer.Option("no", "--count", help="JBI: answers counted, comma-separated."),
        project: Path = typer.Option(Path("."), "--project", help="Project folder (the form)."),
        reviewer: str | None = typer.Option(None, "--reviewer", help="Who appraises (the form)."),
        outcome: str = typer.Option("", "--outcome", help="Outcome, for result-level tools."),
    ) -> None:
        """Appraise STUDY in a terminal form and store it in the project; or judge a file of
        answers (`judge`); or list the tools (`tools`)."""
        import json

        from alsreview.appraisal import TOOLS, count_rule, judge, load_instrument
        from alsreview.errors import ValidationError

        if target == "tools":
            for key in TOOLS:
                inst = load_instrument(key)
                typer.echo(f"{key:13} {inst.name} ({inst.version})")
            return
        if target != "judge":
            _form(target, tool, effect, project, reviewer, outcome)
            return
        if file is None:
            raise ValidationError("`appraise judge` needs the answers FILE.json")
        inst = load_instrument(tool)
        rule = None
        if inst.overall.rule == "count":
            rule = count_rule(low_max, moderate_max, tuple(c.strip() for c in count.split(",")))
        result = judge(inst, _read_answers(file), effect=effect, overall_rule=rule, name=str(file))
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
            return
        typer.echo(f"{inst.name}: overall {result.overall}")
        for d in result.domains:
            why = f"  ({'; '.join(d.path)})" if d.path else ""
            typer.echo(f"  {d.domain:5} {d.value:15} {d.source}{why}")


def _form(
    study: str, tool: str, effect: str | None, project: Path, reviewer: str | None, outcome: str
) -> None:
    """The interactive form (Rich prompts), then the assessment is stored."""
    from rich.console import Console
    from rich.prompt import Prompt

    from alsreview.appraisal import load_instrument
    from alsreview.appraisal.assessments import record_assessment
    from alsreview.appraisal.form import run_form
    from alsreview.store import Project

    console = Console(highlight=False)
    inst = load_instrument(tool)
    with Project.open(project) as p:  # fail early when there is no project
        console.print(f"Appraising {study}" + (f", outcome {outcome}" if outcome else ""),
                      markup=False)  # fmt: skip

        def ask(prompt: str, choices: list[str] | None) -> str:
            return Prompt.ask(prompt, console=console, choices=choices, default="",
                              show_default=False)  # fmt: skip

        def say(text: str) -> None:
            console.print(text, markup=False)

        form = run_form(inst, ask, say, effect)
        row = record_assessment(p, study, inst.id, form.answers, outcome=outcome,
                                effect=effect, reviewer=reviewer, overrides=form.overrides,
                                overall_override=form.overall_override)  # fmt: skip
    console.print(f"stored: {study} {inst.id} overall {row.overall} "
                  f"(algorithm: {row.overall_algorithm})", markup=False)  # fmt: skip


rob_app = typer.Typer(
    help="Risk-of-bias appraisals in a project: robvis CSV in/out, agreement, consensus.",
    no_args_is_help=True,
)
PROJECT = typer.Option(Path("."), "--project", help="Project folder (default: here).")


@rob_app.command("export")
def rob_export(
    out: Path = typer.Argument(..., help="robvis CSV to write."),
    tool: str = typer.Option(..., "--tool", help=TOOL_HELP),
    project: Path = PROJECT,
) -> None:
    """Write the project's settled judgements (consensus, or agreeing reviewers) as robvis CSV."""
    from alsreview.appraisal.robvis_csv import write_robvis_csv
    from alsreview.appraisal.table import RobTable
    from alsreview.store import Project

    with Project.open(project) as p:
        table = RobTable.from_store(p, tool)
    write_robvis_csv(table, out)
    typer.echo(f"{len(table.rows)} studies written to {out}")


@rob_app.command("import")
def rob_import(
    file: Path = typer.Argument(..., help="robvis CSV: Study, D1..Dn, Overall[, Weight]."),
    tool: str = typer.Option(..., "--tool", help=TOOL_HELP),
    reviewer: str = typer.Option(..., "--reviewer", help="Whose judgements these are."),
    consensus: bool = typer.Option(False, "--consensus", help="Store as consensus records."),
    project: Path = PROJECT,
) -> None:
    """Store a robvis CSV's judgements in the project (all rows or none)."""
    from alsreview.appraisal.robvis_csv import import_robvis_table, read_robvis_csv
    from alsreview.store import Project

    table = read_robvis_csv(file, tool)
    with Project.open(project) as p:
        n = import_robvis_table(p, table, reviewer=reviewer, name=str(file),
                                kind="consensus" if consensus else "assessment")  # fmt: skip
    typer.echo(f"{n} appraisals imported from {file}")


@rob_app.command("agreement")
def rob_agreement(
    a: str = typer.Argument(..., help="First reviewer."),
    b: str = typer.Argument(..., help="Second reviewer."),
    tool: str = typer.Option(..., "--tool", help=TOOL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    project: Path = PROJECT,
) -> None:
    """Per-domain agreement (proportion, Cohen's kappa) of two reviewers."""
    import json

    from alsreview.appraisal.agreement import stored_agreement
    from alsreview.store import Project

    with Project.open(project) as p:
        agr = stored_agreement(p, tool, a, b)
    typer.echo(json.dumps(agr.to_dict()) if as_json else agr.summary())


@rob_app.command("consensus")
def rob_consensus(
    study: str = typer.Argument(..., help="Study id."),
    tool: str = typer.Option(..., "--tool", help=TOOL_HELP),
    adopt: str = typer.Option(..., "--adopt", help="Reviewer whose assessment is agreed."),
    outcome: str = typer.Option("", "--outcome", help="Outcome, for result-level tools."),
    project: Path = PROJECT,
) -> None:
    """Record a consensus: one reviewer's current assessment, as agreed."""
    from alsreview.appraisal.assessments import adopt_as_consensus
    from alsreview.store import Project

    with Project.open(project) as p:
        row = adopt_as_consensus(p, study, tool, adopt, outcome=outcome)
    typer.echo(f"consensus for {study} ({tool}): overall {row.overall}")


def register_rob(app: typer.Typer) -> None:
    """Add `rob` and `rob-plot` to the main app."""
    app.add_typer(rob_app, name="rob")

    @app.command("rob-plot")
    def rob_plot(
        out: Path = typer.Option(..., "--out", help="Folder for the SVG and PNG files."),
        tool: str = typer.Option("rob2", "--tool", help=TOOL_HELP),
        csv: Path | None = typer.Option(None, "--csv", help="A robvis CSV to plot."),
        project: Path | None = typer.Option(None, "--project", help="Plot a project's judgements."),
        palette: str = typer.Option("cochrane", "--palette", help="cochrane or colourblind."),
    ) -> None:
        """Traffic-light and summary plots (robvis style) as SVG and PNG."""
        from alsreview.appraisal.robvis_csv import read_robvis_csv
        from alsreview.appraisal.table import RobTable
        from alsreview.errors import ValidationError
        from alsreview.report.robvis import PALETTES, write_rob_plots

        if palette not in PALETTES:
            raise ValidationError(f"unknown palette {palette!r}; use {', '.join(PALETTES)}")
        if csv is not None:
            table = read_robvis_csv(csv, tool)
        elif project is not None:
            from alsreview.store import Project

            with Project.open(project) as p:
                table = RobTable.from_store(p, tool)
        else:
            raise ValidationError(
                "give --csv FILE or --project DIR: the bundled published appraisals hold no "
                "domain judgements (Blume et al. 2026 print none per study)"
            )
        if not table.rows:
            raise ValidationError(f"no {tool} judgements to plot")
        for path in write_rob_plots(table, out, palette):
            typer.echo(str(path))
