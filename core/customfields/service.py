"""Custom fields: reading definitions, validating and showing values, changing definitions.

The one validation implementation (:func:`validate_value`) serves forms, the
API and import alike.  Definitions change through :func:`create_definition`,
:func:`update_definition`, :func:`archive_definition`,
:func:`restore_definition` and :func:`move_definition`, which keep the filter
indexes in step in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers
from babel import numbers
from pyramid.i18n import TranslationString
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.contributions import RecordType
from core.customfields.filters import (
    UNFILTERABLE,
    CustomValue,
    custom_column,
    drop_filter_index,
    ensure_filter_index,
)
from core.customfields.models import (
    CHOICE_TYPES,
    FIELD_TYPES,
    KEY_PATTERN,
    CustomFieldDefinition,
)
from core.customfields.values import LIST_SEPARATORS, InvalidValue, parse_value
from core.db import utcnow
from core.i18n import LOCALES, _, babel_locale, format_date, format_datetime, format_money
from core.security.models import User

LABEL_MAX = 100
HELP_MAX = 300
CHOICE_VALUE_MAX = 64
REQUIRED = _("This field is required.")


class DefinitionError(ValueError):
    """A definition cannot be saved: ``field`` is the offending attribute."""

    def __init__(self, field: str, message: TranslationString) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# -- reading ---------------------------------------------------------------------


def definitions_for(
    session: Session, record_type: str, include_archived: bool = False
) -> list[CustomFieldDefinition]:
    """The fields of ``record_type`` in display order (archived ones only when asked)."""
    query = select(CustomFieldDefinition).where(CustomFieldDefinition.record_type == record_type)
    if not include_archived:
        query = query.where(CustomFieldDefinition.archived_at.is_(None))
    order = (CustomFieldDefinition.position, CustomFieldDefinition.id)
    return list(session.scalars(query.order_by(*order)))


def label(definition: CustomFieldDefinition, locale: str) -> str:
    """The field's label in ``locale``, falling back to English."""
    return definition.label_for(locale)


# -- values ----------------------------------------------------------------------


def find_active_user(session: Session, value: int | str) -> int | None:
    """The id of the active user with this id or username, else ``None``."""
    query = select(User.id).where(User.is_active.is_(True))
    if isinstance(value, int):
        query = query.where(User.id == value)
    else:
        query = query.where(func.lower(User.username) == value.lower())
    return session.scalar(query)


