"""Settings → Audit trail, and the History tab of every record.

The trail is read newest first with keyset pagination on ``(at, id)``: no
OFFSET and no count of the whole table, so a page costs the same at a million
events.  The global page is for holders of ``core.audit.view``; a record's
history is reached through the record's own permission and data scope.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pyramid.httpexceptions import HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, StringField, ValidationError
from wtforms.validators import Length, Optional, Regexp

from core.audit import CHANGE_ACTIONS, REDACTED, AuditEvent, snapshot, state_at
from core.contributions import RecordType
from core.forms import Form
from core.i18n import _, format_date, format_datetime, user_timezone
from core.security.models import ApiToken, User
from core.security.scopes import get_in_scope

PAGE_SIZE = 50
#: At most this many users match a partial actor name.
MAX_ACTOR_MATCHES = 50
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
MICROSECOND = dt.timedelta(microseconds=1)
CURSOR = re.compile(r"([0-9]{1,18})-([0-9]{1,18})")
#: A date or date-time as the trail records it (``isoformat()``).
ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:[+-]\d{2}:\d{2}|Z)?)?"
)
#: A ``+hh:mm`` offset whose ``+`` arrived as a space (an unencoded query string).
SPACED_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:\d{2})$")

#: Labels of the actions the core and the built-in modules record.
ACTION_LABELS = {
    "create": _("Created"),
    "update": _("Updated"),
    "delete": _("Deleted"),
    "restore": _("Restored"),
    "purge": _("Purged"),
    "login": _("Logged in"),
    "login_failed": _("Login failed"),
    "login_locked": _("Login locked"),
    "logout": _("Logged out"),
    "denied": _("Access denied"),
    "password_changed": _("Password changed"),
    "role_changed": _("Role changed"),
    "module_enabled": _("Module enabled"),
    "module_disabled": _("Module disabled"),
    "import": _("Imported"),
    "export": _("Exported"),
    "unmask": _("Sensitive value shown"),
    "transfer": _("Transferred"),
    "merge": _("Merged"),
}
#: Bootstrap colour of an action's badge (others are grey).
ACTION_TONES = {
    "create": "success",
    "update": "primary",
    "delete": "danger",
    "purge": "danger",
    "denied": "danger",
    "login_failed": "warning",
    "login_locked": "danger",
    "unmask": "warning",
    "export": "info",
}
#: Trail record types that are tables without a declared record type.
OTHER_RECORD_TYPES = {"modules": _("Module"), "audit_events": _("Audit trail")}


# -- reading the trail ----------------------------------------------------------


def encode_cursor(at: dt.datetime, event_id: int) -> str:
    """The opaque ``before`` parameter that continues after the event ``(at, id)``."""
    return f"{(at - EPOCH) // MICROSECOND}-{event_id}"


def decode_cursor(value: str) -> tuple[dt.datetime, int] | None:
    """``(at, id)`` of a ``before`` parameter, or ``None`` if it is malformed."""
    match = CURSOR.fullmatch(value)
    if match is None:
        return None
    try:
        at = EPOCH + int(match.group(1)) * MICROSECOND
    except OverflowError:
        return None
    return at, int(match.group(2))


def trail_select(*clauses: ColumnElement[bool]) -> Select:
    """Matching events with their actor's names, newest first."""
    return (
        select(
            AuditEvent.__table__,
            User.display_name,
            User.username,
            ApiToken.name.label("token_name"),
        )
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .outerjoin(ApiToken, ApiToken.id == AuditEvent.actor_token_id)
        .where(*clauses)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


def fetch_page(
    session: Session,
    clauses: Sequence[ColumnElement[bool]],
    cursor: tuple[dt.datetime, int] | None,
    size: int = PAGE_SIZE,
) -> tuple[list[Any], tuple[dt.datetime, int] | None]:
    """One page of events older than ``cursor``, and the cursor of the next page (if any)."""
    where = list(clauses)
    if cursor is not None:
        at, event_id = cursor
        where.append(and_(AuditEvent.at <= at, or_(AuditEvent.at < at, AuditEvent.id < event_id)))
    rows = session.execute(trail_select(*where).limit(size + 1)).all()
    if len(rows) <= size:
        return rows, None
    last = rows[size - 1]
    return rows[:size], (last.at, last.id)


def matching_users(session: Session, text: str) -> list[int]:
    """Ids of the user with this username, else of users whose username or name contain it."""
    exact = session.scalars(select(User.id).where(func.lower(User.username) == text.lower()))
    found = list(exact)
    if found:
        return found
    partial = (
        select(User.id)
        .where(
            or_(
                User.username.icontains(text, autoescape=True),
                User.display_name.icontains(text, autoescape=True),
            )
        )
        .order_by(User.id)
        .limit(MAX_ACTOR_MATCHES)
    )
    return list(session.scalars(partial))


# -- filters --------------------------------------------------------------------


class TrailFilterForm(Form):
    """The filters of the audit trail page (also the export's)."""

    actor = StringField(_("Actor (username or name)"), [Optional(), Length(max=64)])
    action = SelectField(_("Action"), [Optional()])
    record_type = SelectField(
        _("Record type"),
        [
            Optional(),
            Length(max=64),
            Regexp(r"^[a-z][a-z0-9_]*$", message=_("This is not a record type.")),
        ],
        validate_choice=False,
    )
    record_id = StringField(_("Record ID"), [Optional(), Length(max=64)])
    date_from = DateField(_("From"), [Optional()])
    date_to = DateField(_("To"), [Optional()])
    q = StringField(_("Summary contains"), [Optional(), Length(max=100)])

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        translate = request.translate
        actions = {name: translate(label) for name, label in ACTION_LABELS.items()}
        self.action.choices = [("", translate(_("Any action"))), *by_label(actions)]
        labels = record_type_labels(request)
        self.record_type.choices = [("", translate(_("Any record type"))), *by_label(labels)]
        if self.record_type.data and self.record_type.data not in labels:
            self.record_type.choices.append((self.record_type.data, self.record_type.data))

    def validate_date_to(self, field: Any) -> None:
        """The range must not end before it starts."""
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_("The end date is before the start date."))

    def params(self) -> dict[str, str]:
        """The filters as given, for links and the export form."""
        return {
            field.name: field.raw_data[0]
            for field in self
            if field.raw_data and field.raw_data[0].strip()
        }

    def clauses(self, session: Session, tz: ZoneInfo) -> list[ColumnElement[bool]] | None:
        """The WHERE clauses of valid filters, or ``None`` when the form has errors."""
        if not self.validate():
            return None
        clauses: list[ColumnElement[bool]] = []
        actor = (self.actor.data or "").strip()
        if actor:
            user_ids = matching_users(session, actor)
            if not user_ids:
                self.actor.errors = [_("No user has this username or name.")]
                return None
            clauses.append(AuditEvent.actor_user_id.in_(user_ids))
        if self.action.data:
            clauses.append(AuditEvent.action == self.action.data)
        if self.record_type.data:
            clauses.append(AuditEvent.record_type == self.record_type.data)
        if (self.record_id.data or "").strip():
            clauses.append(AuditEvent.record_id == self.record_id.data.strip())
        if self.date_from.data:
            clauses.append(AuditEvent.at >= local_midnight(self.date_from.data, tz))
        if self.date_to.data:
            end = local_midnight(self.date_to.data + dt.timedelta(days=1), tz)
            clauses.append(AuditEvent.at < end)
        if (self.q.data or "").strip():
            clauses.append(AuditEvent.summary.icontains(self.q.data.strip(), autoescape=True))
        return clauses


