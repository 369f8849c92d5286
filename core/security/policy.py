"""The security policy: one identity and one permission check for views, API and CLI."""

from __future__ import annotations

from typing import Any

from pyramid.security import Allowed, Denied

from core.security.identity import Identity, build_identity
from core.security.sessions import load_session
from core.security.tokens import authenticate_token

_CACHE_KEY = "guanxi.identity"
#: The pseudo-permission of pages every logged-in user may open.
AUTHENTICATED = "authenticated"


def bearer_token(request: Any) -> str | None:
    """The raw token of an ``Authorization: Bearer …`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def is_token_request(request: Any) -> bool:
    """Token-authenticated requests are exempt from CSRF checks; cookie ones are not."""
    return bearer_token(request) is not None


def resolve_identity(request: Any) -> Identity | None:
    """Authenticate the request by bearer token or session cookie."""
    session = request.dbsession
    raw_token = bearer_token(request)
    if raw_token is not None:
        found = authenticate_token(session, raw_token)
        if found is None:
            return None
        user, token = found
        return build_identity(session, user, request.enabled_modules, token=token)
    auth_session = load_session(request)
    if auth_session is None:
        return None
    from core.security.models import User

    user = session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        return None
    identity = build_identity(session, user, request.enabled_modules)
    identity.session_id = auth_session.id
    identity.verified = auth_session.verified
    return identity


class SecurityPolicy:
    """Pyramid security policy backed by database sessions, API tokens and role grants."""

    def identity(self, request: Any) -> Identity | None:
        """The verified identity of the request (cached for the request)."""
        if _CACHE_KEY not in request.environ:
            identity = resolve_identity(request)
            request.environ[_CACHE_KEY] = identity if identity and identity.verified else None
            request.environ[_CACHE_KEY + ".pending"] = (
                identity if identity and not identity.verified else None
            )
        return request.environ[_CACHE_KEY]

    def authenticated_userid(self, request: Any) -> int | None:
        """The id of the logged-in user."""
        identity = self.identity(request)
        return identity.user_id if identity else None

    def permits(self, request: Any, context: Any, permission: str) -> Allowed | Denied:
        """Granted when any role of the user holds ``permission`` under some scope."""
        identity = self.identity(request)
        if identity is None:
            return Denied("not logged in")
        if permission == AUTHENTICATED or identity.can(permission):
            return Allowed(f"granted {permission}")
        return Denied(f"{permission} is not granted")

    def remember(self, request: Any, userid: Any, **kw: Any) -> list:
        """Sessions set their own cookie (see ``core.security.sessions``)."""
        return []

    def forget(self, request: Any, **kw: Any) -> list:
        """Sessions clear their own cookie (see ``core.security.sessions``)."""
        return []


def forget_identity(request: Any) -> None:
    """Treat the rest of the request as anonymous (after login or logout in it).

    The request's cookie still names the old session, and tweens ask for the
    identity after the transaction has ended, so nothing is resolved again.
    """
    request.environ[_CACHE_KEY] = None
    request.environ[_CACHE_KEY + ".pending"] = None


def forget_cached_identity(environ: dict[str, Any]) -> None:
    """Drop the identity cached in a WSGI environ (a retried request resolves it again:
    its user belonged to the discarded attempt's session)."""
    for key in (_CACHE_KEY, _CACHE_KEY + ".pending"):
        environ.pop(key, None)


def pending_identity(request: Any) -> Identity | None:
    """The identity still waiting for its second factor, if any."""
    request.identity  # noqa: B018 - resolves and caches both entries
    return request.environ.get(_CACHE_KEY + ".pending")
