# ruff: noqa: E501  (the patterns are long regular expressions, kept one per line)
"""Assisted extraction: propose values for the ALS fields from a full text or an abstract.

In: page texts (`FullText.pages`, or one string).  Out: `Suggestion`s, each a field named
as in the evidence model, a value (taxonomy codes for `cell_type` and `routes`, combined
routes joined by "+", doses as printed and readable by the dose parser), the evidence span
(1-based page, character offsets into that page's text, the quoted sentence, verbatim) and
a confidence in [0, 1].  Suggestions are for a reviewer to accept: nothing here writes
facts.

How: rules over sentences, not a trained model.  The text is first normalised for matching
(PDF line-break hyphens joined, lost superscripts "× 106" read as "× 10^6", white space
collapsed) with a map back to the original offsets.  Each field has patterns of the ways
trial reports state it ("26 patients were enrolled", "we recruited nineteen participants";
"received two intrathecal injections 3 months apart"); a value stated in several places
raises the confidence, values that disagree lower it.  A cell type or route the taxonomy
does not know is suggested as ``other`` quoting the words that name it.

Fields: patients_enrolled, patients_analysed, design, phase, cell_type, cell_source, routes,
dose_per_administration, schedule.sessions_min, schedule.sessions_max, schedule.interval,
follow_up_months, efficacy.alsfrs_r_before, efficacy.alsfrs_r_after (a `Statistic`:
estimate, dispersion, dispersion_kind, n), safety.serious_related_events, safety.deaths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from alsreview.evidence.taxonomy import load_taxonomy
from alsreview.typealiases import JSONDict

# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class Suggestion:
    field: str
    value: Any
    quote: str
    page: int
    start: int
    end: int
    confidence: float

    def to_dict(self) -> JSONDict:
        return {
            "field": self.field,
            "value": self.value,
            "quote": self.quote,
            "page": self.page,
            "start": self.start,
            "end": self.end,
            "confidence": round(self.confidence, 2),
        }


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class Sentence:
    page: int  # 1-based
    start: int  # offsets in the page's original text
    end: int
    text: str  # normalised, for matching
    section: str = ""  # the heading above it ("" before any: title and abstract)

    @property
    def own(self) -> float:
        """How likely the sentence reports this study (not background or others' work)."""
        w = 0.35 if self.section in _BACKGROUND else 1.0
        if _OTHERS.search(self.text):
            w *= 0.3
        return w


_HEADING = re.compile(
    r"^[ \t]*(?:\d+\.?\s*)?(abstract|summary|background|introduction|objectives?|methods?|"
    r"materials and methods|patients and methods|study design|results|discussion|conclusions?|"
    r"references|acknowledge?ments?|limitations)[ \t]*:?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_BACKGROUND = {
    "background",
    "introduction",
    "discussion",
    "references",
    "limitations",
    "acknowledgments",
    "acknowledgements",
}
_OTHERS = re.compile(
    r"\bet al\b|\bprevious(?:ly)? (?:stud|trial|report)|\b(?:other|earlier|prior) (?:stud|trial)|"
    r"\bhave (?:been )?(?:shown|reported|demonstrated)|\b(?:in|a) (?:recent|previous) (?:study|trial)|"
    r"\bstudies (?:have|of)|\[\d+(?:[,-]\d+)*\]|(?<=[a-z])\d{1,2}(?:,\d{1,2})*(?= |,|\.)",
    re.IGNORECASE,
)


class _Normalised:
    """Matching text for a page, with each character's offset in the original page."""

    def __init__(self, page: str) -> None:
        out: list[str] = []
        where: list[int] = []
        i, n = 0, len(page)
        while i < n:
            c = page[i]
            # "nonrandom-\nized": a hyphen at a line end before a lower-case letter
            if c in "-\u00ad" and i + 1 < n and page[i + 1] == "\n":
                j = i + 1
                while j < n and page[j] in " \n":
                    j += 1
                if j < n and page[j].islower():
                    i = j
                    continue
            if c in "\n\t\r\u00a0":
                c = " "
            if c == " " and out and out[-1] == " ":
                i += 1
                continue
            out.append(c)
            where.append(i)
            i += 1
        self.text = "".join(out)
        self.where = where

    def original(self, start: int, end: int) -> tuple[int, int]:
        if not self.where:
            return 0, 0
        s = self.where[min(start, len(self.where) - 1)]
        e = self.where[min(end, len(self.where)) - 1] + 1 if end > start else s
        return s, e


_ABBREV = re.compile(
    r"(?:\bet al|\bFig|\bFigs|\bvs|\be\.g|\bi\.e|\bapprox|\bNo|\bDr|\bca|\bRef|\bresp|\bmo|"
    r"\bSt|\bMt|\bUSA|\bInc|\bLtd|\bal)\.$"
)


def sentences(pages: Sequence[str]) -> list[Sentence]:
    """Sentences of every page, with offsets into the original page text."""
    out: list[Sentence] = []
    section = ""
    for pno, page in enumerate(pages, start=1):
        heads = [(m.start(), m.group(1).lower()) for m in _HEADING.finditer(page)]
        norm = _Normalised(page)
        text = norm.text
        start = 0
        bounds = [
            m
            for m in re.finditer(r"(?<=[.!?:])\s+(?=[A-Z0-9(\[])|\s{2,}(?=[A-Z])", text)
            if not _ABBREV.search(text[max(0, m.start() - 8) : m.start()])
        ]
        spans = []
        for m in bounds:
            spans.append((start, m.start()))
            start = m.end()
        spans.append((start, len(text)))
        for a, b in spans:
            where = norm.original(a, a + 1)[0] if a < len(norm.where) else len(page)
            for off, name in heads:
                if off <= where:
                    section = name
            _add(out, pno, norm, a, b, section)
    return out


def _add(
    out: list[Sentence], page: int, norm: _Normalised, s: int, e: int, section: str = ""
) -> None:
    while s < e and norm.text[s] == " ":
        s += 1
    while e > s and norm.text[e - 1] == " ":
        e -= 1
    if e - s < 3:
        return
    os_, oe = norm.original(s, e)
    out.append(Sentence(page, os_, oe, _for_matching(norm.text[s:e]), section))


def _for_matching(s: str) -> str:
    """Dose notation as PDFs garble it: '15 ± 4.5 ́ 106' -> '15 ± 4.5 × 10^6'."""
    s = s.replace("\u0301", "×").replace("\u00b4", "×")
    s = re.sub(r"(?<=\d)\s*[×xX*✕]\s*10\s*(?:\^\s*|\()?(\d{1,2})\)?(?!\d)", r" × 10^\1", s)
    s = re.sub(r"(?<=\d)\s*[×xX*✕]\s*10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: " × 10^" + _sup(m[1]), s)
    s = re.sub(r"(?<=\d)\s*[×*✕]\s*(?=10\^)", " × ", s)
    return s


def _sup(s: str) -> str:
    return s.translate(str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))


# --------------------------------------------------------------------------- numbers

_UNITS = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a single": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD = (
    r"(?:(?:"
    + "|".join(_TENS)
    + r")(?:[- ](?:"
    + "|".join(k for k in _UNITS if " " not in k and k not in ("zero", "no", "single"))
    + r"))?|"
    + "|".join(_UNITS)
    + r")"
)
NUM = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{_WORD})"


