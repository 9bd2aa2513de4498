"""`alsreview appraise`: risk-of-bias judgements from answers (the library is `appraisal/`).

- `alsreview appraise judge --tool TOOL FILE.json [--json]`: FILE holds answers keyed by the
  official form's question ids (`{"1.1": "Y", ...}`, JBI `{"1": "yes", ...}`) and/or domain
  judgements (`{"D1": "moderate"}`); prints `{"domains": {...}, "overall": "..."}`.
- `alsreview appraise tools`: the bundled instruments.
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
    """Add `appraise` to the main app."""

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
    ) -> None:
        """Judge risk of bias from a file of answers (`judge`) or list the tools (`tools`)."""
        import json

        from alsreview.appraisal import TOOLS, count_rule, judge, load_instrument
        from alsreview.errors import ValidationError

        if target == "tools":
            for key in TOOLS:
                inst = load_instrument(key)
                typer.echo(f"{key:13} {inst.name} ({inst.version})")
            return
        if target != "judge":
            raise ValidationError(
                f"{target!r}: the interactive form needs a project (not available yet); "
                "use `alsreview appraise judge --tool TOOL FILE.json`"
            )
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
