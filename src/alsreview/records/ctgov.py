"""ClinicalTrials.gov API v2 study objects (JSON) -> Records.

In: one study object as `GET /api/v2/studies/{nctId}` returns it (a dict with
`protocolSection`, optionally `derivedSection`, `hasResults`), or a file holding one study,
a list of studies, or a search page `{"studies": [...], "nextPageToken": ...}`.
Out: one `Record` per study (title = official title, else brief title; abstract = brief
summary; year = first-posted year, else start year; NCT and EudraCT numbers; conditions and
keywords; condition MeSH terms; the study's publications kept in `extra["references"]`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from alsreview.errors import ImportFormatError
from alsreview.records.model import Record
from alsreview.typealiases import JSONDict

_NCT = re.compile(r"^NCT\d{8}$")
_EUDRACT = re.compile(r"\b(\d{4}-\d{6}-\d{2})\b")
_YEAR = re.compile(r"^(\d{4})")


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [_text(v) for v in value if isinstance(v, str) and v.strip()]


def _year(*dates: Any) -> int | None:
    for date in dates:
        if isinstance(date, str):
            m = _YEAR.match(date.strip())
            if m:
                return int(m.group(1))
    return None


def parse_study(study: JSONDict, *, path: str | None = None, record: int | None = None) -> Record:
    """Turn one ClinicalTrials.gov v2 study object into a Record.

    Raises `ImportFormatError` when the object is not a study (no `protocolSection` with a
    valid `nctId`)."""
    if not isinstance(study, dict):
        raise ImportFormatError(
            path, f"study must be a JSON object, got {type(study).__name__}", record=record
        )
    protocol = study.get("protocolSection")
    ident = _get(protocol, "identificationModule")
    nct = _text(_get(ident, "nctId")).upper()
    if not _NCT.match(nct):
        raise ImportFormatError(
            path,
            "not a ClinicalTrials.gov v2 study: protocolSection.identificationModule.nctId "
            f"missing or malformed ({nct or 'absent'})",
            record=record,
        )
    status = _get(protocol, "statusModule") or {}
    desc = _get(protocol, "descriptionModule") or {}
    conditions = _get(protocol, "conditionsModule") or {}
    design = _get(protocol, "designModule") or {}
    eudract = None
    secondary = _get(ident, "secondaryIdInfos")
    for info in secondary if isinstance(secondary, list) else []:
        if not isinstance(info, dict):
            continue
        kind = str(info.get("type") or "") + " " + str(info.get("domain") or "")
        m = _EUDRACT.search(str(info.get("id") or ""))
        if m and ("EUDRACT" in kind.upper() or "EU_CT" in kind.upper() or eudract is None):
            eudract = m.group(1)
    officials = _get(protocol, "contactsLocationsModule", "overallOfficials")
    authors = [
        _text(o.get("name"))
        for o in (officials if isinstance(officials, list) else [])
        if isinstance(o, dict) and _text(o.get("name"))
    ]
    refs = _get(protocol, "referencesModule", "references")
    references = [
        {
            "pmid": _text(r.get("pmid")),
            "type": _text(r.get("type")),
            "citation": _text(r.get("citation")),
        }
        for r in (refs if isinstance(refs, list) else [])
        if isinstance(r, dict)
    ]
    meshes = _get(study, "derivedSection", "conditionBrowseModule", "meshes")
    mesh_terms = [
        _text(m.get("term"))
        for m in (meshes if isinstance(meshes, list) else [])
        if isinstance(m, dict) and _text(m.get("term"))
    ]
    extra: JSONDict = {
        "brief_title": _text(_get(ident, "briefTitle")),
        "overall_status": _text(status.get("overallStatus")) if isinstance(status, dict) else "",
        "study_type": _text(design.get("studyType")) if isinstance(design, dict) else "",
        "phases": _strings(design.get("phases")) if isinstance(design, dict) else [],
        "lead_sponsor": _text(_get(protocol, "sponsorCollaboratorsModule", "leadSponsor", "name")),
        "org_study_id": _text(_get(ident, "orgStudyIdInfo", "id")),
        "start_date": _text(_get(status, "startDateStruct", "date")),
        "has_results": bool(study.get("hasResults")),
    }
    if references:
        extra["references"] = references
    if _text(desc.get("detailedDescription") if isinstance(desc, dict) else None):
        extra["detailed_description"] = _text(desc.get("detailedDescription"))
    keywords = _strings(conditions.get("conditions") if isinstance(conditions, dict) else None)
    keywords += _strings(conditions.get("keywords") if isinstance(conditions, dict) else None)
    return Record(
        title=_text(_get(ident, "officialTitle")) or _text(_get(ident, "briefTitle")),
        abstract=_text(desc.get("briefSummary")) if isinstance(desc, dict) else "",
        authors=authors,
        journal="ClinicalTrials.gov",
        year=_year(
            _get(status, "studyFirstPostDateStruct", "date"),
            _get(status, "studyFirstSubmitDate"),
            _get(status, "startDateStruct", "date"),
        ),
        nct_id=nct,
        eudract_id=eudract,
        keywords=keywords,
        mesh_terms=mesh_terms,
        publication_types=["Clinical Trial Registration"],
        url=f"https://clinicaltrials.gov/study/{nct}",
        source="clinicaltrials.gov",
        source_id=nct,
        extra=extra,
    )


def parse_ctgov_json(data: bytes | str, path: str | None = None) -> list[Record]:
    """Parse a JSON file of one study, a list of studies, or a v2 search page."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        msg = getattr(exc, "msg", None) or str(exc)
        raise ImportFormatError(path, f"malformed JSON: {msg}", line=line) from None
    except RecursionError:
        raise ImportFormatError(path, "malformed JSON: nested too deeply") from None
    if isinstance(obj, dict) and "studies" in obj:
        studies = obj["studies"]
    elif isinstance(obj, list):
        studies = obj
    else:
        studies = [obj]
    if not isinstance(studies, list):
        raise ImportFormatError(path, '"studies" must be a list of study objects')
    if not studies:
        raise ImportFormatError(path, "no studies in file")
    return [parse_study(s, path=path, record=i) for i, s in enumerate(studies, start=1)]