def to_int(text: str) -> int | None:
    t = text.strip().lower().replace(",", "")
    if t.isdigit():
        return int(t)
    if t in _UNITS:
        return _UNITS[t]
    parts = re.split(r"[- ]", t)
    if parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS.get(parts[1], 0) if len(parts) > 1 else 0)
    return None


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class _Hit:
    field: str
    value: Any
    sentence: Sentence
    weight: float  # how strongly the pattern states the field (0-1)
    span: tuple[int, int] | None = None  # narrower original offsets (for "other")


Rule = Callable[[Sentence], list[_Hit]]
PEOPLE = r"(?:patients|participants|subjects|individuals|people|persons|cases|volunteers)"
ALS = r"(?:\s+with\s+(?:definite\s+|probable\s+|sporadic\s+)?(?:ALS|amyotrophic lateral sclerosis|MND))?"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_ENROLLED = [
    (
        _rx(
            rf"\b({NUM})\s+(?:adult\s+|consecutive\s+|eligible\s+)?{PEOPLE}{ALS}(?:\s*\([^)]*\))?\s+(?:were|was)\s+(?:enrolled|recruited|included|randomi[sz]ed|treated|transplanted|injected)(?!\s+(?:in|for|into)\s+(?:the\s+)?(?:\w+\s+)?(?:analys|evaluat|assessment))"
        ),
        0.9,
    ),
    (
        _rx(
            rf"\b(?:enrolled|recruited|randomi[sz]ed|included)\s+(?:a total of\s+)?({NUM})\s+(?:adult\s+|consecutive\s+)?{PEOPLE}"
        ),
        0.9,
    ),
    (_rx(rf"\ba total of\s+({NUM})\s+{PEOPLE}"), 0.75),
    (
        _rx(
            rf"\b(?:administered|given|transplanted|delivered|offered)\s+(?:to|in|into)\s+({NUM})\s+{PEOPLE}"
        ),
        0.7,
    ),
    (_rx(rf"\b({NUM})\s+{PEOPLE}{ALS}\s+(?:received|underwent|participated|took part)"), 0.7),
    (_rx(rf"\b(?:in|of)\s+({NUM})\s+{PEOPLE}{ALS}\b"), 0.35),
    (_rx(r"\bN\s*=\s*(\d+)\b"), 0.3),
]
_ANALYSED = [
    (
        _rx(
            rf"\b({NUM})\s+(?:{PEOPLE}\s+)?(?:were|was)\s+(?:suitable|eligible|available|included|evaluable)\s+(?:for|in)\s+(?:the\s+)?(?:efficacy|final|statistical)?\s*(?:evaluation|analysis|analyses|assessment)"
        ),
        0.9,
    ),
    (
        _rx(
            rf"\b({NUM})\s+{PEOPLE}\s+(?:completed|finished)\s+(?:the\s+)?(?:study|trial|follow-up|protocol)"
        ),
        0.8,
    ),
    (_rx(rf"\b(?:data (?:from|of)|analy[sz]ed)\s+({NUM})\s+{PEOPLE}"), 0.8),
    (_rx(rf"\b({NUM})\s+{PEOPLE}\s+(?:were\s+)?analy[sz]ed"), 0.8),
    (
        _rx(
            r"\b(?:efficacy|per[- ]protocol|analy[sz]ed)\s+(?:population|set)\s*\(\s*n\s*=\s*(\d+)"
        ),
        0.85,
    ),
]


