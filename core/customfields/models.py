"""Custom field definitions: what admins add to an extensible record type.

Values live in the record's ``custom`` JSON column, keyed by the definition's
``key``; archiving a definition hides it and keeps every value.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from core.db import Base, JSONType, RecordMixin
from core.i18n import LOCALES, _

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: Field type → its translatable name, in the order the admin form offers them.
FIELD_TYPES = {
    "text": _("Text"),
    "long_text": _("Long text"),
    "integer": _("Whole number"),
    "decimal": _("Decimal number"),
    "money": _("Money"),
    "date": _("Date"),
    "datetime": _("Date and time"),
    "boolean": _("Yes / no"),
    "choice": _("Single choice"),
    "multi_choice": _("Multiple choice"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "url": _("Web address"),
    "user": _("User"),
}
CHOICE_TYPES = ("choice", "multi_choice")


def localized(texts: dict[str, str] | None, locale: str) -> str:
    """The text for ``locale``, falling back to English, then to any language given."""
    texts = texts or {}
    for candidate in (locale, "en", *LOCALES):
        if texts.get(candidate):
            return texts[candidate]
    return ""


class CustomFieldDefinition(RecordMixin, Base):
    """One custom field of a record type (``RecordType.name``)."""

    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("record_type", "key"),)

    record_type: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(40))
    field_type: Mapped[str] = mapped_column(String(16))
    #: ``{"en": …, "zh_Hans": …, "zh_Hant": …}``
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    help: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A clean value (as stored in ``custom``) or ``None``.
    default: Mapped[Any] = mapped_column(JSONType, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: ``[{"value": …, "labels": {"en": …, "zh_Hans": …, "zh_Hant": …}}, …]``
    choices: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    show_in_list: Mapped[bool] = mapped_column(Boolean, default=False)
    filterable: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[dt.datetime | None]

    @validates("key")
    def _check_key(self, _name: str, value: str) -> str:
        if self.key is not None and value != self.key:
            raise ValueError("the key of a custom field cannot change")
        if not KEY_PATTERN.match(value or ""):
            raise ValueError(f"invalid custom field key {value!r}")
        return value

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def label_for(self, locale: str) -> str:
        """The label in ``locale`` (English, then any language, then the key)."""
        return localized(self.labels, locale) or self.key

    def help_for(self, locale: str) -> str:
        """The help text in ``locale`` (falling back like the label), or ``""``."""
        return localized(self.help, locale)

    def choice_values(self) -> list[str]:
        """The values of the choices, in order."""
        return [choice["value"] for choice in self.choices or ()]

    def choice_label(self, value: str, locale: str) -> str:
        """The label of the choice ``value`` (the value itself when unknown)."""
        for choice in self.choices or ():
            if choice["value"] == value:
                return localized(choice.get("labels"), locale) or value
        return value

    def __str__(self) -> str:
        return f"{self.record_type}.{self.key}"
