"""The customer account, its contacts, and their fixed choices (kind, level, status …)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, RecordMixin
from core.security.models import Region, User
from plugins.customers import _

KINDS = {"company": _("Company"), "individual": _("Individual")}
LEVELS = {
    "normal": _("Regular customer"),
    "key_prospect": _("Key prospect"),
    "major": _("Major account"),
    "partner": _("Partner"),
    "strategic": _("Strategic partner"),
}
STATUSES = {
    "potential": _("Potential"),
    "active": _("Active"),
    "at_risk": _("At risk"),
    "churned": _("Churned"),
}
GENDERS = {"unspecified": _("Not specified"), "female": _("Female"), "male": _("Male")}
CHANNELS = {
    "mobile": _("Mobile"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "wechat": _("WeChat"),
    "visit": _("Visit"),
}


class Customer(RecordMixin, Base):
    """A customer account (a company or an individual) owned by one user.

    ``team_id`` is the owner's team, copied at every save so that team scopes
    are one indexed column; region codes are stored at every level for the same
    reason.  Deleting sets ``deleted_at`` (restorable); rows are never removed here.
    """

    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_live_id", "deleted_at", "id"),
        Index("ix_customers_live_name", "deleted_at", "name", "id"),
        Index("ix_customers_live_created", "deleted_at", "created_at", "id"),
        Index("ix_customers_live_updated", "deleted_at", "updated_at", "id"),
        Index("ix_customers_owner_live_id", "owner_id", "deleted_at", "id"),
        Index("ix_customers_team_live_id", "team_id", "deleted_at", "id"),
        Index("ix_customers_province_live_id", "province_code", "deleted_at", "id"),
        Index("ix_customers_level_live_id", "level", "deleted_at", "id"),
        Index("ix_customers_status_live_id", "status", "deleted_at", "id"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="company")
    level: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="potential")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    city_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_at: Mapped[dt.datetime | None]

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    province: Mapped[Region | None] = relationship(foreign_keys=[province_code])
    city: Mapped[Region | None] = relationship(foreign_keys=[city_code])
    district: Mapped[Region | None] = relationship(foreign_keys=[district_code])

    def __str__(self) -> str:
        return self.name


#: Live primary contacts: at most one per customer (a partial unique index).
LIVE_PRIMARY = text("is_primary AND deleted_at IS NULL")


class Contact(RecordMixin, Base):
    """A person at a customer, reached (and scoped) only through the customer.

    Every customer with live contacts has exactly one live primary contact
    (see :mod:`plugins.customers.contacts`); the partial unique index makes a
    second one impossible.  Deleting sets ``deleted_at``.
    """

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_customer_live", "customer_id", "deleted_at", "created_at", "id"),
        Index(
            "uq_contacts_one_primary",
            "customer_id",
            unique=True,
            sqlite_where=LIVE_PRIMARY,
            postgresql_where=LIVE_PRIMARY,
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str] = mapped_column(String(16), default="unspecified")
    title: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    mobile: Mapped[str | None] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat_id: Mapped[str | None] = mapped_column(String(64))
    birthday: Mapped[dt.date | None]
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    is_primary: Mapped[bool] = mapped_column(default=False)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()

    def __str__(self) -> str:
        return self.name