def by_label(labels: dict[str, str]) -> list[tuple[str, str]]:
    """``(value, label)`` choices sorted by label."""
    return sorted(labels.items(), key=lambda choice: choice[1])


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The start of ``day`` in the time zone ``tz``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def record_type_labels(request: Any) -> dict[str, str]:
    """Translated labels of the trail's record types, by table name."""
    labels = {table: request.translate(label) for table, label in OTHER_RECORD_TYPES.items()}
    for record_type in request.record_types.values():
        labels[record_type.model.__tablename__] = request.translate(record_type.label)
    return labels


# -- presentation ---------------------------------------------------------------


@dataclass(frozen=True)
class EventView:
    """One event as pages show it."""

    id: int
    at: dt.datetime
    actor: str
    #: Username to filter the trail by this actor.
    actor_username: str | None
    ip: str | None
    action: str
    action_label: str
    tone: str
    record_type: str | None
    record_label: str | None
    record_id: str | None
    record_url: str | None
    summary: str
    #: ``(field, before, after)`` of a create, update or delete, as display text.
    changes: list[tuple[str, str, str]]
    #: Other data of the event (``{key: display text}``).
    details: dict[str, str]
    #: Display labels of the changed fields, by attribute name (absent: show the name).
    labels: dict[str, str]

    def label(self, name: str) -> str:
        """The display label of the changed field ``name``."""
        return self.labels.get(name, name)