def _count_rules(field: str, pats: list[tuple[re.Pattern[str], float]]) -> Rule:
    def rule(s: Sentence) -> list[_Hit]:
        hits = []
        for rx, w in pats:
            for m in rx.finditer(s.text):
                n = to_int(m.group(1))
                if n is not None and 0 < n < 100_000:
                    hits.append(_Hit(field, n, s, w))
            if hits:
                break  # the strongest pattern in a sentence decides
        return hits

    return rule


def _design(s: Sentence) -> list[_Hit]:
    t = s.text
    if re.search(r"\b(?:non-?|not\s+)randomi[sz]ed|\bnonrandomi[sz]ed", t, re.I):
        if re.search(r"\bcontrol(?:s|led)?\b|\bcompar", t, re.I) and not re.search(
            r"\b(?:un|non-?)controlled\b|open-label", t, re.I
        ):
            return [_Hit("design", "non-randomised", s, 0.8)]
        return [_Hit("design", "single-arm", s, 0.6)]
    if re.search(r"\brandomi[sz]ed\b", t, re.I) and re.search(
        r"placebo|sham|control|double-blind", t, re.I
    ):
        return [_Hit("design", "RCT", s, 0.9)]
    if re.search(r"\brandomi[sz]ed\b.*\b(?:trial|study)\b|\b(?:were|was) randomi[sz]ed", t, re.I):
        return [_Hit("design", "RCT", s, 0.6)]
    if re.search(
        r"historical controls?|external control|matched (?:natural[- ]history )?control|control group|PRO-ACT",
        t,
        re.I,
    ):
        return [_Hit("design", "non-randomised", s, 0.5)]
    if re.search(
        r"open-label|open (?:study|trial)|single-arm|single-group|uncontrolled|single-centre, prospective|single center, prospective|phase (?:I|1)\b[^.]*(?:trial|study)",
        t,
        re.I,
    ):
        return [_Hit("design", "single-arm", s, 0.5)]
    return []


def _phase(s: Sentence) -> list[_Hit]:
    m = re.search(
        r"\bphase\s+((?:I{1,3}V?|[1-4])(?:[ab])?(?:\s*/\s*(?:I{1,3}V?|[1-4])[ab]?)?)\b",
        s.text,
        re.I,
    )
    if not m:
        return []
    roman = {"1": "I", "2": "II", "3": "III", "4": "IV"}
    value = re.sub(r"\s+", "", m.group(1))
    value = "/".join(
        roman.get(p[0], p[0]) + p[1:]
        if p[:1].isdigit()
        else p.upper()[: len(p.rstrip("ab"))] + p[len(p.rstrip("ab")) :]
        for p in value.split("/")
    )
    w = 0.8 if re.search(r"\b(?:this|our|we|present|trial|study)\b", s.text, re.I) else 0.5
    return [_Hit("phase", value, s, w)]


# cell types: (code, pattern); specific before generic
_CELL_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "MSC-NTF",
        _rx(
            r"\bNurOwn\b|\bMSC-NTF\b|\bNTF-MSC|neurotrophic factor[s]?[- ]secreting|(?:induced|modified) to secrete (?:high levels of )?neurotrophic"
        ),
    ),
    (
        "BM-MSC-NI",
        _rx(
            r"(?:induc\w+|differentiat\w+) (?:towards?|into|of) (?:a )?neura?l|neurally induced|neural differentiation"
        ),
    ),
    ("Muse", _rx(r"\bMuse\b(?: cells)?|multilineage-differentiating stress-enduring|\bCL2020\b")),
    ("Lin-negative", _rx(r"lineage[- ]negative|\bLin-(?:negative|\s)|\bLin− ")),
    (
        "NPC-GDNF",
        _rx(
            r"(?:progenitor|NPC)[^.]{0,60}\bGDNF\b|\bCNS10-NPC|GDNF[- ](?:secreting|expressing|engineered)[^.]{0,30}progenitor"
        ),
    ),
    (
        "HSSC",
        _rx(
            r"\bNSI-566\b|spinal cord[- ]derived neural stem|\bHSSC\b|human spinal (?:cord )?stem cells"
        ),
    ),
    ("NFME", _rx(r"\bNFME\b|fetal spinal cord (?:neural )?cells")),
    (
        "hNSC",
        _rx(
            r"\bhNSCs?\b|(?:fetal|foetal) (?:brain[- ]derived )?(?:human )?neural stem cells|human neural stem cells"
        ),
    ),
    ("ABMNC", _rx(r"(?:bone marrow[- ]derived )?mononuclear cells|\bBM-?MNCs?\b|\bABMNCs?\b")),
    (
        "WJ-MSC",
        _rx(
            r"Wharton'?s jelly|umbilical cord[- ](?:derived )?(?:mesenchymal|MSC)|\bUC-MSCs?\b|\bWJ-MSCs?\b"
        ),
    ),
    (
        "AD-MSC",
        _rx(
            r"adipose[- ](?:tissue[- ])?derived (?:mesenchymal|stem|stromal|MSC)|\bAD-?MSCs?\b|\bADSCs?\b"
        ),
    ),
    (
        "BM-MSC",
        _rx(
            r"\bBM-MSCs?\b|bone marrow[- ](?:derived )?(?:mesenchymal|MSC)|mesenchymal (?:stem|stromal)(?:/stromal)? cells|\bMSCs?\b"
        ),
    ),
]
_OTHER_CELLS = _rx(
    r"\b((?:[A-Za-z][\w'-]*\s+){0,3}?(?:stem|stromal|progenitor|precursor|ensheathing|dendritic|"
    r"mononuclear|glial|Schwann)\s+cells)\b"
)
_CELL_CONTEXT = _rx(
    r"transplant|inject|administ|infus|implant|deliver|graft|received|therapy|treated"
)


