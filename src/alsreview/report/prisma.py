"""PRISMA 2020 flow diagrams: a `PrismaFlow` (from `alsreview.prisma`) in, a drawing out.

`prisma_layout(flow)` places the boxes of the template (text wrapped to each box);
`draw_prisma(flow)` draws it as a standalone SVG document (no matplotlib import);
`prisma_png(flow)` renders the same layout with matplotlib; `prisma_figure(flow, name,
caption)` gives a `report.section.Figure` holding both. Counts the review does not report
are drawn as "not reported"; counts that do not add up are noted under the diagram.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from alsreview.prisma import Line, PrismaFlow, box_text

from .section import Figure

__all__ = [
    "draw_prisma",
    "prisma_figure",
    "prisma_layout",
    "prisma_png",
]

# --------------------------------------------------------------------------- layout

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
FONT_SIZE = 12.0
LINE_HEIGHT = 15.0
PAD = 8.0

# Advance widths of DejaVu Sans (matplotlib's default font) in em, to wrap text without
# a font library; characters not listed count as wide (0.75 em; CJK 1.0 em).
_EM: dict[str, float] = {" ": 0.318, "!": 0.4, "'": 0.275, '"': 0.46, "(": 0.39, ")": 0.39}
_EM.update({c: 0.318 for c in ",."})
_EM.update({c: 0.337 for c in ":;/\\"})
_EM.update({c: 0.361 for c in "-_"})
_EM.update({c: 0.636 for c in "0123456789$"})
_EM.update({c: 0.838 for c in "+=<>#~^"})
_EM.update({"*": 0.5, "?": 0.531, "%": 0.95, "&": 0.78, "@": 1.0, "[": 0.39, "]": 0.39})
_EM.update(
    dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            [0.684, 0.686, 0.698, 0.77, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656,
             0.557, 0.863, 0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684,
             0.989, 0.685, 0.611, 0.685],
            strict=True,
        )
    )
)  # fmt: skip
_EM.update(
    dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            [0.613, 0.635, 0.55, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579,
             0.278, 0.974, 0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592,
             0.818, 0.592, 0.592, 0.525],
            strict=True,
        )
    )
)  # fmt: skip


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Estimated width of `text` in DejaVu Sans at `size` px (bold is ~13% wider)."""
    em = 0.0
    for c in text:
        if c in _EM:
            em += _EM[c]
        else:
            em += 1.0 if ord(c) >= 0x2E80 else 0.75
    return em * size * (1.13 if bold else 1.0)


def _wrap(text: str, width: float, bold: bool, indent: str = "") -> list[str]:
    """Greedy word wrap to `width` px; words longer than a line are broken."""
    words = [w for w in text.split(" ") if w]  # split on plain spaces only, not U+00A0
    lines: list[str] = []
    cur = ""
    for w in words:
        cand = f"{cur} {w}" if cur else w
        if text_width((indent if lines else "") + cand, bold=bold) <= width or not cur:
            cur = cand
        else:
            lines.append(cur)
            cur = w
        while text_width((indent if lines else "") + cur, bold=bold) > width and len(cur) > 1:
            cut = len(cur) - 1
            while cut > 1 and text_width((indent if lines else "") + cur[:cut], bold=bold) > width:
                cut -= 1
            lines.append(cur[:cut])
            cur = cur[cut:]
    if cur or not lines:
        lines.append(cur)
    return [(indent if i else "") + ln for i, ln in enumerate(lines)]


@dataclass(frozen=True)
class Box:
    """A rectangle with lines of (text, weight); kind is "box", "header", "phase" or "note"."""

    x: float
    y: float
    w: float
    h: float
    lines: tuple[tuple[str, str], ...]
    kind: str = "box"

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def right(self) -> float:
        return self.x + self.w


@dataclass(frozen=True)
class Layout:
    """Boxes and arrows (polylines ending in an arrowhead) in px; origin top left."""

    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[tuple[tuple[float, float], ...], ...]
    title: str


def _box_lines(lines: list[Line], width: float) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    inner = width - 2 * PAD
    for text, weight, level in lines:
        lead = "    " * level
        for piece in _wrap(text, inner - text_width(lead), weight == "bold", "  "):
            out.append((lead + piece, weight))
    return tuple(out)


def _height(nlines: int) -> float:
    return 2 * PAD + nlines * LINE_HEIGHT


