"""Follow-ups (交往记录): interactions logged with a customer, the next ones planned, and plans."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, RecordMixin
from core.security.models import User
from plugins.customers import _
from plugins.customers.models import Contact, Customer

METHODS = {
    "phone": _("Phone call"),
    "visit": _("Visit"),
    "email": _("E-mail"),
    "wechat": _("WeChat"),
    "meeting": _("Meeting"),
    "other": _("Other"),
}
FOLLOW_UP_STATES = {
    "planned": _("Planned"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
}
WITH_CONTACT = text("contact_id IS NOT NULL")

PLAN_UNITS = {"days": _("days"), "weeks": _("weeks")}


class FollowUp(RecordMixin, Base):
    """One interaction with a customer: done (logged) or planned (due at ``due_at``).

    Logging a follow-up with a next follow-up time plans the next one for the
    same user; logging a planned one marks it done.  ``reminded_at`` is set when
    the reminder went out, so that it is sent once.  Reached (and scoped) through
    the customer.
    """

    __tablename__ = "follow_ups"
    __table_args__ = (
        Index("ix_follow_ups_customer_live", "customer_id", "deleted_at", "happened_at", "id"),
        Index("ix_follow_ups_user_state_due", "user_id", "state", "due_at"),
        Index("ix_follow_ups_state_reminder", "state", "reminded_at", "due_at"),
        # Deleting a contact looks for its follow-ups (the foreign key's check).
        Index(
            "ix_follow_ups_contact",
            "contact_id",
            sqlite_where=WITH_CONTACT,
            postgresql_where=WITH_CONTACT,
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("follow_up_plans.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="done")
    method: Mapped[str] = mapped_column(String(16), default="phone")
    subject: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[str] = mapped_column(Text, default="")
    happened_at: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None]
    next_at: Mapped[dt.datetime | None]
    """The next follow-up time recorded with this one (the planned follow-up holds it too)."""
    reminded_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    contact: Mapped[Contact | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="follow_up", order_by="Attachment.id"
    )

    def __str__(self) -> str:
        return self.subject


class FollowUpPlan(RecordMixin, Base):
    """A recurring follow-up rule: every ``every`` days or weeks from ``next_due_on``.

    The daily job plans a follow-up for ``user_id`` when ``next_due_on`` comes and
    moves ``next_due_on`` on by the interval.
    """

    __tablename__ = "follow_up_plans"
    __table_args__ = (Index("ix_follow_up_plans_active_due", "active", "next_due_on"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16), default="phone")
    every: Mapped[int] = mapped_column(Integer, default=1)
    unit: Mapped[str] = mapped_column(String(8), default="weeks")
    next_due_on: Mapped[dt.date]
    active: Mapped[bool] = mapped_column(default=True)

    customer: Mapped[Customer] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class Attachment(RecordMixin, Base):
    """A file attached to a follow-up, stored under a generated ``storage_name``.

    Downloads are checked against the customer's scope and served as attachments.
    """

    __tablename__ = "follow_up_attachments"

    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[dt.datetime | None]

    follow_up: Mapped[FollowUp] = relationship(back_populates="attachments")