def _cell_type(s: Sentence) -> list[_Hit]:
    hits = []
    for code, rx in _CELL_RULES:
        if rx.search(s.text):
            hits.append(_Hit("cell_type", code, s, 0.8 if _CELL_CONTEXT.search(s.text) else 0.5))
            break  # the most specific type named in the sentence
    return hits


def _other_cells(sents: list[Sentence], pages: Sequence[str]) -> list[_Hit]:
    for s in sents:
        if not _CELL_CONTEXT.search(s.text):
            continue
        for m in _OTHER_CELLS.finditer(s.text):
            words = m.group(1).strip()
            if re.search(
                r"\bmotor|\bneurons?\b|\bblood cells|\bT cells|\bmuscle cells", words, re.I
            ):
                continue
            return [_Hit("cell_type", "other", s, 0.5, _find(pages, s, words))]
    return []


def _find(pages: Sequence[str], s: Sentence, words: str) -> tuple[int, int] | None:
    """Original offsets of `words` inside sentence `s` (white space may differ)."""
    page = pages[s.page - 1]
    rx = re.compile(r"\s+".join(re.escape(w) for w in words.split()), re.I)
    m = rx.search(page, s.start, s.end)
    return (m.start(), m.end()) if m else None


_ROUTES: dict[str, re.Pattern[str]] = {
    "IT": _rx(
        r"\bintrathecal(?:ly)?\b|\blumbar puncture|into the cerebrospinal fluid|\bintra-thecal"
    ),
    "IMd": _rx(
        r"\bintraspinal(?:ly)?\b|\bintramedullar(?:y|ly)\b|into the (?:cervical |lumbar |thoracic )?spinal cord|spinal cord (?:injections?|microinjections?)|microtransplant"
    ),
    "IM": _rx(r"\bintramuscular(?:ly)?\b|into (?:the )?(?:\w+ )?muscles?\b"),
    "IV": _rx(r"\bintravenous(?:ly)?\b|\bi\.v\.|into a (?:peripheral )?vein"),
}
_OTHER_ROUTES = _rx(
    r"\b(intracerebroventricular(?:ly)?|intranasal(?:ly)?|intra-?arterial(?:ly)?|intracerebral(?:ly)?|"
    r"intracisternal(?:ly)?|subcutaneous(?:ly)?|intraperitoneal(?:ly)?|intraventricular(?:ly)?)\b"
)
_ADMIN = _rx(
    r"inject|administ|infus|transplant|implant|deliver|received|given|applied|application|route"
)


def _routes(s: Sentence) -> list[_Hit]:
    found = [code for code, rx in _ROUTES.items() if rx.search(s.text)]
    if not found:
        return []
    w = 0.85 if _ADMIN.search(s.text) else 0.45
    return [_Hit("routes", tuple(found), s, w)]


def _other_route(sents: list[Sentence], pages: Sequence[str]) -> list[_Hit]:
    for s in sents:
        m = _OTHER_ROUTES.search(s.text)
        if m and _ADMIN.search(s.text):
            return [_Hit("routes", "other", s, 0.5, _find(pages, s, m.group(1)))]
    return []


def _source(s: Sentence) -> list[_Hit]:
    auto = re.search(r"\bautologous\b", s.text, re.I)
    allo = re.search(r"\ballogene(?:ic|ous)\b|\ballogenic\b|\bdonor[- ]derived", s.text, re.I)
    if auto and allo:
        return []
    if auto:
        return [_Hit("cell_source", "autologous", s, 0.8)]
    if allo:
        return [_Hit("cell_source", "allogeneic", s, 0.8)]
    return []


# doses ------------------------------------------------------------------------------
_MANT = r"\d+(?:[.,]\d+)?"
_SCI = rf"{_MANT}\s*×\s*10\^-?\d{{1,2}}|10\^\d{{1,2}}"
_MILLION = rf"{_MANT}\s+million"
_ONE = rf"(?:{_SCI}|{_MILLION})"
_AMOUNT = (
    rf"(?:between\s+)?(?:{_ONE}|{_MANT})\s*(?:±|\+/-)\s*{_ONE}"  # mean ± sd
    rf"|between\s+{_ONE}\s+(?:and|to)\s+{_ONE}"
    rf"|(?:{_ONE}|{_MANT})\s*(?:-|–|to)\s*{_ONE}"
    rf"|{_ONE}"
)
_DOSE = re.compile(
    rf"(?P<amount>{_AMOUNT})(?P<unit>\s*(?:of\s+)?(?:[\w-]+\s+){{0,2}}?(?:cells?|[\w-]*MSCs?|[\w-]*NSCs?|BMNCs?)(?:\s*(?:/\s*kg|per\s+kg|per\s+kilogram(?:\s+of\s+body\s+weight)?|/\s*kg\s+body\s+weight))?|\s*(?:/\s*kg|per\s+kg|per\s+kilogram))?",
    re.IGNORECASE,
)
_TOTAL = _rx(r"\btotal\b|\bcumulative\b|\baltogether\b|\boverall\b")
_DOSE_CONTEXT = _rx(
    r"dose|received|inject|administ|infus|transplant|implant|deliver|given|consist|contain|cells"
)


