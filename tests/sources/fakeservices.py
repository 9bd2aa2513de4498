"""A local HTTP server that answers like the five services, with faults on demand.

It serves one corpus of works in the exact response shapes of the real APIs (E-utilities
esearch/efetch XML with their DOCTYPE lines, Europe PMC `core` JSON, ClinicalTrials.gov v2
JSON, OpenAlex and Crossref JSON) and pages through it with each service's own mechanism
(history server + retstart, cursorMark, pageToken, cursor).  Date filters are honoured;
query text is logged, not interpreted.  `faults[path]` is a queue of faults applied to the
next requests on that path: "429" (Retry-After: 7 seconds), "503date" (Retry-After as an
HTTP date), "500", "slow" (answers after `slow_seconds`), "truncate" (Content-Length
promised, half the body sent, connection closed), "garbage" (half the body, consistent
length: unparseable JSON/XML).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

# Five trials of the Blume et al. 2026 review (titles, journals, DOIs as published; the PMID
# of Petrou 2016 is real, the others are placeholders in the 9xxxxxxx range).
REAL = [
    (
        "Phase I Trial of Repeated Intrathecal Autologous Bone Marrow-Derived Mesenchymal "
        "Stromal Cells in Amyotrophic Lateral Sclerosis.",
        "Stem Cells Transl Med",
        "Stem cells translational medicine",
        "10.5966/sctm.2014-0212",
        dt.date(2015, 6, 1),
        "4",
        "6",
        "590-7",
        [("Oh", "Ki-Wook", "KW"), ("Moon", "Chanil", "C")],
        "90000001",
    ),
    (
        "Safety and Clinical Effects of Mesenchymal Stem Cells Secreting Neurotrophic Factor "
        "Transplantation in Patients With Amyotrophic Lateral Sclerosis: Results of Phase 1/2 "
        "and 2a Clinical Trials.",
        "JAMA Neurol",
        "JAMA neurology",
        "10.1001/jamaneurol.2015.4321",
        dt.date(2016, 3, 1),
        "73",
        "3",
        "337-44",
        [("Petrou", "Panayiota", "P"), ("Gothelf", "Yael", "Y")],
        "26751635",
    ),
    (
        "NurOwn, phase 2, randomized, clinical trial in patients with ALS: Safety, clinical, "
        "and biomarker results.",
        "Neurology",
        "Neurology",
        "10.1212/WNL.0000000000008620",
        dt.date(2019, 12, 10),
        "93",
        "24",
        "e2294-e2305",
        [("Berry", "James D", "JD"), ("Cudkowicz", "Merit E", "ME")],
        "90000003",
    ),
    (
        "A randomized placebo-controlled phase 3 study of mesenchymal stem cells induced to "
        "secrete high levels of neurotrophic factors in amyotrophic lateral sclerosis.",
        "Muscle Nerve",
        "Muscle & nerve",
        "10.1002/mus.27472",
        dt.date(2022, 3, 1),
        "65",
        "3",
        "291-302",
        [("Cudkowicz", "Merit E", "ME"), ("Lindborg", "Stacy R", "SR")],
        "90000004",
    ),
    (
        "Transplantation of Mesenchymal Stromal Cells in Patients With Amyotrophic Lateral "
        "Sclerosis: Results of Phase I/IIa Clinical Trial.",
        "Cell Transplant",
        "Cell transplantation",
        "10.3727/096368916X693716",
        dt.date(2017, 4, 13),
        "26",
        "4",
        "647-658",
        [("Syková", "Eva", "E"), ("Rychmach", "Pavel", "P")],
        "90000005",
    ),
]

CELLS = ["mesenchymal stromal", "neural stem", "Wharton's jelly", "MUSE", "bone marrow mononuclear"]
ROUTES = ["intrathecal", "intraspinal", "intramuscular", "intravenous"]


@dataclass
class Work:
    pmid: str
    doi: str
    title: str
    journal_abbrev: str
    journal: str
    pdat: dt.date
    volume: str
    issue: str
    pages: str
    authors: list[tuple[str, str, str]]
    abstract: list[tuple[str, str]]
    nct: str


def corpus(n: int = 60) -> list[Work]:
    """The five real trials, then synthetic ALS stem-cell reports spread over 2012-2024."""
    works = []
    for i in range(n):
        if i < len(REAL):
            t, ab, jn, doi, d, vol, iss, pg, au, pmid = REAL[i]
        else:
            cell, route = CELLS[i % len(CELLS)], ROUTES[i % len(ROUTES)]
            t = f"{route.capitalize()} {cell} cells in amyotrophic lateral sclerosis: cohort {i}."
            ab, jn = (
                "Amyotroph Lateral Scler Frontotemporal Degener",
                ("Amyotrophic lateral sclerosis & frontotemporal degeneration"),
            )
            doi = f"10.1080/21678421.20{12 + i % 12}.{1000 + i}"
            d = dt.date(2012, 3, 1) + dt.timedelta(days=(i * 83) % 4400)
            vol, iss, pg = str(10 + i % 15), str(1 + i % 4), f"{100 + i}-{108 + i}"
            au = [("Nowak", "Jan", "J"), (f"Müller{i}", "Anna", "A"), ("O'Brien", "Seán", "S")]
            pmid = str(91000000 + i)
        sections = [
            ("BACKGROUND", f"Cell therapy in ALS & related motor neuron disease (work {i})."),
            ("RESULTS", f"ALSFRS-R slope changed by {(i % 7) / 10:.1f} points/month; <no> deaths."),
        ]
        works.append(
            Work(pmid, doi, t, ab, jn, d, vol, iss, pg, au, sections, f"NCT0{4000000 + i}")
        )
    return works


def _in(d: dt.date, lo: dt.date | None, hi: dt.date | None) -> bool:
    return (lo is None or d >= lo) and (hi is None or d <= hi)


# -- E-utilities ---------------------------------------------------------------------------
ESEARCH_DOCTYPE = (
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">'
)
EFETCH_DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def pubmed_article(w: Work) -> str:
    authors = "".join(
        f'<Author ValidYN="Y"><LastName>{escape(last)}</LastName><ForeName>{escape(fore)}'
        f"</ForeName><Initials>{ini}</Initials></Author>"
        for last, fore, ini in w.authors
    )
    abstract = "".join(
        f'<AbstractText Label="{lab}" NlmCategory="{lab}">{escape(text)}</AbstractText>'
        for lab, text in w.abstract
    )
    month = MONTHS[w.pdat.month - 1]
    mesh = "Amyotrophic Lateral Sclerosis"
    return f"""<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM" IndexingMethod="Automated">
        <PMID Version="1">{w.pmid}</PMID>
        <Article PubModel="Print-Electronic">
            <Journal>
                <ISSN IssnType="Electronic">2167-9223</ISSN>
                <JournalIssue CitedMedium="Internet">
                    <Volume>{w.volume}</Volume>
                    <Issue>{w.issue}</Issue>
                    <PubDate><Year>{w.pdat.year}</Year><Month>{month}</Month></PubDate>
                </JournalIssue>
                <Title>{escape(w.journal)}</Title>
                <ISOAbbreviation>{escape(w.journal_abbrev)}</ISOAbbreviation>
            </Journal>
            <ArticleTitle>{escape(w.title)}</ArticleTitle>
            <Pagination><StartPage>{w.pages.split("-")[0]}</StartPage><MedlinePgn>{w.pages}</MedlinePgn></Pagination>
            <ELocationID EIdType="doi" ValidYN="Y">{escape(w.doi)}</ELocationID>
            <Abstract>{abstract}</Abstract>
            <AuthorList CompleteYN="Y">{authors}</AuthorList>
            <Language>eng</Language>
            <DataBankList CompleteYN="Y"><DataBank><DataBankName>ClinicalTrials.gov</DataBankName>
                <AccessionNumberList><AccessionNumber>{w.nct}</AccessionNumber></AccessionNumberList>
            </DataBank></DataBankList>
            <PublicationTypeList>
                <PublicationType UI="D017427">Clinical Trial, Phase I</PublicationType>
                <PublicationType UI="D016428">Journal Article</PublicationType>
            </PublicationTypeList>
        </Article>
        <MedlineJournalInfo><Country>England</Country><MedlineTA>{escape(w.journal_abbrev)}</MedlineTA></MedlineJournalInfo>
        <MeshHeadingList>
            <MeshHeading><DescriptorName UI="D000690" MajorTopicYN="Y">{mesh}</DescriptorName>
            </MeshHeading>
        </MeshHeadingList>
    </MedlineCitation>
    <PubmedData>
        <PublicationStatus>ppublish</PublicationStatus>
        <ArticleIdList>
            <ArticleId IdType="pubmed">{w.pmid}</ArticleId>
            <ArticleId IdType="doi">{escape(w.doi)}</ArticleId>
        </ArticleIdList>
    </PubmedData>
