"""The customer account, its contacts, and their fixed choices (kind, status …).

Levels, industries, sizes and sources are not fixed: they are the customer
dictionaries (:class:`DictionaryEntry`, see :mod:`plugins.customers.dictionaries`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, SmallInteger, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedString, encrypted_length
from core.db import Base, RecordMixin
from core.security.models import Region, User
from plugins.customers import _

KINDS = {"company": _("Company"), "individual": _("Individual")}
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


#: Rows the lists show: not deleted; and the rows of the recycle bin.
LIVE = text("deleted_at IS NULL")
DELETED = text("deleted_at IS NOT NULL")
MERGED = text("merged_into_id IS NOT NULL")


def live_index(name: str, *columns: str) -> Index:
    """An index of the live rows (partial: ``deleted_at IS NULL``) in the order of ``columns``.

    Lists filter by one column and sort by another (or by id) among live rows;
    PostgreSQL cannot read ``(deleted_at, x, id)`` in ``x, id`` order for
    ``deleted_at IS NULL``, but it reads this index in order on both databases.
    """
    return Index(name, *columns, sqlite_where=LIVE, postgresql_where=LIVE)


class Customer(RecordMixin, Base):
    """A customer account (a company or an individual) owned by one user.

    ``team_id`` is the owner's team, copied at every save so that team scopes
    are one indexed column; region codes are stored at every level for the same
    reason.  Deleting sets ``deleted_at`` (restorable); rows are never removed here.
    Every list filter and sort has a :func:`live_index` (see ``test_list_plans``).
    """

    __tablename__ = "customers"
    __table_args__ = (
        # The recycle bin.  No index may lead with deleted_at: SQLite's statistics
        # average over its values and take "deleted_at IS NULL" (99 % of rows) for a
        # rare value, then sort the whole table instead of reading a live index.
        Index("ix_customers_deleted", "id", sqlite_where=DELETED, postgresql_where=DELETED),
        # Deleting a customer looks for customers merged into it: without this index
        # every delete (an undone import, a purge) reads the whole table.
        Index(
            "ix_customers_merged_into",
            "merged_into_id",
            sqlite_where=MERGED,
            postgresql_where=MERGED,
        ),
        live_index("ix_customers_live_name", "name", "id"),
        live_index("ix_customers_live_code", "code", "id"),
        live_index("ix_customers_live_created", "created_at", "id"),
        live_index("ix_customers_live_updated", "updated_at", "id"),
        live_index("ix_customers_owner_live_id", "owner_id", "id"),
        live_index("ix_customers_team_live_id", "team_id", "id"),
        live_index("ix_customers_province_live_id", "province_code", "id"),
        live_index("ix_customers_city_live_id", "city_code", "id"),
        live_index("ix_customers_district_live_id", "district_code", "id"),
        live_index("ix_customers_level_live_id", "level", "id"),
        live_index("ix_customers_status_live_id", "status", "id"),
        live_index("ix_customers_industry_live_id", "industry", "id"),
        Index("ix_customers_status_last_contact", "status", "last_contact_at"),
    )
    __sensitive__ = ("id_number", "bank_account")
    #: Derived from follow-ups and orders, which are audited themselves.
    __audit_exclude__ = ("last_contact_at", "last_order_at")

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default="company")
    level: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="potential")
    industry: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(32))
    credit_rating: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    city_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18), index=True)
    id_number: Mapped[str | None] = mapped_column(EncryptedString(encrypted_length(18)))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account: Mapped[str | None] = mapped_column(EncryptedString(encrypted_length(34)))
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_contact_at: Mapped[dt.datetime | None]
    """The latest follow-up's time (churn rules and the list read it)."""
    last_order_at: Mapped[dt.datetime | None]
    """The latest order's date (churn rules read it)."""
    churn_check_on: Mapped[dt.date | None]
    """When churn was paused: the date the owner checks again."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    """Set on the customer that a merge folded into another one (which is kept)."""
    deleted_at: Mapped[dt.datetime | None]

    tags: Mapped[list[Tag]] = relationship(secondary=lambda: customer_tags, order_by="Tag.name")
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


DICTIONARY_KINDS = {
    "industry": _("Industry"),
    "size": _("Company size"),
    "level": _("Customer level"),
    "source": _("Source"),
}


class DictionaryEntry(RecordMixin, Base):
    """One admin-editable choice of a customer dictionary (industries, sizes, levels, sources).

    ``code`` is what customers store; ``labels`` holds the label per locale
    (``{"en": …, "zh_Hans": …, "zh_Hant": …}``).  Retired entries stay for the
    customers that use them but are no longer offered.
    """

    __tablename__ = "customer_dictionary"
    __table_args__ = (Index("uq_customer_dictionary_code", "kind", "code", unique=True),)

    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Tag(RecordMixin, Base):
    """A label put on customers; ``行业-制造业`` belongs to the group ``行业``.

    System tags (VIP, 流失预警 …) are used by the application and cannot be deleted.
    """

    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    color: Mapped[str] = mapped_column(String(16), default="blue")
    group: Mapped[str | None] = mapped_column(String(50), index=True)
    is_system: Mapped[bool] = mapped_column(default=False)

    def __str__(self) -> str:
        return self.name


customer_tags = Table(
    "customer_tags",
    Base.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_customer_tags_tag_customer", "tag_id", "customer_id"),
)
"""Which customers carry which tags (filtering by tag walks ``(tag_id, customer_id)``)."""
