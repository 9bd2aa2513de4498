"""Real PDFs for the tests, written with matplotlib's PDF backend (TrueType text, so the
text layer is real and extractable), and encrypted with pypdf."""

from __future__ import annotations

import io
import textwrap


def make_pdf(pages: list[str], *, draw_only: bool = False) -> bytes:
    """A PDF with one page per string (wrapped at 90 characters); `draw_only` makes pages
    with a drawing and no text at all (what a scan looks like to a text extractor)."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    buf = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(buf) as pdf:
        for text in pages:
            fig = Figure(figsize=(8.27, 11.69))
            if draw_only:
                ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
                ax.plot([0, 1], [0, 1])
                ax.set_axis_off()
            else:
                lines = [ln for para in text.split("\n") for ln in textwrap.wrap(para, 90) or [""]]
                for i, line in enumerate(lines):
                    fig.text(0.06, 0.95 - i * 0.018, line, fontsize=9)
            pdf.savefig(fig)
    return buf.getvalue()


def encrypt(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
