"""Bibliographic records: the Record model, and readers/writers per file format.

In: files exported by databases and reference managers (RIS, MEDLINE/nbib, PubMed XML,
BibTeX, EndNote XML, CSV/TSV/XLSX, ClinicalTrials.gov JSON).  Out: lists of `Record`.
"""

from alsreview.records.model import Record, normalise_doi, normalise_pmid

__all__ = ["Record", "normalise_doi", "normalise_pmid"]
