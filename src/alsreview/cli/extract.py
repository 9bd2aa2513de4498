"""CLI of the extraction stage: `extract ...` and `fulltext ...` on a project folder.

alsreview extract study ID --record N [--record M] [--label L]   a study from its records
alsreview extract set ID FIELD VALUE --from LOCATOR [--reviewer R]   one field of a form
alsreview extract show ID [--json]                      every reviewer's and the consensus
alsreview extract compare ID [--json]                    dual extraction, field by field
alsreview extract consensus ID [--take F=R] [--value F=JSON]  the agreed version
alsreview extract add FILE.json [--consensus]            entries in the evidence format
alsreview extract export --out FILE.json|FILE.csv        the evidence base / the table
alsreview extract suggest FILE --json                    assisted extraction (no project)
alsreview fulltext add ID FILE                           attach a PDF or text
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

PROJECT_OPTION = typer.Option(Path("."), "--project", "-p", help="Project folder.")
REVIEWER_OPTION = typer.Option(
    None, "--reviewer", help="Who extracts (default: $ALSREVIEW_USER or the login name)."
)

extract_app = typer.Typer(
    help="Extract data from included studies: forms, dual extraction, consensus, export.",
    no_args_is_help=True,
)
fulltext_app = typer.Typer(help="Full texts of included studies.", no_args_is_help=True)


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _pairs(items: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{what} must read FIELD=..., got {item!r}")
        out[key.strip()] = value.strip()
    return out


@extract_app.command("study")
def study_command(
    study_id: str = typer.Argument(..., help="Study id: lower-case letters, digits, _ or -."),
    record: list[int] = typer.Option(..., "--record", "-r", help="Record id(s) of its reports."),
    label: str | None = typer.Option(None, "--label", help="Label, e.g. 'Syková 2017'."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Make an included study from its record(s), or link more records (reports) to it."""
    from alsreview.extraction.review import add_study
    from alsreview.store import Project

    with Project.open(project) as p:
        add_study(p, study_id, list(record), label)
    typer.echo(f"study {study_id}: records {', '.join(map(str, record))}")


@extract_app.command("set")
def set_command(
    study_id: str = typer.Argument(...),
    field: str = typer.Argument(..., help="Field path, e.g. patients_enrolled, schedule.interval"),
    value: str = typer.Argument(..., help="The value (JSON, or text); 'null' removes the field."),
    source: str | None = typer.Option(
        None, "--from", help="Where it was read: 'Table 2', 'page 3' or 'paper-key: locator'."
    ),
    note: str | None = typer.Option(None, "--note"),
    reviewer: str | None = REVIEWER_OPTION,
    project: Path = PROJECT_OPTION,
) -> None:
    """Set one field of your extraction of a study (checked against the evidence model)."""
    from alsreview.extraction.fields import field_for
    from alsreview.extraction.review import fact, set_field
    from alsreview.store import Project

    parsed = _json_or_text(value)
    if field_for(field).is_fact and parsed is not None:
        if not source:
            raise typer.BadParameter("--from is required: say where the value was read")
        parsed = fact(parsed, source, note)
    with Project.open(project) as p:
        set_field(p, study_id, field, parsed, reviewer=reviewer)
    typer.echo(f"{study_id}: {field} set")


@extract_app.command("show")
def show_command(
    study_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
    project: Path = PROJECT_OPTION,
) -> None:
    """Every reviewer's current extraction of a study, and the consensus."""
    from alsreview.store import Project
    from alsreview.store import extractions as xs

    with Project.open(project) as p:
        xs.require_study(p, study_id)
        current = xs.current_extractions(p, study_id)
    out = {f"{e.kind}:{e.reviewer}" if e.kind == "reviewer" else "consensus": e.data
           for e in current}  # fmt: skip
    typer.echo(json.dumps(out, ensure_ascii=False, indent=1 if not as_json else None))


