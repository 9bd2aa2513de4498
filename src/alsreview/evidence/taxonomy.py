"""Cell types, routes, cell sources and designs, as data (`data/taxonomy.json`).

In: free text as papers write it ("NTF-MSC autologous", "Intrathecal L2-3 level").
Out: taxonomy codes ("MSC-NTF", "IT") used everywhere else, so grouping by cell type or
route never depends on spelling.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    family: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    cell_types: dict[str, Term]
    routes: dict[str, Term]
    cell_sources: dict[str, Term]
    designs: dict[str, Term]

    def cell_type(self, text: str) -> str:
        """Code of the cell type named by `text` (exact alias match, case-insensitive)."""
        return _lookup(self.cell_types, text, "cell type")

    def route(self, text: str) -> str:
        return _lookup(self.routes, text, "route")


def _key(text: str) -> str:
    return re.sub(r"[\s_]+", " ", text.strip().lower())


def _lookup(terms: dict[str, Term], text: str, what: str) -> str:
    k = _key(text)
    for term in terms.values():
        if k == _key(term.code) or k == _key(term.name) or k in {_key(a) for a in term.aliases}:
            return term.code
    known = ", ".join(terms)
    raise KeyError(f"unknown {what} {text!r}; known codes: {known}")


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The bundled taxonomy (read once)."""
    raw = json.loads(resources.files("alsreview.data").joinpath("taxonomy.json").read_text("utf-8"))

    def terms(items: list[dict]) -> dict[str, Term]:
        return {
            i["code"]: Term(
                code=i["code"],
                name=i["name"],
                family=i.get("family", ""),
                aliases=tuple(i.get("aliases", ())),
            )
            for i in items
        }

    return Taxonomy(
        cell_types=terms(raw["cell_types"]),
        routes=terms(raw["routes"]),
        cell_sources=terms(raw["cell_sources"]),
        designs=terms(raw["designs"]),
    )


def route_label(codes: list[str] | tuple[str, ...]) -> str:
    """A combination of routes as one group label, in a fixed order: 'IT + IM'."""
    order = list(load_taxonomy().routes)
    return " + ".join(sorted(set(codes), key=order.index)) if codes else "not reported"
