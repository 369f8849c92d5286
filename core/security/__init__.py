"""Authentication, roles with data scopes and API tokens."""

from __future__ import annotations

from typing import Any

from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.session import JSONSerializer, SignedCookieSessionFactory

from core.security.policy import SecurityPolicy, is_token_request


def includeme(config: Any) -> None:
    """Install the security policy, the cookie session for flash/CSRF and CSRF checks."""
    settings = config.get_settings()
    secure = settings.get("guanxi.base_url", "").startswith("https")
    config.set_session_factory(
        SignedCookieSessionFactory(
            settings["guanxi.secret_key"],
            cookie_name="gx_flash",
            httponly=True,
            samesite="Lax",
            secure=secure,
            serializer=JSONSerializer(),
        )
    )
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(
        require_csrf=True,
        header="X-CSRF-Token",
        callback=lambda request: not is_token_request(request),
    )
    config.set_security_policy(SecurityPolicy())
    config.add_request_method(
        lambda request: request.identity.user if request.identity else None, "user", reify=True
    )
    config.include("core.security.views")
    config.include("core.security.account")
    config.include("core.security.password_views")
    config.include("core.security.twofactor")
    config.include("core.security.token_views")
    config.include("core.security.admin_roles")
    config.include("core.security.admin_users")
    config.include("core.security.admin_teams")
    config.include("core.security.admin_regions")