@extract_app.command("compare")
def compare_command(
    study_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json"),
    rel_tol: float = typer.Option(1e-3, "--rel-tol", help="Relative tolerance for numbers."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Compare the reviewers' extractions field by field and list the disagreements."""
    from alsreview.extraction.review import compare_study
    from alsreview.store import Project

    with Project.open(project) as p:
        comparisons = compare_study(p, study_id, rel_tol=rel_tol)
    if as_json:
        typer.echo(json.dumps([c.to_dict() for c in comparisons], ensure_ascii=False, default=str))
        return
    if not comparisons:
        typer.echo(f"{study_id}: fewer than two reviewers have extracted it")
    for c in comparisons:
        typer.echo(c.summary())


@extract_app.command("consensus")
def consensus_command(
    study_id: str = typer.Argument(...),
    take: list[str] = typer.Option(None, "--take", help="FIELD=REVIEWER: that reviewer's value."),
    value: list[str] = typer.Option(
        None, "--value", help='FIELD=JSON: the agreed fact, e.g. {"value": 19, "from": ["p 2"]}.'
    ),
    project: Path = PROJECT_OPTION,
) -> None:
    """Save the consensus: agreed fields taken, every disagreement resolved explicitly."""
    from alsreview.extraction.review import make_consensus
    from alsreview.store import Project

    values = {k: _json_or_text(v) for k, v in _pairs(value, "--value").items()}
    with Project.open(project) as p:
        result = make_consensus(p, study_id, take=_pairs(take, "--take"), values=values)
    typer.echo(
        f"{study_id}: consensus saved ({len(result.agreed)} fields agreed, "
        f"{len(result.resolved)} resolved)"
    )


@extract_app.command("add")
def add_command(
    file: Path = typer.Argument(..., help="Study entries in the evidence format (JSON)."),
    consensus: bool = typer.Option(
        False, "--consensus", help="Store them as agreed versions, not as your extraction."
    ),
    reviewer: str | None = REVIEWER_OPTION,
    project: Path = PROJECT_OPTION,
) -> None:
    """Load study entries (bundled evidence format) into the project, all or nothing."""
    from alsreview.extraction.review import add_entries
    from alsreview.store import Project

    with Project.open(project) as p:
        ids = add_entries(p, file, reviewer=reviewer, consensus=consensus)
    typer.echo(f"{len(ids)} studies added from {file}: {', '.join(ids)}")


@extract_app.command("export")
def export_command(
    out: Path = typer.Option(..., "--out", help="FILE.json (evidence format) or FILE.csv."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Write the project's evidence base (JSON) or its extraction table (CSV)."""
    from alsreview.extraction.review import export_csv, export_json
    from alsreview.store import Project

    with Project.open(project) as p:
        if out.suffix.lower() == ".csv":
            n = export_csv(p, out)
            typer.echo(f"{n} extraction rows written to {out}")
            return
        pe = export_json(p, out)
    typer.echo(f"{len(pe.base.studies)} studies written to {out}")
    for why in pe.pending:
        typer.echo(f"not exported: {why}", err=True)


@extract_app.command("suggest")
def suggest_command(
    file: Path | None = typer.Argument(
        None, help="A full text (PDF or text) or an abstract (text)."
    ),
    study: str | None = typer.Option(
        None, "--study", help="Instead of FILE: the full text stored for this study."
    ),
    project: Path = PROJECT_OPTION,
    as_json: bool = typer.Option(False, "--json", help='Print {"suggestions": [...]}.'),
) -> None:
    """Propose values for the ALS fields, each with its evidence span and a confidence.

    Suggestions are for you to check and accept (`extract set`); nothing is stored."""
    from alsreview.extraction.suggest import suggest, suggest_file

    if (file is None) == (study is None):
        raise typer.BadParameter("give a FILE or --study ID (with --project), not both")
    if study is not None:
        from alsreview.errors import StoreError
        from alsreview.store import Project
        from alsreview.store import extractions as xs

        with Project.open(project) as p:
            xs.require_study(p, study)
            texts = xs.fulltexts(p, study)
        if not texts:
            raise StoreError(f"study {study} has no full text: alsreview fulltext add {study} FILE")
        found = suggest(list(texts[-1].pages))
    else:
        found = suggest_file(str(file))
    if as_json:
        typer.echo(json.dumps({"suggestions": [s.to_dict() for s in found]}, ensure_ascii=False))
        return
    for s in found:
        quote = " ".join(s.quote.split())
        typer.echo(f'{s.field} = {s.value!r}  ({s.confidence:.2f}, page {s.page})\n    "{quote}"')


@fulltext_app.command("add")
def fulltext_add_command(
    study_id: str = typer.Argument(...),
    file: Path = typer.Argument(..., help="PDF or plain-text full text."),
    project: Path = PROJECT_OPTION,
) -> None:
    """Attach a full text to a study: text extracted page by page and stored."""
    from alsreview.extraction.fulltext import attach_fulltext
    from alsreview.store import Project

    with Project.open(project) as p:
        text = attach_fulltext(p, study_id, file)
    typer.echo(f"{study_id}: {file.name} stored ({text.n_pages} pages, {text.n_chars} characters)")


@fulltext_app.command("list")
def fulltext_list_command(project: Path = PROJECT_OPTION) -> None:
    """The project's full texts."""
    from alsreview.store import Project
    from alsreview.store import extractions as xs

    with Project.open(project) as p:
        for t in xs.fulltexts(p):
            typer.echo(f"{t.id}\t{t.study_id}\t{t.media}\t{len(t.pages)} pages\t{t.filename}")


def register(app: typer.Typer) -> None:
    """Add `extract`, `fulltext` and `example` to the main app."""
    app.add_typer(extract_app, name="extract")
    app.add_typer(fulltext_app, name="fulltext")

    @app.command("example")
    def example_command(
        directory: Path = typer.Argument(..., help="Folder for the example project."),
        db: str | None = typer.Option(None, "--db", help="PostgreSQL URL (default: SQLite)."),
    ) -> None:
        """Build a small review end to end (import, dedup, dual screening, extraction,
        appraisal, trial) from packaged files and write its report: DIR/report/index.html."""
        from alsreview.example import build_example

        result = build_example(directory, url=db)
        typer.echo(f"example project in {result.project}; {len(result.studies)} studies extracted")
        typer.echo(f"report written to {result.report}")
