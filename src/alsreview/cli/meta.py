"""`alsreview meta FILE.csv`: a meta-analysis of a CSV whose columns carry metafor's names.

In: a CSV with ``yi, vi`` (or ``sei``), or the raw columns of ``--measure`` (ai, bi, ci, di,
n1i, n2i, xi, ni, mi, m1i, sd1i, m2i, sd2i, sdi, ri), optional moderator columns.
Out: a printed summary, or with ``--json`` one JSON object under the reference files' key
names (estimate, se, zval, pval, ci_lb, ci_ub, tau2, se_tau2, I2, H2, QE, QEp, k, and the
objects predict, confint, regtest, ranktest, trimfill, leave1out, influence, fsn, metareg).
Only typer and the standard library are imported at module level.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import typer

NUMERIC = (
    "yi", "vi", "sei", "ai", "bi", "ci", "di", "n1i", "n2i", "xi", "ni", "mi",
    "m1i", "m2i", "sd1i", "sd2i", "sdi", "ri",
)  # fmt: skip


def read_columns(path: Path, wanted: list[str]) -> dict[str, list[Any]]:
    """Read ``path`` as CSV; metafor-named columns (and ``wanted``) as numbers.

    Raises ImportFormatError naming the file, the line and the column of a bad cell.
    """
    from alsreview.errors import ImportFormatError

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFormatError(str(path), f"cannot read the file ({exc.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFormatError(str(path), "empty file: expected a header row", line=1)
    header = [h.strip() for h in rows[0]]
    for name in wanted:
        if name not in header:
            raise ImportFormatError(
                str(path), f"no column {name!r} (columns: {', '.join(header)})", line=1
            )
    cols: dict[str, list[Any]] = {h: [] for h in header}
    numeric = set(NUMERIC)
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportFormatError(
                str(path), f"{len(row)} cells where the header has {len(header)}", line=line_no
            )
        for name, cell in zip(header, row, strict=True):
            cell = cell.strip()
            if name in numeric:
                try:
                    value: Any = float(cell) if cell not in ("", "NA") else math.nan
                except ValueError:
                    raise ImportFormatError(
                        str(path), f"column {name}: {cell!r} is not a number", line=line_no
                    ) from None
            else:
                value = cell
            cols[name].append(value)
    if not cols[header[0]]:
        raise ImportFormatError(str(path), "no data rows")
    return cols


def _moderator(values: list[Any]) -> list[Any]:
    """Numbers if every value parses as one, else the text (a factor)."""
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        return [str(v) for v in values]


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def run_meta(
    path: Path,
    measure: str | None,
    method: str,
    test: str,
    mods: list[str],
) -> tuple[dict[str, Any], str]:
    """Everything the command prints: (JSON-ready dict, text summary)."""
    import numpy as np

    from alsreview.errors import ValidationError
    from alsreview.meta.effects import escalc
    from alsreview.meta.rma import rma

    cols = read_columns(path, mods)
    method_u = method.upper()
    if measure is None:
        measure = "GEN" if "yi" in cols else ("OR" if method_u in ("MH", "PETO") else "")
        if not measure:
            raise ValidationError(f"{path}: no yi column; give --measure for the raw columns")
    measure = measure.upper()

    if method_u in ("MH", "PETO"):
        from alsreview.meta.mh import rma_mh, rma_peto

        args = {k: np.asarray(cols[k], float) for k in ("ai", "bi", "ci", "di", "n1i", "n2i")
                if k in cols}  # fmt: skip
        if method_u == "MH":
            res: Any = rma_mh(**args, measure=measure)
        else:
            res = rma_peto(**args)
        return _clean(res.to_dict()), res.summary()

    es = escalc(measure, cols)
    bad = np.flatnonzero(~np.isfinite(es.yi) | ~np.isfinite(es.vi))
    if bad.size:
        rows = ", ".join(str(i + 2) for i in bad[:10])
        raise ValidationError(f"{path}: no effect size computable on line {rows}")
    mod_data = {name: _moderator(cols[name]) for name in mods} if mods else None
    fit = rma(es.yi, es.vi, mods=mod_data, method=method, test=test)
    out: dict[str, Any] = {"measure": measure, **fit.to_dict()}
    text = [fit.summary()]
    if not fit.has_moderators:
        pred = fit.predict()
        out["predict"] = pred.to_dict()
        text.append(pred.summary())
        if fit.method not in ("EE", "GENQ") and fit.k > 1:
            ci = fit.confint()
            out["confint"] = ci.to_dict()
            text.append(ci.summary())
        out.update(_diagnostics(fit, es.yi, es.vi, text))
    else:
        out = {"measure": measure, "k": fit.k, "metareg": fit.to_dict()}
        out["metareg"]["moderator"] = mods[0] if len(mods) == 1 else mods
    return _clean(out), "\n\n".join(text)


def _diagnostics(fit: Any, yi: Any, vi: Any, text: list[str]) -> dict[str, Any]:
    """Publication-bias and influence objects from meta-B's modules (when present)."""
    out: dict[str, Any] = {}
    try:
        from alsreview.meta import bias, influence
    except ImportError:  # modules of the other half of the stage not installed yet
        return out
    from alsreview.errors import AlsreviewError

    steps = {
        "regtest": lambda: bias.regtest(fit),
        "ranktest": lambda: bias.ranktest(fit),
        "trimfill": lambda: bias.trimfill(fit),
        "fsn": lambda: bias.fsn(yi, vi),
        "leave1out": lambda: influence.leave1out(fit),
        "influence": lambda: influence.influence(fit),
    }
    for name, step in steps.items():
        if fit.k < 3 and name in ("regtest", "ranktest", "trimfill"):
            continue
        try:
            res = step()
        except AlsreviewError as exc:
            out[name] = {"error": str(exc)}
            continue
        out[name] = res.to_dict()
        if name in ("regtest", "ranktest", "trimfill", "fsn") and hasattr(res, "summary"):
            text.append(res.summary())
    return out


def register(app: typer.Typer) -> None:
    """Add `meta` to the main app."""

    @app.command("meta")
    def meta_command(
        file: Path = typer.Argument(..., help="CSV with metafor-named columns (yi, vi, ai, ...)."),
        measure: str | None = typer.Option(
            None, "--measure", help="escalc measure (RR, OR, RD, SMD, MD, ZCOR, MC, ...)."
        ),
        method: str = typer.Option(
            "REML",
            "--method",
            help="EE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM, GENQ, MH, PETO.",
        ),
        test: str = typer.Option("z", "--test", help="z or knha (Knapp-Hartung)."),
        mods: list[str] = typer.Option([], "--mods", help="Moderator column (repeat for several)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON (reference key names)."),
    ) -> None:
        """Pool the studies in FILE.csv as metafor's escalc + rma (or rma.mh / rma.peto)."""
        out, text = run_meta(file, measure, method, test, list(mods))
        typer.echo(json.dumps(out, indent=2) if as_json else text)