def printed_dose(amount: str, unit: str) -> str:
    """The dose as printed, made readable by the dose parser (million -> x10^6,
    'per kilogram' -> /kg, words between the number and 'cells' dropped)."""
    a = re.sub(r"(\d+(?:[.,]\d+)?)\s+million", r"\1 × 10^6", amount, flags=re.I)
    a = re.sub(r"\s+", " ", a).strip()
    u = unit.lower()
    per_kg = bool(re.search(r"/\s*kg|per\s+kg|per\s+kilogram", u))
    return f"{a}{'/kg' if per_kg else ''}"


def _doses(s: Sentence) -> list[_Hit]:
    from alsreview.errors import DoseParseError
    from alsreview.evidence.dose import parse_dose

    if not _DOSE_CONTEXT.search(s.text):
        return []
    hits: list[_Hit] = []
    spans: list[tuple[int, int, str, str, str | None, float]] = []
    for m in _DOSE.finditer(s.text):
        amount, unit = m.group("amount"), m.group("unit") or ""
        if not re.search(r"10\^|million", amount, re.I):
            continue
        if re.search(
            r"\b(?:up to|as (?:much|many) as|maximum of|at most)\s*$", s.text[: m.start()], re.I
        ):
            continue  # a ceiling, not the dose given
        if not unit.strip() and not re.search(r"cells?", s.text[m.end() : m.end() + 30], re.I):
            continue
        text = printed_dose(amount, unit)
        try:
            parse_dose(text)
        except DoseParseError:
            continue
        before = s.text[max(0, m.start() - 60) : m.start()]
        after = s.text[m.end() : m.end() + 40]
        is_total = bool(_TOTAL.search(before) or _TOTAL.search(after[:15]))
        field = "total_cells" if is_total else "dose_per_administration"
        w = (
            0.85
            if re.search(
                r"\bdose|received|inject|administ|infus|per (?:injection|administration|session)",
                s.text,
                re.I,
            )
            else 0.6
        )
        route = _route_near(s.text[m.end() : m.end() + 35])
        hits.append(_Hit(field, text, s, w, None))
        spans.append((m.start(), m.end(), field, text, route, w))
    return _combine_doses(s, spans) or hits


def _route_near(after: str) -> str | None:
    """The route named right after a dose ("... cells intrathecally")."""
    for code, rx in (
        ("IT", r"^\W*(?:\w+\s+){0,2}?(?:intrathecal(?:ly)?|\bIT\b)"),
        ("IM", r"^\W*(?:\w+\s+){0,2}?(?:intramuscular(?:ly)?|\bIM\b)"),
        ("IV", r"^\W*(?:\w+\s+){0,2}?(?:intravenous(?:ly)?|\bIV\b)"),
    ):
        if re.search(rx, after, re.I):
            return code
    return None


def _combine_doses(
    s: Sentence, spans: list[tuple[int, int, str, str, str | None, float]]
) -> list[_Hit]:
    """Several doses in one sentence: by route ("A IT + B IM") or alternatives ("A or B")."""
    from alsreview.errors import DoseParseError
    from alsreview.evidence.dose import parse_dose

    per_admin = [x for x in spans if x[2] == "dose_per_administration"]
    if len(per_admin) < 2:
        return []
    a, b = per_admin[0], per_admin[1]
    between = s.text[a[1] : b[0]]
    if a[4] and b[4] and a[4] != b[4]:
        text = f"{a[3]} {a[4]} + {b[3]} {b[4]}"
    elif re.search(r"\bor\b", between) and len(between) < 40:
        text = f"{a[3]} or {b[3]}"
    else:
        return []
    try:
        parse_dose(text)
    except DoseParseError:
        return []
    return [_Hit("dose_per_administration", text, s, min(a[5], b[5]))]


# schedule -----------------------------------------------------------------------------
_ADMIN_NOUN = r"(?:(?:intrathecal|intravenous|intramuscular|intraspinal|lumbar|IT|IV|IM|cell|MSC|stem cell|repeated|monthly|consecutive|separate|combined|additional|further|booster|unilateral|bilateral)\s+){0,2}(?:injections?|doses?|administrations?|infusions?|applications?|transplantations?|treatments?|cycles?|courses?|punctures?|implantations?|sessions?|surger(?:y|ies)|(?:surgical\s+)?procedures?|operations?)"
_SESSIONS = [
    (_rx(rf"\b({NUM})\s+or\s+({NUM})\s+{_ADMIN_NOUN}"), 0.7),
    (
        _rx(
            rf"\b(?:received|given|underwent|with|administered|receive|of|in)\s+({NUM}|a single|one)\s+{_ADMIN_NOUN}"
        ),
        0.85,
    ),
    (_rx(rf"\b({NUM}|a single)\s+(?:consecutive\s+|repeated\s+|separate\s+)?{_ADMIN_NOUN}\b"), 0.6),
    (_rx(r"\b(once|twice|three times|four times|five times|six times)\b"), 0.6),
]
_TIMES = {"once": 1, "twice": 2, "three times": 3, "four times": 4, "five times": 5, "six times": 6}


def _sessions(s: Sentence) -> list[_Hit]:
    if not _ADMIN.search(s.text):
        return []
    for rx, w in _SESSIONS:
        for m in rx.finditer(s.text):
            g = m.group(1).lower()
            if re.search(r"(?:\bto|-|–|\bor)\s*$", s.text[: m.start(1)]):
                continue  # "5 to 15 injections": a range of injections, not of sessions
            n = _TIMES.get(g) if g in _TIMES else to_int(g)
            if n is None or not 0 < n <= 24:
                continue
            if g in _TIMES and not re.search(
                r"inject|administ|infus|applied|treated|transplant|given|received", s.text, re.I
            ):
                continue
            out = [_Hit("schedule.sessions_min", n, s, w)]
            if rx.groups > 1 and to_int(m.group(2)):  # "one or two injections"
                out.append(_Hit("schedule.sessions_max", to_int(m.group(2)), s, w))
            return out
    return []


_UNIT = r"(days?|weeks?|months?|years?)"
_INTERVAL = [
    _rx(rf"\b({NUM})\s*[- ]?{_UNIT}\s+apart"),
    _rx(rf"\b(?:at\s+)?(?:an?\s+)?intervals?\s+of\s+({NUM})\s*{_UNIT}"),
    _rx(rf"\b({NUM})[- ]{_UNIT}\s+intervals?"),
    _rx(rf"\bevery\s+({NUM})\s*{_UNIT}"),
    _rx(rf"\b({NUM})\s+{_UNIT}\s+later\b"),
]
_INTERVAL_WORDS = _rx(
    r"\b(monthly|bimonthly|quarterly|weekly|every other month|once a month|once a week|"
    r"each month|every month|every week)\b"
)
_INTERVAL_CANON = {
    "monthly": "1 month",
    "once a month": "1 month",
    "each month": "1 month",
    "every month": "1 month",
    "bimonthly": "2 months",
    "every other month": "2 months",
    "quarterly": "3 months",
    "weekly": "1 week",
    "once a week": "1 week",
    "every week": "1 week",
}


def _interval(s: Sentence) -> list[_Hit]:
    if not re.search(
        r"inject|administ|infus|dose|applica|transplant|treatment|puncture|repeated|second|cycle",
        s.text,
        re.I,
    ):
        return []
    for rx in _INTERVAL:
        m = rx.search(s.text)
        if m:
            n = to_int(m.group(1))
            if n is None:
                continue
            unit = m.group(2).lower().rstrip("s")
            return [_Hit("schedule.interval", f"{n} {unit}{'s' if n != 1 else ''}", s, 0.8)]
    m = _INTERVAL_WORDS.search(s.text)
    if m and re.search(r"inject|administ|infus|dose", s.text, re.I):
        return [_Hit("schedule.interval", _INTERVAL_CANON[m.group(1).lower()], s, 0.6)]
    return []


_FOLLOW = [
    _rx(
        rf"\bfollow(?:ed)?[- ]up\s+(?:period\s+)?(?:of|for|lasted|was|lasting)\s+({NUM}|\d+(?:\.\d+)?)\s*{_UNIT}"
    ),
    _rx(rf"\b({NUM}|\d+(?:\.\d+)?)[- ]{_UNIT}\s+follow[- ]up"),
    _rx(
        rf"\b(?:followed(?: up)?|observed|monitored)\s+(?:for|over)\s+(?:a (?:period|median|mean) of\s+)?({NUM}|\d+(?:\.\d+)?)\s*{_UNIT}"
    ),
    _rx(rf"\b({NUM}|\d+(?:\.\d+)?)\s+{_UNIT}\s+of\s+follow[- ]up"),
    _rx(
        rf"\bfor\s+({NUM}|\d+(?:\.\d+)?)\s*{_UNIT}\s+after\s+(?:the\s+)?(?:first\s+|last\s+)?(?:injection|transplantation|treatment|administration|application|infusion|surgery)"
    ),
]
_PER_MONTH = {"day": 1 / 30.4375, "week": 7 / 30.4375, "month": 1.0, "year": 12.0}


def _follow_up(s: Sentence) -> list[_Hit]:
    for i, rx in enumerate(_FOLLOW):
        m = rx.search(s.text)
        if m:
            g = m.group(1)
            n = float(g) if re.fullmatch(r"\d+(?:\.\d+)?", g) else to_int(g)
            if n is None or n <= 0:
                continue
            months = n * _PER_MONTH[m.group(2).lower().rstrip("s")]
            return [_Hit("follow_up_months", round(months, 2), s, 0.8 if i < 4 else 0.6)]
    return []


# ALSFRS-R ------------------------------------------------------------------------------
_NUMV = r"-?\d+(?:\.\d+)?"
_STAT = rf"({_NUMV})\s*(?:(?:±|\+/-)\s*({_NUMV})|\((?:SD|SEM|SE)?\s*[=:]?\s*({_NUMV})\))?"
_FRS = r"ALSFRS(?:-R|R)?"
_FROM_TO = _rx(
    rf"{_FRS}[^.;]*?\bfrom\s+(?:a\s+(?:mean|median)\s+(?:of\s+)?)?{_STAT}[^.;]*?\bto\s+{_STAT}"
)
_BASE_AFTER = _rx(
    rf"{_FRS}[^.;]*?\b(?:was|of|were|averaged)\s+{_STAT}\s*(?:points\s+)?(?:at\s+baseline|before[^.;,]*?)"
    rf"[^.;]*?\band\s+{_STAT}\s*(?:points\s+)?(?:at|after)\b"
)
_BEFORE_AFTER_RATE = _rx(
    rf"{_FRS}[^.;]*?\b({_NUMV})\s*(?:(?:±|\+/-)\s*({_NUMV}))?\s*(?:points?\s*)?(?:/|per)\s*month[^.;]*?\bbefore\b[^.;]*?\b(?:to|and)\s+({_NUMV})\s*(?:(?:±|\+/-)\s*({_NUMV}))?\s*(?:points?\s*)?(?:/|per)\s*month"
)


def _dispersion_kind(text: str) -> tuple[str, float]:
    """SD / SEM as the sentence (or, failing that, the whole text) says; SD by default."""
    if re.search(r"\bSEM\b|standard error|\bS\.E\.M?\b|\bSE\b", text):
        return "SEM", 1.0
    if re.search(r"\bSD\b|standard deviation|\bS\.D\.", text):
        return "SD", 1.0
    return "SD", 0.7


def stated_dispersion_kind(text: str) -> str | None:
    """ "SD" or "SEM" when `text` itself names the spread, else None (never a default)."""
    kind, weight = _dispersion_kind(text)
    return kind if weight == 1.0 else None


def _stat(
    est: str, disp: str | None, kind: str, n: int | None, label: str, unit: str | None
) -> JSONDict:
    out: JSONDict = {"label": label, "central": "mean", "estimate": float(est)}
    if disp is not None:
        out["dispersion"] = float(disp)
        out["dispersion_kind"] = kind
    if n is not None:
        out["n"] = n
    if unit:
        out["unit"] = unit
    return out


def _alsfrs(s: Sentence, whole: str, n_default: int | None) -> list[_Hit]:
    if not re.search(_FRS, s.text, re.I):
        return []
    m_n = re.search(
        r"\(\s*n\s*=\s*(\d+)\s*\)|\bin\s+(?:all\s+)?(\d+)\s+(?:patients|participants)", s.text, re.I
    )
    n = int(m_n.group(1) or m_n.group(2)) if m_n else n_default
    kind, kw = _dispersion_kind(s.text)
    if kw < 1.0:
        kind, kw = _dispersion_kind(whole)
        kw = 0.85 if kw == 1.0 else 0.6
    # (pattern, weight, unit): "from A ± x to B ± y"; "A ± x at baseline and B ± y at";
    # "A points/month before ... B points/month"
    for rx, w, unit in (
        (_FROM_TO, 0.85, None),
        (_BASE_AFTER, 0.8, None),
        (_BEFORE_AFTER_RATE, 0.75, "points/month"),
    ):
        m = rx.search(s.text)
        if not m:
            continue
        g = m.groups()
        if len(g) == 4:  # the rate pattern has no parenthesised dispersion
            g = (g[0], g[1], None, g[2], g[3], None)
        a, ad, ad2, b, bd, bd2 = g
        before = _stat(a, ad or ad2, kind, n, "before", unit)
        after = _stat(b, bd or bd2, kind, n, "after", unit)
        return [
            _Hit("efficacy.alsfrs_r_before", before, s, w * kw),
            _Hit("efficacy.alsfrs_r_after", after, s, w * kw),
        ]
    return []


# safety ------------------------------------------------------------------------------
_SAE_NONE = _rx(
    r"\bno\s+(?:treatment[- ]related\s+|procedure[- ]related\s+|suspected\s+|unexpected\s+)*serious\s+(?:adverse\s+)?(?:events?|reactions?|effects?|complications?)"
    r"|\bno\s+SAEs?\b|\bno\s+SUSARs?\b|without\s+(?:any\s+)?serious\s+adverse"
    r"|\bno\s+serious\s+(?:treatment|procedure|cell|product)[- ]related\s+(?:adverse\s+)?(?:events?|reactions?)"
)
_SAE_N = _rx(
    rf"\b({NUM})\s+(?:treatment[- ]related\s+|procedure[- ]related\s+)?serious\s+adverse\s+(?:events?|reactions?)\s+(?:were\s+)?(?:\w+\s+){{0,3}}?(?:related|attribut|associated|due)"
)
_DEATHS = [
    (_rx(rf"\b({NUM})\s+(?:{PEOPLE}\s+)?(?:died|deaths?\s+occurred)"), 0.8),
    (_rx(r"\b(no)\s+(?:patient|participant|subject)s?\s+died|\b(no)\s+deaths?\b"), 0.8),
]


def _safety(s: Sentence) -> list[_Hit]:
    hits = []
    if _SAE_NONE.search(s.text):
        related = re.search(
            r"related|attribut|associated|due to|SUSAR|suspected|treatment", s.text, re.I
        )
        hits.append(_Hit("safety.serious_related_events", 0, s, 0.85 if related else 0.6))
    elif re.search(r"serious adverse (?:event|reaction)", s.text, re.I) and re.search(
        r"\bunrelated\b|\bnot (?:considered |judged )?related|\bnone (?:of which )?(?:was |were )?related",
        s.text,
        re.I,
    ):
        hits.append(_Hit("safety.serious_related_events", 0, s, 0.6))
    else:
        m = _SAE_N.search(s.text)
        if m and to_int(m.group(1)) is not None:
            hits.append(_Hit("safety.serious_related_events", to_int(m.group(1)), s, 0.7))
    for rx, w in _DEATHS:
        m = rx.search(s.text)
        if m and not re.search(r"(?:\bNo\.?|\bpatient|\bsubject|#)\s*$", s.text[: m.start()], re.I):
            g = next(x for x in m.groups() if x)
            n = to_int(g)
            if n is not None:
                hits.append(_Hit("safety.deaths", n, s, w))
            break
    return hits


# --------------------------------------------------------------------------- combine


def _join_routes(codes: set[str]) -> str:
    order = list(load_taxonomy().routes)
    return "+".join(sorted(codes, key=order.index))


def _best(field: str, hits: list[_Hit]) -> _Hit | None:
    """The value best supported: summed pattern weights, earliest sentence on ties."""
    if not hits:
        return None
    score: dict[str, float] = {}
    first: dict[str, _Hit] = {}
    for h in hits:
        key = repr(h.value)
        score[key] = score.get(key, 0.0) + h.weight
        if key not in first or h.weight > first[key].weight:
            first[key] = h
    key = max(score, key=lambda k: (score[k], -hits.index(first[k])))
    top = first[key]
    total = sum(score.values())
    share = score[key] / total
    support = 1 - 0.5 ** (score[key] / max(top.weight, 1e-9))  # more mentions, more support
    conf = top.weight * (0.55 + 0.45 * share) * (0.8 + 0.2 * support)
    return _Hit(field, top.value, top.sentence, min(conf, 0.99), top.span)


def suggest(pages: Sequence[str] | str) -> list[Suggestion]:
    """Suggestions for the ALS fields from page texts (a string is one page)."""
    if isinstance(pages, str):
        pages = [pages]
    sents = sentences(pages)
    whole = " ".join(s.text for s in sents)
    hits: dict[str, list[_Hit]] = {}

    def add(new: list[_Hit]) -> None:
        for h in new:
            w = h.weight * h.sentence.own
            hits.setdefault(h.field, []).append(_Hit(h.field, h.value, h.sentence, w, h.span))

    enrolled = _count_rules("patients_enrolled", _ENROLLED)
    analysed = _count_rules("patients_analysed", _ANALYSED)
    for s in sents:
        add(analysed(s) + enrolled(s))
        add(_design(s) + _phase(s) + _cell_type(s) + _source(s) + _routes(s) + _doses(s))
        add(_sessions(s) + _interval(s) + _follow_up(s) + _safety(s))
    if "cell_type" not in hits:
        add(_other_cells(sents, pages))
    out: list[Suggestion] = []
    chosen: dict[str, _Hit] = {}
    for field, fh in hits.items():
        best = _best_routes(fh) if field == "routes" else _best(field, fh)
        if best is not None:
            chosen[field] = best
    if "routes" not in chosen:
        other = _other_route(sents, pages)
        if other:
            chosen["routes"] = other[0]
    n_default = (
        chosen["patients_analysed"].value
        if "patients_analysed" in chosen
        else (chosen["patients_enrolled"].value if "patients_enrolled" in chosen else None)
    )
    fr: list[_Hit] = []
    for s in sents:
        fr += _alsfrs(s, whole, n_default)
    for field in ("efficacy.alsfrs_r_before", "efficacy.alsfrs_r_after"):
        mine = [h for h in fr if h.field == field]
        if mine:
            chosen[field] = max(mine, key=lambda h: h.weight)
    if "schedule.sessions_min" in chosen and "schedule.sessions_max" not in chosen:
        h = chosen["schedule.sessions_min"]
        chosen["schedule.sessions_max"] = _Hit(
            "schedule.sessions_max", h.value, h.sentence, h.weight, h.span
        )
    if (
        "patients_enrolled" in chosen
        and "patients_analysed" in chosen
        and chosen["patients_analysed"].value > chosen["patients_enrolled"].value
    ):
        del chosen["patients_analysed"]  # cannot analyse more than were enrolled
    for field in FIELDS:
        pick = chosen.get(field)
        if pick is None or pick.weight < MIN_CONFIDENCE:
            continue
        h = pick
        s = h.sentence
        start, end = h.span if h.span else (s.start, s.end)
        quote = pages[s.page - 1][start:end]
        out.append(Suggestion(field, h.value, quote, s.page, start, end, h.weight))
    return out


def _best_routes(hits: list[_Hit]) -> _Hit | None:
    """Routes: every code whose support (summed sentence weights) is at least half the best
    code's, joined by '+'; quoted from the sentence naming most of them."""
    score: dict[str, float] = {}
    for h in hits:
        for code in h.value:
            score[code] = score.get(code, 0.0) + h.weight
    if not score:
        return None
    top_score = max(score.values())
    codes = {c for c, v in score.items() if v >= 0.5 * top_score}
    top = max(hits, key=lambda h: (len(set(h.value) & codes) - len(set(h.value) - codes), h.weight))
    exact = set(top.value) == codes
    conf = min(0.95, top.weight * (0.9 if exact else 0.7) * (1.1 if len(hits) > 1 else 1.0))
    return _Hit("routes", _join_routes(codes), top.sentence, conf, top.span)


MIN_CONFIDENCE = 0.25  # below this a suggestion is mostly background or others' work

FIELDS = (
    "patients_enrolled",
    "patients_analysed",
    "design",
    "phase",
    "cell_type",
    "cell_source",
    "routes",
    "dose_per_administration",
    "total_cells",
    "schedule.sessions_min",
    "schedule.sessions_max",
    "schedule.interval",
    "follow_up_months",
    "efficacy.alsfrs_r_before",
    "efficacy.alsfrs_r_after",
    "safety.serious_related_events",
    "safety.deaths",
)


def suggest_file(path: str) -> list[Suggestion]:
    """Suggestions from a PDF or text file (read with `extraction.fulltext`)."""
    from alsreview.extraction.fulltext import read_fulltext

    return suggest(list(read_fulltext(path).pages))
