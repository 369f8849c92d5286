"""Parsing raw input (forms, API JSON, imported cells, filters) into stored values.

One parser per field type turns whatever a caller received into the value kept
in the record's ``custom`` column:

========================  =============================================
text, long text, e-mail   ``str``
url                       ``str`` (http or https only)
phone                     ``str`` in E.164 (``+8613912345678``)
integer                   ``int``
decimal, money            ``str`` (``"12.5"``, money always ``"12.50"``)
date                      ``str`` ``YYYY-MM-DD``
datetime                  ``str`` ISO 8601 in UTC, to the second
boolean                   ``bool``
choice                    ``str`` (a choice value)
multi choice              ``list[str]`` in the order of the choices
user                      ``int`` (a user id; usernames are resolved by the service)
========================  =============================================

Parsers raise :class:`InvalidValue` with a translatable message.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from pyramid.i18n import TranslationString

from core.i18n import _
from core.validation import is_email, parse_id

TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
URL_MAX = 2000
#: Whole numbers and the integer part of decimals have at most 15 digits.
NUMBER_LIMIT = 10**15
DECIMAL_PLACES = {"decimal": 6, "money": 2}
PHONE_REGION = "CN"

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "是", "对", "對", "✓"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "否", "不", "错", "錯"})
#: Separators of several choices written in one cell: , ; ， ； 、 and new lines.
LIST_SEPARATORS = re.compile(r"[,;，；、\n]")
INTEGER_PATTERN = re.compile(r"^[+-]?\d+$")
DECIMAL_PATTERN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_PATTERN = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


class InvalidValue(ValueError):
    """The raw input is not a valid value; ``message`` says why (translatable)."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(message)
        self.message = message