</PubmedArticle>"""


# -- Europe PMC, CT.gov, OpenAlex, Crossref ------------------------------------------------
def epmc_result(w: Work) -> dict:
    return {
        "id": w.pmid,
        "source": "MED",
        "pmid": w.pmid,
        "doi": w.doi,
        "title": w.title,
        "authorString": ", ".join(f"{a[0]} {a[2]}" for a in w.authors) + ".",
        "authorList": {
            "author": [
                {
                    "fullName": f"{a[0]} {a[2]}",
                    "firstName": a[1],
                    "lastName": a[0],
                    "initials": a[2],
                }
                for a in w.authors
            ]
        },
        "journalInfo": {
            "issue": w.issue,
            "volume": w.volume,
            "yearOfPublication": w.pdat.year,
            "printPublicationDate": w.pdat.isoformat(),
            "journal": {
                "title": w.journal,
                "medlineAbbreviation": w.journal_abbrev,
                "isoabbreviation": w.journal_abbrev,
            },
        },
        "pubYear": str(w.pdat.year),
        "pageInfo": w.pages,
        "abstractText": " ".join(f"<h4>{lab}</h4>{escape(t)}" for lab, t in w.abstract),
        "language": "eng",
        "pubModel": "Print-Electronic",
        "pubTypeList": {"pubType": ["Clinical Trial, Phase I", "Journal Article"]},
        "meshHeadingList": {
            "meshHeading": [
                {"majorTopic_YN": "Y", "descriptorName": "Amyotrophic Lateral Sclerosis"}
            ]
        },
        "isOpenAccess": "N",
        "firstPublicationDate": w.pdat.isoformat(),
    }


def ctgov_study(w: Work) -> dict:
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": w.nct,
                "orgStudyIdInfo": {"id": f"ALS-MSC-{w.pmid[-3:]}"},
                "organization": {"fullName": "Hadassah Medical Organization", "class": "OTHER"},
                "briefTitle": w.title.rstrip("."),
                "officialTitle": f"A Phase 1/2 Study: {w.title.rstrip('.')}",
            },
            "statusModule": {
                "overallStatus": "COMPLETED",
                "startDateStruct": {"date": w.pdat.strftime("%Y-%m")},
                "studyFirstSubmitDate": w.pdat.isoformat(),
                "studyFirstPostDateStruct": {"date": w.pdat.isoformat(), "type": "ACTUAL"},
            },
            "descriptionModule": {"briefSummary": " ".join(t for _, t in w.abstract)},
            "conditionsModule": {
                "conditions": ["Amyotrophic Lateral Sclerosis"],
                "keywords": ["stem cells", "ALSFRS-R"],
            },
            "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE1", "PHASE2"]},
        },
        "derivedSection": {
            "conditionBrowseModule": {
                "meshes": [{"id": "D000690", "term": "Amyotrophic Lateral Sclerosis"}]
            }
        },
        "hasResults": False,
    }


def openalex_work(w: Work) -> dict:
    words = " ".join(t for _, t in w.abstract).split()
    index: dict[str, list[int]] = defaultdict(list)
    for pos, word in enumerate(words):
        index[word].append(pos)
    first, _, last = w.pages.partition("-")
    return {
        "id": f"https://openalex.org/W{3000000000 + int(w.pmid) % 10**8}",
        "doi": f"https://doi.org/{w.doi}",
        "title": w.title,
        "display_name": w.title,
        "publication_year": w.pdat.year,
        "publication_date": w.pdat.isoformat(),
        "ids": {
            "openalex": "https://openalex.org/W1",
            "doi": f"https://doi.org/{w.doi}",
            "pmid": f"https://pubmed.ncbi.nlm.nih.gov/{w.pmid}",
        },
        "language": "en",
        "primary_location": {
            "is_oa": False,
            "source": {"display_name": w.journal, "type": "journal"},
        },
        "type": "article",
        "authorships": [
            {
                "author_position": "first" if k == 0 else "middle",
                "author": {"id": f"https://openalex.org/A{k}", "display_name": f"{a[1]} {a[0]}"},
            }
            for k, a in enumerate(w.authors)
        ],
        "biblio": {
            "volume": w.volume,
            "issue": w.issue,
            "first_page": first,
            "last_page": last or None,
        },
        "keywords": [
            {"id": "https://openalex.org/keywords/als", "display_name": "ALS", "score": 0.6}
        ],
        "abstract_inverted_index": dict(index),
    }


def crossref_item(w: Work) -> dict:
    return {
        "DOI": w.doi,
        "type": "journal-article",
        "title": [w.title],
        "container-title": [w.journal],
        "short-container-title": [w.journal_abbrev],
        "author": [
            {
                "given": a[1],
                "family": a[0],
                "sequence": "first" if k == 0 else "additional",
                "affiliation": [],
            }
            for k, a in enumerate(w.authors)
        ],
        "volume": w.volume,
        "issue": w.issue,
        "page": w.pages,
        "published": {"date-parts": [[w.pdat.year, w.pdat.month, w.pdat.day]]},
        "issued": {"date-parts": [[w.pdat.year, w.pdat.month]]},
        "abstract": "<jats:p>" + escape(" ".join(t for _, t in w.abstract)) + "</jats:p>",
        "language": "en",
        "URL": f"https://doi.org/{w.doi}",
        "publisher": "Informa UK Limited",
    }


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    if cursor == "*":
        return 0
    return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()[1:])


_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2}|MIN)\s*(?:TO|,)\s*(\d{4}-\d{2}-\d{2}|MAX)")


def _range_in(text: str) -> tuple[dt.date | None, dt.date | None]:
    m = _RANGE.search(text)
    if not m:
        return None, None
    lo = None if m.group(1) == "MIN" else dt.date.fromisoformat(m.group(1))
    hi = None if m.group(2) == "MAX" else dt.date.fromisoformat(m.group(2))
    return lo, hi


def _filters(text: str, lo_key: str, hi_key: str) -> tuple[dt.date | None, dt.date | None]:
    parts = dict(p.split(":", 1) for p in text.split(",") if ":" in p)
    lo = dt.date.fromisoformat(parts[lo_key]) if lo_key in parts else None
    hi = dt.date.fromisoformat(parts[hi_key]) if hi_key in parts else None
    return lo, hi


@dataclass
class FakeServices:
    works: list[Work]
    pubmed_limit: int = 10_000
    slow_seconds: float = 1.0
    faults: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, dict]] = field(default_factory=list)
    history: dict[str, list[Work]] = field(default_factory=dict)
    searches_run: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- routing ---------------------------------------------------------------------------
    def answer(self, path: str, q: dict[str, str]) -> tuple[int, str, bytes]:
        if path.endswith("/esearch.fcgi"):
            return self.esearch(q)
        if path.endswith("/efetch.fcgi"):
            return self.efetch(q)
        if path.startswith("/epmc/search"):
            return self.epmc(q)
        if path.startswith("/ctgov/studies"):
            return self.ctgov(q)
        if path.startswith("/openalex/works"):
            return self.openalex(q)
        if path.startswith("/crossref/works"):
            return self.crossref(q)
        return 404, "text/plain", b"not found"

    def esearch(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        if not q.get("term"):
            error = "Empty term and query_key - nothing todo"
            body = f"<eSearchResult><ERROR>{error}</ERROR></eSearchResult>"
            return 200, "text/xml", body.encode()
        lo = hi = None
        if "mindate" in q:
            lo = dt.datetime.strptime(q["mindate"], "%Y/%m/%d").date()
            hi = dt.datetime.strptime(q["maxdate"], "%Y/%m/%d").date()
        hits = sorted(
            (w for w in self.works if _in(w.pdat, lo, hi)), key=lambda w: w.pmid, reverse=True
        )
        with self.lock:
            self.searches_run += 1
            webenv = f"MCID_{self.searches_run:06d}_{abs(hash((q['term'], lo, hi))) % 10**8}"
            self.history[webenv] = hits
        retmax = min(len(hits), int(q.get("retmax", 20)))
        ids = "".join(f"<Id>{w.pmid}</Id>" for w in hits[:retmax])
        body = (
            f'<?xml version="1.0" encoding="UTF-8" ?>\n{ESEARCH_DOCTYPE}\n'
            f"<eSearchResult><Count>{len(hits)}</Count><RetMax>{retmax}"
            f"</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
            f"<IdList>{ids}</IdList><TranslationSet/>"
            f"<QueryTranslation>{escape(q['term'])}</QueryTranslation></eSearchResult>\n"
        )
        return 200, "text/xml; charset=UTF-8", body.encode()

    def efetch(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        hits = self.history.get(q.get("WebEnv", ""))
        start, size = int(q.get("retstart", 0)), int(q.get("retmax", 20))
        if hits is None or start >= self.pubmed_limit:
            why = "Unable to obtain query #1" if hits is None else "Search Backend failed"
            body = (
                f'<?xml version="1.0" ?>\n<eFetchResult>\n\t<ERROR>{why}</ERROR>\n</eFetchResult>\n'
            )
            return 200, "text/xml", body.encode()
        page = hits[start : min(start + size, self.pubmed_limit)]
        body = (
            f'<?xml version="1.0" ?>\n{EFETCH_DOCTYPE}\n<PubmedArticleSet>\n'
            + "\n".join(pubmed_article(w) for w in page)
            + "\n</PubmedArticleSet>\n"
        )
        return 200, "text/xml; charset=UTF-8", body.encode()

    def epmc(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        lo, hi = _range_in(q.get("query", ""))
        hits = [w for w in self.works if _in(w.pdat, lo, hi)]
        cursor, size = q.get("cursorMark", "*"), int(q.get("pageSize", 25))
        start = _offset(cursor)
        page = hits[start : start + size]
        nxt = _cursor(start + size) if start + size < len(hits) else cursor
        data = {
            "version": "6.9",
            "hitCount": len(hits),
            "nextCursorMark": nxt,
            "request": {
                "queryString": q.get("query"),
                "resultType": "core",
                "cursorMark": cursor,
                "pageSize": size,
                "sort": "",
            },
            "resultList": {"result": [epmc_result(w) for w in page]},
        }
        return 200, "application/json;charset=UTF-8", json.dumps(data).encode()

    def ctgov(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        lo, hi = _range_in(q.get("query.term", ""))
        hits = [w for w in self.works if _in(w.pdat, lo, hi)]
        size = int(q.get("pageSize", 10))
        start = _offset(q["pageToken"]) if "pageToken" in q else 0
        data: dict = {"studies": [ctgov_study(w) for w in hits[start : start + size]]}
        if q.get("countTotal") == "true":
            data = {"totalCount": len(hits), **data}
        if start + size < len(hits):
            data["nextPageToken"] = _cursor(start + size)
        return 200, "application/json", json.dumps(data).encode()

    def openalex(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        lo, hi = _filters(q.get("filter", ""), "from_publication_date", "to_publication_date")
        hits = [w for w in self.works if _in(w.pdat, lo, hi)]
        size = int(q.get("per_page", 25))
        start = _offset(q.get("cursor", "*"))
        page = hits[start : start + size]
        data = {
            "meta": {
                "count": len(hits),
                "db_response_time_ms": 31,
                "page": None,
                "per_page": size,
                "next_cursor": _cursor(start + size) if page else None,
                "groups_count": None,
            },
            "results": [openalex_work(w) for w in page],
            "group_by": [],
        }
        return 200, "application/json", json.dumps(data).encode()

    def crossref(self, q: dict[str, str]) -> tuple[int, str, bytes]:
        lo, hi = _filters(q.get("filter", ""), "from-pub-date", "until-pub-date")
        hits = [w for w in self.works if _in(w.pdat, lo, hi)]
        size = int(q.get("rows", 20))
        start = _offset(q.get("cursor", "*"))
        page = hits[start : start + size]
        data = {
            "status": "ok",
            "message-type": "work-list",
            "message-version": "1.0.0",
            "message": {
                "facets": {},
                "next-cursor": _cursor(start + size),
                "total-results": len(hits),
                "items": [crossref_item(w) for w in page],
                "items-per-page": size,
                "query": {"start-index": 0, "search-terms": q.get("query")},
            },
        }
        return 200, "application/json; charset=utf-8", json.dumps(data).encode()

    # -- serving ---------------------------------------------------------------------------
    def handler(self) -> type[BaseHTTPRequestHandler]:
        services = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                url = urlparse(self.path)
                q = {k: v[-1] for k, v in parse_qs(url.query).items()}
                with services.lock:
                    services.requests.append((url.path, q))
                    key = next((k for k in services.faults if url.path.endswith(k)), None)
                    fault = services.faults[key].pop(0) if key and services.faults[key] else None
                status, ctype, body = services.answer(url.path, q)
                if fault == "429":
                    self._send(429, "text/plain", b"Too Many Requests", {"Retry-After": "7"})
                elif fault == "503date":
                    when = email.utils.formatdate(time.time() + 30, usegmt=True)
                    self._send(503, "text/html", b"<html>busy</html>", {"Retry-After": when})
                elif fault == "500":
                    self._send(500, "text/html", b"<html>Internal Server Error</html>")
                elif fault == "slow":
                    time.sleep(services.slow_seconds)
                    self._send(status, ctype, body)
                elif fault == "truncate":
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    self._send(
                        status, ctype, body[: len(body) // 2] if fault == "garbage" else body
                    )

            def _send(
                self, status: int, ctype: str, body: bytes, extra: dict | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

        return Handler


class Server:
    """Run FakeServices on 127.0.0.1 (port chosen by the OS) in a thread."""

    def __init__(self, services: FakeServices) -> None:
        self.services = services
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), services.handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
