"""The project store: one database per review (SQLite file by default, PostgreSQL by URL).

In: records from `alsreview.records` / `alsreview.sources`, screening decisions.  Out:
stored records with duplicate links, the screening queue, an append-only event log, the
search log (PRISMA-S) and PRISMA 2020 counts (`alsreview.store.prisma`).
"""

from alsreview.sources.base import SearchRun
from alsreview.store import appraisals as appraisals  # registers the appraisals table
from alsreview.store.enums import Decision, Stage
from alsreview.store.project import ImportResult, Project

__all__ = ["Decision", "ImportResult", "Project", "SearchRun", "Stage"]
