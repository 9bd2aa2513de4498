"""GRADE certainty of a body of evidence: rules as data, each judgement with its reason.

In:  a `Body` - one outcome in one kind of evidence (randomised, non-randomised controlled,
     uncontrolled before/after): its studies with their risk-of-bias judgements, patients,
     and either a pooled estimate (CI, prediction interval, I2) or the studies' directions.
Out: a `Certainty` - the start level and one `Judgement` per domain (risk of bias,
     inconsistency, indirectness, imprecision, publication bias, upgrade) with the rule and
     reason, overrides applied with their justification - and `statement()`, the GRADE
     wording of a finding at that certainty ("may", "probably", "very uncertain").

Rules (`data/grade_rules.json`): GRADE Handbook (Schünemann et al. 2013); Guyatt et al.,
GRADE guidelines 5-9, J Clin Epidemiol 2011;64. Wording: Santesso et al., GRADE guidelines
26: informative statements, J Clin Epidemiol 2020;119:126-135.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from alsreview.errors import ValidationError
from alsreview.typealiases import JSONDict

DOMAINS = (
    "risk_of_bias",
    "inconsistency",
    "indirectness",
    "imprecision",
    "publication_bias",
    "upgrade",
)
DOMAIN_NAMES = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
    "upgrade": "rating up",
}
DESIGNS = ("randomised", "non-randomised controlled", "uncontrolled before/after")


@lru_cache(maxsize=4)
def _load(path: str | None) -> JSONDict:
    if path is None:
        text = resources.files("alsreview.data").joinpath("grade_rules.json").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return json.loads(text)


def load_rules(path: str | Path | None = None) -> JSONDict:
    """The GRADE rules (bundled `data/grade_rules.json` unless `path` is given)."""
    return _load(None if path is None else str(path))


@dataclass(frozen=True)
class Body:
    """One outcome in one kind of evidence, as GRADE rates it."""

    outcome: str
    design: str  # one of DESIGNS
    studies: tuple[str, ...]
    patients: int | None = None
    rob: Mapping[str, str | None] = field(default_factory=dict)  # id -> overall judgement
    weights: Mapping[str, float] = field(default_factory=dict)  # id -> patients
    estimate: float | None = None
    ci: tuple[float, float] | None = None
    pi: tuple[float, float] | None = None
    i2: float | None = None
    null: float = 0.0
    continuous: bool = True
    events: int | None = None
    directions: tuple[str, ...] = ()
    comparisons: tuple[str, ...] = ()
    subgroup_only: tuple[str, ...] = ()
    egger_p: float | None = None
    ratio: float | None = None

    @property
    def k(self) -> int:
        return len(self.studies)


@dataclass(frozen=True)
class Judgement:
    """One domain's rating: change of level (-2..+2), the rule applied and why."""

    domain: str
    change: int
    reason: str
    rule: str
    overridden: str | None = None  # the rule's own reason, when a reviewer overrode it

    @property
    def label(self) -> str:
        if self.domain == "upgrade":
            return {0: "not rated up", 1: "rated up one level", 2: "rated up two levels"}[
                self.change
            ]
        return {0: "not serious", -1: "serious", -2: "very serious"}[self.change]


@dataclass(frozen=True)
class Override:
    """A reviewer's judgement replacing a rule's, with the justification shown beside it."""

    outcome: str
    design: str
    domain: str
    change: int
    justification: str

    def __post_init__(self) -> None:
        problems = []
        if self.domain not in DOMAINS:
            problems.append(f"unknown GRADE domain {self.domain!r}; known: {', '.join(DOMAINS)}")
        if self.design not in DESIGNS:
            problems.append(f"unknown evidence type {self.design!r}; known: {', '.join(DESIGNS)}")
        allowed = (0, 1, 2) if self.domain == "upgrade" else (0, -1, -2)
        if self.change not in allowed:
            problems.append(f"{self.domain}: change must be one of {allowed}, got {self.change!r}")
        if not str(self.justification or "").strip():
            problems.append(
                f"override of {self.domain} for {self.outcome} ({self.design}) needs a "
                "written justification"
            )
        if problems:
            raise ValidationError(problems)


