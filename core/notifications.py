"""In-app notifications: a table, :func:`notify` for modules, the bell and the list."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import ForeignKey, Index, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.i18n import _
from core.validation import parse_id

PAGE_SIZE = 30


class Notification(Base):
    """A message for one user, unread until they open the list."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(1000), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    kind: Mapped[str] = mapped_column(String(64), default="info")


def notify(
    session: Session, user_id: int, title: str, body: str = "", url: str = "", kind: str = "info"
) -> Notification:
    """Create a notification for ``user_id`` (text already in the user's language)."""
    notification = Notification(
        user_id=user_id, title=title[:200], body=body[:1000], url=url, kind=kind
    )
    session.add(notification)
    return notification


def unread_count(session: Session, user_id: int) -> int:
    """How many unread notifications the user has (capped at 100 for the badge)."""
    inner = (
        select(Notification.id)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .limit(100)
        .subquery()
    )
    return session.scalar(select(func.count()).select_from(inner)) or 0


@view_config(
    route_name="notifications",
    renderer="core:templates/notifications.jinja2",
    permission="authenticated",
)
def notifications(request: Any) -> dict[str, Any]:
    """The user's notifications, newest first, keyset-paginated by id."""
    query = select(Notification).where(Notification.user_id == request.identity.user_id)
    before = parse_id(request.GET.get("before"))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = list(
        request.dbsession.scalars(query.order_by(Notification.id.desc()).limit(PAGE_SIZE + 1))
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "items": rows,
        "next_before": rows[-1].id if more else None,
        "breadcrumbs": [(request.translate(_("Notifications")), None)],
    }


@view_config(route_name="notifications_read", request_method="POST", permission="authenticated")
def mark_read(request: Any) -> Any:
    """Mark all (or one, with ``id``) of the user's notifications as read."""
    statement = update(Notification).where(
        Notification.user_id == request.identity.user_id, Notification.read_at.is_(None)
    )
    one = parse_id(request.POST.get("id"))
    if one is not None:
        statement = statement.where(Notification.id == one)
    request.dbsession.execute(statement.values(read_at=utcnow()))
    return HTTPSeeOther(location=request.route_path("notifications"))


@view_config(
    route_name="notifications_badge",
    renderer="core:templates/notifications_badge.jinja2",
    permission="authenticated",
)
def badge(request: Any) -> dict[str, int]:
    """The unread count shown on the bell (polled by htmx)."""
    return {"count": unread_count(request.dbsession, request.identity.user_id)}


def includeme(config: Any) -> None:
    """Routes of the notification pages."""
    config.add_route("notifications", "/notifications")
    config.add_route("notifications_read", "/notifications/read")
    config.add_route("notifications_badge", "/notifications/badge")
    config.scan("core.notifications")
