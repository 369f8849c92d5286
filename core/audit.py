"""The audit trail: who changed what, when, from where, with before/after values.

Changes to every model with ``__audited__ = True`` (all ``RecordMixin`` models)
are captured in ``after_flush`` and inserted on the same connection, so the
trail is written in the same transaction as the change, or not at all.
Security events (logins, denials, exports, unmaskings …) use :func:`record_event`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ForeignKey, Index, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.crypto import EncryptedString
from core.db import Base, JSONType, RecordMixin, utcnow

REDACTED = "[redacted]"
#: Columns of any model that never reach the trail in clear.
ALWAYS_SECRET = frozenset({"password_hash", "recovery_codes", "token_hash"})
#: Bookkeeping columns left out of the recorded changes.
NOT_AUDITED = frozenset(
    {"id", "version", "updated_at", "updated_by_id", "created_at", "created_by_id"}
)
#: The actions that change a record (their ``changes`` are ``{field: [before, after]}``).
CHANGE_ACTIONS = ("create", "update", "delete")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user (possibly through a token), the CLI or a job."""

    kind: str = "system"
    user_id: int | None = None
    token_id: int | None = None
    ip: str | None = None
    request_id: str | None = None


class AuditEvent(Base):
    """One entry of the audit trail."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_record", "record_type", "record_id", "at"),
        Index("ix_audit_events_actor_at", "actor_user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    actor_kind: Mapped[str] = mapped_column(String(16), default="system")
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_token_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    record_type: Mapped[str | None] = mapped_column(String(64))
    record_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(300), default="")
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


RecordMixin.__audited__ = True  # type: ignore[attr-defined]


def actor_from_request(request: Any) -> Actor:
    """The actor of a web or API request."""
    identity = request.identity
    return Actor(
        kind="token" if identity and identity.token else ("user" if identity else "anonymous"),
        user_id=identity.user_id if identity else None,
        token_id=identity.token.id if identity and identity.token else None,
        ip=request.client_addr,
        request_id=getattr(request, "request_id", None),
    )


def current_actor(session: Session) -> Actor:
    """The actor the session works for (a callable in ``info`` is resolved once)."""
    actor = session.info.get("actor")
    if callable(actor):
        actor = session.info["actor"] = actor()
    return actor if isinstance(actor, Actor) else Actor()


def jsonable(value: Any) -> Any:
    """A JSON-safe rendering of a column value."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return REDACTED
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def sensitive_columns(obj: Any) -> set[str]:
    """Columns never written in clear to the trail: encrypted ones and declared ones."""
    mapper = inspect(type(obj))
    names = {
        attr.key
        for attr in mapper.column_attrs
        if any(isinstance(column.type, EncryptedString) for column in attr.columns)
    }
    names.update(getattr(type(obj), "__sensitive__", ()))
    names.update(ALWAYS_SECRET)
    return names


def audited_attributes(mapper: Any) -> list[tuple[str, bool]]:
    """``(key, is_relation)`` of what the trail records: columns and many-to-many lists.

    A model leaves bookkeeping columns out with ``__audit_exclude__ = ("col", …)``.
    """
    found = []
    excluded = NOT_AUDITED | set(getattr(mapper.class_, "__audit_exclude__", ()))
    for attr in mapper.attrs:
        if attr.key in excluded:
            continue
        if hasattr(attr, "direction"):
            if attr.direction.name == "MANYTOMANY":
                found.append((attr.key, True))
        elif hasattr(attr, "columns"):
            found.append((attr.key, False))
    return found