def load_overrides(path: str | Path) -> list[Override]:
    """GRADE overrides from a JSON file: a list of objects with `outcome`, `design`,
    `domain`, `change` and `justification`. Every problem is reported with its entry."""
    from alsreview.errors import Problem

    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = Problem(f"cannot read GRADE overrides: {exc}", file=str(path))
        raise ValidationError([problem]) from None
    if not isinstance(data, list):
        raise ValidationError([Problem("expected a JSON list of overrides", file=str(path))])
    out, problems = [], []
    keys = {"outcome", "design", "domain", "change", "justification"}
    for i, entry in enumerate(data):
        where = f"override {i + 1}"
        if not isinstance(entry, dict) or set(entry) != keys:
            got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            problems.append(
                Problem(f"{where}: expected exactly {sorted(keys)}, got {got}", file=str(path))
            )
            continue
        try:
            out.append(Override(**entry))
        except ValidationError as exc:
            problems += [Problem(f"{where}: {p.message}", file=str(path)) for p in exc.problems]
    if problems:
        raise ValidationError(problems)
    return out


@dataclass(frozen=True)
class Certainty:
    """The certainty of a body of evidence and how it was reached."""

    body: Body
    start: int
    start_reason: str
    judgements: tuple[Judgement, ...]
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def level(self) -> int:
        return max(1, min(4, self.start + sum(j.change for j in self.judgements)))

    @property
    def label(self) -> str:
        return self.labels.get(str(self.level), str(self.level))

    def judgement(self, domain: str) -> Judgement:
        return next(j for j in self.judgements if j.domain == domain)

    @property
    def reasons(self) -> list[str]:
        """Why the level moved: one line per domain that changed it."""
        return [
            f"{DOMAIN_NAMES[j.domain]} ({j.change:+d}): {j.reason}"
            for j in self.judgements
            if j.change
        ]

    def summary(self) -> str:
        lines = [f"{self.body.outcome} ({self.body.design}): {self.label} certainty"]
        lines += [f"  start {self.start}: {self.start_reason}"]
        lines += [f"  {DOMAIN_NAMES[j.domain]}: {j.label} - {j.reason}" for j in self.judgements]
        return "\n".join(lines)


def _studies(k: int) -> str:
    return f"{k} study" if k == 1 else f"{k} studies"


def _rob(body: Body, rules: JSONDict) -> Judgement:
    """Share of the patients in studies at serious (high, or not appraised) and critical
    risk; uncontrolled before/after evidence is rated down for its design as well."""
    r = rules["risk_of_bias"]
    if body.k == 0:
        return Judgement("risk_of_bias", 0, "no studies", "risk_of_bias.none")
    severity = r["severity"]
    judged = {s: body.rob.get(s) for s in body.studies}
    unknown = sorted({str(j) for j in judged.values() if j is not None} - set(severity))
    if unknown:
        raise ValidationError(
            [f"unknown risk-of-bias judgement(s) {unknown}; known: {', '.join(severity)}"]
        )
    level = {
        s: r["not_appraised"]["severity"] if j is None else severity[str(j)]
        for s, j in judged.items()
    }
    w = {s: float(body.weights.get(s) or 1.0) for s in body.studies}
    total = sum(w.values())
    serious = sum(w[s] for s in body.studies if level[s] >= 2) / total
    critical = sum(w[s] for s in body.studies if level[s] >= 3) / total
    unappraised = [s for s in body.studies if judged[s] is None]
    reasons: list[str] = []
    if unappraised:
        share = sum(w[s] for s in unappraised) / total
        share_text = "under 1%" if 0 < share < 0.005 else f"{share:.0%}"
        reasons.append(
            r["not_appraised"]["reason"].format(
                unappraised=len(unappraised), studies=_studies(body.k), share=share_text
            )
        )
    change, rule = 0, "risk_of_bias.share"
    if critical > r["very_serious_share"]:
        change, rule = -2, "risk_of_bias.very_serious_share"
        reasons.append(
            f"{critical:.0%} of the patients are in studies at critical risk of bias "
            f"(more than {r['very_serious_share']:.0%})"
        )
    elif serious > r["serious_share"]:
        change, rule = -1, "risk_of_bias.serious_share"
        reasons.append(
            f"{serious:.0%} of the patients are in studies at high or unknown risk of bias "
            f"(more than {r['serious_share']:.0%})"
        )
    else:
        reasons.append(
            f"{1 - serious:.0%} of the patients are in studies judged at low or moderate risk"
        )
    if body.design == "uncontrolled before/after":
        change += r["uncontrolled"]["change"]
        reasons.append(r["uncontrolled"]["reason"])
        rule += "+uncontrolled"
    return Judgement("risk_of_bias", max(-2, change), "; ".join(reasons), rule)


