"""Checks and stored forms of a customer's identifiers: credit code, ID number, bank account, site.

Pure functions.  Each takes what somebody typed (full-width characters, spaces
and lower-case check characters accepted), returns the form that is stored,
or raises ``ValueError`` whose only argument is a translatable message.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

from plugins.customers import _

#: The 31 characters of a unified social credit code (GB 32100-2015: no I, O, S, V, Z).
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = tuple(3**position % 31 for position in range(17))
#: Weights and check characters of an 18-digit resident ID number (GB 11643, ISO 7064 MOD 11-2).
ID_WEIGHTS = tuple(2 ** (17 - position) % 11 for position in range(17))
ID_CHECKS = "10X98765432"
#: Ranges of the first two digits of a region code: provinces, Hong Kong, Macao and Taiwan.
PROVINCE_RANGES = ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 83))
ID_PROVINCES = frozenset(
    str(code) for first, last in PROVINCE_RANGES for code in range(first, last + 1)
)
#: Taiwan, Hong Kong and Macao residence permits: the region code is the whole ``810000``.
PERMITS = frozenset({"71", "81", "82", "83"})
EARLIEST_BIRTH = dt.date(1900, 1, 1)
BANK_ACCOUNT_DIGITS = (8, 34)
WEBSITE_MAX = 200
HOST = re.compile(r"^(?=.{1,253}$)([^\W_]([\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}$")

CREDIT_CODE_SHAPE = _(
    "A unified social credit code has 18 characters: digits and capital letters "
    "other than I, O, S, V and Z."
)
CREDIT_CODE_CHECK = _(
    "The last character of this credit code does not match the others. Check it for typos."
)
ID_SHAPE = _("A resident ID number has 18 characters: 17 digits, then a digit or X.")
ID_REGION = _("The first six digits of this ID number are not a region code.")
ID_BIRTH = _("Digits 7 to 14 of this ID number are not a possible date of birth.")
ID_CHECK = _("The last character of this ID number does not match the others. Check it for typos.")
BANK_ACCOUNT_SHAPE = _("A bank account number has 8 to 34 digits.")
WEBSITE_SHAPE = _("Enter a website address such as www.example.com.")


def compact(raw: str) -> str:
    """``raw`` in NFKC (full-width becomes half-width) without any white space, in capitals."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def credit_code_check(body: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    total = sum(
        CREDIT_CODE_CHARS.index(char) * weight
        for char, weight in zip(body, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[-total % 31]


def normalise_credit_code(raw: str) -> str:
    """A valid unified social credit code (``91350100M000100Y43``) from what was typed.

    The third to eighth characters are the registering office's region code (digits).
    """
    code = compact(raw)
    if (
        len(code) != 18
        or any(char not in CREDIT_CODE_CHARS for char in code)
        or not code[2:8].isdigit()
    ):
        raise ValueError(CREDIT_CODE_SHAPE)
    if credit_code_check(code[:17]) != code[17]:
        raise ValueError(CREDIT_CODE_CHECK)
    return code


def id_number_check(body: str) -> str:
    """The check character (``0``–``9`` or ``X``) of the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS, strict=True))
    return ID_CHECKS[total % 11]


def normalise_id_number(raw: str, today: dt.date) -> str:
    """A valid 18-digit resident ID number from what was typed (a final ``x`` becomes ``X``).

    Checks the region code's shape (a known province, and a city and county part
    except on residence permits), a date of birth between 1900 and ``today``, and
    the check character.
    """
    number = compact(raw)
    if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
        raise ValueError(ID_SHAPE)
    if number[17] not in "0123456789X":
        raise ValueError(ID_SHAPE)
    if number[:2] not in ID_PROVINCES or (number[2:6] == "0000" and number[:2] not in PERMITS):
        raise ValueError(ID_REGION)
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(ID_BIRTH) from None
    if not EARLIEST_BIRTH <= born <= today:
        raise ValueError(ID_BIRTH)
    if id_number_check(number[:17]) != number[17]:
        raise ValueError(ID_CHECK)
    return number


def normalise_bank_account(raw: str) -> str:
    """A bank account number as digits only (spaces and hyphens people type are dropped)."""
    digits = compact(raw).replace("-", "")
    low, high = BANK_ACCOUNT_DIGITS
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise ValueError(BANK_ACCOUNT_SHAPE)
    return digits


def normalise_website(raw: str) -> str:
    """An http(s) address from what was typed; ``www.example.com`` becomes ``https://…``."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or any(char.isspace() for char in text):
        raise ValueError(WEBSITE_SHAPE)
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise ValueError(WEBSITE_SHAPE) from None
    if parts.scheme.lower() not in ("http", "https") or parts.username or not port_ok:
        raise ValueError(WEBSITE_SHAPE)
    if not HOST.match(host):
        raise ValueError(WEBSITE_SHAPE)
    address = urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, parts.fragment)
    )
    if len(address) > WEBSITE_MAX:
        raise ValueError(WEBSITE_SHAPE)
    return address
