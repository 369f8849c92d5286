"""Churn handling: what happened to an at-risk customer, one event at a time."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, RecordMixin
from core.security.models import User
from plugins.customers import _
from plugins.customers.models import Customer

CHURN_ACTIONS = {
    "flagged": _("Marked at risk"),
    "paused": _("Churn paused"),
    "confirmed": _("Churn confirmed"),
    "reactivated": _("Reactivated"),
}


class ChurnEvent(RecordMixin, Base):
    """One step of a customer's churn history.

    ``flagged`` is written by the daily job (``reason`` says which rule held),
    ``paused`` by the owner with the ``measure`` taken and the ``check_on`` date,
    ``confirmed`` with the ``reason``, ``reactivated`` when the customer is active again.
    """

    __tablename__ = "churn_events"
    __table_args__ = (Index("ix_churn_events_customer", "customer_id", "id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    action: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    measure: Mapped[str] = mapped_column(Text, default="")
    check_on: Mapped[dt.date | None]

    customer: Mapped[Customer] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