class Presenter:
    """Turns trail rows into display text in the request's language."""

    def __init__(self, request: Any) -> None:
        translate = request.translate
        self.request = request
        self.actions = {name: translate(label) for name, label in ACTION_LABELS.items()}
        self.kinds = {
            "cli": translate(_("CLI")),
            "job": translate(_("Job")),
            "system": translate(_("System")),
            "anonymous": translate(_("Anonymous")),
        }
        self.via_token = string.Template(translate(_("${user} (token: ${token})")))
        self.hidden = translate(_("hidden"))
        self.yes, self.no = translate(_("Yes")), translate(_("No"))
        self.record_labels = record_type_labels(request)
        self.record_types = {
            record_type.model.__tablename__: record_type
            for record_type in request.record_types.values()
        }
        self._labels: dict[str, dict[str, str]] = {}

    def action(self, name: str) -> str:
        """The label of an action; unknown actions are shown as recorded."""
        return self.actions.get(name, name)

    def actor(self, row: Any) -> str:
        """Who acted: a user's name, a token, the CLI, a job or the system."""
        name = row.display_name or row.username
        if row.actor_user_id is not None and not name:
            name = f"#{row.actor_user_id}"
        if row.actor_kind == "token":
            token = row.token_name or f"#{row.actor_token_id}"
            return self.via_token.safe_substitute(user=name or "?", token=token)
        if row.actor_kind in ("user", "anonymous"):
            return name or self.kinds["anonymous"]
        return self.kinds.get(row.actor_kind, row.actor_kind)

    def record_label(self, table: str | None) -> str | None:
        """The record type's label, or the table name when none is declared."""
        return None if table is None else self.record_labels.get(table, table)

    def record_url(self, table: str | None, record_id: str | None) -> str | None:
        """The record's page when its type has one, else its history page."""
        record_type = self.record_types.get(table or "")
        if record_type is None or not record_id:
            return None
        if record_type.detail_route:
            return self.request.route_path(record_type.detail_route, id=record_id)
        return self.request.route_path("record_history", record_type=record_type.name, id=record_id)

    def value(self, value: Any) -> str:
        """A recorded value as text (``—`` for nothing, "hidden" for redacted)."""
        if value is None or value == []:
            return "—"
        if value == REDACTED:
            return self.hidden
        if isinstance(value, bool):
            return self.yes if value else self.no
        if isinstance(value, list):
            return ", ".join(self.value(item) for item in value)
        if isinstance(value, dict):
            return ", ".join(f"{key}: {self.value(item)}" for key, item in value.items())
        if isinstance(value, str) and ISO_MOMENT.fullmatch(value):
            return self.moment(value)
        return str(value)

    def moment(self, value: str) -> str:
        """An ISO date or date-time from the trail in the user's language and time zone."""
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == len("2026-11-22"):
            return format_date(self.request, parsed.date())
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return format_datetime(self.request, parsed)

    def field_value(self, record_type: RecordType | None, name: str, value: Any) -> str:
        """A recorded value of field ``name``, described by its record type when it can."""
        describe = record_type.describe if record_type is not None else None
        if describe is not None and value not in (None, REDACTED, []):
            described = describe(self.request, name, value)
            if described is not None:
                return described
        return self.value(value)

    def field_labels(self, record_type: RecordType | None) -> dict[str, str]:
        """Translated labels of ``record_type``'s fields (cached for the request)."""
        if record_type is None:
            return {}
        if record_type.name not in self._labels:
            self._labels[record_type.name] = {
                key: self.request.translate(label)
                for key, label in record_type.field_labels.items()
            }
        return self._labels[record_type.name]

    def event(self, row: Any) -> EventView:
        """The display form of one trail row."""
        record_type = self.record_types.get(row.record_type)
        recorded = row.changes if isinstance(row.changes, dict) else {}
        changes: list[tuple[str, str, str]] = []
        details: dict[str, str] = {}
        for key, pair in recorded.items():
            if row.action in CHANGE_ACTIONS and isinstance(pair, list) and len(pair) == 2:
                before, after = (self.field_value(record_type, key, value) for value in pair)
                changes.append((key, before, after))
            else:
                details[key] = self.value(pair)
        return EventView(
            id=row.id,
            at=row.at,
            actor=self.actor(row),
            actor_username=row.username,
            ip=row.ip,
            action=row.action,
            action_label=self.action(row.action),
            tone=ACTION_TONES.get(row.action, "secondary"),
            record_type=row.record_type,
            record_label=self.record_label(row.record_type),
            record_id=row.record_id,
            record_url=self.record_url(row.record_type, row.record_id),
            summary=row.summary,
            changes=changes,
            details=details,
            labels=self.field_labels(record_type),
        )


