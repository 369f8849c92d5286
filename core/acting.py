"""A request acting as a user outside the web: for background jobs and the command line.

Module code is written against ``request`` (its ``dbsession``, ``identity``,
``record_types``, ``translate`` …).  :func:`acting_request` gives jobs and
commands the same object, so an import or an export run by the worker or by
``guanxi import --as wang`` is checked against exactly the grants and scopes
the user has on the pages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pyramid.scripting import prepare
from sqlalchemy import func, select

from core.audit import Actor
from core.i18n import normalise_locale
from core.security.identity import build_identity
from core.security.models import User

#: Where the security policy caches the request's identity (``core.security.policy``).
IDENTITY_KEY = "guanxi.identity"


class NoSuchUser(LookupError):
    """The user to act as does not exist or is deactivated."""


def find_user(session: Any, name_or_id: str | int) -> User | None:
    """The active user with this id or (case-insensitive) username."""
    if isinstance(name_or_id, int):
        user = session.get(User, name_or_id)
    else:
        query = select(User).where(func.lower(User.username) == name_or_id.lower())
        user = session.scalars(query).first()
    return user if user is not None and user.is_active else None


@contextlib.contextmanager
def acting_request(
    registry: Any, user: str | int, *, actor_kind: str = "job", locale: str | None = None
) -> Iterator[Any]:
    """A request acting as ``user`` (id or username), in ``locale`` (default: the user's).

    The caller wraps its work in ``with request.tm:`` (one transaction each);
    changes are audited as done by the user through ``actor_kind`` (``job``, ``cli``).
    Raises :class:`NoSuchUser` for an unknown or deactivated user.
    """
    env = prepare(registry=registry)
    request = env["request"]
    try:
        with request.tm:
            session = request.dbsession
            found = find_user(session, user)
            if found is None:
                raise NoSuchUser(user)
            session.info["actor"] = Actor(kind=actor_kind, user_id=found.id)
            request.environ[IDENTITY_KEY] = build_identity(session, found, request.enabled_modules)
            request.locale_name = (
                normalise_locale(locale)
                or normalise_locale(found.language)
                or registry.settings.get("guanxi.default_locale", "en")
            )
        yield request
    finally:
        env["closer"]()
