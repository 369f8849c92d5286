"""Outgoing e-mail through an outbox table, and the Settings → Outbox page.

Code that sends mail calls :func:`queue_mail` inside its transaction, so a
message exists exactly when the change that caused it is committed.  The worker
(``core.jobs``) calls :func:`send_pending` every minute; it sends through
``guanxi.smtp_url`` (``smtp://user:password@host:587`` with STARTTLS when the
server offers it, or ``smtps://…:465``).  A failed send keeps the message,
records the error and retries later with a growing delay, so nothing is lost
while the SMTP server is down.  Without ``guanxi.smtp_url`` messages stay queued.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from pyramid.view import view_config
from sqlalchemy import Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, utcnow
from core.i18n import _
from core.validation import parse_id

PAGE_SIZE = 50
#: Messages sent per call of :func:`send_pending`; the rest wait for the next tick.
BATCH_SIZE = 200
SMTP_TIMEOUT = 30
#: The longest wait before retrying a failed message.
MAX_RETRY_DELAY = dt.timedelta(hours=1)


class OutboxMessage(Base):
    """An e-mail waiting to be sent, or already sent."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: Not sent before this time (set after a failure).
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def status(self) -> str:
        """``sent``, ``failed`` (will be retried) or ``queued``."""
        if self.sent_at is not None:
            return "sent"
        return "failed" if self.attempts else "queued"


def queue_mail(session: Session, to: str, subject: str, body: str) -> OutboxMessage:
    """Put a plain-text message in the outbox; it is sent once the transaction commits."""
    message = OutboxMessage(to=to.strip(), subject=subject[:300], body=body)
    session.add(message)
    return message


class MailConfigError(ValueError):
    """``guanxi.smtp_url`` cannot be understood."""


def connect(smtp_url: str) -> smtplib.SMTP:
    """An open, logged-in SMTP connection for ``smtp://…`` or ``smtps://…``."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise MailConfigError("guanxi.smtp_url must look like smtp://user:password@host:port")
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=SMTP_TIMEOUT, context=context
        )
    else:
        connection = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=SMTP_TIMEOUT)
        connection.ehlo()
        if connection.has_extn("starttls"):
            connection.starttls(context=context)
            connection.ehlo()
    if parts.username:
        connection.login(unquote(parts.username), unquote(parts.password or ""))
    return connection


def absolute_url(settings: dict[str, Any], path: str) -> str:
    """``path`` on the site's public address (``guanxi.base_url``), for links in e-mails."""
    return settings.get("guanxi.base_url", "").rstrip("/") + path


def default_sender(settings: dict[str, Any]) -> str:
    """``guanxi.mail_from``, else ``Guanxi CRM <noreply@host of the base URL>``."""
    configured = settings.get("guanxi.mail_from")
    if configured:
        return configured
    host = urlsplit(settings.get("guanxi.base_url", "")).hostname or "localhost"
    return f"Guanxi CRM <noreply@{host}>"


def build_message(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message of an outbox row."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = message.to
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(message.created_at)
    mime["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
    mime.set_content(message.body)
    return mime


def _failed(message: OutboxMessage, error: Exception, now: dt.datetime) -> None:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    delay = dt.timedelta(minutes=2 ** min(message.attempts - 1, 6))
    message.next_attempt_at = now + min(delay, MAX_RETRY_DELAY)


def send_pending(
    session: Session, smtp_url: str, sender: str = "Guanxi CRM <noreply@localhost>"
) -> int:
    """Send the messages that are due; return how many were sent.

    Does nothing without ``smtp_url``.  A message that cannot be sent keeps its
    place in the outbox with the error and the time of its next attempt.
    """
    if not smtp_url:
        return 0
    now = utcnow()
    due = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id)
            .limit(BATCH_SIZE)
        )
    )
    if not due:
        return 0
    try:
        connection = connect(smtp_url)
    except (OSError, smtplib.SMTPException, MailConfigError) as exc:
        for message in due:
            _failed(message, exc, now)
        return 0
    sent = 0
    try:
        for message in due:
            try:
                connection.send_message(build_message(message, sender))
            except (OSError, smtplib.SMTPException, ValueError) as exc:
                _failed(message, exc, now)
            else:
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()
    return sent


@view_config(
    route_name="settings_outbox",
    renderer="core:templates/settings/outbox.jinja2",
    permission="core.settings.manage",
)
def outbox_page(request: Any) -> dict[str, Any]:
    """The outbox, newest first, keyset-paginated by id (``?before=<id>``)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE_SIZE + 1)
    before = parse_id(request.GET.get("before"))
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = list(request.dbsession.scalars(query))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "messages": rows,
        "next_before": rows[-1].id if more else None,
        "first_page": before is None,
        "configured": bool(request.registry.settings.get("guanxi.smtp_url")),
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Outbox")), None),
        ],
    }


def includeme(config: Any) -> None:
    """The outbox page."""
    config.add_route("settings_outbox", "/settings/outbox")
    config.scan("core.mail")
