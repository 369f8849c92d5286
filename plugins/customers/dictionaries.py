"""The customer dictionaries (industries, sizes, levels, sources): choices and labels.

Entries are read once per request (``request.customer_dictionary``).  Forms
offer the active entries; pages and filters label every entry, retired ones
included, so customers that still use a retired code keep their label.  The
administrator's changes go through :func:`add_entry`, :func:`update_labels`,
:func:`move_entry` and :func:`set_active`; the audit trail records each one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.customfields.models import localized
from core.i18n import LOCALES
from plugins.customers import _
from plugins.customers.models import DICTIONARY_KINDS, DictionaryEntry

#: Editing the dictionaries and the code pattern (administrators by default).
MANAGE = "customers.dictionary.manage"
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
LABEL_MAX = 100
CODE_SHAPE = _("Use up to 32 lower-case letters, digits, - and _, starting with a letter or digit.")
CODE_TAKEN = _("This list already has an entry with this code.")
LABEL_REQUIRED = _("Give the label in every language.")
LAST_LEVEL = _("Every customer has a level: keep at least one level offered.")


@dataclass(frozen=True)
class Choice:
    """One entry as the pages use it: its code, label in the user's language, and state."""

    code: str
    label: str
    active: bool


class DictionaryError(ValueError):
    """An entry that cannot be saved; ``field`` is ``code`` or ``labels``."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def entries(session: Session, kind: str | None = None) -> list[DictionaryEntry]:
    """Every entry (of ``kind``, or all), by kind and position."""
    query = select(DictionaryEntry).order_by(
        DictionaryEntry.kind, DictionaryEntry.position, DictionaryEntry.id
    )
    if kind is not None:
        query = query.where(DictionaryEntry.kind == kind)
    return list(session.scalars(query))


def load(request: Any) -> dict[str, list[Choice]]:
    """Kind → its entries as choices in the user's language (``request.customer_dictionary``)."""
    found: dict[str, list[Choice]] = {kind: [] for kind in DICTIONARY_KINDS}
    for entry in entries(request.dbsession):
        label = localized(entry.labels, request.locale_name) or entry.code
        found.setdefault(entry.kind, []).append(Choice(entry.code, label, entry.active))
    return found


def choices(request: Any, kind: str, current: str | None = None) -> list[tuple[str, str]]:
    """``(code, label)`` of the active entries of ``kind``, plus ``current`` if it was retired."""
    return [
        (choice.code, choice.label)
        for choice in request.customer_dictionary[kind]
        if choice.active or choice.code == current
    ]


def default_level(request: Any) -> str:
    """The level of a new customer: ``normal`` while it is offered, else the first offered."""
    offered = [code for code, _label in choices(request, "level")]
    return "normal" if "normal" in offered or not offered else offered[0]


def labels(request: Any, kind: str) -> dict[str, str]:
    """Code → label in the user's language of every entry of ``kind``, retired ones included."""
    return {choice.code: choice.label for choice in request.customer_dictionary[kind]}


# -- administration -------------------------------------------------------------------


def clean_labels(texts: Mapping[str, str | None]) -> dict[str, str]:
    """The label per language, trimmed; every language is required."""
    cleaned = {locale: " ".join((texts.get(locale) or "").split()) for locale in LOCALES}
    if not all(cleaned.values()):
        raise DictionaryError("labels", LABEL_REQUIRED)
    return {locale: text[:LABEL_MAX] for locale, text in cleaned.items()}


def add_entry(
    session: Session, kind: str, code: str, texts: Mapping[str, str | None]
) -> DictionaryEntry:
    """A new active entry at the end of ``kind``; its code is fixed from now on."""
    if kind not in DICTIONARY_KINDS:
        raise ValueError(kind)
    code = code.strip().lower()
    if not CODE_PATTERN.match(code):
        raise DictionaryError("code", CODE_SHAPE)
    label_texts = clean_labels(texts)
    taken = select(DictionaryEntry.id).where(
        DictionaryEntry.kind == kind, DictionaryEntry.code == code
    )
    if session.execute(taken).first() is not None:
        raise DictionaryError("code", CODE_TAKEN)
    last = session.scalar(
        select(func.max(DictionaryEntry.position)).where(DictionaryEntry.kind == kind)
    )
    entry = DictionaryEntry(
        kind=kind, code=code, labels=label_texts, position=(last or 0) + 1, active=True
    )
    session.add(entry)
    session.flush()
    return entry


def update_labels(
    session: Session, entry: DictionaryEntry, texts: Mapping[str, str | None]
) -> None:
    """Rename ``entry`` in every language."""
    entry.labels = clean_labels(texts)
    session.flush()


def move_entry(session: Session, entry: DictionaryEntry, offset: int) -> bool:
    """Move ``entry`` ``offset`` places (−1 up, +1 down) in its list; whether it moved."""
    ordered = entries(session, entry.kind)
    index = ordered.index(entry)
    target = index + offset
    if not 0 <= target < len(ordered):
        return False
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            item.position = position
    session.flush()
    return True


def set_active(session: Session, entry: DictionaryEntry, active: bool) -> None:
    """Retire ``entry`` (no longer offered; customers keep it) or offer it again.

    The last offered level cannot be retired (a customer's level is required).
    """
    if not active and entry.kind == "level":
        offered = [item for item in entries(session, "level") if item.active]
        if offered == [entry]:
            raise DictionaryError("active", LAST_LEVEL)
    entry.active = active
    session.flush()