def _inconsistency(body: Body, rules: JSONDict) -> Judgement:
    r = rules["inconsistency"]
    if body.k <= 1:
        return Judgement("inconsistency", 0, r["single_study"], "inconsistency.single_study")
    if body.i2 is not None:
        i2 = body.i2
        crosses = body.pi is not None and body.pi[0] < body.null < body.pi[1]
        pi = (
            f"the 95% prediction interval [{body.pi[0]:.2f}, {body.pi[1]:.2f}] "
            f"{'includes' if crosses else 'excludes'} no effect"
            if body.pi is not None
            else "no prediction interval"
        )
        if i2 > r["i2_very_serious"]:
            change = -2 if crosses else -1
            rule = "inconsistency.i2_very_serious"
            why = f"I2 = {i2:.0f}% (> {r['i2_very_serious']}%, considerable); {pi}"
        elif i2 > r["i2_serious"]:
            change = -1 if crosses else 0
            rule = "inconsistency.i2_serious"
            why = f"I2 = {i2:.0f}% (> {r['i2_serious']}%, substantial); {pi}"
        else:
            change, rule = 0, "inconsistency.i2_low"
            why = f"I2 = {i2:.0f}% (at most {r['i2_serious']}%); {pi}"
        return Judgement("inconsistency", change, why, rule)
    directions = sorted({d for d in body.directions if d != "unclear"})
    if len(directions) > 1:
        d = r["directions_differ"]
        return Judgement(
            "inconsistency",
            d["change"],
            d["reason"].format(directions=" / ".join(directions)),
            "inconsistency.directions_differ",
        )
    return Judgement(
        "inconsistency",
        0,
        "the studies' results point the same way" if directions else "no direction reported",
        "inconsistency.directions_agree",
    )


def _indirectness(body: Body, rules: JSONDict) -> Judgement:
    r = rules["indirectness"]
    reasons = []
    change = 0
    for comp in sorted(set(body.comparisons)):
        rule = r["comparison"].get(comp)
        if rule:
            change += rule["change"]
            reasons.append(rule["reason"])
    if body.subgroup_only:
        change += r["subgroup_only"]["change"]
        reasons.append(r["subgroup_only"]["reason"].format(subgroups="; ".join(body.subgroup_only)))
    if not reasons:
        reasons.append("people with ALS given stem-cell therapy, outcome as asked")
    return Judgement("indirectness", max(-2, change), "; ".join(reasons), "indirectness")


def _imprecision(body: Body, rules: JSONDict) -> Judgement:
    r = rules["imprecision"]
    reasons = []
    change = 0
    if body.estimate is None or body.ci is None:
        change += r["no_estimate"]["change"]
        reasons.append(r["no_estimate"]["reason"])
    elif body.ci[0] < body.null < body.ci[1]:
        change -= 1
        reasons.append(f"the 95% CI [{body.ci[0]:.2f}, {body.ci[1]:.2f}] includes no effect")
    if body.continuous:
        ois, size, what = r["ois_continuous"], body.patients, "patients"
    else:
        ois, size, what = r["ois_dichotomous_events"], body.events, "events"
    if size is None:
        change -= 1
        reasons.append(f"number of {what} not reported (optimal information size {ois})")
    elif size < ois:
        change -= 1
        reasons.append(f"{size} {what}, fewer than the optimal information size of {ois}")
    else:
        reasons.append(f"{size} {what} (at least the optimal information size of {ois})")
    return Judgement("imprecision", max(-2, change), "; ".join(reasons), "imprecision")


