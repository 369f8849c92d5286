"""Saved list views: a named set of filters, sort and columns for one list page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, RecordMixin


class SavedView(RecordMixin, Base):
    """A user's named view of a list (``list_key`` such as ``customers``).

    ``params`` holds the list's query parameters (filters, sort, columns).  A
    shared view is offered to everybody who can open the list; only its owner
    (or an administrator) changes it.
    """

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_list_user", "list_key", "user_id"),)

    list_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    shared: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
