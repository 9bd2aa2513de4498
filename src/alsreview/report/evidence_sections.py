"""Report sections built from an evidence base: flow, studies, safety, efficacy, integrity.

In: a validated `EvidenceBase`.  Out: `Section`s (escaped HTML fragments plus figures) for
`report/build.py`.  Tables are plain row dicts rendered by templates with autoescaping;
figures come from `report/figures.py` and `report/prisma.py`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from alsreview.evidence.integrity import Finding
from alsreview.evidence.model import EvidenceBase, Fact, Outcome, Review, Study
from alsreview.evidence.taxonomy import load_taxonomy, route_label
from alsreview.report.figures import route_order
from alsreview.report.html import render
from alsreview.report.section import Section
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from types import SimpleNamespace

    from alsreview.evidence.model import Statistic
    from alsreview.prisma import PrismaFlow
    from alsreview.report.findings import AppraisalInput


# ---------------------------------------------------------------- helpers
T = TypeVar("T")


def cell(fact: Fact[T] | None, text: str | None = None) -> JSONDict:
    """A table cell: shown text, whether it is disputed, and what the other reports say."""
    if fact is None:
        return {
            "text": "not reported",
            "disputed": False,
            "title": "",
            "missing": True,
            "printed": "",
        }
    shown = text if text is not None else _plain(fact.value)
    others = _reports(fact.conflicts)
    title = "Source: " + "; ".join(str(p) for p in fact.provenance)
    if others:
        title += f". Also reported: {others}"
    if fact.note:
        title += f". {fact.note}"
    return {
        "text": shown if shown not in (None, "") else "not reported",
        "disputed": fact.disputed,
        "title": title,
        "missing": fact.value is None,
        "printed": printed_note(fact),
    }


def printed_note(fact: Fact[T]) -> str:
    """For a disputed value, the visible note next to it: what the other sources print and
    where the shown value comes from (issue 13, disclosure); "" when no source disagrees."""
    if not fact.disputed:
        return ""
    others = _reports(a for a in fact.conflicts if a.value != fact.value)
    shown_from = "; ".join(str(p) for p in fact.provenance)
    return f"Printed elsewhere: {others}. Shown: {_plain(fact.value)}, from {shown_from}."


def _reports(alternatives: Any) -> str:
    """Other papers' values with their sources: "7 (sykova2017: Discussion); ..."."""
    return "; ".join(
        f"{_plain(a.value)} ({', '.join(str(p) for p in a.provenance)})" for a in alternatives
    )


def _plain(value: Any) -> str:
    if value is None:
        return "not reported"
    if isinstance(value, dict):  # {"field": "window", "value": "2 months"} -> "window: 2 months"
        if set(value) == {"field", "value"}:
            return f"{value['field']}: {_plain(value['value'])}"
        return "; ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " + ".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_type_of(study: Study) -> str:
    return study.cell_type.value or "not reported"


def route_of(study: Study) -> str:
    return route_label(study.routes.value or [])


def _order(groups: dict[str, list[Study]], kind: str) -> list[tuple[str, list[Study]]]:
    tax = load_taxonomy()
    known = list(tax.cell_types) if kind == "cell" else []

    def key(name: str) -> tuple[int, str]:
        if kind == "cell":
            return (known.index(name) if name in known else len(known), name)
        return route_order(name)

    return [
        (g, sorted(groups[g], key=lambda s: (s.citation.year, s.label)))
        for g in sorted(groups, key=key)
    ]


def grouped(studies: list[Study], by: str) -> list[tuple[str, list[Study]]]:
    groups: dict[str, list[Study]] = defaultdict(list)
    for s in studies:
        groups[cell_type_of(s) if by == "cell" else route_of(s)].append(s)
    return _order(groups, by)


