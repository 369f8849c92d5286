"""Translated 403, 404 and 500 pages, and JSON problems for the API."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import HTTPException, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

from core.api.problems import is_api_request, problem_response
from core.i18n import _

log = logging.getLogger(__name__)

TITLES = {
    400: _("The form has expired"),
    403: _("You do not have access to this page"),
    404: _("Page not found"),
    500: _("Something went wrong"),
}
DETAILS = {
    400: _("It was opened before you last logged in or out. Reload the page and send it again."),
    403: _("Ask an administrator if you need access."),
    404: _("The page does not exist or is not available to you."),
    500: _("The error has been logged. Please try again; nothing was saved."),
}


def error_page(request: Any, status: int) -> Any:
    """Render the error page (or the API problem) for ``status``."""
    if is_api_request(request):
        return problem_response(request, status, TITLES[status])
    response = render_to_response(
        "core:templates/error.jinja2",
        {"status": status, "title": TITLES[status], "detail": DETAILS[status]},
        request=request,
    )
    response.status_code = status
    return response


@notfound_view_config()
def not_found(exc: HTTPException, request: Any) -> Any:
    """404 in the user's language."""
    return error_page(request, 404)


@forbidden_view_config()
def forbidden(exc: HTTPException, request: Any) -> Any:
    """Anonymous users go to the login page; others see a 403."""
    from core.audit import record_denial

    if request.identity is None and not is_api_request(request):
        query = urlencode({"next": request.path_qs}) if request.method == "GET" else ""
        return HTTPSeeOther(location=request.route_path("login") + (f"?{query}" if query else ""))
    if request.identity is None:
        return problem_response(request, 401, _("Authentication required"))
    record_denial(request, getattr(exc, "result", None))
    return error_page(request, 403)


@exception_view_config(BadCSRFToken, path_info=r"^(?!/api/)")
def bad_csrf_token(exc: BadCSRFToken, request: Any) -> Any:
    """A form sent without the session's CSRF token: a translated page (the API answers JSON)."""
    return error_page(request, 400)


@exception_view_config(Exception)
def server_error(exc: Exception, request: Any) -> Any:
    """Log the error with the request id and show a calm 500 page.

    pyramid_tm aborts the transaction because ``request.exception`` is set.
    """
    log.exception("unhandled error (request %s)", getattr(request, "request_id", "-"))
    return error_page(request, 500)


def includeme(config: Any) -> None:
    """Register the error views."""
    config.scan("core.web.errors")
