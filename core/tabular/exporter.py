"""The part of an export a module writes: which rows (in scope) and which columns.

A module subclasses :class:`Exporter` per record type.  :meth:`Exporter.page`
turns the parameters of the type's list page (its filters, sort and chosen
columns) into an :class:`ExportPlan`, built from exactly the functions the page
uses, so the file shows what the page shows and nothing more; :meth:`Exporter.api`
does the same for the parameters of the type's API list.  The core streams the
plan's query and writes the file (``core.tabular.exports``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from core.contributions import TabularType
from core.customfields.serialize import ExportColumn


@dataclass
class ExportPlan:
    """What to export: a scoped, filtered, sorted query, its columns and a title.

    Each column's ``value`` gets one row of the query (a SQLAlchemy ``Row``) and
    must not touch the database: labels, names and time zones are looked up
    when the plan is made, so a CSV streams after the request has ended.
    """

    query: Select
    columns: list[ExportColumn]
    title: str
    #: What the user asked for (filters, sort), for the audit trail.
    filters: dict[str, Any] = field(default_factory=dict)


class NoListPage(Exception):
    """The record type has no list page to export from."""


class Exporter:
    """Which rows and columns a record type exports (subclassed by modules)."""

    def __init__(self, request: Any, tabular_type: TabularType) -> None:
        self.request = request
        self.type = tabular_type

    def page(self, params: Any) -> ExportPlan:
        """The plan of the list page showing ``params`` (a MultiDict of its query string)."""
        raise NoListPage(self.type.name)

    def api(self, params: Any) -> ExportPlan:
        """The plan of the API list with ``params``; bad parameters raise ``ProblemError``."""
        raise NotImplementedError
