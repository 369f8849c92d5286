"""Transaction history: orders with their lines, and contracts that cover orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, RecordMixin
from plugins.customers import _
from plugins.customers.models import Customer

ORDER_STATES = {
    "draft": _("Draft"),
    "confirmed": _("Confirmed"),
    "shipped": _("Shipped"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
}
CONTRACT_STATES = {
    "draft": _("Draft"),
    "signed": _("Signed"),
    "active": _("In effect"),
    "expired": _("Expired"),
    "terminated": _("Terminated"),
}
Money = Numeric(14, 2)


class Order(RecordMixin, Base):
    """An order placed by a customer; ``amount`` is the sum of its lines, kept on save."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_live_date", "customer_id", "deleted_at", "ordered_on", "id"),
        Index("ix_orders_live_date", "deleted_at", "ordered_on", "id"),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ordered_on: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    state: Mapped[str] = mapped_column(String(16), default="confirmed")
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.number


class OrderLine(RecordMixin, Base):
    """One product on an order: quantity × unit price."""

    __tablename__ = "order_lines"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    product_code: Mapped[str | None] = mapped_column(String(64), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="lines")


contract_orders = Table(
    "contract_orders",
    Base.metadata,
    Column("contract_id", ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    Column("order_id", ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contract_orders_order", "order_id"),
)
"""Which orders a contract covers."""


class Contract(RecordMixin, Base):
    """A contract signed with a customer, valid from ``starts_on`` to ``ends_on``."""

    __tablename__ = "contracts"
    __table_args__ = (
        Index("ix_contracts_customer_live_signed", "customer_id", "deleted_at", "signed_on", "id"),
        Index("ix_contracts_live_ends", "deleted_at", "ends_on", "id"),
    )

    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    title: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[dt.date | None]
    starts_on: Mapped[dt.date | None]
    ends_on: Mapped[dt.date | None]
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    state: Mapped[str] = mapped_column(String(16), default="draft")
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship()
    orders: Mapped[list[Order]] = relationship(secondary=contract_orders, order_by="Order.id")

    def __str__(self) -> str:
        return self.number
