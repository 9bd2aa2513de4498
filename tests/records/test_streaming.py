"""Issue 8: line-based readers walk the text once (`textfile.iter_lines`) instead of first
copying it into a list of every line; the lines and their numbers must be exactly those of
`str.split("\\n")`, which the readers used before (and their error lines refer to)."""

from __future__ import annotations

import pytest

from alsreview.records.textfile import iter_lines

CASES = [
    "",
    "\n",
    "\n\n",
    "TY  - JOUR",
    "TY  - JOUR\nER  - \n",
    "TY  - JOUR\nER  - \n\n",
    "a\n\nb",
    "  \n \n",
    "PMID- 1\nTI  - x\n  continued\n\nPMID- 2\n",
]


@pytest.mark.parametrize("text", CASES, ids=repr)
def test_iter_lines_is_split_with_line_numbers(text):
    assert list(iter_lines(text)) == list(enumerate(text.split("\n"), start=1))


def test_iter_lines_on_a_large_text_is_lazy():
    text = "TY  - JOUR\nTI  - Mesenchymal stem cells in ALS\nER  - \n" * 100_000
    lines = iter_lines(text)
    assert next(lines) == (1, "TY  - JOUR")
    assert next(lines) == (2, "TI  - Mesenchymal stem cells in ALS")
    assert sum(1 for _ in lines) == 300_001 - 2
