"""The layering of DESIGN.md, read from the source: lower stages never import higher ones.

    errors < records, evidence, protocol, prisma < dedup, sources, store
           < screening, appraisal, extraction, meta, trial < report < web, cli, example

Every `import`/`from ... import` in `src/alsreview` is read with `ast`, including imports
inside functions and under `TYPE_CHECKING` (a lazy import is still a dependency). No module
anywhere may use pyplot or `matplotlib.use` (figures are `matplotlib.figure.Figure`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "alsreview"

LEVELS: dict[str, int] = {
    "__init__": 0,
    "__main__": 6,
    "errors": 0,
    "results": 0,
    "typealiases": 0,
    "exports": 0,
    "inputs": 0,
    "records": 1,
    "evidence": 1,
    "protocol": 1,
    "prisma": 1,
    "data": 1,
    "dedup": 2,
    "sources": 2,
    "store": 2,
    "screening": 3,
    "appraisal": 3,
    "extraction": 3,
    "meta": 3,
    "trial": 3,
    "report": 4,
    "web": 5,
    "cli": 5,
    "example": 5,  # builds a whole project and its report, like a CLI session
}


def _stage(module_path: Path, src: Path = SRC) -> str:
    rel = module_path.relative_to(src)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path, src: Path = SRC) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ["alsreview", *path.relative_to(src).with_suffix("").parts][:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            if name in ("alsreview", "matplotlib"):  # `from alsreview import report`
                out += [(node.lineno, f"{name}.{a.name}") for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "use"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "matplotlib"
        ):
            out.append((node.lineno, "matplotlib.use"))
    return out


def _modules(src: Path = SRC) -> list[Path]:
    return sorted(src.rglob("*.py"))


def _violations(src: Path = SRC) -> list[str]:
    bad = []
    for path in _modules(src):
        stage = _stage(path, src)
        level = LEVELS[stage]
        for line, name in _imports(path, src):
            where = f"{path.relative_to(src.parent)}:{line}"
            if name in ("matplotlib.pyplot", "matplotlib.use") or name.startswith(
                "matplotlib.pyplot."
            ):
                bad.append(f"{where} uses {name} (draw on matplotlib.figure.Figure)")
                continue
            parts = name.split(".")
            if parts[0] != "alsreview" or len(parts) < 2 or parts[1] == "__version__":
                continue
            target = parts[1]
            if target not in LEVELS:
                continue  # a name imported from the package root, e.g. `from alsreview import x`
            if LEVELS[target] > level:
                bad.append(
                    f"{where}: {stage} (level {level}) imports {name} (level {LEVELS[target]})"
                )
    return bad


def test_every_stage_has_a_level():
    stages = {_stage(p) for p in _modules()}
    assert stages <= set(LEVELS), sorted(stages - set(LEVELS))


def test_no_stage_imports_a_higher_one_and_nothing_uses_pyplot():
    assert _violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from alsreview.report.section import Section\n", "imports alsreview.report"),
        ("def f():\n    from alsreview.cli import app\n", "imports alsreview.cli"),
        ("import matplotlib.pyplot as plt\n", "uses matplotlib.pyplot"),
        ("import matplotlib\nmatplotlib.use('Agg')\n", "uses matplotlib.use"),
        ("from ..report import build\n", "imports alsreview.report"),
        ("from .. import report\n", "imports alsreview.report"),
        ("from matplotlib import pyplot\n", "uses matplotlib.pyplot"),
    ],
)
def test_the_check_catches_a_bad_import(tmp_path, source, expected):
    """Planted in a module of `meta/`, each of these is reported (the check can fail)."""
    fake = tmp_path / "alsreview"
    (fake / "meta").mkdir(parents=True)
    (fake / "meta" / "planted.py").write_text(source)
    (fake / "meta" / "fine.py").write_text("from alsreview.evidence import load_evidence\n")
    found = _violations(fake)
    assert len(found) == 1 and expected in found[0], found