def prisma_layout(flow: PrismaFlow) -> Layout:
    """Place every box, header, phase label and arrow of the PRISMA 2020 template."""
    om, prev = flow.other_methods, flow.previous
    margin, phase_w, gap_x, gap_y, header_h = 10.0, 28.0, 40.0, 34.0, 34.0
    w_prev, w_main, w_excl, w_other, w_oexcl = 200.0, 270.0, 275.0, 250.0, 220.0

    x = margin + phase_w + 12.0
    x_prev = x
    if prev is not None:
        x += w_prev + gap_x
    x_main = x
    x_excl = x_main + w_main + gap_x
    x_other = x_excl + w_excl + gap_x + 10.0
    x_oexcl = x_other + w_other + gap_x
    right = (x_oexcl + w_oexcl if om is not None else x_excl + w_excl) + margin

    cells = box_text(flow)
    col_x = {"prev": x_prev, "main": x_main, "excl": x_excl, "other": x_other, "oexcl": x_oexcl}
    col_w = {"prev": w_prev, "main": w_main, "excl": w_excl, "other": w_other, "oexcl": w_oexcl}
    wrapped = {k: _box_lines(v, col_w[k[0]]) for k, v in cells.items()}
    nrows = 6 if prev is not None else 5
    row_h = [
        max([_height(len(t)) for (c, r), t in wrapped.items() if r == row] or [0.0])
        for row in range(nrows)
    ]
    # Each phase bar must hold its rotated label: stretch the phase's last row if needed.
    phases = (("Identification", 0, 0), ("Screening", 1, 3), ("Included", 4, nrows - 1))
    for label, r0, r1 in phases:
        span = sum(row_h[r0 : r1 + 1]) + gap_y * (r1 - r0)
        need = text_width(label, bold=True) + 2 * PAD
        if span < need:
            row_h[r1] += need - span
    row_y: list[float] = []
    y = margin + header_h + 12.0
    for h in row_h:
        row_y.append(y)
        y += h + gap_y
    bottom = y - gap_y

    boxes: dict[tuple[str, int], Box] = {}
    for (c, r), lines in wrapped.items():
        if c in ("excl", "oexcl") and r > 0:
            h = _height(len(lines))  # side boxes keep their own height, centred on the row
            boxes[(c, r)] = Box(col_x[c], row_y[r] + (row_h[r] - h) / 2, col_w[c], h, lines)
        else:
            boxes[(c, r)] = Box(col_x[c], row_y[r], col_w[c], row_h[r], lines)

    arrows: list[tuple[tuple[float, float], ...]] = []

    def down(a: Box, b: Box) -> None:
        arrows.append(((a.cx, a.bottom), (a.cx, b.y)))

    def across(a: Box, b: Box) -> None:
        y = a.cy if a.h <= b.h else b.cy
        arrows.append(((a.right, y), (b.x, y)))

    for r in range(4):
        down(boxes[("main", r)], boxes[("main", r + 1)])
        across(boxes[("main", r)], boxes[("excl", r)])
    if prev is not None:
        down(boxes[("main", 4)], boxes[("main", 5)])
        p, t = boxes[("prev", 0)], boxes[("main", 5)]
        arrows.append(((p.cx, p.bottom), (p.cx, t.cy), (t.x, t.cy)))
    if om is not None:
        down(boxes[("other", 0)], boxes[("other", 2)])
        down(boxes[("other", 2)], boxes[("other", 3)])
        across(boxes[("other", 2)], boxes[("oexcl", 2)])
        across(boxes[("other", 3)], boxes[("oexcl", 3)])
        a, inc = boxes[("other", 3)], boxes[("main", 4)]
        arrows.append(((a.cx, a.bottom), (a.cx, inc.cy), (inc.right, inc.cy)))

    out: list[Box] = []
    # Headers above the columns.
    hy = margin
    if prev is not None:
        out.append(Box(x_prev, hy, w_prev, header_h, (("Previous studies", "bold"),), "header"))
    out.append(
        Box(
            x_main, hy, x_excl + w_excl - x_main, header_h,
            (("Identification of new studies via databases and registers"
              if prev is not None else
              "Identification of studies via databases and registers", "bold"),),
            "header",
        )
    )  # fmt: skip
    if om is not None:
        out.append(
            Box(
                x_other, hy, x_oexcl + w_oexcl - x_other, header_h,
                (("Identification of new studies via other methods"
                  if prev is not None else "Identification of studies via other methods",
                  "bold"),),
                "header",
            )
        )  # fmt: skip
    # Phase labels down the left edge.
    for label, r0, r1 in phases:
        y0, y1 = row_y[r0], row_y[r1] + row_h[r1]
        out.append(Box(margin, y0, phase_w, y1 - y0, ((label, "bold"),), "phase"))
    out.extend(boxes[k] for k in sorted(boxes, key=lambda k: (k[1], list(col_x).index(k[0]))))

    # Inconsistencies as a note under the diagram.
    issues = flow.inconsistencies()
    height = bottom + margin
    if issues:
        note_w = right - margin - x_main
        note_lines: list[Line] = [("Reported counts that do not add up:", "bold", 0)]
        note_lines += [(f"• {i.message}", "normal", 0) for i in issues]
        lines = _box_lines(note_lines, note_w)
        note = Box(x_main, bottom + 20.0, note_w, _height(len(lines)), lines, "note")
        out.append(note)
        height = note.bottom + margin
    title = "PRISMA 2020 flow diagram" + (" (updated review)" if prev is not None else "")
    return Layout(right, height, tuple(out), tuple(arrows), title)