def read_cursor(request: Any) -> tuple[tuple[dt.datetime, int] | None, bool]:
    """The ``before`` cursor of the request, and whether a given one was malformed."""
    value = request.GET.get("before", "")
    cursor = decode_cursor(value) if value else None
    return cursor, bool(value) and cursor is None


BAD_CURSOR = _("This page link is not valid any more; the newest events are shown.")


# -- Settings → Audit trail -----------------------------------------------------


@view_config(
    route_name="settings_audit",
    renderer="core:templates/audit/trail.jinja2",
    permission="core.audit.view",
)
def trail_page(request: Any) -> dict[str, Any]:
    """The whole trail, filtered, newest first, a page at a time."""
    form = TrailFilterForm(request, request.GET)
    clauses = form.clauses(request.dbsession, user_timezone(request))
    params = form.params()
    events: list[EventView] = []
    older_url = None
    cursor, bad_cursor = read_cursor(request)
    if bad_cursor:
        form.form_errors.append(BAD_CURSOR)
    if clauses is not None:
        rows, next_cursor = fetch_page(request.dbsession, clauses, cursor)
        presenter = Presenter(request)
        events = [presenter.event(row) for row in rows]
        if next_cursor is not None:
            older_url = request.route_path(
                "settings_audit", _query={**params, "before": encode_cursor(*next_cursor)}
            )
    return {
        "form": form,
        "valid": clauses is not None,
        "params": params,
        "events": events,
        "older_url": older_url,
        "newest_url": request.route_path("settings_audit", _query=params) if cursor else None,
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Audit trail")), None),
        ],
    }


# -- a record's history ---------------------------------------------------------


def history_permission(record_type: RecordType) -> str:
    """The permission that opens a record's history: ``view``, or ``manage`` for the core's."""
    prefix = record_type.permission_prefix
    return f"{prefix}.manage" if prefix.startswith("core.") else f"{prefix}.view"