def _publication_bias(body: Body, rules: JSONDict) -> Judgement:
    r = rules["publication_bias"]
    if body.k < r["min_k"]:
        return Judgement(
            "publication_bias",
            0,
            f"not assessable: {_studies(body.k)} (a funnel-plot test needs at least {r['min_k']})",
            "publication_bias.too_few",
        )
    if body.egger_p is None:
        return Judgement(
            "publication_bias", 0, "no small-study test available", "publication_bias.no_test"
        )
    if body.egger_p < r["egger_p"]:
        return Judgement(
            "publication_bias",
            -1,
            f"Egger's test p = {body.egger_p:.3f} (< {r['egger_p']}): small-study effects",
            "publication_bias.egger",
        )
    return Judgement(
        "publication_bias",
        0,
        f"Egger's test p = {body.egger_p:.3f} (at least {r['egger_p']})",
        "publication_bias.egger",
    )


def _upgrade(body: Body, rules: JSONDict, downgraded: bool) -> Judgement:
    r = rules["upgrade"]
    if body.design == "randomised":
        return Judgement("upgrade", 0, "randomised evidence is not rated up", "upgrade.randomised")
    if downgraded:
        return Judgement(
            "upgrade", 0, "not considered: the evidence was rated down", "upgrade.downgraded"
        )
    if body.ratio is None:
        return Judgement("upgrade", 0, "no ratio effect to judge its size", "upgrade.no_ratio")
    size = max(body.ratio, 1 / body.ratio) if body.ratio > 0 else 0.0
    if size > r["very_large_ratio"]:
        return Judgement(
            "upgrade", 2, f"very large effect (ratio {size:.1f})", "upgrade.very_large"
        )
    if size > r["large_ratio"]:
        return Judgement("upgrade", 1, f"large effect (ratio {size:.1f})", "upgrade.large")
    return Judgement("upgrade", 0, f"effect ratio {size:.1f} is not large", "upgrade.not_large")


def rate(
    body: Body, *, rules: JSONDict | None = None, overrides: Iterable[Override] = ()
) -> Certainty:
    """Rate the certainty of `body` by the rules; overrides for its outcome and design win."""
    rules = rules or load_rules()
    if body.design not in rules["start"]:
        raise ValidationError([f"unknown evidence type {body.design!r}"])
    start = rules["start"][body.design]
    judgements = [
        _rob(body, rules),
        _inconsistency(body, rules),
        _indirectness(body, rules),
        _imprecision(body, rules),
        _publication_bias(body, rules),
    ]
    judgements.append(_upgrade(body, rules, any(j.change < 0 for j in judgements)))
    for ov in overrides:
        if (ov.outcome, ov.design) != (body.outcome, body.design):
            continue
        i = next(i for i, j in enumerate(judgements) if j.domain == ov.domain)
        old = judgements[i]
        judgements[i] = replace(
            old,
            change=ov.change,
            reason=ov.justification,
            rule=f"override ({old.rule})",
            overridden=old.reason,
        )
    return Certainty(body, start["level"], start["reason"], tuple(judgements), rules["levels"])


def _third_person(phrase: str) -> str:
    word, _, rest = phrase.partition(" ")
    if word.endswith(("s", "sh", "ch", "x", "z")):
        word += "es"
    elif word.endswith("y") and word[-2:-1] not in "aeiou":
        word = word[:-1] + "ies"
    else:
        word += "s"
    return f"{word} {rest}".strip()


def statement(
    certainty: Certainty | None,
    direction: str,
    *,
    intervention: str,
    outcome: str,
    benefit: str = "",
    harm: str = "",
    design: str = "",
    rules: JSONDict | None = None,
) -> str:
    """The GRADE informative statement of a finding, never stronger than its certainty.

    `direction` is "benefit", "harm", "no difference" or "unclear"; `benefit`/`harm` are
    verb phrases in the base form ("slow functional decline"). At very low certainty every
    direction reads "The evidence is very uncertain about the effect of ...". `certainty`
    None means there is no evidence of this kind."""
    rules = rules or load_rules()
    w = rules["wording"]
    if certainty is None:
        return w["none"].format(design=design, O=outcome) + "."
    if direction not in ("benefit", "harm", "no difference", "unclear"):
        raise ValueError(f"unknown direction {direction!r}")
    if direction in ("benefit", "harm") and not (benefit if direction == "benefit" else harm):
        direction = "unclear"
    text = w[direction][str(certainty.level)].format(
        I=intervention,
        O=outcome,
        benefit=benefit,
        harm=harm,
        benefit_s=_third_person(benefit) if benefit else "",
        harm_s=_third_person(harm) if harm else "",
    )
    return text[0].upper() + text[1:] + "."
