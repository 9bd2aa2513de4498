"""Dual extraction: compare two reviewers' extractions of one study field by field.

Rules (per field kind, see `extraction.fields`):

- int / float: equal when ``|a - b| <= max(rel_tol * max(|a|, |b|), abs_tol)``
  (defaults rel_tol 0.001, abs_tol 1e-9: 12.30 and 12.3 agree, 12.3 and 12.4 do not);
- text: equal after Unicode NFKC, case folding, unified dashes and collapsed white space;
- code: taxonomy codes, aliases mapped to their code ("NurOwn" = "MSC-NTF");
- routes: the same set of route codes, order ignored;
- dose: both strings read by the dose parser and every quantity compared within the
  tolerance ("1.0x10^6/kg" = "1 × 10⁶ cells/kg"); an unreadable dose never agrees;
- outcomes / adverse events: items matched by (measure, comparison, subgroup, window) or by
  normalised term; each matched item compared on its numbers, unmatched items disagree.

Provenance and notes are not compared: two reviewers may cite different pages for one value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alsreview.extraction.fields import DEFAULT_FIELDS, KINDS, Field, get_path
from alsreview.results import Result
from alsreview.typealiases import JSONDict, JSONValue

if TYPE_CHECKING:
    import pandas as pd

REL_TOL = 1e-3
ABS_TOL = 1e-9


@dataclass(frozen=True)
class FieldComparison:
    """One field (or one part of a list field) of two extractions."""

    field: str
    a: Any
    b: Any
    agree: bool
    reason: str = ""

    def to_dict(self) -> JSONDict:
        return {
            "field": self.field,
            "a": self.a,
            "b": self.b,
            "agree": self.agree,
            "reason": self.reason,
        }


@dataclass(frozen=True, repr=False)
class Comparison(Result):
    """Field-by-field comparison of reviewer `a`'s and reviewer `b`'s extraction."""

    study_id: str
    reviewer_a: str
    reviewer_b: str
    fields: tuple[FieldComparison, ...] = field(default=())

    @property
    def disagreements(self) -> tuple[FieldComparison, ...]:
        return tuple(f for f in self.fields if not f.agree)

    @property
    def agreement(self) -> float:
        """Share of compared fields on which the reviewers agree (1.0 when none compared)."""
        return 1.0 if not self.fields else sum(f.agree for f in self.fields) / len(self.fields)

    def summary(self) -> str:
        head = (
            f"{self.study_id}: {self.reviewer_a} vs {self.reviewer_b}: "
            f"{len(self.fields) - len(self.disagreements)}/{len(self.fields)} fields agree"
        )
        lines = [head]
        for d in self.disagreements:
            lines.append(f"  {d.field}: {_show(d.a)} | {_show(d.b)}  ({d.reason})")
        return "\n".join(lines)

    def summary_frame(self) -> pd.DataFrame:
        """One row per compared field: both values, whether they agree and why not."""
        import pandas as pd

        return pd.DataFrame([f.to_dict() for f in self.fields])

    def to_dict(self) -> JSONDict:
        return {
            "study_id": self.study_id,
            "reviewer_a": self.reviewer_a,
            "reviewer_b": self.reviewer_b,
            "agreement": self.agreement,
            "fields": [f.to_dict() for f in self.fields],
        }


def _show(v: Any) -> str:
    return "(missing)" if v is None else repr(v)


def normalise_text(s: str) -> str:
    """Text as compared: NFKC, case-folded, dashes unified, white space collapsed."""
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = re.sub(r"[\u2010-\u2015\u2212]", "-", s)
    s = re.sub(r"\s+", " ", s)
    return s.strip(" .;,")


def numbers_agree(a: float, b: float, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=abs_tol)


def _code(kind_path: str, v: Any) -> Any:
    from alsreview.evidence.taxonomy import load_taxonomy

    tax = load_taxonomy()
    try:
        if kind_path == "cell_type":
            return tax.cell_type(str(v))
        if kind_path == "routes":
            return tax.route(str(v))
    except KeyError:
        pass
    return normalise_text(v) if isinstance(v, str) else v


def doses_agree(a: str, b: str, rel_tol: float = REL_TOL) -> tuple[bool, str]:
    """Whether two printed doses mean the same cells (both read by the dose parser)."""
    from alsreview.errors import DoseParseError
    from alsreview.evidence.dose import parse_dose

    try:
        da, db = parse_dose(a), parse_dose(b)
    except DoseParseError as exc:
        return False, f"unreadable dose: {exc}"
    if da.status != db.status:
        return False, f"{da.status} vs {db.status}"
    if len(da.options) != len(db.options):
        return False, "different numbers of dose alternatives"
    for oa, ob in zip(da.options, db.options, strict=True):
        if len(oa.components) != len(ob.components):
            return False, "different numbers of components"
        for ca, cb in zip(oa.components, ob.components, strict=True):
            if ca.unit != cb.unit:
                return False, f"unit {ca.unit} vs {cb.unit}"
            if ca.route != cb.route:
                return False, f"route {ca.route} vs {cb.route}"
            for x, y in ((ca.low, cb.low), (ca.high, cb.high), (ca.mean, cb.mean), (ca.sd, cb.sd)):
                if (x is None) != (y is None) or (
                    x is not None and not numbers_agree(x, y, rel_tol)  # type: ignore[arg-type]
                ):
                    return False, f"{da.format()} vs {db.format()}"
    return True, "same dose"


def values_agree(
    kind: str, path: str, a: JSONValue, b: JSONValue, rel_tol: float = REL_TOL
) -> tuple[bool, str]:
    """Compare two field values of one kind; returns (agree, why)."""
    if a is None or b is None:
        return (a is None and b is None), (
            "both missing" if a is None and b is None else "only one reviewer has a value"
        )
    if kind in ("int", "float"):
        try:
            ok = numbers_agree(a, b, rel_tol)
        except (TypeError, ValueError):
            return False, "not a number"
        return ok, "within tolerance" if ok else "numbers differ"
    if kind == "bool":
        return a == b, "same" if a == b else "differ"
    if kind == "code":
        ok = _code(path, a) == _code(path, b)
        return ok, "same code" if ok else "different codes"
    if kind == "routes":
        sa = {_code("routes", x) for x in (a if isinstance(a, list) else [a])}
        sb = {_code("routes", x) for x in (b if isinstance(b, list) else [b])}
        return sa == sb, "same routes" if sa == sb else "different routes"
    if kind == "dose":
        return doses_agree(str(a), str(b), rel_tol)
    ok = normalise_text(a) == normalise_text(b)
    return ok, "same after normalisation" if ok else "texts differ"


def _fact_value(x: Any) -> Any:
    return x.get("value") if isinstance(x, dict) else None


def _outcome_key(o: JSONDict) -> str:
    parts = [o.get("measure"), o.get("comparison"), o.get("subgroup"), o.get("window")]
    return " | ".join(normalise_text(p) for p in parts if p)


def _stat_cmp(prefix: str, a: JSONDict, b: JSONDict, rel_tol: float) -> list[FieldComparison]:
    out = []
    for key in ("n", "estimate", "dispersion", "low", "high"):
        va, vb = a.get(key), b.get(key)
        if va is None and vb is None:
            continue
        ok, why = values_agree("float", key, va, vb, rel_tol)
        out.append(FieldComparison(f"{prefix}.{key}", va, vb, ok, why))
    for key in ("dispersion_kind", "central", "unit"):
        va, vb = a.get(key), b.get(key)
        if va is None and vb is None:
            continue
        ok, why = values_agree("text", key, va, vb, rel_tol)
        out.append(FieldComparison(f"{prefix}.{key}", va, vb, ok, why))
    return out


def _compare_outcomes(a: list[dict], b: list[dict], rel_tol: float) -> list[FieldComparison]:
    ka = {_outcome_key(o): o for o in a}
    kb = {_outcome_key(o): o for o in b}
    out: list[FieldComparison] = []
    for key in list(ka) + [k for k in kb if k not in ka]:
        oa, ob = ka.get(key), kb.get(key)
        where = f"efficacy[{key}]"
        if oa is None or ob is None:
            out.append(
                FieldComparison(
                    where, oa and key, ob and key, False, "outcome reported by one reviewer only"
                )
            )
            continue
        for name in ("direction",):
            ok, why = values_agree("text", name, oa.get(name), ob.get(name))
            out.append(FieldComparison(f"{where}.{name}", oa.get(name), ob.get(name), ok, why))
        pa, pb = oa.get("p_value"), ob.get("p_value")
        if pa is not None or pb is not None:
            ok = (
                pa is not None
                and pb is not None
                and pa.get("relation", "=") == pb.get("relation", "=")
                and numbers_agree(pa["value"], pb["value"], rel_tol)
            )
            out.append(
                FieldComparison(
                    f"{where}.p_value", pa, pb, ok, "same p" if ok else "p-values differ"
                )
            )
        ga, gb = oa.get("groups", []), ob.get("groups", [])
        la = {normalise_text(g.get("label", "")): g for g in ga}
        lb = {normalise_text(g.get("label", "")): g for g in gb}
        if len(la) == len(ga) == len(gb) and set(la) == set(lb):
            pairs = [(k, la[k], lb[k]) for k in la]
        elif len(ga) == len(gb):  # same number of groups, labelled differently: by position
            pairs = [(str(i), x, y) for i, (x, y) in enumerate(zip(ga, gb, strict=True))]
        else:
            out.append(
                FieldComparison(
                    f"{where}.groups", len(ga), len(gb), False, "different numbers of groups"
                )
            )
            continue
        for label, x, y in pairs:
            out += _stat_cmp(f"{where}.groups[{label}]", x, y, rel_tol)
    return out


def _compare_aes(a: list[dict], b: list[dict], rel_tol: float) -> list[FieldComparison]:
    ka = {normalise_text(e.get("term", "")): e for e in a}
    kb = {normalise_text(e.get("term", "")): e for e in b}
    out: list[FieldComparison] = []
    for key in list(ka) + [k for k in kb if k not in ka]:
        ea, eb = ka.get(key), kb.get(key)
        where = f"safety.adverse_events[{key}]"
        if ea is None or eb is None:
            out.append(
                FieldComparison(
                    where, ea and key, eb and key, False, "event reported by one reviewer only"
                )
            )
            continue
        for name, kind in (
            ("serious", "bool"),
            ("related", "bool"),
            ("n_patients", "int"),
            ("n_events", "int"),
            ("severity", "text"),
        ):
            va, vb = ea.get(name), eb.get(name)
            if va is None and vb is None:
                continue
            ok, why = values_agree(kind, name, va, vb, rel_tol)
            out.append(FieldComparison(f"{where}.{name}", va, vb, ok, why))
    return out


def compare_field(
    f: Field, a: JSONDict, b: JSONDict, rel_tol: float = REL_TOL
) -> list[FieldComparison]:
    """Comparisons for one field of two partial study dicts (empty when neither has it)."""
    va, vb = get_path(a, f.path), get_path(b, f.path)
    if va is None and vb is None:
        return []
    if f.kind == "outcomes":
        return _compare_outcomes(va or [], vb or [], rel_tol)
    if f.kind == "adverse_events":
        return _compare_aes(va or [], vb or [], rel_tol)
    xa, xb = _fact_value(va), _fact_value(vb)
    ok, why = values_agree(f.kind, f.path, xa, xb, rel_tol)
    if va is None or vb is None:
        ok, why = False, "only one reviewer extracted this field"
    return [FieldComparison(f.path, xa, xb, ok, why)]


def compare_extractions(
    a: JSONDict,
    b: JSONDict,
    *,
    study_id: str = "",
    reviewer_a: str = "a",
    reviewer_b: str = "b",
    fields: tuple[Field, ...] | None = None,
    rel_tol: float = REL_TOL,
) -> Comparison:
    """Compare two reviewers' partial study dicts over the review's fields."""
    chosen = fields if fields is not None else tuple(Field(p, KINDS[p]) for p in DEFAULT_FIELDS)
    items: list[FieldComparison] = []
    for f in chosen:
        items += compare_field(f, a, b, rel_tol)
    return Comparison(study_id, reviewer_a, reviewer_b, tuple(items))
