"""PubMed XML (efetch `retmode=xml`, or "Save > PubMed XML" from the web site) -> Records.

In: the bytes of a `<PubmedArticleSet>` document (`PubmedArticle` and `PubmedBookArticle`
elements).  Out: one `Record` per article, in file order.

Handled: `MedlineDate` ("1998 Dec-1999 Jan" -> 1998) and seasons ("Spring"), structured
abstracts (`AbstractText Label=...` kept as sections), collective authors (`CollectiveName`),
inline markup in titles (`<i>`, `<sup>`), DOIs from `ELocationID` or `ArticleIdList`, PMCID,
ClinicalTrials.gov numbers from `DataBankList`, comment/erratum links (kept in `extra` so
deduplication can tell an erratum from its paper).  Parsing is DTD-free and entity-safe
(`safexml`).
"""

from __future__ import annotations

import re

from lxml import etree

from alsreview.errors import ImportFormatError
from alsreview.records.model import Record
from alsreview.records.safexml import iter_elements, text_of

_YEAR = re.compile(r"(1[89]\d\d|20\d\d)")
_NCT = re.compile(r"NCT\d{8}", re.IGNORECASE)
_EUDRACT = re.compile(r"\b(\d{4}-\d{6}-\d{2})\b")


def parse_pubmed_xml(data: bytes, path: str | None = None) -> list[Record]:
    """Parse a PubMed XML document into Records.

    Raises `ImportFormatError` (naming `path`, the record number and the line) for malformed
    XML, a document that is not PubMed XML, or XML that declares entities."""
    records: list[Record] = []
    seen_root = False
    for elem in iter_elements(data, ("PubmedArticle", "PubmedBookArticle"), path, "PubMed"):
        seen_root = True
        number = len(records) + 1
        try:
            if elem.tag == "PubmedArticle":
                records.append(_article(elem))
            else:
                records.append(_book_article(elem))
        except ImportFormatError as exc:
            raise ImportFormatError(path, exc.reason, record=number, line=elem.sourceline) from None
    if not seen_root:
        raise ImportFormatError(path, "no <PubmedArticle> elements: not a PubMed XML export")
    return records


def _year_from_date(date: etree._Element | None) -> tuple[int | None, str]:
    """(year, month-or-season text) from a PubDate/ArticleDate-like element."""
    if date is None:
        return None, ""
    year_text = date.findtext("Year") or ""
    month = date.findtext("Month") or date.findtext("Season") or ""
    if not year_text:
        medline = date.findtext("MedlineDate") or ""
        m = _YEAR.search(medline)
        year_text = m.group(1) if m else ""
        if not month:
            month = medline[m.end() :].strip() if m else ""
    m = _YEAR.search(year_text)
    return (int(m.group(1)) if m else None), month


def _children(elem: etree._Element | None) -> dict[str, etree._Element]:
    """{tag: first child with that tag}: one pass instead of a find() per field."""
    out: dict[str, etree._Element] = {}
    if elem is not None:
        for child in elem:
            out.setdefault(child.tag, child)
    return out


def _author(a: etree._Element) -> str:
    parts = _children(a)
    if "CollectiveName" in parts:
        return text_of(parts["CollectiveName"])
    last = text_of(parts.get("LastName"))
    fore = text_of(parts.get("ForeName")) or text_of(parts.get("Initials"))
    suffix = text_of(parts.get("Suffix"))
    name = f"{last}, {fore}" if last and fore else last or fore
    return f"{name} {suffix}".strip() if suffix else name


def _abstract(abstract: etree._Element | None) -> tuple[str, list[tuple[str, str]]]:
    if abstract is None:
        return "", []
    sections: list[tuple[str, str]] = []
    for part in abstract.findall("AbstractText"):
        label = part.get("Label") or ""
        sections.append((label, text_of(part)))
    if any(label for label, _ in sections):
        flat = " ".join(f"{label}: {text}" if label else text for label, text in sections)
        return flat, sections
    return " ".join(text for _, text in sections), []


def _ids(article: etree._Element) -> dict[str, str]:
    ids: dict[str, str] = {}
    for aid in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind = (aid.get("IdType") or "").lower()
        if kind and kind not in ids and aid.text:
            ids[kind] = aid.text.strip()
    return ids


def _links(citation: etree._Element) -> list[dict[str, str]]:
    links = []
    for cc in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        links.append(
            {
                "type": cc.get("RefType") or "",
                "pmid": (cc.findtext("PMID") or "").strip(),
                "source": text_of(cc.find("RefSource")),
            }
        )
    return links


def _registry_ids(art: etree._Element) -> tuple[str | None, str | None]:
    nct = eudract = None
    for bank in art.iterfind("DataBankList/DataBank"):
        name = (bank.findtext("DataBankName") or "").lower()
        for acc in bank.iterfind("AccessionNumberList/AccessionNumber"):
            value = (acc.text or "").strip()
            if "clinicaltrials" in name and nct is None and _NCT.fullmatch(value):
                nct = value.upper()
            elif "eudract" in name and eudract is None and _EUDRACT.search(value):
                eudract = _EUDRACT.search(value).group(1)  # type: ignore[union-attr]
    return nct, eudract


