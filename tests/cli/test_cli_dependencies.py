"""Every third-party module `src/` imports is a declared runtime dependency with both bounds.

(typer 0.29 vendors click: an undeclared `import click` broke every usage error, issue 8.)
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "alsreview").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"alsreview", "__future__"}


def _declared() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for spec in deps:
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0)
        out[name.lower().replace("_", "-")] = spec
    return out


def test_every_imported_module_is_declared_with_lower_and_upper_bound():
    dists = packages_distributions()
    declared = _declared()
    missing = []
    for module in sorted(_imported_top_level_modules()):
        names = [d.lower().replace("_", "-") for d in dists.get(module, [module])]
        spec = next((declared[n] for n in names if n in declared), None)
        if spec is None:
            missing.append(f"{module} (distribution {names}) is not a runtime dependency")
        elif ">=" not in spec or "<" not in spec.replace("<=", ""):
            missing.append(f"{spec}: needs a lower and an upper bound")
    assert not missing, missing


def test_every_declared_dependency_has_both_bounds():
    for spec in _declared().values():
        assert ">=" in spec and "<" in spec.split(">=", 1)[1], spec


#: Runtime dependencies that src/ never imports by name but needs at run time: FastAPI
#: imports python-multipart itself to parse the web app's login, decision and upload forms
#: (`Form(...)`, `UploadFile` in web/pages.py) and refuses to start without it.
RUNTIME_DRIVERS = {"python-multipart": "FastAPI's form parser (web/pages.py Form, UploadFile)"}


def test_every_declared_runtime_dependency_is_imported_by_src():
    """The reverse of the test above: a runtime dependency nothing imports belongs in an
    extra (test-only ones in [test]), or in RUNTIME_DRIVERS with the reason."""
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    imported = _imported_top_level_modules()
    unused = [
        spec
        for name, spec in _declared().items()
        if name not in RUNTIME_DRIVERS and not modules_of.get(name, {name}) & imported
    ]
    assert not unused, f"declared but never imported by src/alsreview: {unused}"


def test_runtime_drivers_are_really_needed():
    # python-multipart: FastAPI checks for it when a route declares form fields
    source = (ROOT / "src" / "alsreview" / "web" / "pages.py").read_text(encoding="utf-8")
    assert "Form(" in source and "UploadFile" in source
    assert set(RUNTIME_DRIVERS) <= set(_declared())
