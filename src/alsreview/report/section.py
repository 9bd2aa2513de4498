"""A report section: the unit every stage hands to the HTML report.

A stage that contributes to `alsreview report` writes a function returning a `Section`;
`report/build.py` lays sections out in order, inlines each figure's SVG into the page and
writes every figure as `<name>.svg` and `<name>.png` beside `index.html`.

`html` is an HTML fragment that the section built with Jinja2 autoescaping or
`html.escape` on every piece of untrusted text (titles, abstracts, free-text fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    """A matplotlib figure (or an SVG string for hand-drawn diagrams) with a file stem."""

    name: str  # file stem, e.g. "prisma_001"; unique within the report
    caption: str
    figure: Any = None  # matplotlib.figure.Figure
    svg: str | None = None  # ready SVG text (used when figure is None)
    png: bytes | None = None  # ready PNG bytes (optional when svg is given)


@dataclass
class Section:
    """One titled part of the report: an HTML fragment plus figures placed after it."""

    id: str  # HTML anchor, e.g. "prisma"
    title: str
    html: str
    figures: list[Figure] = field(default_factory=list)
