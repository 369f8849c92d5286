"""A record's timeline: every module's entries (follow-ups, changes, orders …) merged by time.

Modules answer ``guanxi_timeline_entries`` with their newest entries strictly before
a moment; the page merges them newest first and shows a page at a time, with a
"load more" button whose cursor is the last entry's time and a stable key that
orders entries of the same instant (so a page break inside a tie loses nothing).
The core contributes the record's audited changes (:func:`audit_entries`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config

from core.audit import CHANGE_ACTIONS, AuditEvent
from core.audit_views import EPOCH, MICROSECOND, Presenter, history_permission, trail_select
from core.contributions import TimelineEntry
from core.i18n import _
from core.security.scopes import get_in_scope

PAGE_SIZE = 25
CURSOR = re.compile(r"([0-9]{1,18})-([0-9a-f]{16})")
#: The most entries asked of each module at once (only when many share one instant).
MAX_LIMIT = 2000
#: At most this many changed fields are listed in one entry; the History tab has them all.
MAX_FIELDS = 5


def entry_key(entry: TimelineEntry) -> str:
    """A stable key ordering entries of the same instant (same entry → same key)."""
    text = "\x1f".join((entry.kind, entry.url or "", entry.title, entry.detail, entry.actor))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode_cursor(entry: TimelineEntry) -> str:
    """The ``before`` parameter continuing after ``entry``."""
    return f"{(entry.at - EPOCH) // MICROSECOND}-{entry_key(entry)}"


def decode_cursor(value: str) -> tuple[dt.datetime, str] | None:
    """``(time, key)`` of a ``before`` parameter, or ``None`` if it is malformed."""
    match = CURSOR.fullmatch(value)
    if match is None:
        return None
    try:
        return EPOCH + int(match.group(1)) * MICROSECOND, match.group(2)
    except OverflowError:
        return None


def sort_key(entry: TimelineEntry) -> tuple[dt.datetime, str]:
    """Newest first; entries of the same instant by their key."""
    return entry.at, entry_key(entry)


def merge_page(
    found: list[list[TimelineEntry]],
    limit: int | None,
    cursor: tuple[dt.datetime, str] | None,
    size: int,
) -> tuple[list[TimelineEntry], bool] | None:
    """One page of the modules' entries after ``cursor``, newest first, and whether more follow.

    ``found`` holds each module's answer to a request for ``limit`` entries.  A
    module that gave ``limit`` entries may have more at the time of its last one,
    so only newer entries are known completely; ``None`` means they do not fill a
    page (ask again with a larger ``limit``, or ``None`` to take what came).
    Entries at the cursor's instant whose key does not sort after the cursor's
    were shown already.  A page never ends between entries with the same time and key.
    """
    full = [part[-1].at for part in found if limit is not None and len(part) >= limit]
    horizon = max(full) if full else None
    entries = sorted((entry for part in found for entry in part), key=sort_key, reverse=True)
    entries = [
        entry
        for entry in entries
        if (cursor is None or sort_key(entry) < cursor) and (horizon is None or entry.at > horizon)
    ]
    if horizon is not None and len(entries) < size:
        return None
    end = min(size, len(entries))
    while 0 < end < len(entries) and sort_key(entries[end]) == sort_key(entries[end - 1]):
        end += 1
    return entries[:end], end < len(entries) or horizon is not None


def collect(
    request: Any, record_type: str, record: Any, cursor: tuple[dt.datetime, str] | None
) -> tuple[list[TimelineEntry], bool]:
    """The page after ``cursor`` from every module, asking for more while ties hide entries."""
    # Entries at the cursor's own instant are asked for too: some may not be shown yet.
    before = cursor[0] + MICROSECOND if cursor else None
    limit = PAGE_SIZE + 1
    while True:
        found = request.hooks.guanxi_timeline_entries(
            request=request, record_type=record_type, record=record, before=before, limit=limit
        )
        # Thousands of entries at one instant: show what came rather than ask forever.
        page = merge_page(found, limit if limit < MAX_LIMIT else None, cursor, PAGE_SIZE)
        if page is not None:
            return page
        limit = min(limit * 4, MAX_LIMIT)


def timeline_record(request: Any) -> tuple[Any, Any]:
    """The route's record type and record, loaded within the view scope (else 404)."""
    record_type = request.record_types.get(request.matchdict["record_type"])
    if record_type is None:
        raise HTTPNotFound()
    permission = history_permission(record_type)
    return record_type, get_in_scope(request, record_type, request.matchdict["id"], permission)


