"""Reading imported cells the way offices write them: dates, amounts, yes/no, choices.

Cells arrive as text (CSV) or as numbers, dates and text (workbooks).  Each
reader accepts what people actually type (``2026/3/1``, ``2026年3月1日``,
``¥1,234.50``, ``是``) and raises :class:`CellError` with a translation string
saying what to enter instead.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl.utils.datetime import from_excel

from core.i18n import LOCALES, _, localizer_in
from core.tabular.cells import FORMULA_STARTS, cell_text

#: Excel's serial numbers of 1900-01-01 and 9999-12-31 (a number in between may be a date).
EXCEL_FIRST, EXCEL_LAST = 1, 2958465
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME = re.compile(r"(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]?\s*(\d{1,2})\s*秒?)?")
_AMOUNT_NOISE = re.compile(r"[\s,，¥￥$€£]|元|人民币|RMB|CNY", re.IGNORECASE)
TRUE_WORDS = frozenset({"1", "y", "yes", "true", "是", "对", "有", "✓", "√", "x"})
FALSE_WORDS = frozenset({"0", "n", "no", "false", "否", "不", "无", "×"})

BAD_DATE = _("Enter a date such as 2026-11-22 or 2026/11/22.")
BAD_DATETIME = _("Enter a date and time such as 2026-11-22 14:30.")
BAD_NUMBER = _("Enter a number such as 1234.50.")
BAD_WHOLE = _("Enter a whole number.")
BAD_BOOLEAN = _("Enter yes or no (是 or 否).")
BAD_CHOICE = _("Choose one of: ${choices}.")
TOO_LONG = _("Enter at most ${max} characters.")


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is a translation string for the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def unneutralise(text: str) -> str:
    """``text`` without the ``'`` that exports put before formula-like text."""
    if text.startswith("'") and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def clean_text(value: Any) -> str:
    """A cell as trimmed text (NFC), with an export's formula guard taken off."""
    text = (value if type(value) is str else cell_text(value)).strip()
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text).strip()
    return unneutralise(text) if text[:1] == "'" else text


def parse_text(value: Any, max_length: int) -> str:
    """A text cell, trimmed, at most ``max_length`` characters."""
    text = clean_text(value)
    if len(text) > max_length:
        raise CellError(_(TOO_LONG, mapping={"max": max_length}))
    return text


def _normal(value: Any) -> str:
    return unicodedata.normalize("NFKC", cell_text(value)).strip()


def _excel_serial(value: Any) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if not EXCEL_FIRST <= value <= EXCEL_LAST:
        return None
    return from_excel(float(value))


def parse_date(value: Any) -> dt.date:
    """A date from a date cell, an Excel serial number or text in the usual orders."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    serial = _excel_serial(value)
    if serial is not None:
        return serial.date()
    text = _normal(value)
    match = _DATE.match(text) or _COMPACT_DATE.fullmatch(text)
    if match is None or not (match.end() == len(text) or text[match.end()] in " T"):
        raise CellError(BAD_DATE)
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(BAD_DATE) from None


def _moment_from_text(text: str) -> dt.datetime:
    day_text, _sep, clock_text = text.replace("T", " ", 1).partition(" ")
    try:
        day = parse_date(day_text)
    except CellError:
        raise CellError(BAD_DATETIME) from None
    clock = _TIME.fullmatch(clock_text.strip()) if clock_text.strip() else None
    if clock_text.strip() and clock is None:
        raise CellError(BAD_DATETIME)
    hour, minute, second = (int(part or 0) for part in clock.groups()) if clock else (0, 0, 0)
    try:
        return dt.datetime.combine(day, dt.time(hour, minute, second))
    except ValueError:
        raise CellError(BAD_DATETIME) from None


def parse_datetime(value: Any, tz: dt.tzinfo) -> dt.datetime:
    """A moment from a date-time cell or text (``2026/3/1 14:30``), naive ones read in ``tz``."""
    moment: dt.datetime
    if isinstance(value, dt.datetime):
        moment = value
    else:
        serial = _excel_serial(value)
        moment = serial if serial is not None else _moment_from_text(_normal(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(dt.UTC)


def parse_decimal(value: Any) -> Decimal:
    """An amount from a number cell or text such as ``¥1,234.50`` or ``1234.5元``."""
    if isinstance(value, bool):
        raise CellError(BAD_NUMBER)
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _AMOUNT_NOISE.sub("", _normal(value))
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(BAD_NUMBER) from None
    if not number.is_finite():
        raise CellError(BAD_NUMBER)
    return number


def parse_whole(value: Any) -> int:
    """A whole number (``3``, ``3.0``, ``"３"``)."""
    try:
        number = parse_decimal(value)
    except CellError:
        raise CellError(BAD_WHOLE) from None
    if number != number.to_integral_value():
        raise CellError(BAD_WHOLE)
    return int(number)


def parse_bool(value: Any) -> bool:
    """Yes or no: ``是``/``否``, yes/no, true/false, 1/0, ✓/×."""
    if isinstance(value, bool):
        return value
    text = _normal(value).casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(BAD_BOOLEAN)


def parse_choice(value: Any, choices: Mapping[str, str], labels: Mapping[str, str]) -> str:
    """The stored code of a choice given as its code or its label in any language.

    ``choices`` maps normalised codes and labels to codes; ``labels`` (code →
    label in the user's language) names the choices in the error message.
    """
    code = choices.get(choice_key(value))
    if code is None:
        raise CellError(_(BAD_CHOICE, mapping={"choices": "、".join(labels.values())}))
    return code


def choice_index(
    registry: Any, labels: Mapping[str, Any], aliases: Mapping[str, Iterable[str]] | None = None
) -> dict[str, str]:
    """How to read a choice: each code, its label in every language and ``aliases`` → code."""
    index: dict[str, str] = {}
    for code, label in labels.items():
        names = [code, *(aliases or {}).get(code, ())]
        if isinstance(label, dict):  # labels per language, as dictionaries store them
            names += list(label.values())
        else:
            names += [localizer_in(registry, locale).translate(label) for locale in LOCALES]
        for name in names:
            index.setdefault(choice_key(name), code)
    index.pop("", None)
    return index


def choice_reader(
    request: Any, labels: Mapping[str, Any], aliases: Mapping[str, Iterable[str]] | None = None
) -> Callable[[Any], str]:
    """A reader of cells naming one of ``labels``' codes (see :func:`choice_index`).

    Its refusal lists the choices in the user's language.
    """
    index = choice_index(request.registry, labels, aliases)
    shown = {code: request.translate(label) for code, label in labels.items()}
    return lambda value: parse_choice(value, index, shown)


def choice_key(value: Any) -> str:
    """How choices are compared: NFKC, no case, no spaces."""
    return "".join(_normal(value).casefold().split())
