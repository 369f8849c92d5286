"""RFC 9457 problem documents: the API's one error format."""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

PROBLEM_TYPE_BASE = "https://guanxi.dev/problems/"
TYPES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "gone",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation",
    428: "precondition-required",
    429: "too-many-requests",
    500: "server-error",
}


def is_api_request(request: Any) -> bool:
    """Whether the request is for the REST API (JSON errors instead of pages)."""
    return request.path.startswith("/api/")


def problem_response(
    request: Any,
    status: int,
    title: Any,
    detail: Any = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> Response:
    """A ``application/problem+json`` response with a translated ``title``."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + TYPES.get(status, "error"),
        "title": request.translate(title),
        "status": status,
    }
    if detail is not None:
        body["detail"] = request.translate(detail)
    if errors:
        body["errors"] = {
            name: [request.translate(message) for message in messages]
            for name, messages in errors.items()
        }
    body.update(extra)
    response = Response(status=status, charset="utf-8", content_type="application/problem+json")
    response.json_body = body
    return response


class ProblemError(Exception):
    """Raise from an API view to answer with a problem document."""

    def __init__(self, status: int, title: Any, detail: Any = None, **extra: Any) -> None:
        super().__init__(str(title))
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra
