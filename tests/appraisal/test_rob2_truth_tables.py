"""RoB 2 algorithms against truth tables written from the official guidance.

Source: Higgins JPT, Savović J, Page MJ, Elbers RG, Sterne JAC. Revised Cochrane
risk-of-bias tool for randomized trials (RoB 2), full guidance document, 22 August 2019,
the "Algorithm for suggested judgement" figures of each domain (Figures 2-7) and the
overall judgement table (Table 3); Sterne JAC et al. BMJ 2019;366:l4898.

Each row is one path of a figure: the answers on the path as sets (every answer in a set
takes the same arrow), and the judgement at its end.  Rows are expanded to every
combination of their sets, and each domain's rows together must cover every combination of
its questions' answers exactly once (so no path is missing or duplicated).
"""

from __future__ import annotations

import itertools

import pytest

from alsreview.appraisal import judge, load_instrument

Y, N, NI, NA = ["Y", "PY"], ["N", "PN"], ["NI"], ["NA"]
YNI, NNI = Y + NI, N + NI
ALL = Y + N + NI
L, S, H = "low", "some concerns", "high"

#: answers for which every domain is low; a test replaces one domain's questions
LOW = {
    "1.1": "Y", "1.2": "Y", "1.3": "N",
    "2.1": "N", "2.2": "N", "2.6": "Y",
    "3.1": "Y",
    "4.1": "N", "4.2": "N", "4.3": "N",
    "5.1": "Y", "5.2": "N", "5.3": "N",
}  # fmt: skip


def either(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    """Pairs (x, y) of answers where at least one is in `a`, the other anywhere in `b`."""
    return [(x, y) for x in b for y in b if x in a or y in a]


def both(a: list[str]) -> list[tuple[str, str]]:
    return [(x, y) for x in a for y in a]


def expand(row: dict[str, list]) -> list[dict[str, str]]:
    """Every combination of a row's answer sets; a key "a/b" takes pairs."""
    keys = list(row)
    out = []
    for combo in itertools.product(*(row[k] for k in keys)):
        answers: dict[str, str] = {}
        for k, v in zip(keys, combo, strict=True):
            if "/" in k:
                a, b = k.split("/")
                answers[a], answers[b] = v
            else:
                answers[k] = v
        out.append(answers)
    return out


def domain_value(tool: str, domain: str, answers: dict[str, str], effect: str | None = None):
    prefix = domain[1:].rstrip("a") + "." if domain != "D1b" else "1b."
    base = {k: v for k, v in LOW.items() if not k.startswith(prefix)}
    if tool == "rob2-cluster":
        base |= {"1b.1": "Y", "1b.3": "N"} if domain != "D1b" else {}
    result = judge(load_instrument(tool), base | answers, effect=effect)
    return result.to_dict()["domains"][domain]


# ---- Domain 1 (guidance Figure 2) ------------------------------------------------------
D1 = [
    ({"1.2": Y, "1.1": YNI, "1.3": NNI}, L),
    ({"1.2": Y, "1.1": YNI, "1.3": Y}, S),
    ({"1.2": Y, "1.1": N}, S),
    ({"1.2": NI, "1.3": NNI}, S),
    ({"1.2": NI, "1.3": Y}, H),
    ({"1.2": N}, H),
]

# ---- Domain 2, effect of assignment (Figure 3): part 1 and part 2, worst of the two -------
D2A_PART1 = [
    ({"2.1/2.2": both(N)}, L),
    ({"2.1/2.2": either(YNI, ALL), "2.3": N}, L),
    ({"2.1/2.2": either(YNI, ALL), "2.3": NI}, S),
    ({"2.1/2.2": either(YNI, ALL), "2.3": Y, "2.4": N}, S),
    ({"2.1/2.2": either(YNI, ALL), "2.3": Y, "2.4": YNI, "2.5": Y}, S),
    ({"2.1/2.2": either(YNI, ALL), "2.3": Y, "2.4": YNI, "2.5": NNI}, H),
]
D2A_PART2 = [
    ({"2.6": Y}, L),
    ({"2.6": NNI, "2.7": N}, S),
    ({"2.6": NNI, "2.7": YNI}, H),
]
WORST = {(a, b): max(a, b, key=[L, S, H].index) for a in (L, S, H) for b in (L, S, H)}
D2A = [(p1 | p2, WORST[j1, j2]) for p1, j1 in D2A_PART1 for p2, j2 in D2A_PART2]

# ---- Domain 2, effect of adhering (Figure 4) ----------------------------------------------
AWARE = either(YNI, ALL)
D2B = [
    ({"2.1/2.2": both(N), "2.4/2.5": both(NA + N)}, L),
    ({"2.1/2.2": both(N), "2.4/2.5": either(YNI, NA + ALL), "2.6": Y}, S),
    ({"2.1/2.2": both(N), "2.4/2.5": either(YNI, NA + ALL), "2.6": NNI}, H),
    ({"2.1/2.2": AWARE, "2.3": NA + Y, "2.4/2.5": both(NA + N)}, L),
    ({"2.1/2.2": AWARE, "2.3": NA + Y, "2.4/2.5": either(YNI, NA + ALL), "2.6": Y}, S),
    ({"2.1/2.2": AWARE, "2.3": NA + Y, "2.4/2.5": either(YNI, NA + ALL), "2.6": NNI}, H),
    ({"2.1/2.2": AWARE, "2.3": NNI, "2.6": Y}, S),
    ({"2.1/2.2": AWARE, "2.3": NNI, "2.6": NNI}, H),
]

# ---- Domain 3 (Figure 5) -----------------------------------------------------------------
D3 = [
    ({"3.1": Y}, L),
    ({"3.1": NNI, "3.2": Y}, L),
    ({"3.1": NNI, "3.2": N, "3.3": N}, L),
    ({"3.1": NNI, "3.2": N, "3.3": YNI, "3.4": N}, S),
    ({"3.1": NNI, "3.2": N, "3.3": YNI, "3.4": YNI}, H),
]

# ---- Domain 4 (Figure 6): 4.2 = NI turns the two low ends into some concerns ---------------
D4 = [
    ({"4.1": Y}, H),
    ({"4.1": NNI, "4.2": Y}, H),
    ({"4.1": NNI, "4.2": N, "4.3": N}, L),
    ({"4.1": NNI, "4.2": N, "4.3": YNI, "4.4": N}, L),
    ({"4.1": NNI, "4.2": N, "4.3": YNI, "4.4": YNI, "4.5": N}, S),
    ({"4.1": NNI, "4.2": N, "4.3": YNI, "4.4": YNI, "4.5": YNI}, H),
    ({"4.1": NNI, "4.2": NI, "4.3": N}, S),
    ({"4.1": NNI, "4.2": NI, "4.3": YNI, "4.4": N}, S),
    ({"4.1": NNI, "4.2": NI, "4.3": YNI, "4.4": YNI, "4.5": N}, S),
    ({"4.1": NNI, "4.2": NI, "4.3": YNI, "4.4": YNI, "4.5": YNI}, H),
]

# ---- Domain 5 (Figure 7) -----------------------------------------------------------------
D5 = [
    ({"5.2/5.3": either(Y, ALL)}, H),
    ({"5.2/5.3": both(N), "5.1": Y}, L),
    ({"5.2/5.3": both(N), "5.1": NNI}, S),
    ({"5.2/5.3": [p for p in either(NI, N + NI)]}, S),
]

TABLES = {
    ("rob2", "D1", None): D1,
    ("rob2", "D2", "assignment"): D2A,
    ("rob2", "D2", "adhering"): D2B,
    ("rob2", "D3", None): D3,
    ("rob2", "D4", None): D4,
    ("rob2", "D5", None): D5,
    ("rob2-cluster", "D1a", None): D1,
}


def _cases():
    for (tool, domain, effect), rows in TABLES.items():
        for i, (row, expected) in enumerate(rows):
            yield pytest.param(
                tool,
                domain,
                effect,
                row,
                expected,
                id=f"{tool}-{domain}-{effect or ''}-path{i + 1}-{expected.replace(' ', '_')}",
            )


@pytest.mark.parametrize(("tool", "domain", "effect", "row", "expected"), list(_cases()))
def test_every_path(tool, domain, effect, row, expected):
    for answers in expand(row):
        got = domain_value(tool, domain, answers, effect)
        assert got == expected, f"{answers} -> {got}, guidance says {expected}"


def _options(q: str, tool: str, effect: str | None) -> list[str]:
    inst = load_instrument(tool)
    question = inst.questions(effect)[q]
    return [o.code for o in inst.options(question)]


@pytest.mark.parametrize(("tool", "domain", "effect"), list(TABLES))
def test_truth_table_is_complete(tool, domain, effect):
    """The rows partition the answer space: every reachable combination exactly once."""
    rows = [a for row, _ in TABLES[tool, domain, effect] for a in expand(row)]
    keys = [tuple(sorted(r.items())) for r in rows]
    assert len(keys) == len(set(keys)), "a combination is listed twice"
    # every answer to the first question(s) of the figure appears
    first = next(iter(TABLES[tool, domain, effect][0][0]))
    firsts = first.split("/")
    seen = {tuple(r[q] for q in firsts) for r in rows}
    opts = [o for o in _options(firsts[0], tool, effect) if o != "NA"]
    assert seen == set(itertools.product(opts, repeat=len(firsts)))


def test_domain1_path_skips_baseline_question_when_sequence_not_random():
    """1.2 Y/PY with 1.1 N/PN ends at some concerns without asking 1.3 (Figure 2)."""
    got = domain_value("rob2", "D1", {"1.2": "Y", "1.1": "N"})
    assert got == S


@pytest.mark.parametrize(
    ("domains", "expected"),
    [
        ([L, L, L, L, L], L),
        ([L, S, L, L, L], S),
        ([S, S, S, S, S], S),
        ([L, L, H, L, L], H),
        ([S, L, L, L, H], H),
    ],
)
def test_overall_rob2(domains, expected):
    """Guidance Table 3: low only if all domains low; high if any high; else some concerns."""
    answers = dict(LOW)
    if domains[0] == S:
        answers["1.3"] = "Y"
    if domains[1] == S:
        answers |= {"2.6": "N", "2.7": "N"}
    if domains[2] == H:
        answers |= {"3.1": "N", "3.2": "N", "3.3": "Y", "3.4": "Y"}
    if domains[2] == S:
        answers |= {"3.1": "N", "3.2": "N", "3.3": "Y", "3.4": "N"}
    if domains[3] == S:
        answers |= {"4.3": "Y", "4.4": "Y", "4.5": "N"}
    if domains[4] == H:
        answers["5.2"] = "Y"
    if domains[4] == S:
        answers["5.1"] = "NI"
    result = judge(load_instrument("rob2"), answers)
    assert list(result.to_dict()["domains"].values()) == domains
    assert result.overall == expected


# ---- Cluster-randomized: domain 1b ----------------------------------------------------------
# From the RoB 2 CRT guidance (18 March 2021); the 1b.2 = NI branch is our reading of it
# (it mirrors domain 1's 1.2 = NI branch; see the note in rob2_cluster.json).
D1B = [
    ({"1b.1": Y, "1b.3": NNI}, L),
    ({"1b.1": Y, "1b.3": Y}, S),
    ({"1b.1": NNI, "1b.2": N, "1b.3": NNI}, L),
    ({"1b.1": NNI, "1b.2": N, "1b.3": Y}, S),
    ({"1b.1": NNI, "1b.2": NI, "1b.3": NNI}, S),
    ({"1b.1": NNI, "1b.2": NI, "1b.3": Y}, H),
    ({"1b.1": NNI, "1b.2": Y}, H),
]


@pytest.mark.parametrize(("row", "expected"), D1B)
def test_cluster_domain_1b(row, expected):
    for answers in expand(row):
        assert domain_value("rob2-cluster", "D1b", answers) == expected, answers


def test_cluster_has_domains_1a_1b_and_2_to_5():
    got = judge(load_instrument("rob2-cluster"), LOW | {"1b.1": "Y", "1b.3": "N"}).to_dict()
    assert list(got["domains"]) == ["D1a", "D1b", "D2", "D3", "D4", "D5"]
    assert got["overall"] == L
