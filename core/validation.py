"""Validators shared by forms, the API, custom fields and imports."""

from __future__ import annotations

import re
from typing import Any

from wtforms.validators import ValidationError

from core.i18n import _

EMAIL_MAX = 254
#: A pragmatic e-mail check: one @, no spaces, a dotted domain.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
INVALID_EMAIL = _("Enter a valid e-mail address.")


def is_email(text: str) -> bool:
    """Whether ``text`` looks like an e-mail address (and is not too long)."""
    return len(text) <= EMAIL_MAX and EMAIL_PATTERN.match(text) is not None


class EmailAddress:
    """WTForms validator using :func:`is_email` (no extra dependency)."""

    def __call__(self, form: Any, field: Any) -> None:
        value = (field.data or "").strip()
        if value and not is_email(value):
            raise ValidationError(field.gettext(INVALID_EMAIL))


#: The largest id a 64-bit integer column holds.
MAX_ID = 2**63 - 1
_ID_PATTERN = re.compile(r"[0-9]{1,19}")


def parse_id(value: Any) -> int | None:
    """A record id from an address, a form or JSON: 1 to 2⁶³−1, else ``None``.

    Check ids before they reach the database: SQLite and PostgreSQL refuse integers
    wider than 64 bits, and ``str.isdigit`` accepts "²", which ``int()`` does not.
    """
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if _ID_PATTERN.fullmatch(value) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value