@view_config(
    route_name="record_timeline",
    renderer="core:templates/timeline.jinja2",
    permission="authenticated",
)
def record_timeline(request: Any) -> dict[str, Any]:
    """The record's merged timeline: a full page, or the htmx panel, or one more page of it.

    The record type's view permission (as for its History tab) and data scope
    decide: an out-of-scope or unknown record answers 404.
    """
    record_type, record = timeline_record(request)
    raw = request.GET.get("before", "")
    cursor = decode_cursor(raw) if raw else None
    if raw and cursor is None:
        raise HTTPNotFound()
    entries, more = collect(request, record_type.name, record, cursor)
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        request.override_renderer = (
            "core:templates/timeline_entries.jinja2"
            if cursor
            else "core:templates/timeline_panel.jinja2"
        )
    request.response.vary = ("HX-Request",)
    title = record_type.title(record)
    return {
        "record_type": record_type,
        "record": record,
        "entries": entries,
        "more_url": request.route_path(
            "record_timeline",
            record_type=record_type.name,
            id=record.id,
            _query={"before": encode_cursor(entries[-1])},
        )
        if more
        else None,
        "breadcrumbs": [
            (request.translate(record_type.label), None),
            (title, request.route_path(record_type.detail_route, id=record.id))
            if record_type.detail_route
            else (title, None),
            (request.translate(_("Timeline")), None),
        ],
    }


# -- the core's own entries: audited changes -------------------------------------


ACTION_ICONS = {"create": "plus", "update": "pencil", "delete": "trash"}


def change_detail(changes: list[tuple[str, str, str]]) -> str:
    """``field: before → after`` of the first changed fields, named as on the History tab."""
    shown = [f"{name}: {before} → {after}" for name, before, after in changes[:MAX_FIELDS]]
    if len(changes) > MAX_FIELDS:
        shown.append("…")
    return "; ".join(shown)


def change_entry(request: Any, event: Any, hidden: set[str], hidden_text: str) -> TimelineEntry:
    """The timeline entry of one audited change; ``hidden`` fields show ``hidden_text``."""
    changes = [
        (event.label(name), hidden_text, hidden_text)
        if name in hidden
        else (event.label(name), before, after)
        for name, before, after in event.changes
    ]
    title = event.action_label
    if event.action == "update" and changes:
        fields = ", ".join(name for name, _before, _after in changes)
        # TRANSLATORS: a timeline entry, e.g. "Updated: status, phone".
        title = request.translate(_("${action}: ${fields}"), action=title, fields=fields)
    return TimelineEntry(
        at=event.at,
        kind="change",
        title=title,
        detail=change_detail(changes) if event.action == "update" else "",
        icon=ACTION_ICONS.get(event.action, "history"),
        actor=event.actor,
    )


def audit_entries(
    request: Any, record_type: str, record: Any, before: dt.datetime | None, limit: int
) -> list[TimelineEntry]:
    """The record's audited creates, updates and deletes, newest first.

    Sensitive values never show: the trail stores them redacted, and the record
    type's sensitive fields are hidden even where an old event has them.
    """
    declared = request.record_types.get(record_type)
    if declared is None:
        return []
    clauses = [
        AuditEvent.record_type == declared.model.__tablename__,
        AuditEvent.record_id == str(record.id),
        AuditEvent.action.in_(CHANGE_ACTIONS),
    ]
    if before is not None:
        clauses.append(AuditEvent.at < before)
    rows = request.dbsession.execute(trail_select(*clauses).limit(limit)).all()
    presenter = Presenter(request)
    hidden = set(declared.sensitive) | set(getattr(declared.model, "__sensitive__", ()))
    return [change_entry(request, presenter.event(row), hidden, presenter.hidden) for row in rows]


def includeme(config: Any) -> None:
    """The timeline route."""
    config.add_route("record_timeline", "/records/{record_type}/{id}/timeline")
    config.scan("core.web.timeline")
