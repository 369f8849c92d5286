"""Settings → Audit trail → Export: the filtered trail as a CSV file.

The file is streamed a batch at a time (keyset on ``(at, id)``), so exporting a
million events never holds them all in memory.  It is written by the core's one
export writer (``core.tabular.writers``: UTF-8 with a BOM, cells that a
spreadsheet would run as a formula neutralised), and the export is audited.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session, sessionmaker

from core.audit import AuditEvent, record_event
from core.audit_views import Presenter, TrailFilterForm, fetch_page
from core.db import utcnow
from core.i18n import _, user_timezone
from core.tabular.writers import csv_chunks

BATCH_SIZE = 1000


def trail_csv(
    factory: sessionmaker[Session],
    clauses: Sequence[ColumnElement[bool]],
    presenter: Presenter,
    tz: ZoneInfo,
    header: list[str],
) -> Iterator[bytes]:
    """The CSV file in chunks (the core's export writer: a BOM, formula-safe cells)."""

    def rows() -> Iterator[list[str]]:
        session = factory()
        try:
            cursor = None
            while True:
                page, cursor = fetch_page(session, clauses, cursor, size=BATCH_SIZE)
                for row in page:
                    yield event_cells(row, presenter, tz)
                if cursor is None:
                    return
        finally:
            session.close()

    return csv_chunks(header, rows())


def event_cells(row: Any, presenter: Presenter, tz: ZoneInfo) -> list[str]:
    """The cells of one event, in the order of the header."""
    return [
        row.at.astimezone(tz).isoformat(timespec="seconds"),
        presenter.actor(row),
        presenter.action(row.action),
        presenter.record_label(row.record_type) or "",
        row.record_id or "",
        row.summary,
        json.dumps(row.changes, ensure_ascii=False) if row.changes else "",
        row.ip or "",
        row.request_id or "",
    ]


HEADER = (
    _("Time"),
    _("Actor"),
    _("Action"),
    _("Record type"),
    _("Record ID"),
    _("Summary"),
    _("Changes"),
    _("IP address"),
    _("Request ID"),
)


@view_config(
    route_name="settings_audit_export", request_method="POST", permission="core.audit.view"
)
def export_trail(request: Any) -> Response:
    """Download the trail under the posted filters; invalid filters go back to the page."""
    form = TrailFilterForm(request, request.POST)
    tz = user_timezone(request)
    clauses = form.clauses(request.dbsession, tz)
    params = form.params()
    if clauses is None:
        return HTTPSeeOther(location=request.route_path("settings_audit", _query=params))
    export = record_event(
        request.dbsession,
        "export",
        record_type=AuditEvent.__tablename__,
        summary="; ".join(f"{name}={value}" for name, value in params.items()),
        changes={"format": "csv", "filters": params},
    )
    request.dbsession.flush()
    clauses.append(AuditEvent.id != export.id)  # the file shows the trail as it was
    header = [request.translate(label) for label in HEADER]
    chunks = trail_csv(
        request.registry["dbsession_factory"], clauses, Presenter(request), tz, header
    )
    stamp = utcnow().astimezone(tz).strftime("%Y%m%d-%H%M")
    response = Response(content_type="text/csv", charset="utf-8", app_iter=chunks)
    response.content_disposition = f'attachment; filename="audit-trail-{stamp}.csv"'
    return response
