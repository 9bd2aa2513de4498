"""Lazy package exports: ``from alsreview.meta import rma`` gives the function, not a module.

In: a package's module name and ``{public name: submodule}``.  Out: the package exports those
names (``__all__``), loading each submodule on first use, so importing the package stays
cheap; a function keeps its place even where a submodule has the same name (``rma`` in
``meta/rma.py``): the import system's ``setattr(package, "rma", <module>)`` after loading
the submodule is ignored for exported names.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["lazy_exports"]


class _LazyPackage(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in self.__dict__.get("_WHERE", {}):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, where: dict[str, str]) -> list[str]:
    """Install the lazy exports on ``package`` (call at the end of its ``__init__``);
    returns the sorted names for ``__all__``."""
    module = sys.modules[package]

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        module.__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(module.__dict__) | set(where))

    module.__dict__.update(_WHERE=dict(where), __getattr__=__getattr__, __dir__=__dir__)
    module.__class__ = _LazyPackage
    return sorted(where)
