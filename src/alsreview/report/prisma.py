"""PRISMA 2020 flow diagrams: a `PrismaFlow` (from `alsreview.prisma`) in, a drawing out.

`prisma_layout(flow)` places the boxes of the template, text wrapped to each box by the
glyph advances of the font matplotlib draws with; `prisma_matplotlib(flow)` draws that
layout on a `matplotlib.figure.Figure` (the one renderer); `draw_prisma(flow)` and
`prisma_png(flow)` give its SVG (text kept as text) and PNG; `prisma_figure(flow, name,
caption)` wraps it as a report `Figure`. Counts the review does not report are drawn as
"not reported"; counts that do not add up are noted under the diagram.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from alsreview.prisma import Line, PrismaFlow, box_text

from .section import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

__all__ = [
    "draw_prisma",
    "prisma_figure",
    "prisma_layout",
    "prisma_matplotlib",
    "prisma_png",
    "text_width",
]

# --------------------------------------------------------------------------- layout

FONT = "DejaVu Sans"  # matplotlib's bundled font: the one text is measured and drawn in
FONT_SIZE = 12.0
LINE_HEIGHT = 15.0
PAD = 8.0


@lru_cache(maxsize=2)
def _font(bold: bool) -> Any:
    """The font file matplotlib draws `FONT` with, opened as our own FreeType face (not
    matplotlib's shared cached one, whose size its renderers change) at 1 pt = 1 px."""
    from matplotlib.font_manager import FontProperties, findfont
    from matplotlib.ft2font import FT2Font

    face = FT2Font(findfont(FontProperties(family=FONT, weight="bold" if bold else "normal")))
    face.set_size(FONT_SIZE, 72)
    return face


@lru_cache(maxsize=4096)
def _advance(char: str, bold: bool) -> float:
    from matplotlib.ft2font import LoadFlags

    face = _font(bold)
    glyph = face.load_glyph(face.get_char_index(ord(char)), flags=LoadFlags.NO_HINTING)
    return glyph.linearHoriAdvance / 65536  # 16.16 fixed point, px at FONT_SIZE


def text_width(text: str, size: float = FONT_SIZE, bold: bool = False) -> float:
    """Width of `text` in px at `size` px: the sum of the glyph advances of the font file
    matplotlib draws with (read through matplotlib's FreeType; characters the font lacks
    get the advance of its missing-glyph box, which is what is drawn)."""
    return sum(_advance(c, bold) for c in text) * size / FONT_SIZE


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


# --------------------------------------------------------------------------- drawing

_STYLE = {
    "box": ("#ffffff", "#1f3b57"),
    "header": ("#f2b134", "#b07d12"),
    "phase": ("#9cc3e6", "#3f6f9c"),
    "note": ("#fdecea", "#b3261e"),
}


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


# --------------------------------------------------------------------------- matplotlib


def prisma_matplotlib(flow: PrismaFlow, *, ax: Axes | None = None, dpi: float = 150.0) -> MplFigure:
    """The flow diagram drawn on a `matplotlib.figure.Figure`; returns the Figure.

    Without `ax` a new Figure of the layout's size is made (1 px of the layout = 1/100 inch).
    With `ax` the diagram fills that Axes and text is scaled to its width; give it the
    layout's aspect ratio (`prisma_layout(flow).width / .height`) or text may not fit.
    Artists carry gids (`prisma-box-3`, its lines `prisma-box-3-text-0`..., `prisma-arrow-0`)
    that the SVG keeps as element ids."""
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.patches import FancyBboxPatch, Polygon

    lay = prisma_layout(flow)
    if ax is None:
        fig = MplFigure(figsize=(lay.width / 100, lay.height / 100), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1))
    root = ax.get_figure(root=True)
    assert root is not None  # an Axes always belongs to a figure
    fig = root
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_axis_off()
    ax_inches = ax.get_position().width * fig.get_figwidth()
    pt = 72.0 * ax_inches / lay.width  # points per layout px (0.72 at 1/100 inch per px)
    counter: dict[str, int] = {}
    for box in lay.boxes:
        fill, stroke = _STYLE[box.kind]
        r = 10.0 if box.kind in ("header", "phase") else 2.0
        i = counter[box.kind] = counter.get(box.kind, -1) + 1
        patch = FancyBboxPatch(
            (box.x + r, box.y + r),
            box.w - 2 * r,
            box.h - 2 * r,
            boxstyle=f"round,pad={r}",
            facecolor=fill,
            edgecolor=stroke,
            linewidth=1.2 * pt,
            gid=f"prisma-{box.kind}-{i}",
        )
        ax.add_patch(patch)
        for j, (x, y, text, weight, anchor) in enumerate(_text_positions(box)):
            lead = len(text) - len(text.lstrip(" "))
            ax.text(
                x + (text_width(text[:lead]) if lead else 0.0),
                y,
                text.lstrip(" "),
                fontsize=FONT_SIZE * pt,
                fontweight=weight,
                family=FONT,
                ha="center" if anchor == "middle" else "left",
                va="baseline",
                rotation=90 if box.kind == "phase" else 0,
                rotation_mode="anchor",
                gid=f"prisma-{box.kind}-{i}-text-{j}",
            )
    for i, pts in enumerate(lay.arrows):
        line = _shorten(pts)
        ax.plot(
            [p[0] for p in line],
            [p[1] for p in line],
            color="#333333",
            lw=1.3 * pt,
            gid=f"prisma-arrow-{i}",
        )
        ax.add_patch(
            Polygon(
                _head(pts),
                closed=True,
                facecolor="#333333",
                edgecolor="none",
                gid=f"prisma-arrowhead-{i}",
            )
        )
    return fig


def _save(fig: Any, fmt: str, **kwargs: Any) -> Any:
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "prisma"}):
        buf = io.StringIO() if fmt == "svg" else io.BytesIO()
        fig.savefig(buf, format=fmt, facecolor="white", **kwargs)
    return buf.getvalue()


def draw_prisma(flow: PrismaFlow, *, xml_declaration: bool = True) -> str:
    """The flow diagram as a standalone SVG document (text kept as text, in `FONT`);
    `xml_declaration=False` gives the bare `<svg>` element for inlining into HTML."""
    lay = prisma_layout(flow)
    svg = _save(prisma_matplotlib(flow), "svg", metadata={"Date": None, "Title": lay.title})
    if not xml_declaration:
        svg = svg[svg.index("<svg") :]
    return svg


def prisma_png(flow: PrismaFlow, *, dpi: float = 150.0) -> bytes:
    """PNG bytes of the flow diagram."""
    return _save(prisma_matplotlib(flow, dpi=dpi), "png", dpi=dpi)


def prisma_figure(flow: PrismaFlow, name: str, caption: str) -> Figure:
    """A report `Figure` of the diagram; the page writer renders its SVG and PNG."""
    return Figure(name=name, caption=caption, figure=prisma_matplotlib(flow))
