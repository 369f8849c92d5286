"""REST API plumbing: problem documents, pagination, filtering and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pyramid.csrf import BadCSRFToken
from pyramid.httpexceptions import HTTPClientError, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import exception_view_config
from sqlalchemy.orm.exc import StaleDataError

from core.api.problems import ProblemError, is_api_request, problem_response
from core.i18n import _

#: The API's titles for client errors raised by Pyramid itself.
CLIENT_ERROR_TITLES = {
    400: _("Bad request"),
    405: _("Method not allowed"),
    413: _("Request body too large"),
    415: _("Unsupported media type"),
}


@exception_view_config(ProblemError)
def problem_view(exc: ProblemError, request: Any) -> Any:
    """Answer a raised :class:`ProblemError` with its problem document."""
    return problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)


@exception_view_config(HTTPClientError, path_info=r"^/api/")
def api_client_error(exc: HTTPClientError, request: Any) -> Any:
    """Other 4xx answers of the API (a missing CSRF header …) as problem documents."""
    if isinstance(exc, BadCSRFToken):
        return problem_response(
            request,
            400,
            _("The CSRF token is missing or invalid"),
            _("Send the X-CSRF-Token header with a cookie session, or use a bearer token."),
        )
    title = CLIENT_ERROR_TITLES.get(exc.status_code, _("The request was not accepted"))
    return problem_response(request, exc.status_code, title)


@exception_view_config(StaleDataError)
def stale_data(exc: StaleDataError, request: Any) -> Any:
    """Someone saved the record first: 409 in the API; in the UI, say so and go back.

    Nothing is rendered here: when the conflict surfaces at commit the session is gone,
    so the page the user came from (or the home page) shows the warning instead.
    """
    from core.api.writes import stale_problem
    from core.web.views import safe_next

    if is_api_request(request):
        problem = stale_problem()
        return problem_response(request, problem.status, problem.title, problem.detail)
    request.flash(
        _("Someone else changed this record in the meantime. Review it and save again."),
        "warning",
    )
    target = safe_next(request.referer_path, request.route_path("home"))
    if request.headers.get("HX-Request"):
        return Response(status=409, headers={"HX-Redirect": target})
    return HTTPSeeOther(location=target)


def includeme(config: Any) -> None:
    """Register the API's exception views, its routes and the OpenAPI check.

    Once every module is included, the document of all installed modules is built, so two
    modules describing the same path or schema stop the application from starting.
    """
    from core.api.openapi import build_document, collect_resources

    config.include("core.api.views")
    config.include("core.api.users")
    config.scan("core.api")
    config.action(
        None, lambda: build_document(collect_resources(config.registry["modules"].pm.hook))
    )