def is_blank(raw: Any) -> bool:
    """No value at all: ``None``, an empty or blank string, an empty list."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | set | frozenset):
        return all(is_blank(item) for item in raw)
    return False


def _normal(raw: str) -> str:
    """Full-width digits and signs folded to ASCII (``１２３`` → ``123``), trimmed."""
    return unicodedata.normalize("NFKC", raw).strip()


def _text(raw: Any, limit: int) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        raise InvalidValue(_("Enter text."))
    text = str(raw).strip()
    if len(text) > limit:
        raise InvalidValue(_("Enter at most ${max} characters.", mapping={"max": limit}))
    return text


def parse_text(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    return _text(raw, TEXT_MAX)


def parse_long_text(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    return _text(raw, LONG_TEXT_MAX)


def parse_integer(raw: Any, definition: Any, tz: dt.tzinfo) -> int:
    invalid = InvalidValue(_("Enter a whole number, for example 42."))
    if isinstance(raw, bool):
        raise invalid
    if isinstance(raw, int):
        number = raw
    elif isinstance(raw, float | Decimal):
        if not math.isfinite(raw) or raw != int(raw):
            raise invalid
        number = int(raw)
    elif isinstance(raw, str) and INTEGER_PATTERN.match(_normal(raw)):
        number = int(_normal(raw))
    else:
        raise invalid
    if abs(number) >= NUMBER_LIMIT:
        raise InvalidValue(_("Enter a number with at most 15 digits."))
    return number


def parse_decimal(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    places = DECIMAL_PLACES[definition.field_type]
    example = "1234.56" if places == 2 else "12.5"
    invalid = InvalidValue(
        _("Enter a number, for example ${example}.", mapping={"example": example})
    )
    if isinstance(raw, bool):
        raise invalid
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))
    elif isinstance(raw, str) and DECIMAL_PATTERN.match(_normal(raw)):
        number = Decimal(_normal(raw))
    else:
        raise invalid
    if not number.is_finite():
        raise invalid
    if number == 0:
        number = Decimal(0)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise InvalidValue(_("Enter at most ${places} decimal places.", mapping={"places": places}))
    if abs(number) >= NUMBER_LIMIT:
        raise InvalidValue(_("Enter a number with at most 15 digits."))
    if definition.field_type == "money":
        return str(number.quantize(Decimal("0.01")))
    return format(number.normalize(), "f")


def parse_date(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str) and DATE_PATTERN.match(_normal(raw)):
        try:
            return dt.date.fromisoformat(_normal(raw)).isoformat()
        except ValueError:
            pass
    raise InvalidValue(_("Enter a date as YYYY-MM-DD, for example 2026-11-22."))


def parse_datetime(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    """A timestamp; one without a time zone is read in ``tz`` (the user's zone)."""
    value: dt.datetime | None = None
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and DATETIME_PATTERN.match(_normal(raw)):
        try:
            value = dt.datetime.fromisoformat(_normal(raw))
        except ValueError:
            value = None
    if value is None:
        raise InvalidValue(_("Enter a date and time as YYYY-MM-DD HH:MM."))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def parse_boolean(raw: Any, definition: Any, tz: dt.tzinfo) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = _normal(raw).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise InvalidValue(_("Choose yes or no."))


def _match_choice(definition: Any, raw: Any) -> str | None:
    """The choice value ``raw`` names (by value, or by a label in any language)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    text = str(raw).strip()
    values = definition.choice_values()
    if text in values:
        return text
    folded = text.casefold()
    for choice in definition.choices or ():
        names = [choice["value"], *(choice.get("labels") or {}).values()]
        if any(name and name.casefold() == folded for name in names):
            return choice["value"]
    return None


def parse_choice(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    value = _match_choice(definition, raw)
    if value is None:
        raise InvalidValue(_("Choose one of the listed options."))
    return value


def parse_multi_choice(raw: Any, definition: Any, tz: dt.tzinfo) -> list[str]:
    items = LIST_SEPARATORS.split(raw) if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple | set | frozenset):
        raise InvalidValue(_("Choose one or more of the listed options."))
    chosen = set()
    for item in items:
        if is_blank(item):
            continue
        value = _match_choice(definition, item)
        if value is None:
            raise InvalidValue(
                _("“${value}” is not one of the listed options.", mapping={"value": item})
            )
        chosen.add(value)
    return [value for value in definition.choice_values() if value in chosen]


def parse_email(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    text = _normal(raw) if isinstance(raw, str) else ""
    if not is_email(text):
        raise InvalidValue(_("Enter a valid e-mail address, for example name@example.com."))
    return text


def parse_phone(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    invalid = InvalidValue(_("Enter a valid phone number, for example 139 1234 5678."))
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise invalid
    try:
        number = phonenumbers.parse(_normal(str(raw)), PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_url(raw: Any, definition: Any, tz: dt.tzinfo) -> str:
    invalid = InvalidValue(_("Enter a web address starting with http:// or https://."))
    text = raw.strip() if isinstance(raw, str) else ""
    if not text or len(text) > URL_MAX or any(char.isspace() for char in text):
        raise invalid
    try:
        parts = urlsplit(text)
    except ValueError:
        raise invalid from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise invalid
    return text


def parse_user(raw: Any, definition: Any, tz: dt.tzinfo) -> int | str:
    """A user id, or a username for the service to look up."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidValue(_("Choose an active user."))
    value = _normal(raw) if isinstance(raw, str) else raw
    user_id = parse_id(value)
    if user_id is None and isinstance(value, int):
        raise InvalidValue(_("Choose an active user."))
    return value if user_id is None else user_id


PARSERS: dict[str, Callable[[Any, Any, dt.tzinfo], Any]] = {
    "text": parse_text,
    "long_text": parse_long_text,
    "integer": parse_integer,
    "decimal": parse_decimal,
    "money": parse_decimal,
    "date": parse_date,
    "datetime": parse_datetime,
    "boolean": parse_boolean,
    "choice": parse_choice,
    "multi_choice": parse_multi_choice,
    "email": parse_email,
    "phone": parse_phone,
    "url": parse_url,
    "user": parse_user,
}


def parse_value(definition: Any, raw: Any, tz: dt.tzinfo = dt.UTC) -> Any:
    """The stored form of ``raw`` for ``definition``, ``None`` when blank.

    Raises :class:`InvalidValue`.  Users are returned as an id or a username
    (see :func:`core.customfields.service.validate_value` for the lookup).
    """
    if is_blank(raw):
        return None
    value = PARSERS[definition.field_type](raw, definition, tz)
    return None if value in ("", []) else value