def validate_value(
    definition: CustomFieldDefinition,
    raw: Any,
    *,
    session: Session | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> tuple[Any, TranslationString | None]:
    """``(value, None)`` with the value to store, or ``(None, message)``.

    ``raw`` may come from a form (strings), JSON or an imported cell; blank
    means no value.  A naive date-time is read in ``tz``.  User fields need
    ``session`` to check the user exists and is active.
    """
    try:
        value = parse_value(definition, raw, tz)
    except InvalidValue as exc:
        return None, exc.message
    if value is None:
        return None, REQUIRED if definition.required else None
    if definition.field_type == "user":
        if session is None:
            raise TypeError("validating a user field needs a session")
        value = find_active_user(session, value)
        if value is None:
            return None, _("Choose an active user.")
    return value, None


def validate_values(
    session: Session,
    definitions: list[CustomFieldDefinition],
    data: dict[str, Any],
    *,
    partial: bool = False,
    tz: dt.tzinfo = dt.UTC,
) -> tuple[dict[str, Any], dict[str, list[TranslationString]]]:
    """Validate raw values by key: ``(clean, errors)``.

    A key of ``data`` that is no field is an error.  A field missing from
    ``data`` gets its default, or is left out of ``clean`` when ``partial``
    (updates).  ``clean`` maps keys to stored values, ``None`` meaning "clear".
    """
    by_key = {definition.key: definition for definition in definitions}
    clean: dict[str, Any] = {}
    errors: dict[str, list[TranslationString]] = {
        key: [_("There is no custom field called ${key}.", mapping={"key": key})]
        for key in data
        if key not in by_key
    }
    for definition in definitions:
        if definition.key in data:
            raw = data[definition.key]
        elif partial:
            continue
        else:
            raw = definition.default
        value, error = validate_value(definition, raw, session=session, tz=tz)
        if error is not None:
            errors[definition.key] = [error]
        else:
            clean[definition.key] = value
    return clean, errors


def set_custom_values(record: Any, clean: dict[str, Any]) -> None:
    """Merge ``clean`` into ``record.custom`` (``None`` removes a value).

    Values of archived fields are kept.  A new dict is assigned so the change
    is flushed and audited.
    """
    merged = dict(record.custom or {})
    for key, value in clean.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    record.custom = merged


def display_value(request: Any, definition: CustomFieldDefinition, value: Any) -> str:
    """A stored value as the user reads it (their language, number and date formats)."""
    if value is None or value == []:
        return ""
    locale = request.locale_name
    field_type = definition.field_type
    try:
        if field_type in ("integer", "decimal"):
            return numbers.format_decimal(
                Decimal(value), locale=babel_locale(request), decimal_quantization=False
            )
        if field_type == "money":
            return format_money(request, Decimal(value))
        if field_type == "date":
            return format_date(request, dt.date.fromisoformat(value))
        if field_type == "datetime":
            return format_datetime(request, dt.datetime.fromisoformat(value))
        if field_type == "boolean":
            return request.translate(_("Yes") if value else _("No"))
        if field_type == "choice":
            return definition.choice_label(value, locale)
        if field_type == "multi_choice":
            separator = "、" if locale.startswith("zh") else ", "
            return separator.join(definition.choice_label(item, locale) for item in value)
        if field_type == "phone":
            return format_phone(value)
        if field_type == "user":
            user = request.dbsession.get(User, int(value))
            return user.name if user is not None else str(value)
    except (ArithmeticError, TypeError, ValueError, phonenumbers.NumberParseException):
        return str(value)
    return str(value)


def format_phone(value: str) -> str:
    """A stored E.164 number, national style for China, international otherwise."""
    number = phonenumbers.parse(value, None)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


# -- changing definitions -------------------------------------------------------


def has_values(session: Session, record_type: RecordType, key: str) -> bool:
    """Whether any record of ``record_type`` holds a value for ``key``."""
    value = CustomValue(custom_column(record_type.model), key)
    return session.execute(select(1).where(value.is_not(None)).limit(1)).first() is not None


def clean_choices(choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Choices with trimmed values and labels; duplicates and bad values are errors."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for choice in choices:
        value = str(choice.get("value") or "").strip()
        if not value or len(value) > CHOICE_VALUE_MAX:
            raise DefinitionError(
                "choices",
                _(
                    "Each choice needs a value of at most ${max} characters.",
                    mapping={"max": CHOICE_VALUE_MAX},
                ),
            )
        if LIST_SEPARATORS.search(value):
            raise DefinitionError(
                "choices",
                _("The choice ${value} cannot contain , ; or 、.", mapping={"value": value}),
            )
        if value in seen:
            raise DefinitionError(
                "choices", _("The choice ${value} is listed twice.", mapping={"value": value})
            )
        seen.add(value)
        labels = {
            locale: str(text).strip()[:LABEL_MAX]
            for locale, text in (choice.get("labels") or {}).items()
            if locale in LOCALES and text and str(text).strip()
        }
        cleaned.append({"value": value, "labels": labels})
    return cleaned


def _texts(texts: dict[str, Any] | None, limit: int, field: str) -> dict[str, str]:
    cleaned = {}
    for locale in LOCALES:
        text = str((texts or {}).get(locale) or "").strip()
        if len(text) > limit:
            raise DefinitionError(
                field, _("Enter at most ${max} characters.", mapping={"max": limit})
            )
        if text:
            cleaned[locale] = text
    return cleaned


def _check(
    session: Session, definition: CustomFieldDefinition, raw_default: Any, tz: dt.tzinfo
) -> None:
    """Definition-level rules; fills ``default`` with its clean value."""
    if definition.field_type not in FIELD_TYPES:
        raise DefinitionError("field_type", _("Choose a field type."))
    if not definition.labels:
        raise DefinitionError("labels", _("Give the field a label in at least one language."))
    if definition.field_type in CHOICE_TYPES and not definition.choices:
        raise DefinitionError("choices", _("Add at least one choice."))
    if definition.field_type not in CHOICE_TYPES:
        definition.choices = []
    if definition.filterable and definition.field_type in UNFILTERABLE:
        raise DefinitionError("filterable", _("Long text fields cannot be used as filters."))
    optional = CustomFieldDefinition(
        field_type=definition.field_type, choices=definition.choices, required=False
    )
    default, error = validate_value(optional, raw_default, session=session, tz=tz)
    if error is not None:
        raise DefinitionError("default", error)
    definition.default = default


@dataclass(frozen=True)
class FieldSettings:
    """What an administrator chooses for a field, besides its key."""

    field_type: str
    labels: dict[str, str]
    help: dict[str, str] | None = None
    required: bool = False
    default: Any = None
    choices: list[dict[str, Any]] | None = None
    show_in_list: bool = False
    filterable: bool = False

    def columns(self) -> dict[str, Any]:
        """The definition's attributes but the default (:func:`_check` cleans that), cleaned.

        Raises :class:`DefinitionError` for a too long text or a bad choice.
        """
        return {
            "field_type": self.field_type,
            "labels": _texts(self.labels, LABEL_MAX, "labels"),
            "help": _texts(self.help, HELP_MAX, "help"),
            "required": self.required,
            "choices": clean_choices(self.choices or []),
            "show_in_list": self.show_in_list,
            "filterable": self.filterable,
        }


def create_definition(
    session: Session, record_type: RecordType, *, key: str, tz: dt.tzinfo = dt.UTC, **settings: Any
) -> CustomFieldDefinition:
    """Add a field to ``record_type`` (last in order); raises :class:`DefinitionError`.

    ``settings`` are the keyword arguments of :class:`FieldSettings`.
    """
    wanted = FieldSettings(**settings)
    if not record_type.extensible:
        raise ValueError(f"record type {record_type.name} does not take custom fields")
    key = (key or "").strip()
    if not KEY_PATTERN.match(key):
        raise DefinitionError(
            "key",
            _("Use 1 to 40 lowercase letters, digits or underscores, starting with a letter."),
        )
    existing = session.scalar(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.record_type == record_type.name,
            CustomFieldDefinition.key == key,
        )
    )
    if existing is not None:
        message = (
            _("An archived field uses this key; restore it instead.")
            if existing.archived
            else _("Another field already uses this key.")
        )
        raise DefinitionError("key", message)
    last = session.scalar(
        select(func.max(CustomFieldDefinition.position)).where(
            CustomFieldDefinition.record_type == record_type.name
        )
    )
    definition = CustomFieldDefinition(
        record_type=record_type.name,
        key=key,
        position=(last if last is not None else -1) + 1,
        **wanted.columns(),
    )
    _check(session, definition, wanted.default, tz)
    session.add(definition)
    session.flush()
    ensure_filter_index(session.connection(), record_type.model, definition)
    return definition


def update_definition(
    session: Session,
    record_type: RecordType,
    definition: CustomFieldDefinition,
    *,
    tz: dt.tzinfo = dt.UTC,
    **settings: Any,
) -> None:
    """Change a field (never its key); the type only while no record has a value.

    ``settings`` are the keyword arguments of :class:`FieldSettings`.
    """
    wanted = FieldSettings(**settings)
    type_changed = wanted.field_type != definition.field_type
    if type_changed and has_values(session, record_type, definition.key):
        raise DefinitionError(
            "field_type", _("The type cannot change once records have values for this field.")
        )
    index_changed = type_changed or wanted.filterable != definition.filterable
    changes = wanted.columns()
    with session.no_autoflush:
        draft = CustomFieldDefinition(key=definition.key, **changes)
        _check(session, draft, wanted.default, tz)
    for name, value in changes.items():
        if name == "choices":
            value = draft.choices
        if getattr(definition, name) != value:
            setattr(definition, name, value)
    if definition.default != draft.default:
        definition.default = draft.default
    session.flush()
    if index_changed:
        connection = session.connection()
        if type_changed:
            drop_filter_index(connection, record_type.model, definition.key)
        ensure_filter_index(connection, record_type.model, definition)


def archive_definition(
    session: Session, record_type: RecordType, definition: CustomFieldDefinition
) -> None:
    """Hide a field; its values stay in the records and come back on restore."""
    definition.archived_at = utcnow()
    session.flush()
    ensure_filter_index(session.connection(), record_type.model, definition)


def restore_definition(
    session: Session, record_type: RecordType, definition: CustomFieldDefinition
) -> None:
    """Bring an archived field back, with its values and index."""
    definition.archived_at = None
    session.flush()
    ensure_filter_index(session.connection(), record_type.model, definition)


def move_definition(session: Session, definition: CustomFieldDefinition, offset: int) -> bool:
    """Move a field ``offset`` places (−1 up, +1 down) among the active ones.

    Returns whether it moved (not past either end).
    """
    ordered = definitions_for(session, definition.record_type)
    index = ordered.index(definition)
    target = index + offset
    if not 0 <= target < len(ordered):
        return False
    ordered.insert(target, ordered.pop(index))
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
    session.flush()
    return True
