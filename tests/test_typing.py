"""mypy in CI (issue 9 part 6): src/alsreview type-checks cleanly with the [tool.mypy]
configuration in pyproject.toml (non-strict; untyped third-party libraries ignored); and no
public function or method says ``Any`` in its signature, outside a short allow-list with
reasons (read from the source with ``ast``)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # cold cache (a clean CI clone): ~25 s of CPU; warm: ~3 s
def test_mypy_reports_no_errors():
    # the default cache, ROOT/.mypy_cache (git-ignored), makes reruns incremental
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(ROOT / "src" / "alsreview"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"mypy failed:\n{proc.stdout}\n{proc.stderr}"
    assert "Success: no issues found" in proc.stdout, proc.stdout


# --------------------------------------------------------------------------- no bare Any

SRC = ROOT / "src" / "alsreview"

#: public signatures that may still mention ``Any``, by "module:qualname" or by prefix
#: ("package." or "module:"), each with the reason.  JSON data is typed with `alsreview.typealiases`
#: (JSONDict, JSONValue), which this check does not flag: they name what the value is.
ALLOWED = {
    "alsreview.records.model:Record.copy": "dataclasses.replace's own signature: any field",
    "alsreview.evidence.model:Study.facts": "Fact fields of different value types together",
    "alsreview.store.appraisals:save_appraisal": "the AppraisalRow fields by name",
    "alsreview.store.records:raw_data": "a SQLAlchemy column expression",
    "alsreview.store.records:decode_records": "SQLAlchemy result rows (id, JSON text)",
}


def _mentions_any(node: ast.expr | None) -> bool:
    return node is not None and any(
        (isinstance(n, ast.Name) and n.id == "Any")
        or (isinstance(n, ast.Attribute) and n.attr == "Any")
        or (isinstance(n, ast.Constant) and isinstance(n.value, str) and "Any" in n.value)
        for n in ast.walk(node)
    )


def public_signatures_with_any(src: Path = SRC) -> list[str]:
    """ "module:qualname" of every public function and method (of a public class) whose
    parameters or return annotation mention ``Any``; private modules/names are skipped."""
    found = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src.parent).with_suffix("")
        if any(p.startswith("_") and p != "__init__" for p in rel.parts):
            continue
        module = ".".join(p for p in rel.parts if p != "__init__")

        def visit(body: list[ast.stmt], prefix: str, module: str = module) -> None:
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    if node.name.startswith("_"):
                        continue
                    a = node.args
                    args = [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]
                    if _mentions_any(node.returns) or any(
                        x is not None and _mentions_any(x.annotation) for x in args
                    ):
                        found.append(f"{module}:{prefix}{node.name}")
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    visit(node.body, f"{prefix}{node.name}.")

        visit(ast.parse(path.read_text(encoding="utf-8")).body, "")
    return found


def _allowed(name: str) -> bool:
    return any(name == key or (key[-1] in ".:" and name.startswith(key)) for key in ALLOWED)


def test_no_public_signature_mentions_any_outside_the_allow_list():
    bad = [name for name in public_signatures_with_any() if not _allowed(name)]
    assert bad == [], "type these (numpy.typing.ArrayLike, JSONDict, the result class...)"


def test_every_allow_list_entry_is_still_needed():
    found = public_signatures_with_any()
    stale = [key for key in ALLOWED if not any(_allowed(n) and n.startswith(key) for n in found)]
    assert stale == []


def test_the_json_aliases_are_the_only_ones():
    from alsreview import typealiases

    assert typealiases.__all__ == ["JSONDict", "JSONValue"]


def test_the_check_finds_a_planted_any(tmp_path):
    pkg = tmp_path / "alsreview"
    (pkg / "meta").mkdir(parents=True)
    (pkg / "meta" / "x.py").write_text(
        "from typing import Any\n"
        "def f(a: int) -> 'dict[str, Any]': ...\n"
        "def _g(a: Any) -> None: ...\n"
        "class C:\n    def m(self, *args: Any) -> None: ...\n"
        "def h(a: int) -> int: ...\n"
    )
    (pkg / "_private.py").write_text("from typing import Any\ndef f(a: Any) -> None: ...\n")
    assert public_signatures_with_any(pkg) == ["alsreview.meta.x:f", "alsreview.meta.x:C.m"]
