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