def diff(obj: Any, *, created: bool = False, deleted: bool = False) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` of the object's changed columns and relations."""
    state = inspect(obj)
    secret = sensitive_columns(obj)
    changes: dict[str, list[Any]] = {}
    for key, is_relation in audited_attributes(state.mapper):
        history = state.attrs[key].history
        if created:
            before, after = None, state.attrs[key].value
        elif deleted:
            before, after = state.attrs[key].value, None
        else:
            if not history.has_changes():
                continue
            before = (
                list(history.deleted)
                if is_relation
                else (history.deleted[0] if history.deleted else None)
            )
            after = (
                list(history.added)
                if is_relation
                else (history.added[0] if history.added else None)
            )
            if is_relation:
                unchanged = list(history.unchanged)
                before, after = unchanged + before, unchanged + after
        if is_relation:
            before = sorted(str(item) for item in before or [])
            after = sorted(str(item) for item in after or [])
        if before == after or (created and after is None) or (deleted and before is None):
            continue
        if key in secret:
            changes[key] = [
                REDACTED if before is not None else None,
                REDACTED if after is not None else None,
            ]
        else:
            changes[key] = [jsonable(before), jsonable(after)]
    return changes


def snapshot(obj: Any) -> dict[str, Any]:
    """Every audited value of ``obj`` as the trail writes it (sensitive values redacted)."""
    values = diff(obj, created=True)
    return {
        key: values[key][1] if key in values else ([] if is_relation else None)
        for key, is_relation in audited_attributes(inspect(obj).mapper)
    }


def state_at(
    current: dict[str, Any], events_newest_first: list[Any], at: dt.datetime
) -> dict[str, Any] | None:
    """The values a record had at ``at``, or ``None`` if it did not exist then.

    Starts from ``current`` (see :func:`snapshot`) and walks back through the
    record's events newer than ``at``: an update gives back its before values, a
    delete the values it removed, and a create means the record was not there
    yet.  Values redacted in the trail stay redacted.
    """
    state = dict(current)
    for entry in events_newest_first:
        if entry.action not in CHANGE_ACTIONS:
            continue
        if entry.at <= at:
            return None if entry.action == "delete" else state
        if entry.action == "create":
            return None
        befores = {key: pair[0] for key, pair in (entry.changes or {}).items()}
        if entry.action == "delete":
            state = dict.fromkeys(state) | befores
        else:
            state.update(befores)
    return state


def _audit_row(actor: Actor, action: str, obj: Any, changes: dict) -> dict[str, Any]:
    # A new object gets its identity key only after the flush: read its primary key then.
    state = inspect(obj)
    key = state.identity or state.mapper.primary_key_from_instance(obj)
    return {
        "at": utcnow(),
        "action": action,
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id,
        "actor_token_id": actor.token_id,
        "ip": actor.ip,
        "request_id": actor.request_id,
        "record_type": obj.__tablename__,
        "record_id": None if not key or key[0] is None else str(key[0]),
        "summary": str(obj)[:300],
        "changes": changes,
    }


@event.listens_for(Session, "after_flush")
def _capture_changes(session: Session, flush_context: Any) -> None:
    """Write one audit row per created, updated or deleted audited object."""
    rows = []
    actor = None
    for objects, action in (
        (session.new, "create"),
        (session.dirty, "update"),
        (session.deleted, "delete"),
    ):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            changes = diff(obj, created=action == "create", deleted=action == "delete")
            if action == "update" and not changes:
                continue
            actor = actor or current_actor(session)
            rows.append(_audit_row(actor, action, obj, changes))
    if rows:
        session.connection().execute(insert(AuditEvent.__table__), rows)


def record_event(
    session: Session,
    action: str,
    *,
    actor: Actor | None = None,
    record_type: str | None = None,
    record_id: Any = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record a security or business event that is not a row change; return it."""
    actor = actor or current_actor(session)
    entry = AuditEvent(
        action=action,
        actor_kind=actor.kind,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        ip=actor.ip,
        request_id=actor.request_id,
        record_type=record_type,
        record_id=None if record_id is None else str(record_id),
        summary=summary[:300],
        changes=changes,
    )
    session.add(entry)
    return entry


def record_denial(request: Any, reason: Any) -> None:
    """Record that the logged-in user was refused a page or action.

    The request's transaction is aborted (an exception view answered), so the
    event is written in its own transaction once the request has finished.
    """
    from core.db import session_scope

    actor = actor_from_request(request)
    summary = f"{request.method} {request.path} ({reason or 'forbidden'})"
    factory = request.registry["dbsession_factory"]

    def write(_request: Any) -> None:
        with session_scope(factory, actor) as session:
            record_event(session, "denied", summary=summary)

    request.add_finished_callback(write)


def includeme(config: Any) -> None:
    """Make request sessions record the request's actor."""
    config.registry["actor_factory"] = actor_from_request