def _article(elem: etree._Element) -> Record:
    citation = elem.find("MedlineCitation")
    if citation is None:
        raise ImportFormatError(None, "PubmedArticle without MedlineCitation")
    cit = _children(citation)
    pmid = text_of(cit.get("PMID"))
    art = cit.get("Article")
    if art is None:
        raise ImportFormatError(None, f"PMID {pmid or '?'}: no <Article> element")
    parts = _children(art)
    journal = parts.get("Journal")
    jparts = _children(journal)
    issue = jparts.get("JournalIssue")
    iparts = _children(issue)
    year, month = _year_from_date(iparts.get("PubDate"))
    epub_year, _ = _year_from_date(parts.get("ArticleDate"))
    if year is None:
        year = epub_year
    ids = _ids(elem)
    doi = ids.get("doi")
    if not doi:
        for loc in art.iterfind("ELocationID"):
            if (loc.get("EIdType") or "").lower() == "doi" and loc.text:
                doi = loc.text.strip()
                break
    pagination = _children(parts.get("Pagination"))
    pages = text_of(pagination.get("MedlinePgn"))
    if not pages:
        start, end = text_of(pagination.get("StartPage")), text_of(pagination.get("EndPage"))
        pages = f"{start}-{end}" if start and end else start
    if not pages:
        for loc in art.iterfind("ELocationID"):
            if (loc.get("EIdType") or "").lower() == "pii" and loc.text:
                pages = loc.text.strip()
                break
    abstract, sections = _abstract(parts.get("Abstract"))
    nct, eudract = _registry_ids(art) if "DataBankList" in parts else (None, None)
    title = text_of(parts.get("ArticleTitle")) or text_of(parts.get("VernacularTitle"))
    extra: dict[str, object] = {}
    if month:
        extra["month"] = month
    if epub_year is not None:
        extra["epub_year"] = epub_year
    links = _links(citation) if "CommentsCorrectionsList" in cit else []
    if links:
        extra["comments_corrections"] = links
    issns = [text_of(i) for i in journal.iterfind("ISSN")] if journal is not None else []
    if issns:
        extra["issn"] = issns
    status = elem.findtext("PubmedData/PublicationStatus")
    if status:
        extra["publication_status"] = status.strip()
    return Record(
        title=title,
        abstract=abstract,
        abstract_sections=sections,
        authors=[_author(a) for a in parts["AuthorList"]] if "AuthorList" in parts else [],
        journal=text_of(jparts.get("Title")),
        journal_abbrev=(
            text_of(_children(cit.get("MedlineJournalInfo")).get("MedlineTA"))
            or text_of(jparts.get("ISOAbbreviation"))
        ),
        year=year,
        volume=text_of(iparts.get("Volume")),
        issue=text_of(iparts.get("Issue")),
        pages=pages,
        doi=doi,
        pmid=pmid or ids.get("pubmed"),
        pmcid=ids.get("pmc"),
        nct_id=nct,
        eudract_id=eudract,
        keywords=[t for k in citation.iterfind("KeywordList/Keyword") if (t := text_of(k))],
        mesh_terms=[
            text_of(m) for m in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")
        ],
        publication_types=[text_of(p) for p in parts.get("PublicationTypeList", ())],
        language=", ".join(text_of(x) for x in art.iterfind("Language")),
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        source="pubmed",
        source_id=pmid,
        extra=extra,
    )


def _book_article(elem: etree._Element) -> Record:
    doc = elem.find("BookDocument")
    if doc is None:
        raise ImportFormatError(None, "PubmedBookArticle without BookDocument")
    pmid = (doc.findtext("PMID") or "").strip()
    book = doc.find("Book")
    year, _ = _year_from_date(book.find("PubDate") if book is not None else None)
    abstract, sections = _abstract(doc.find("Abstract"))
    title = text_of(doc.find("ArticleTitle")) or (
        text_of(book.find("BookTitle")) if book is not None else ""
    )
    authors = [_author(a) for a in doc.iterfind("AuthorList/Author")]
    if not authors and book is not None:
        authors = [_author(a) for a in book.iterfind("AuthorList/Author")]
    ids = _ids(elem)
    return Record(
        title=title,
        abstract=abstract,
        abstract_sections=sections,
        authors=authors,
        journal=text_of(book.find("BookTitle")) if book is not None else "",
        year=year,
        doi=ids.get("doi"),
        pmid=pmid,
        publication_types=[text_of(p) for p in doc.iterfind("PublicationType")],
        language=", ".join(text_of(x) for x in doc.iterfind("Language")),
        keywords=[text_of(k) for k in doc.iterfind("KeywordList/Keyword")],
        url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid else "",
        source="pubmed",
        source_id=pmid,
        extra={"book": True},
    )