# --------------------------------------------------------------------------- SVG

_STYLE = {
    "box": ("#ffffff", "#1f3b57"),
    "header": ("#f2b134", "#b07d12"),
    "phase": ("#9cc3e6", "#3f6f9c"),
    "note": ("#fdecea", "#b3261e"),
}


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def draw_prisma(flow: PrismaFlow, *, xml_declaration: bool = True) -> str:
    """A standalone SVG document of the flow diagram (UTF-8 text, scales via viewBox).
    `xml_declaration=False` gives the bare `<svg>` element for inlining into HTML.

    Drawn with the standard library only; every piece of text goes through ElementTree,
    which escapes it, after control characters that XML cannot hold are replaced."""
    lay = prisma_layout(flow)
    w, h = _fmt(lay.width), _fmt(lay.height)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {w} {h}",
            "width": w,
            "height": h,
            "role": "img",
            "style": "max-width:100%;height:auto",
            "font-family": FONT_FAMILY,
            "font-size": _fmt(FONT_SIZE),
        },
    )
    ET.SubElement(svg, "title").text = lay.title
    ET.SubElement(svg, "rect", {"width": w, "height": h, "fill": "#ffffff"})
    for box in lay.boxes:
        fill, stroke = _STYLE[box.kind]
        g = ET.SubElement(svg, "g", {"class": f"prisma-{box.kind}"})
        ET.SubElement(
            g,
            "rect",
            {
                "x": _fmt(box.x),
                "y": _fmt(box.y),
                "width": _fmt(box.w),
                "height": _fmt(box.h),
                "rx": "10" if box.kind in ("header", "phase") else "2",
                "fill": fill,
                "stroke": stroke,
                "stroke-width": "1.2",
            },
        )
        for text_el in _svg_text(box):
            g.append(text_el)
    for pts in lay.arrows:
        g = ET.SubElement(svg, "g", {"class": "prisma-arrow"})
        ET.SubElement(
            g,
            "polyline",
            {
                "points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _shorten(pts)),
                "fill": "none",
                "stroke": "#333333",
                "stroke-width": "1.3",
            },
        )
        ET.SubElement(
            g, "polygon", {"points": " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in _head(pts))}
        ).set("fill", "#333333")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if xml_declaration else ""
    return head + ET.tostring(svg, encoding="unicode") + "\n"


def _text_positions(box: Box) -> list[tuple[float, float, str, str, str]]:
    """(x, baseline y, text, weight, anchor) of each line; shared by SVG and PNG."""
    n = len(box.lines)
    if box.kind == "phase":
        text, weight = box.lines[0]
        return [(box.cx + 0.35 * FONT_SIZE, box.cy, text, weight, "middle")]
    if box.kind == "header":
        return [
            (box.cx, box.cy + 0.35 * FONT_SIZE + (i - (n - 1) / 2) * LINE_HEIGHT, t, wt, "middle")
            for i, (t, wt) in enumerate(box.lines)
        ]
    top = box.cy - n * LINE_HEIGHT / 2
    return [
        (box.x + PAD, top + (i + 0.75) * LINE_HEIGHT, t, wt, "start")
        for i, (t, wt) in enumerate(box.lines)
    ]


def _svg_text(box: Box) -> list[ET.Element]:
    els = []
    for x, y, text, weight, anchor in _text_positions(box):
        attrs = {"x": _fmt(x), "y": _fmt(y)}
        if anchor != "start":
            attrs["text-anchor"] = anchor
        if weight == "bold":
            attrs["font-weight"] = "bold"
        if box.kind == "phase":
            attrs["transform"] = f"rotate(-90 {_fmt(x)} {_fmt(y)})"
        lead = len(text) - len(text.lstrip(" "))
        if lead:
            attrs["x"] = _fmt(x + text_width(text[:lead]))
        el = ET.Element("text", attrs)
        el.text = text.lstrip(" ")
        els.append(el)
    return els


_HEAD_LEN, _HEAD_HALF = 8.0, 4.0


def _unit(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = (dx * dx + dy * dy) ** 0.5 or 1.0
    return dx / d, dy / d


def _shorten(pts: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """The polyline stopping where the arrowhead starts."""
    ux, uy = _unit(pts[-2], pts[-1])
    end = (pts[-1][0] - ux * _HEAD_LEN, pts[-1][1] - uy * _HEAD_LEN)
    return [*pts[:-1], end]


def _head(pts: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    ux, uy = _unit(pts[-2], pts[-1])
    tx, ty = pts[-1]
    bx, by = tx - ux * _HEAD_LEN, ty - uy * _HEAD_LEN
    return [
        (tx, ty),
        (bx - uy * _HEAD_HALF, by + ux * _HEAD_HALF),
        (bx + uy * _HEAD_HALF, by - ux * _HEAD_HALF),
    ]


# --------------------------------------------------------------------------- PNG


def prisma_matplotlib(flow: PrismaFlow, *, ax: Any = None, dpi: float = 150.0) -> Any:
    """The layout of `draw_prisma` drawn with matplotlib; returns the Figure.

    Without `ax` a new Figure of the layout's size is made (1 px of the SVG = 1/100 inch).
    With `ax` the diagram fills that Axes and text is scaled to its width; give it the
    layout's aspect ratio (`prisma_layout(flow).width / .height`) or text may not fit."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.patches import FancyBboxPatch, Polygon

    lay = prisma_layout(flow)
    if ax is None:
        fig = MplFigure(figsize=(lay.width / 100, lay.height / 100), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_axis_off()
    ax_inches = ax.get_position().width * fig.get_figwidth()
    pt = 72.0 * ax_inches / lay.width  # points per layout px (0.72 at 1/100 inch per px)
    for box in lay.boxes:
        fill, stroke = _STYLE[box.kind]
        r = 10.0 if box.kind in ("header", "phase") else 2.0
        ax.add_patch(
            FancyBboxPatch(
                (box.x + r, box.y + r),
                box.w - 2 * r,
                box.h - 2 * r,
                boxstyle=f"round,pad={r}",
                facecolor=fill,
                edgecolor=stroke,
                linewidth=1.2 * pt,
            )
        )
        for x, y, text, weight, anchor in _text_positions(box):
            lead = len(text) - len(text.lstrip(" "))
            ax.text(
                x + (text_width(text[:lead]) if lead else 0.0),
                y,
                text.lstrip(" "),
                fontsize=FONT_SIZE * pt,
                fontweight=weight,
                family="DejaVu Sans",
                ha="center" if anchor == "middle" else "left",
                va="baseline",
                rotation=90 if box.kind == "phase" else 0,
                rotation_mode="anchor",
            )
    for pts in lay.arrows:
        line = _shorten(pts)
        ax.plot([p[0] for p in line], [p[1] for p in line], color="#333333", lw=1.3 * pt)
        ax.add_patch(Polygon(_head(pts), closed=True, facecolor="#333333", edgecolor="none"))
    return fig


def prisma_png(flow: PrismaFlow, *, dpi: float = 150.0) -> bytes:
    """PNG bytes of the flow diagram, drawn by matplotlib from the same layout as the SVG."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = prisma_matplotlib(flow, dpi=dpi)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def prisma_figure(flow: PrismaFlow, name: str, caption: str, *, png: bool = True) -> Figure:
    """A report `Figure` with the hand-drawn SVG and (unless `png=False`) its PNG."""
    return Figure(
        name=name, caption=caption, svg=draw_prisma(flow), png=prisma_png(flow) if png else None
    )
