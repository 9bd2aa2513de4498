"""Every number in the report's evidence tables is in the evidence file or derived from it.

The page is read back (lxml); each number token in each table cell must be one of:
- a number of the evidence file (numeric values, and numbers written inside its strings:
  provenance locators, printed values, notes), compared by absolute value at the precision
  shown (sign changes are disclosed next to the value and tested in test_findings.py);
- a count or sum the test derives itself from the evidence file: patients per group of
  studies, with reports of one cohort counted once (its own union-find over `related`);
  counts of studies;
- a result of the ALSFRS-R synthesis as metafor 3.8-1 computes it
  (tests/meta/data/alsfrs_prepost.json; the prediction interval from its estimate, SE and
  tau2 as metafor's predict() does: estimate ± 1.96 sqrt(se² + tau2));
- a GRADE rule threshold of data/grade_rules.json, quoted in a reason.
Tables built from other inputs are left out, with the reason: the trial tables (from the
trial data folder, checked against 002's printed tables in test_trial_section.py and the
trial tests) and the integrity findings (recomputed statistics, tested in
tests/evidence/test_integrity.py).
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest
from lxml import html as lxml_html

ROOT = Path(__file__).parents[2]
DATA = resources.files("alsreview.data")
EVIDENCE = json.loads(DATA.joinpath("evidence_als_stem_cells.json").read_text("utf-8"))
RULES = json.loads(DATA.joinpath("grade_rules.json").read_text("utf-8"))
TAXONOMY = json.loads(DATA.joinpath("taxonomy.json").read_text("utf-8"))  # cell-type names
META = json.loads((ROOT / "tests" / "meta" / "data" / "alsfrs_prepost.json").read_text())
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d+(?:[.,]\d+)*(?:\.\d+)?")
SECTIONS = (
    "summary-of-findings",
    "prisma-khalid2023",
    "prisma-blume2026",
    "studies-by-cell",
    "studies-by-route",
    "safety",
    "efficacy",
    "alsfrs-synthesis",
    "disagreements",
)


def _walk(obj, out: set[float]) -> None:
    if isinstance(obj, bool):
        return
    if isinstance(obj, int | float):
        out.add(abs(float(obj)))
    elif isinstance(obj, str):
        for tok in NUMBER.findall(obj):
            out.add(abs(_float(tok)))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(k, out)
            _walk(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, out)


def _float(tok: str) -> float:
    return float(tok.replace("−", "-").replace(",", ""))


def _cohort_sums() -> set[float]:
    """Patients of every set of studies a table groups, reports of one cohort counted once."""
    studies = {s["id"]: s for s in EVIDENCE["studies"]}
    parent = {i: i for i in studies}

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for s in studies.values():
        for link in s.get("related", []):
            parent[root(s["id"])] = root(link["study_id"])
    n = {i: s["patients_enrolled"]["value"] for i, s in studies.items()}
    sums: set[float] = set()
    groupings = defaultdict(list)
    for s in studies.values():
        groupings[("cell", s["cell_type"]["value"])].append(s["id"])
        groupings[("route", tuple(s["routes"]["value"] or []))].append(s["id"])
        groupings[("design", s["design"]["value"])].append(s["id"])
    groupings[("all",)] = list(studies)
    for ids in groupings.values():
        sums.add(float(sum(n[i] or 0 for i in ids)))
        by_root = defaultdict(list)
        for i in ids:
            by_root[root(i)].append(n[i] or 0)
        sums.add(float(sum(max(v) for v in by_root.values())))
    return sums


def _sof_sums(tree) -> set[float]:
    """Each SoF row's patients, recomputed from the study ids the row names."""
    studies = {s["id"]: s for s in EVIDENCE["studies"]}
    out = set()
    for row in tree.xpath("//table[@data-table='sof']//tr[@data-studies]"):
        ids = row.get("data-studies").split()
        groups: dict[str, int] = {}
        for i in ids:
            linked = {i} | {x["study_id"] for x in studies[i].get("related", [])}
            key = min(linked)
            n = studies[i]["patients_enrolled"]["value"] or 0
            groups[key] = max(groups.get(key, 0), n)
        if ids:
            total = float(sum(groups.values()))
            assert row.get("data-patients") in (None, str(int(total))), (ids, total)
            out.add(total)
    return out


def _meta_numbers() -> set[float]:
    out: set[float] = set()
    _walk({k: v for k, v in META.items() if k != "source"}, out)
    for key in ("MC_r0.2", "MC_r0.5", "MC_r0.8", "SMCR_r0.2", "SMCR_r0.5", "SMCR_r0.8"):
        r = META[key]
        half = 1.959963984540054 * math.sqrt(r["se"] ** 2 + r["tau2"])
        out |= {abs(r["estimate"] - half), abs(r["estimate"] + half)}
    return out


def _rules_numbers() -> set[float]:
    out: set[float] = set()
    _walk({k: v for k, v in RULES.items() if k not in ("about", "wording")}, out)
    return out


def _matches(value: float, decimals: int, known: list[float]) -> bool:
    tol = 0.5 * 10**-decimals + 1e-9
    return any(abs(value - k) <= tol for k in known)


@pytest.fixture(scope="module")
def page(bundled_report):
    return lxml_html.parse(str(bundled_report))


def known_numbers(page) -> list[float]:
    known: set[float] = set()
    _walk(EVIDENCE, known)
    _walk(TAXONOMY, known)
    known |= _cohort_sums() | _sof_sums(page) | _meta_numbers() | _rules_numbers()
    known |= {float(k) for k in range(len(EVIDENCE["studies"]) + 1)}  # counts of studies
    return sorted(known)


def unsourced_numbers(page, known: list[float]) -> tuple[int, list[str]]:
    """(numbers checked, those found neither in the evidence file nor derived from it)."""
    checked = 0
    unsourced = []
    for section in SECTIONS:
        cells = page.xpath(f"//section[@id='{section}']//table//td | "
                           f"//section[@id='{section}']//table//th")  # fmt: skip
        assert cells, section
        for cell in cells:
            text = " ".join(" ".join(cell.itertext()).split())  # <br> separates numbers
            text = re.sub(r"10[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", "", text)  # powers of ten of normalised doses
            text = re.sub(r"doi:\S+|https?://\S+", "", text)
            for tok in NUMBER.findall(text):
                value = abs(_float(tok))
                decimals = len(tok.split(".")[1]) if "." in tok else 0
                checked += 1
                if not _matches(value, decimals, known):
                    unsourced.append(f"{section}: {tok!r} in {text[:120]!r}")
    return checked, unsourced


def test_every_number_in_the_evidence_tables_has_a_source(page):
    checked, unsourced = unsourced_numbers(page, known_numbers(page))
    assert checked > 1000
    assert unsourced == [], "\n".join(unsourced)


def test_the_check_finds_a_number_without_a_source(page):
    """A number planted in a table cell is reported (the check can fail)."""
    known = known_numbers(page)
    (table,) = page.xpath("//section[@id='efficacy']//table[@data-grouping='route']")
    cell = table.xpath(".//td")[0]
    cell.text = (cell.text or "") + " 987.654"
    try:
        _, unsourced = unsourced_numbers(page, known)
    finally:
        cell.text = cell.text.removesuffix(" 987.654")
    assert len(unsourced) == 1 and "'987.654'" in unsourced[0]
