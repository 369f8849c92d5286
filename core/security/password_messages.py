"""Translated texts for the message ids of :func:`core.security.passwords.check_password_policy`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyramid.i18n import TranslationString

from core.i18n import _
from core.security import passwords

_MESSAGES = {
    passwords.TOO_SHORT: _("Use at least ${min} characters."),
    passwords.TOO_LONG: _("Use at most ${max} characters."),
    passwords.TOO_COMMON: _("This password is too common; choose a less predictable one."),
    passwords.SAME_AS_USERNAME: _("The password must not be the username."),
    passwords.SAME_AS_EMAIL: _("The password must not be the e-mail address."),
    passwords.CONTAINS_USERNAME: _("The password must not contain the username."),
}


def password_message(message_id: str) -> TranslationString:
    """The translation string for one policy message id (English via ``.interpolate()``)."""
    message = _MESSAGES[message_id]
    return _(
        message,
        mapping={"min": passwords.MIN_LENGTH, "max": passwords.MAX_LENGTH},
    )


def password_errors(request: Any, ids: Iterable[str]) -> list[str]:
    """The policy message ids translated for ``request``."""
    return [request.translate(password_message(message_id)) for message_id in ids]