def parse_moment(text: str, tz: ZoneInfo) -> dt.datetime | None:
    """An ISO date and time (in ``tz`` unless it has an offset) in UTC, or ``None``."""
    text = SPACED_OFFSET.sub(r"\1+\2", text.strip())
    try:
        moment = dt.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class FieldState:
    """One field of a record as it was, and whether it differs now."""

    name: str
    label: str
    value: str
    changed: bool


def past_state(
    request: Any,
    record_type: RecordType,
    record: Any,
    clauses: list[ColumnElement[bool]],
    moment: dt.datetime,
) -> list[FieldState] | None:
    """The record's fields at ``moment`` (``None`` if it did not exist yet)."""
    current = snapshot(record)
    later = request.dbsession.execute(
        select(AuditEvent.at, AuditEvent.action, AuditEvent.changes)
        .where(*clauses, AuditEvent.action.in_(CHANGE_ACTIONS), AuditEvent.at > moment)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    state = state_at(current, later, moment)
    if state is None:
        return None
    presenter = Presenter(request)
    labels = presenter.field_labels(record_type)
    return [
        FieldState(
            name,
            labels.get(name, name),
            presenter.field_value(record_type, name, value),
            value != current.get(name),
        )
        for name, value in state.items()
    ]


@view_config(
    route_name="record_history",
    renderer="core:templates/audit/history.jinja2",
    permission="authenticated",
)
def record_history(request: Any) -> dict[str, Any]:
    """A record's events, newest first, and its values at a chosen moment.

    Answers the timeline fragment to htmx (the record page's History tab) and
    a full page otherwise; 404 when the record is outside the user's scope.
    """
    record_type = request.record_types.get(request.matchdict["record_type"])
    if record_type is None:
        raise HTTPNotFound()
    record = get_in_scope(
        request, record_type, request.matchdict["id"], history_permission(record_type)
    )
    tz = user_timezone(request)
    clauses = [
        AuditEvent.record_type == record_type.model.__tablename__,
        AuditEvent.record_id == str(record.id),
    ]
    url = request.route_path("record_history", record_type=record_type.name, id=record.id)
    at_text = request.GET.get("at", "").strip()[:64]
    moment = parse_moment(at_text, tz) if at_text else None
    state = past_state(request, record_type, record, clauses, moment) if moment else None
    cursor, bad_cursor = read_cursor(request)
    rows, next_cursor = fetch_page(request.dbsession, clauses, cursor)
    presenter = Presenter(request)
    keep = {"at": at_text} if at_text else {}
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        request.override_renderer = "core:templates/audit/history_fragment.jinja2"
    request.response.vary = ("HX-Request",)
    title = record_type.title(record)
    detail_url = (
        request.route_path(record_type.detail_route, id=record.id)
        if record_type.detail_route
        else None
    )
    return {
        "record_type": record_type,
        "record": record,
        "title": title,
        "url": url,
        "events": [presenter.event(row) for row in rows],
        "older_url": (
            request.route_path(
                "record_history",
                record_type=record_type.name,
                id=record.id,
                _query={**keep, "before": encode_cursor(*next_cursor)},
            )
            if next_cursor
            else None
        ),
        "newest_url": request.route_path(
            "record_history", record_type=record_type.name, id=record.id, _query=keep
        )
        if cursor
        else None,
        "bad_cursor": BAD_CURSOR if bad_cursor else None,
        "at_value": moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M:%S") if moment else at_text,
        "at_error": _("Enter a date and time, for example 2026-11-22T10:30.")
        if at_text and moment is None
        else None,
        "moment": moment,
        "state": state,
        "breadcrumbs": [
            (request.translate(record_type.label), None),
            (title, detail_url),
            (request.translate(_("History")), None),
        ],
    }


def includeme(config: Any) -> None:
    """Routes of the audit trail page, its export and record histories."""
    config.add_route("settings_audit", "/settings/audit")
    config.add_route("settings_audit_export", "/settings/audit/export")
    config.add_route("record_history", "/history/{record_type}/{id}")
    config.scan("core.audit_views")
    config.scan("core.audit_export")
