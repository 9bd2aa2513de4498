"""Precision and recall of assisted extraction (`alsreview extract suggest`), per field.

Texts: the abstracts in tests/extraction/data/abstracts (dev_* used while writing the rules,
heldout_* scored after), and the 002_* seed (the Syková et al. 2017 trial report as text
extracted from its PDF) scored against the bundled evidence base's sykova2017 entry.

    PYTHONPATH=src python benchmarks/extraction_suggest.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from alsreview.evidence import load_evidence
from alsreview.extraction.evaluate import FieldScore, score_text, total
from alsreview.extraction.suggest import FIELDS, suggest

ROOT = Path(__file__).resolve().parents[1]
ABSTRACTS = ROOT / "tests" / "extraction" / "data" / "abstracts"
SCORED = [f for f in FIELDS if f != "schedule.sessions_max"]


def seed_dir() -> Path | None:
    for parent in ROOT.parents:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared" / "seeds"
    return None


def seed_gold() -> dict[str, object]:
    """What the bundled base holds for the seed trial, in suggestion form."""
    s = load_evidence(None).study("sykova2017")
    gold: dict[str, object] = {
        "patients_enrolled": s.patients_enrolled.value,
        "patients_analysed": s.patients_analysed.value,
        "design": s.design.value,
        "phase": s.phase.value,
        "cell_type": s.cell_type.value,
        "cell_source": s.cell_source.value,
        "routes": "+".join(s.routes.value),
        "dose_per_administration": s.dose_per_administration.value,
        "schedule.sessions_min": s.schedule.sessions_min.value,
        "follow_up_months": s.follow_up_months.value,
    }
    if s.safety.serious_related_events is not None:
        gold["safety.serious_related_events"] = s.safety.serious_related_events.value
    if s.safety.deaths is not None:
        gold["safety.deaths"] = s.safety.deaths.value
    return gold


def fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def table(title: str, scores: dict[str, FieldScore]) -> None:
    print(f"\n{title}")
    print(f"{'field':32s} {'TP':>3s} {'FP':>3s} {'FN':>3s} {'prec':>5s} {'recall':>6s}")
    for f in SCORED:
        v = scores.get(f, FieldScore(f))
        if v.tp + v.fp + v.fn:
            print(
                f"{f:32s} {v.tp:3d} {v.fp:3d} {v.fn:3d} {fmt(v.precision):>5s} {fmt(v.recall):>6s}"
            )
    tp = sum(v.tp for v in scores.values())
    fp = sum(v.fp for v in scores.values())
    fn = sum(v.fn for v in scores.values())
    prec, rec = fmt(tp / (tp + fp)), fmt(tp / (tp + fn))
    print(f"{'all fields':32s} {tp:3d} {fp:3d} {fn:3d} {prec:>5s} {rec:>6s}")


def main() -> int:
    gold = json.loads((ABSTRACTS / "gold.json").read_text(encoding="utf-8"))
    groups: dict[str, list[dict[str, FieldScore]]] = {"dev": [], "heldout": []}
    t0 = time.perf_counter()
    n_chars = 0
    for name, g in gold.items():
        text = (ABSTRACTS / f"{name}.txt").read_text(encoding="utf-8")
        n_chars += len(text)
        made = [(s.field, s.value) for s in suggest(text)]
        groups[name.split("_")[0]].append(score_text(made, g, SCORED))
    for key, scores in groups.items():
        table(f"{key} abstracts ({len(scores)})", total(scores))
    seeds = seed_dir()
    if seeds is None:
        print("\nseed papers not found (shared/seeds): seed row skipped", file=sys.stderr)
    else:
        text = (seeds / "002_8d79ff6467cc2aa9.txt").read_text(encoding="utf-8")
        n_chars += len(text)
        made = [(s.field, s.value) for s in suggest(text)]
        table(
            "seed 002_* (Sykova 2017 full text) vs bundled sykova2017",
            score_text(made, seed_gold(), SCORED),
        )
    dt = time.perf_counter() - t0
    print(f"\n{len(gold) + 1} texts, {n_chars:,} characters in {dt:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
