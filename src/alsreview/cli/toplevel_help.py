"""`alsreview --help` as the Typer app prints it on a terminal of 80 or more columns.

Generated from the app by `python -m alsreview.cli.toplevel_help` (do not edit by hand);
`tests/cli/test_fast_help.py` fails when it differs from what the app prints, so a new or
renamed command means re-running that.  `alsreview.cli.main` prints it without importing
Typer or the command modules (BENCHMARKS.md, `alsreview --help`).
"""

TEXT = """\
Usage: alsreview [OPTIONS] COMMAND [ARGS]...

  Evidence synthesis for stem-cell therapy in ALS.

Options:
  --help  Show this message and exit.

Commands:
  report     Write DIR/index.html (self-contained) and every figure as...
  meta       Pool the studies in FILE.csv as metafor's escalc + rma (or...
  init       Make a review project, starting from the bundled ALS...
  search     Run the protocol's searches and import the records (only new...
  import     Import files, each in one transaction: a file that fails...
  export     Write the project's records with their newest screening...
  prisma     PRISMA 2020 flow counts computed from the project store.
  dedup      Find duplicates in FILE: exact PMID/DOI, then blocked fuzzy...
  screen     Screen records one by one: i include, e exclude, m maybe, u...
  agreement  Agreement between reviewers at an unblinded stage.
  conflicts  List conflicts at an unblinded stage, or resolve one...
  unblind    Show every reviewer's decisions at a stage (the project...
  simulate   Replay a labelled set through the ranking (one included, one...
  rob-plot   Traffic-light and summary plots (robvis style) as SVG and PNG.
  appraise   Appraise STUDY in a terminal form and store it in the...
  example    Build a small review end to end (import, dedup, dual...
  serve      Serve the web app for a review team (screening, conflicts,...
  evidence   The evidence-base file: its JSON Schema and its checks.
  protocol   The review protocol file (protocol.toml): its JSON Schema...
  trial      Analyse a trial's individual-patient ALSFRS-R, FVC, weakness...
  decisions  Decisions made elsewhere (CSV, ASReview, Rayyan).
  rob        Risk-of-bias appraisals in a project: robvis CSV in/out,...
  extract    Extract data from included studies: forms, dual extraction,...
  fulltext   Full texts of included studies.
  user       Web accounts of a project.
"""

if __name__ == "__main__":
    import re
    from pathlib import Path

    from alsreview.cli import render_top_help

    text = render_top_help()
    if '"""' in text or "\\" in text:
        raise SystemExit("the help text needs escaping: write it with repr()")
    here = Path(__file__)
    source = here.read_text(encoding="utf-8")
    new = re.sub(
        r"^TEXT = .*?(?=\n\nif __name__)",
        lambda _m: f'TEXT = """\\\n{text}"""',
        source,
        count=1,
        flags=re.S | re.M,
    )
    here.write_text(new, encoding="utf-8")
    print(f"{here} written")
