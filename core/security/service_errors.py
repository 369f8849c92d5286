"""The two ways a service refuses a change: bad input, or a record changed meanwhile."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError


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


def check_version(record: Any, expected: int) -> None:
    """Raise ``ConflictError`` when the version the user saw is not the stored one."""
    if expected != record.version:
        raise ConflictError(record)


@contextmanager
def savepoint(session: Session, record: Any) -> Iterator[None]:
    """Run the block in a savepoint, flushed at its end, so that a refused change changes nothing.

    A stale version of ``record`` (somebody saved it meanwhile) raises ``ConflictError``.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except StaleDataError as exc:
        raise ConflictError(record) from exc