def cohorts(evidence: EvidenceBase) -> list[list[Study]]:
    """Studies grouped into cohorts: entries linked by `related` report overlapping patients."""
    parent = {s.id: s.id for s in evidence.studies}

    def root(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for s in evidence.studies:
        for link in s.related:
            parent[root(s.id)] = root(link.study_id)
    groups: dict[str, list[Study]] = defaultdict(list)
    for s in evidence.studies:
        groups[root(s.id)].append(s)
    return list(groups.values())


# ---------------------------------------------------------------- sections
def overview_section(evidence: EvidenceBase, findings: list[Finding]) -> Section:
    studies = evidence.studies
    patients = sum(s.patients_enrolled.value or 0 for s in studies)
    groups = cohorts(evidence)
    unique_patients = sum(max(s.patients_enrolled.value or 0 for s in c) for c in groups)
    no_n = [s.label for s in studies if s.patients_enrolled.value is None]
    links = [
        {
            "studies": " + ".join(s.label for s in c),
            "basis": sorted(
                {
                    f"{p}" + (f" ({p.note})" if p.note else "")
                    for s in c
                    for link in s.related
                    for p in link.provenance
                }
            ),
        }
        for c in groups
        if len(c) > 1
    ]
    disputed = sum(1 for s in studies for f in s.facts().values() if f.disputed)
    html = render(
        "overview.html.j2",
        evidence=evidence,
        n_studies=len(studies),
        n_patients=patients,
        n_unique_patients=unique_patients,
        n_cohorts=len(groups),
        n_rct=sum(1 for s in studies if s.design.value == "RCT"),
        n_cell_types=len({s.cell_type.value for s in studies if s.cell_type.value}),
        n_cell_type_missing=sum(1 for s in studies if not s.cell_type.value),
        no_n=no_n,
        links=links,
        n_disputed=disputed,
        n_findings=sum(1 for f in findings if f.severity == "error"),
        reviews=[evidence.sources[r.key] for r in evidence.reviews],
    )
    return Section(id="overview", title="Overview", html=html)


def prisma_sections(evidence: EvidenceBase) -> list[Section]:
    from alsreview.report.prisma import prisma_figure

    sections = []
    for review in evidence.reviews:
        paper = evidence.sources[review.key]
        flow = prisma_flow(review)
        figure = prisma_figure(
            flow,
            name=f"prisma_{review.key}",
            caption=f"PRISMA 2020 flow diagram of {paper.authors.split()[0]} et al. "
            f"({paper.year}), drawn from the counts the review reports.",
        )
        html = render(
            "prisma.html.j2",
            paper=paper,
            review=review,
            counts=_flow_rows(review),
            problems=[str(p) for p in flow.inconsistencies()],
        )
        sections.append(
            Section(
                id=f"prisma-{review.key}",
                title=f"PRISMA 2020 flow: {paper.authors.split()[0]} et al. {paper.year}",
                html=html,
                figures=[figure],
            )
        )
    return sections


def prisma_flow(review: Review) -> PrismaFlow:
    """The review's own counts as a `PrismaFlow`; unreported counts stay None."""
    from alsreview.prisma import PrismaFlow

    f = review.flow

    def v(fact: Fact[int] | None) -> int | None:
        """Printed counts only: a count derived by arithmetic is 'not reported' here."""
        return fact.value if fact is not None and not fact.derived else None

    databases: dict[str, int | None] = {
        k: x.value for k, x in f.identified.items() if x.value is not None
    }
    total = None
    if list(databases) == ["all databases"]:
        total = databases.pop("all databases")
        databases = {name: None for name in review.databases.value or []}
    return PrismaFlow(
        databases=databases,
        databases_total=total,
        duplicates_removed=v(f.duplicates_removed),
        records_screened=v(f.records_screened),
        records_excluded=v(f.records_excluded),
        reports_sought=v(f.reports_sought),
        reports_not_retrieved=v(f.reports_not_retrieved),
        reports_assessed=v(f.reports_assessed),
        reports_excluded={k: v(x) for k, x in f.reports_excluded.items()},
        studies_included=v(f.studies_included),
    )


def _flow_rows(review: Review) -> list[JSONDict]:
    f = review.flow
    rows: list[tuple[str, Fact[Any] | None]] = [
        (f"Records identified: {name}", fact) for name, fact in f.identified.items()
    ] + [
        ("Removed before screening (duplicates)", f.duplicates_removed),
        ("Records screened", f.records_screened),
        ("Records excluded", f.records_excluded),
        ("Reports sought", f.reports_sought),
        ("Reports not retrieved", f.reports_not_retrieved),
        ("Reports assessed for eligibility", f.reports_assessed),
    ]
    rows += [(f"Reports excluded: {reason}", fact) for reason, fact in f.reports_excluded.items()]
    rows += [("Studies included", f.studies_included), ("Search date", f.search_date)]
    return [{"label": label, **cell(fact)} for label, fact in rows if fact is not None]


def _patients_text(members: list[Study]) -> str:
    """ "58 patients", "58 patients; N not reported for 1 study", "N not reported"."""
    known = [s.patients_enrolled.value for s in members if s.patients_enrolled.value is not None]
    missing = len(members) - len(known)
    if not known:
        return "N not reported"
    text = f"{sum(known)} patients"
    if missing:
        text += f"; N not reported for {missing} {'study' if missing == 1 else 'studies'}"
    return text


def rob_cell(evidence: EvidenceBase, appraisal: AppraisalInput) -> JSONDict:
    """The risk-of-bias cell of a study: its overall judgement, the tool and who judged.

    `appraisal`: an `appraisal.Appraisal`, a published appraisal (`appraisal.bundled`, whose
    overall may be every word the paper allows), a judgement word, or None (not appraised)."""
    from alsreview.appraisal.instrument import load_instrument

    if appraisal is None:
        return {"text": "not appraised", "missing": True, "note": ""}
    if isinstance(appraisal, str):
        return {"text": appraisal, "missing": False, "note": ""}
    # an Appraisal's overall is a word, a published one's every word the paper allows
    overall: object = getattr(appraisal, "overall", appraisal)
    many = cast("Iterable[object]", overall)
    words = [overall] if isinstance(overall, str) else [str(w) for w in many]
    tool = getattr(appraisal, "tool", None)
    parts = []
    if tool:
        try:
            parts.append(load_instrument(tool).name)
        except Exception:  # an unknown tool id is shown as it is
            parts.append(str(tool))
    cites = sorted({str(x).split(":")[0] for x in getattr(appraisal, "from_", [])})
    for key in cites:
        src = evidence.sources.get(key)
        who = src.authors.split(",")[0].split()[0] + " et al." if src else key
        parts.append(f"{who} {src.year}" if src else who)
    if len(words) > 1:
        parts.append(
            "the paper prints no per-study judgement, only that each was " + " or ".join(words)
        )
    return {"text": " or ".join(words), "missing": False, "note": "; ".join(parts)}


def study_row(s: Study, rob: JSONDict | None = None) -> JSONDict:
    dose = s.dose
    total = s.total_dose
    sched = s.schedule
    n_text = _plain(s.patients_enrolled.value)
    if s.patients_analysed and s.patients_analysed.value is not None:
        n_text += f" ({s.patients_analysed.value} analysed)"
    if s.controls and s.controls.value:
        n_text += f"; {s.controls.value} controls"
    admin = ""
    if sched:
        admin = sched.sessions_text + (" session" if sched.sessions_text == "1" else " sessions")
        if sched.interval and sched.interval.value:
            every = sched.interval.value
            # "monthly", "quarterly or semi-annually" read as they are; "3 months" takes "every"
            admin += f", {every}" if every.split()[0].endswith("ly") else f", every {every}"
        if sched.injections_per_session and sched.injections_per_session.value:
            admin += f"; {sched.injections_per_session.value} injection(s) per session"
    return {
        "id": s.id,
        "label": s.label,
        "doi": s.citation.doi,
        # a name or number the reviews print differently (e.g. "Cudkovicz"): said next to it
        "label_note": s.citation.note or "",
        "design": cell(s.design),
        "n": cell(s.patients_enrolled, n_text),
        "cell_type": cell(s.cell_type),
        "source": cell(s.cell_source),
        "dose": cell(s.dose_per_administration, dose.format() if dose else None),
        "admin": cell(sched.sessions_min if sched else None, admin or None),
        "total": cell(s.total_cells, total.format() if total else None),
        "route": cell(s.routes, route_of(s)),
        "route_detail": s.route_detail.value if s.route_detail else "",
        "country": cell(s.country),
        "rob": rob or {"text": "not appraised", "missing": True, "note": ""},
    }


def studies_sections(
    evidence: EvidenceBase, appraisals: Mapping[str, AppraisalInput] | None = None
) -> list[Section]:
    """The included-studies tables by cell type and by route; `appraisals` (study id ->
    appraisal, see `rob_cell`) fill the risk-of-bias column, None = not appraised."""
    from alsreview.report.figures import studies_by_cell_and_route

    apps = appraisals or {}
    robs = {s.id: rob_cell(evidence, apps.get(s.id)) for s in evidence.studies}

    tax = load_taxonomy()
    out = []
    for by, title in (("cell", "cell type"), ("route", "route")):
        groups = [
            {
                "name": name,
                "full": tax.cell_types[name].name
                if by == "cell" and name in tax.cell_types
                else name,
                "patients": _patients_text(members),
                "rows": [study_row(s, robs[s.id]) for s in members],
            }
            for name, members in grouped(evidence.studies, by)
        ]
        figures = []
        if by == "cell":
            figures.append(studies_by_cell_and_route(evidence.studies))
        out.append(
            Section(
                id=f"studies-by-{by}",
                title=f"Included studies by {title}",
                html=render("studies.html.j2", groups=groups, by=title),
                figures=figures,
            )
        )
    return out


def _deaths(s: Study) -> str | None:
    """Deaths a study reports, with their stated relation to the treatment."""
    d = s.safety.deaths
    events = [ae for ae in s.safety.adverse_events if ae.severity == "death"]
    if d is None or d.value is None:
        if not events:
            rel = s.safety.deaths_related
            if rel is not None and rel.value == 0:
                return "none attributed to treatment (no total given)"
            return None
        n = sum(ae.n_patients or 1 for ae in events)
    else:
        n = d.value
    if n == 0:
        return "none"
    causes = ", ".join(f"{ae.term.lower()} ({ae.n_patients or 1})" for ae in events)
    rel = s.safety.deaths_related
    relation = (
        "none related to treatment"
        if rel is not None and rel.value == 0
        else "relation not stated"
        if rel is None or rel.value is None
        else f"{rel.value} related"
    )
    return f"{n}" + (f": {causes}" if causes else "") + f"; {relation}"


def _death_count(s: Study) -> int:
    d = s.safety.deaths
    if d is not None and d.value:
        return d.value
    return sum(ae.n_patients or 1 for ae in s.safety.adverse_events if ae.severity == "death")


def _other_events(s: Study) -> str:
    """Adverse events not related to the treatment (or relation not stated), with counts."""
    parts = []
    for ae in s.safety.adverse_events:
        if ae.related or ae.severity == "death":
            continue
        n = f", {ae.n_patients} patient{'s' if ae.n_patients != 1 else ''}" if ae.n_patients else ""
        rel = "not related" if ae.related is False else "relation not stated"
        ser = "serious, " if ae.serious else ""
        parts.append(f"{ae.term} ({ser}{rel}{n})")
    return "; ".join(parts)


def _ipd_context(evidence: EvidenceBase, ipd: Study | None) -> JSONDict | None:
    if ipd is None:
        return None
    typed = trial_report_study(evidence)
    rows = ipd_safety_rows(typed, ipd)
    return {
        "label": typed.label if typed else ipd.label,
        "n": ipd.patients_enrolled.value,
        "rows": rows,
        "n_disagree": sum(not r["agree"] for r in rows),
        "typed": typed is not None,
    }


def trial_report_study(evidence: EvidenceBase) -> Study | None:
    """The study whose adverse events are typed from the base's own trial report (002's
    Table 3 for the bundled base), or None."""
    reports = {k for k, src in evidence.sources.items() if src.kind == "trial report"}
    for s in evidence.studies:
        if any(p.source in reports for ae in s.safety.adverse_events for p in ae.provenance):
            return s
    return None


def ipd_safety_rows(typed: Study | None, ipd: Study) -> list[JSONDict]:
    """The trial's patient-level adverse events (exported into the evidence model by
    `trial.export`) beside the typed table, per term (case-insensitive, severities summed)
    and for deaths, as patients with the event / patients exposed. `agree` is False where
    the two sources differ: both are shown, neither is picked."""

    def by_term(s: Study | None) -> dict[str, tuple[int | None, str]]:
        out: dict[str, tuple[int | None, str]] = {}
        for ae in s.safety.adverse_events if s else ():
            key = ae.term.strip().lower()
            old, src = out.get(key, (0, ""))
            n = None if old is None or ae.n_patients is None else old + ae.n_patients
            srcs = sorted({*filter(None, src.split("; ")), *(str(p) for p in ae.provenance)})
            out[key] = (n, "; ".join(srcs))
        return out

    def frac(n: int | None, exposed: int | None) -> str:
        if n is None:
            return "count not printed"
        return f"{n}/{exposed}" if exposed else f"{n} patients"

    typed_terms, ipd_terms = by_term(typed), by_term(ipd)
    n_typed = typed.patients_enrolled.value if typed else None
    n_ipd = ipd.patients_enrolled.value
    names = {ae.term.strip().lower(): ae.term for ae in ipd.safety.adverse_events}
    if typed:
        names |= {ae.term.strip().lower(): ae.term for ae in typed.safety.adverse_events}
    rows = []
    for key in sorted(names):
        t, i = typed_terms.get(key), ipd_terms.get(key)
        rows.append(
            {
                "term": names[key],
                "typed": frac(t[0], n_typed) if t else "not listed",
                "typed_from": t[1] if t else "",
                "ipd": frac(i[0], n_ipd) if i else "no patient with it",
                "ipd_from": i[1] if i else "",
                "agree": typed is None or (t is not None and i is not None and t[0] == i[0]),
            }
        )
    td = typed.safety.deaths if typed else None
    idd = ipd.safety.deaths
    if td is not None or idd is not None:
        rows.append(
            {
                "term": "Deaths",
                "typed": frac(td.value, n_typed) if td else "not stated",
                "typed_from": "; ".join(str(p) for p in td.provenance) if td else "",
                "ipd": frac(idd.value, n_ipd) if idd else "not stated",
                "ipd_from": "; ".join(str(p) for p in idd.provenance) if idd else "",
                "agree": typed is None
                or (td is not None and idd is not None and td.value == idd.value),
            }
        )
    return rows


def safety_section(evidence: EvidenceBase, ipd: Study | None = None) -> Section:
    """Safety per route and per study: serious events, deaths, procedure-related events.

    Counts are patients with the event / patients exposed where the source prints them;
    where it does not, the event is listed as "count not printed" (never counted as 1).
    `ipd`: the trial's patient-level data exported as a Study (`trial.export`), compared term
    by term with the typed trial report's table (`ipd_safety_rows`)."""
    from alsreview.report.figures import serious_events_by_route, serious_status
    from alsreview.report.sof import design_of, event_category, patients_of, safety_text

    routes = []
    for route, members in grouped(evidence.studies, "route"):
        status = Counter(serious_status(s) for s in members)
        patients, note = patients_of(members, evidence)
        cats: dict[str, list[str]] = defaultdict(list)
        for s in members:
            seen = set()
            n = s.patients_enrolled.value
            for ae in s.safety.adverse_events:
                if not ae.related or ae.serious:
                    continue
                c = event_category(ae.term)
                if c in seen:
                    continue
                seen.add(c)
                total = sum(
                    x.n_patients or 0
                    for x in s.safety.adverse_events
                    if x.related and not x.serious and event_category(x.term) == c
                )
                cats[c].append(f"{s.label} {total}/{n}" if total and n else s.label)
        deaths = [(s.label, _deaths(s)) for s in members if _death_count(s)]
        routes.append(
            {
                "route": route,
                "studies": len(members),
                "patients": patients,
                "patients_note": note,
                "serious_reported": status["reported"],
                "serious_none": status["none"],
                "serious_not_stated": status["not stated"],
                "procedure": sorted(cats.items(), key=lambda kv: (-len(kv[1]), kv[0])),
                "deaths": deaths,
            }
        )
    studies = []
    for route, members in grouped(evidence.studies, "route"):
        for s in members:
            serious, serious_src = safety_text(s, "serious")
            procedure, procedure_src = safety_text(s, "procedure")
            studies.append(
                {
                    "label": s.label,
                    "id": s.id,
                    "route": route,
                    "design": design_of(s),
                    "n": s.patients_enrolled.value,
                    "serious": serious,
                    "deaths": _deaths(s),
                    "procedure": procedure,
                    "other": _other_events(s),
                    "sources": "; ".join(
                        sorted(
                            {
                                x
                                for src in (serious_src, procedure_src)
                                for x in src.split("; ")
                                if x
                            }
                            | {str(p) for ae in s.safety.adverse_events for p in ae.provenance}
                        )
                    ),
                }
            )
    return Section(
        id="safety",
        title="Safety: serious adverse events, deaths and procedure-related events",
        html=render(
            "safety.html.j2",
            routes=routes,
            studies=studies,
            ipd=_ipd_context(evidence, ipd),
        ),
        figures=[serious_events_by_route(evidence.studies)],
    )


ALSFRS_MEASURES = ("alsfrs_r_monthly_decline", "alsfrs_r_change", "alsfrs_r_slope")


def statistic_text(g: Statistic | SimpleNamespace) -> str:
    """A statistic as shown: value with unit, dispersion with its kind, n (`g`: a Statistic,
    or its attributes in a namespace, as the web app shows a suggested statistic)."""
    text = "" if g.estimate is None else f"{g.estimate:g}"
    if text and g.central == "median":  # a median is never shown as if it were a mean
        text = f"median {text}"
    if text and g.unit:
        text += f" {g.unit}"
    if g.dispersion is not None:
        text += f" ± {g.dispersion:g} ({g.dispersion_kind})"
    elif g.low is not None and g.high is not None:
        kind = f", {g.dispersion_kind}" if g.dispersion_kind else ""
        text += f" ({g.low:g} to {g.high:g}{kind})"
    n = f", n = {g.n}" if g.n else ""
    return f"{g.label}: {text}{n}" if text else f"{g.label}{n}"


def measure_label(o: Outcome) -> str:
    """The measure's name; a "monthly" decline whose source prints no time unit says so."""
    name = o.measure.replace("_", " ").replace("alsfrs r", "ALSFRS-R")
    if o.measure == "alsfrs_r_monthly_decline" and any(
        g.unit and "/month" not in g.unit for g in o.groups if g.estimate is not None
    ):
        name = "ALSFRS-R decline (no time unit printed)"
    return name


def outcome_row(s: Study, o: Outcome) -> JSONDict:
    groups = [
        {
            "text": statistic_text(g),
            "printed": g.printed,
            "changes": list(g.changes),
            "title": f"Printed: {g.printed}. " + " ".join(f"{c}." for c in g.changes)
            if g.changes
            else "",
        }
        for g in o.groups
    ]
    changes = []
    for g in o.groups:
        for c in g.changes:
            if c not in changes:
                changes.append(c)
    return {
        "study": s.label,
        "doi": s.citation.doi,
        "measure": measure_label(o),
        "comparison": o.comparison,
        "subgroup": o.subgroup or "all",
        "window": o.window or "",
        "groups": groups,
        "printed": "; ".join(g.printed for g in o.groups if g.printed),
        "changes": changes,
        "flag": o.note if o.note and "not reproduce" in o.note else "",
        "p": str(o.p_value) if o.p_value else "",
        "significant": o.p_value.significant if o.p_value else None,
        "direction": o.direction,
        "description": o.description,
        "source": "; ".join(str(p) for p in o.provenance),
    }


def efficacy_section(evidence: EvidenceBase) -> Section:
    from alsreview.report.figures import alsfrs_pre_post

    tables = []
    for by, title in (("cell", "cell type"), ("route", "route")):
        groups = []
        for name, members in grouped(evidence.studies, by):
            rows = [
                outcome_row(s, o)
                for s in members
                for o in s.efficacy
                if o.measure in ALSFRS_MEASURES
            ]
            if rows:
                groups.append({"name": name, "rows": rows})
        tables.append({"by": title, "groups": groups})
    other = [
        outcome_row(s, o)
        for s in evidence.studies
        for o in s.efficacy
        if o.measure not in ALSFRS_MEASURES
    ]
    figure = alsfrs_pre_post(evidence.studies)
    return Section(
        id="efficacy",
        title="Efficacy: ALSFRS-R decline before and after treatment",
        html=render("efficacy.html.j2", tables=tables, other=other),
        figures=[figure] if figure else [],
    )


def integrity_section(findings: list[Finding]) -> Section:
    order = {"error": 0, "warning": 1, "info": 2}
    rows = sorted(findings, key=lambda f: (order[f.severity], f.check, f.where))
    return Section(
        id="integrity",
        title="Integrity checks",
        html=render(
            "integrity.html.j2", findings=rows, counts=Counter(f.severity for f in findings)
        ),
    )


def disagreements_section(evidence: EvidenceBase) -> Section:
    rows = []
    for s in evidence.studies:
        for name, fact in s.facts().items():
            if fact.disputed:
                rows.append(
                    {
                        "study": s.label,
                        "field": name.replace("_", " "),
                        "chosen": _plain(fact.value),
                        "chosen_from": "; ".join(str(p) for p in fact.provenance),
                        "others": [
                            {
                                "value": _plain(a.value),
                                "from": "; ".join(str(p) for p in a.provenance),
                            }
                            for a in fact.conflicts
                        ],
                        "note": fact.note or "",
                    }
                )
        for o in s.efficacy:
            for alt in o.conflicts:
                rows.append(
                    {
                        "study": s.label,
                        "field": f"{o.measure.replace('_', ' ')} ({o.subgroup or 'all'})",
                        "chosen": _outcome_summary(o),
                        "chosen_from": "; ".join(str(p) for p in o.provenance),
                        "others": [
                            {
                                "value": _plain(alt.value),
                                "from": "; ".join(str(p) for p in alt.provenance),
                            }
                        ],
                        "note": o.note or "",
                    }
                )
        for alt in s.citation.year_conflicts:
            rows.append(
                {
                    "study": s.label,
                    "field": "year",
                    "chosen": str(s.citation.year),
                    "chosen_from": "; ".join(str(p) for p in s.citation.provenance),
                    "others": [
                        {"value": str(alt.value), "from": "; ".join(str(p) for p in alt.provenance)}
                    ],
                    "note": "",
                }
            )
    return Section(
        id="disagreements",
        title="Where the sources disagree",
        html=render("disagreements.html.j2", rows=rows),
    )


def _outcome_summary(o: Outcome) -> str:
    parts = [g.label + (f" {g.estimate:g}" if g.estimate is not None else "") for g in o.groups]
    if o.p_value:
        parts.append(str(o.p_value))
    return "; ".join(parts) or o.description


def sources_section(evidence: EvidenceBase) -> Section:
    studies = sorted(evidence.studies, key=lambda s: (s.citation.first_author, s.citation.year))
    return Section(
        id="sources",
        title="Data sources",
        html=render("sources.html.j2", papers=list(evidence.sources.values()), studies=studies),
    )
