"""The core's pages: home dashboard, language switcher, health checks."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote, urlsplit

from alembic.runtime.migration import MigrationContext
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import text

from core.i18n import LOCALE_COOKIE, LOCALES


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a local path on this site, else ``default``.

    Rejects ``//host``, ``/\\host``, schemes (``https:``, ``javascript:``) and
    anything with a network location.  Non-ASCII characters come back
    percent-encoded, as a ``Location`` header needs them.
    """
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return quote(value, safe="/?&=%#:;@+,!$'()*~-._")


@view_config(route_name="home", renderer="core:templates/home.jinja2", permission="authenticated")
def home(request: Any) -> dict[str, Any]:
    """The dashboard: the widgets of the enabled modules the user may see."""
    widgets = [w for ws in request.hooks.guanxi_dashboard_widgets(request=request) for w in ws]
    return {"widgets": sorted(widgets, key=lambda widget: (widget.order, widget.key))}


@view_config(route_name="set_language", request_method="POST")
def set_language(request: Any) -> Response:
    """Remember the chosen language (cookie, and the profile when logged in)."""
    locale = request.POST.get("locale", "")
    target = safe_next(request.POST.get("next") or request.referer_path)
    response = HTTPSeeOther(location=target)
    if locale in LOCALES:
        response.set_cookie(
            LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
        if request.user is not None and request.user.language != locale:
            request.user.language = locale
    return response


@view_config(
    route_name="healthz", request_method=("GET", "HEAD"), renderer="json", require_csrf=False
)
def healthz(request: Any) -> dict[str, Any]:
    """The process is up (no database access); ``process`` tells the workers apart."""
    return {"status": "ok", "process": os.getpid()}


@view_config(
    route_name="readyz", request_method=("GET", "HEAD"), renderer="json", require_csrf=False
)
def readyz(request: Any) -> Any:
    """The database answers and every module's migrations are applied."""
    from core.migrate import head_revisions

    try:
        connection = request.dbsession.connection()
        connection.execute(text("SELECT 1"))
        current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception:
        request.response.status_code = 503
        return {"status": "unavailable", "database": "unreachable"}
    missing = head_revisions(request.registry["modules"]) - current
    if missing:
        request.response.status_code = 503
        return {"status": "unavailable", "migrations": "pending"}
    return {"status": "ok"}


def _referer_path(request: Any) -> str | None:
    referer = request.referer
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def includeme(config: Any) -> None:
    """Routes of the core's pages."""
    config.add_request_method(_referer_path, "referer_path", reify=True)
    config.add_route("home", "/")
    config.add_route("set_language", "/language")
    config.add_route("healthz", "/healthz")
    config.add_route("readyz", "/readyz")
    config.scan("core.web.views")
