"""A note written on a customer."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, RecordMixin
from plugins.customers.models import Customer


class ExampleNote(RecordMixin, Base):
    """A short note on a customer; who may see it follows who may see the customer."""

    __tablename__ = "example_notes"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    text: Mapped[str] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
