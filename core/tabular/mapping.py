"""Which column of a file goes into which field: matched from the headers, editable, remembered.

A header names a field when, normalised (NFKC, no case, no spaces or
punctuation, no note in brackets such as ``(必填)`` and no required mark
``*``), it equals the field's key, its label in any of the languages, or one of
its aliases.  Each field takes the first column naming it; other columns are
ignored until the user chooses otherwise.  A user's choices are remembered per
record type by header, so the next file with the same columns maps itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import TabularField
from core.i18n import LOCALES, _, localizer_in
from core.tabular.models import SavedMapping

#: The mapping value of a column that is not imported.
IGNORED = ""
#: The error file's extra column; never matched to a field when a fixed file comes back.
ERRORS_HEADER = _("Errors")
_BRACKETED = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]")


def normalise_header(text: str) -> str:
    """``text`` as headers are compared: ``" 客户名称（必填）*"`` → ``"客户名称"``."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = _BRACKETED.sub("", text)
    return "".join(char for char in text if char.isalnum())


def field_names(registry: Any, field: TabularField) -> set[str]:
    """Every normalised header that names ``field``."""
    labels = [localizer_in(registry, locale).translate(field.label) for locale in LOCALES]
    names = {normalise_header(name) for name in (field.key, *labels, *field.aliases)}
    names.discard("")
    return names


def ignored_headers(registry: Any) -> set[str]:
    """Headers never matched to a field: the error file's own column, in every language."""
    return {
        normalise_header(localizer_in(registry, locale).translate(ERRORS_HEADER))
        for locale in LOCALES
    }


def auto_map(registry: Any, header: Sequence[str], fields: Iterable[TabularField]) -> list[str]:
    """The field key of each column (``""`` when no field is named), each field used once."""
    by_name: dict[str, str] = {}
    for field in fields:
        for name in field_names(registry, field):
            by_name.setdefault(name, field.key)
    skip = ignored_headers(registry)
    used: set[str] = set()
    mapping = []
    for text in header:
        name = normalise_header(text)
        key = by_name.get(name, IGNORED) if name not in skip else IGNORED
        if key in used:
            key = IGNORED
        used.add(key)
        mapping.append(key)
    return mapping


def saved_columns(session: Session, user_id: int, type_name: str) -> dict[str, str]:
    """The user's remembered choices for ``type_name``: normalised header → field key."""
    row = session.scalars(
        select(SavedMapping).where(SavedMapping.user_id == user_id, SavedMapping.type == type_name)
    ).first()
    return dict(row.columns) if row is not None else {}


def suggested_mapping(
    registry: Any,
    session: Session,
    user_id: int,
    type_name: str,
    header: Sequence[str],
    fields: Sequence[TabularField],
) -> list[str]:
    """The automatic mapping, overridden by the user's remembered choices."""
    mapping = auto_map(registry, header, fields)
    remembered = saved_columns(session, user_id, type_name)
    keys = {field.key for field in fields}
    for index, text in enumerate(header):
        choice = remembered.get(normalise_header(text))
        if choice is not None and (choice in keys or choice == IGNORED):
            mapping[index] = choice
    return checked_mapping(mapping, keys)


def checked_mapping(mapping: Sequence[str], keys: set[str]) -> list[str]:
    """``mapping`` with unknown keys and second uses of a field turned into ``""``."""
    used: set[str] = set()
    result = []
    for key in mapping:
        key = key if key in keys and key not in used else IGNORED
        used.add(key)
        result.append(key)
    return result


def remember(
    session: Session, user_id: int, type_name: str, header: Sequence[str], mapping: Sequence[str]
) -> None:
    """Remember the user's choices for these headers (other remembered headers stay)."""
    row = session.scalars(
        select(SavedMapping).where(SavedMapping.user_id == user_id, SavedMapping.type == type_name)
    ).first()
    if row is None:
        row = SavedMapping(user_id=user_id, type=type_name, columns={})
        session.add(row)
    columns = dict(row.columns or {})
    columns.update(
        (normalise_header(text), key)
        for text, key in zip(header, mapping, strict=True)
        if normalise_header(text)
    )
    row.columns = columns


def mapping_from_names(
    header: Sequence[str], chosen: dict[str, str], keys: set[str]
) -> tuple[list[str], list[str]]:
    """A mapping from ``{header: field key}`` (the command line's mapping file).

    Returns the mapping and the headers that name no column of the file.
    """
    by_header = {normalise_header(text): index for index, text in enumerate(header)}
    mapping = [IGNORED] * len(header)
    unknown = []
    for name, key in chosen.items():
        index = by_header.get(normalise_header(name))
        if index is None:
            unknown.append(name)
        else:
            mapping[index] = key
    return checked_mapping(mapping, keys), unknown
