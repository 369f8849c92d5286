"""The two ways a service refuses a change: bad input, or a record changed meanwhile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.i18n import TranslationString


class Refused(Exception):
    """Bad input: ``errors`` maps a form field (``""`` for the whole form) to messages."""

    def __init__(self, errors: Mapping[str, list[TranslationString]]) -> None:
        self.errors = {name: list(messages) for name, messages in errors.items() if messages}
        super().__init__(" ".join(str(message.interpolate()) for message in self.messages()))

    def messages(self) -> list[TranslationString]:
        """Every message, form-level ones first."""
        return [message for _name, messages in sorted(self.errors.items()) for message in messages]


class ConflictError(Exception):
    """The record was changed by someone else since the form was loaded."""

    def __init__(self, record: Any) -> None:
        self.record = record
        super().__init__(f"{type(record).__name__} {record.id} was changed meanwhile")
