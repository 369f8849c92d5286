"""REST API plumbing: problem documents, pagination, filtering and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from pyramid.view import exception_view_config

from core.api.problems import ProblemError, problem_response


@exception_view_config(ProblemError)
def problem_view(exc: ProblemError, request: Any) -> Any:
    """Answer a raised :class:`ProblemError` with its problem document."""
    return problem_response(request, exc.status, exc.title, exc.detail, **exc.extra)


def includeme(config: Any) -> None:
    """Register the problem view."""
    config.scan("core.api")
