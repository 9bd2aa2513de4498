"""Read cell doses as papers print them into structured quantities.

In: a dose string from a table cell, e.g. ``1.0x10^6/kg``, ``Between 4.8*10^7 and 8.6*10^7``,
``15 ± 4.5 × 10^6``, ``2.0x10⁶``, ``1.2x10^8 IT, 4.8x10^7 IM``, ``2.0x10^5 or 5.0x10^5``,
``Data not available``.  Out: a `Dose` (alternatives -> components -> `Quantity`).

Grammar (after normalising superscripts, ``×``/``*``/``x`` and spacing)::

    dose        := unavailable | option ((" or " | sentence break) option)*
    option      := [lead-in "A second group received"] component (("," | "+" | " and ") component)*
    component   := [route] amount [unit] [route]
    amount      := "between" number ("and" | "to") number | number ("to" | "-") number
                 | number "±" number | number
    number      := mantissa ["x10^" exponent] | "10^" exponent

A shared exponent is distributed the way papers mean it: in ``1.0-2.0x10^6`` and
``15 ± 4.5 x 10^6`` the exponent written once applies to both numbers.  Anything else raises
`DoseParseError` quoting the string and saying what was not understood; the parser never
guesses.  Suspicious but readable input (a range written high to low) is parsed and the
problem is kept in `Dose.warnings`, for the integrity checks to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from alsreview.errors import DoseParseError

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
UNITS = ("cells", "cells/kg", "cells/site")
_ROUTE_TAGS = {"IT": "IT", "IM": "IM", "IV": "IV", "IMD": "IMd", "IE": "IMd"}
_UNAVAILABLE = {
    "data not available": "not_available",
    "not available": "not_available",
    "not reported": "not_available",
    "nr": "not_available",
    "n/a": "not_available",
    "na": "not_available",
    "cells not counted": "not_counted",
    "not counted": "not_counted",
}
_LEAD_IN = re.compile(
    r"^(?:an?|the)\s+((?:[\w-]+\s+){1,2}?(?:group|cohort|arm))\s+received\s+", re.I
)
_NUM = r"\d+(?:[.,]\d+)?"
_EXP = r"x\s*10\s*\^\s*(-?\d+)"
_NUMBER = re.compile(rf"^({_NUM})\s*(?:{_EXP})?$|^10\s*\^\s*(-?\d+)$", re.I)


@dataclass(frozen=True)
class Quantity:
    """One amount of cells: a point (low == high), a range, or a mean ± SD."""

    low: float
    high: float
    unit: str = "cells"
    route: str | None = None
    mean: float | None = None
    sd: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low != self.high and self.mean is None


@dataclass(frozen=True)
class DoseOption:
    """One dosing alternative (a cohort or dose level); its components add up across routes."""

    components: tuple[Quantity, ...]
    label: str | None = None

    @property
    def units(self) -> set[str]:
        return {c.unit for c in self.components}

    @property
    def low(self) -> float | None:
        """Sum of component lows, or None when components mix units (cells vs cells/kg)."""
        return sum(c.low for c in self.components) if len(self.units) == 1 else None

    @property
    def high(self) -> float | None:
        return sum(c.high for c in self.components) if len(self.units) == 1 else None


@dataclass(frozen=True)
class Dose:
    """A parsed dose string. ``status`` is reported / not_available / not_counted."""

    text: str
    status: str = "reported"
    options: tuple[DoseOption, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def reported(self) -> bool:
        return self.status == "reported"

    @property
    def unit(self) -> str | None:
        """The single unit of every component, or None (unreported or mixed units)."""
        units = {u for o in self.options for u in o.units}
        return units.pop() if len(units) == 1 else None

    @property
    def low(self) -> float | None:
        """Smallest total over the alternatives (same unit only)."""
        lows = [o.low for o in self.options]
        known = [x for x in lows if x is not None]
        return min(known) if known and len(known) == len(lows) and self.unit else None

    @property
    def high(self) -> float | None:
        highs = [o.high for o in self.options]
        known = [x for x in highs if x is not None]
        return max(known) if known and len(known) == len(highs) and self.unit else None

    @property
    def routes(self) -> set[str]:
        return {c.route for o in self.options for c in o.components if c.route}

    def format(self) -> str:
        """Human-readable normalised form, e.g. '4.8×10⁷–8.6×10⁷ cells'."""
        if not self.reported:
            return "not counted" if self.status == "not_counted" else "not reported"
        parts = []
        for o in self.options:
            comp = " + ".join(_format_quantity(c) for c in o.components)
            parts.append(f"{o.label}: {comp}" if o.label else comp)
        return " or ".join(parts)


def parse_dose(text: str) -> Dose:
    """Parse a dose string; raise `DoseParseError` (quoting it) when it cannot be read."""
    if text is None or not str(text).strip():
        raise DoseParseError(str(text), "empty dose")
    raw = str(text)
    norm = _normalise(raw)
    key = norm.lower().strip(" .")
    if key in _UNAVAILABLE:
        return Dose(text=raw, status=_UNAVAILABLE[key])
    warnings: list[str] = []
    options: list[DoseOption] = []
    for chunk in _split_options(norm):
        label = None
        m = _LEAD_IN.match(chunk)
        if m:
            label = m.group(1).strip()
            chunk = chunk[m.end() :]
        components = tuple(_parse_component(raw, c, warnings) for c in _split_components(chunk))
        options.append(DoseOption(components=components, label=label))
    # A unit written once at the end ("... IT 1.0x10^6/kg") belongs to its own component only;
    # a unit on a bare trailing option is not spread to others: papers are explicit per item.
    return Dose(text=raw, options=tuple(options), warnings=tuple(warnings))


def _normalise(text: str) -> str:
    s = text.translate(_SUPERSCRIPTS)
    s = s.replace("\u00a0", " ").replace("−", "-").replace("–", "-").replace("—", "-")
    s = re.sub(r"\s*[×✕*]\s*(?=10)", "x", s)
    s = re.sub(r"(?<=\d)\s*[xX]\s*(?=10)", "x", s)
    # "10 6" after an 'x' (superscript lost a caret in extraction) -> "10^6"
    s = re.sub(r"x10\s+(-?\d)", r"x10^\1", s)
    s = re.sub(r"x10(?=-?\d)(?!\^)", "x10^", s) if re.search(r"x10-?\d\d?\b", s) else s
    s = re.sub(r"\s*/\s*kg", "/kg", s, flags=re.I)
    s = re.sub(r"\s*±\s*|\s*\+/-\s*", " ± ", s)
    return re.sub(r"\s+", " ", s).strip()


def _split_options(s: str) -> list[str]:
    parts = re.split(r"\s+or\s+|\.\s+(?=[A-Z])", s)
    return [p.strip(" .") for p in parts if p.strip(" .")]


def _split_components(s: str) -> list[str]:
    # "between A and B" keeps its "and"; other "and", "+", "," separate components.
    protected = re.sub(r"(?i)\bbetween\b(.*?)\band\b", lambda m: f"between{m.group(1)}&&", s)
    parts = re.split(r"\s*\+\s*|\s*,\s*|\s+and\s+", protected)
    return [p.replace("&&", "and").strip() for p in parts if p.strip()]


def _parse_component(raw: str, s: str, warnings: list[str]) -> Quantity:
    route = None
    tokens = s.split()
    if tokens and tokens[0].upper() in _ROUTE_TAGS:
        route = _ROUTE_TAGS[tokens.pop(0).upper()]
    if tokens and tokens[-1].upper() in _ROUTE_TAGS:
        if route:
            raise DoseParseError(raw, f"two routes given for one amount in {s!r}")
        route = _ROUTE_TAGS[tokens.pop().upper()]
    body = " ".join(tokens)
    unit = "cells"
    unit_match = re.search(r"\s*(?:cells)?\s*(/kg|/site|per kg|per site)$|\s*cells$", body, re.I)
    if unit_match:
        suffix = (unit_match.group(1) or "").lower().replace("per ", "/")
        unit = {"/kg": "cells/kg", "/site": "cells/site"}.get(suffix, "cells")
        body = body[: unit_match.start()].strip()
    if not body:
        raise DoseParseError(raw, f"no amount found in {s!r}")

    m = re.fullmatch(r"(?i)between\s+(.+?)\s+(?:and|to)\s+(.+)", body) or re.fullmatch(
        r"(.+?)\s*(?:\bto\b|-)\s*(.+)", body
    )
    if m:
        a_text, b_text = m.group(1).strip(), m.group(2).strip()
        a, a_exp = _number(raw, a_text)
        b, b_exp = _number(raw, b_text)
        if a_exp is None and b_exp is not None:
            a *= 10.0**b_exp  # shared exponent written once: "1.0-2.0x10^6"
        if a > b:
            warnings.append(f"range {s!r} is written high to low")
        lo, hi = min(a, b), max(a, b)
        return Quantity(low=lo, high=hi, unit=unit, route=route)
    m = re.fullmatch(r"(.+?)\s*±\s*(.+)", body)
    if m:
        mean, m_exp = _number(raw, m.group(1).strip())
        sd, s_exp = _number(raw, m.group(2).strip())
        if m_exp is None and s_exp is not None:
            mean *= 10.0**s_exp  # "15 ± 4.5 x 10^6": exponent applies to both
        return Quantity(low=mean, high=mean, unit=unit, route=route, mean=mean, sd=sd)
    value, _ = _number(raw, body)
    return Quantity(low=value, high=value, unit=unit, route=route)


def _number(raw: str, s: str) -> tuple[float, int | None]:
    """A number with optional 'x10^n'; returns (value, exponent or None)."""
    m = _NUMBER.match(s.strip())
    if not m:
        if re.search(r"\dx(?!10\^)", s):
            reason = f"{s!r} is not scientific notation: expected 'x10^n' after 'x'"
        else:
            reason = f"{s!r} is not a number"
        raise DoseParseError(raw, reason)
    if m.group(3) is not None:
        exp = int(m.group(3))
        return 10.0**exp, exp
    mantissa = float(m.group(1).replace(",", "."))
    if m.group(2) is None:
        return mantissa, None
    exp = int(m.group(2))
    return mantissa * 10.0**exp, exp


def _format_quantity(q: Quantity) -> str:
    unit = {"cells": "cells", "cells/kg": "cells/kg", "cells/site": "cells/site"}[q.unit]
    route = f" {q.route}" if q.route else ""
    if q.mean is not None:
        return f"{format_count(q.mean)} ± {format_count(q.sd or 0.0)} {unit}{route}"
    if q.is_range:
        return f"{format_count(q.low)}–{format_count(q.high)} {unit}{route}"
    return f"{format_count(q.low)} {unit}{route}"


def format_count(x: float) -> str:
    """1.5e7 -> '1.5×10⁷', cell counts as papers print them."""
    if x == 0:
        return "0"
    exp = len(str(int(abs(x)))) - 1 if abs(x) >= 1 else 0
    mant = x / 10**exp
    sup = str(exp).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))
    return f"{mant:.3g}×10{sup}" if exp else f"{mant:.3g}"
