"""Tweens: a request id with structured request logging, security headers, an input guard."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

from pyramid.response import Response

from core.api.problems import PROBLEM_TYPE_BASE

log = logging.getLogger("guanxi.request")

#: No inline scripts or styles: every script is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def security_headers_tween_factory(handler: Any, registry: Any) -> Any:
    """Add the security headers to every response."""

    def tween(request: Any) -> Any:
        response = handler(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/") or request.authenticated_userid is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return tween


#: The answer to a request no page can read (see :func:`input_guard_tween_factory`).
UNREADABLE = "The address or the form contains bytes that are not UTF-8 text, or NUL characters."


def readable(request: Any) -> bool:
    """Whether the path, query and form fields are UTF-8 text without NUL characters."""
    try:
        texts = [request.path_info, *request.GET.keys(), *request.GET.values()]
        texts += [*request.POST.keys(), *request.POST.values()]
    except UnicodeDecodeError:
        return False
    return not any(isinstance(text, str) and "\x00" in text for text in texts)


def input_guard_tween_factory(handler: Any, registry: Any) -> Any:
    """Refuse unreadable requests with a plain 400 before anything reads them.

    Only scanners and broken clients send them; let through, invalid UTF-8 breaks
    every page (even the error page, which shows the address) and PostgreSQL refuses
    to store a NUL character.  The API gets the same answer as a problem document.
    In a page's query string NUL becomes U+FFFD, as invalid bytes of a form do: a
    search for it finds nothing, calmly, like any other odd search.
    """

    def tween(request: Any) -> Any:
        environ = request.environ
        api = environ.get("PATH_INFO", "").startswith("/api/")
        if not api and "%00" in environ.get("QUERY_STRING", ""):
            environ["QUERY_STRING"] = environ["QUERY_STRING"].replace("%00", "%EF%BF%BD")
        if readable(request):
            return handler(request)
        response = Response(UNREADABLE, status=400, content_type="text/plain", charset="utf-8")
        if api:
            response.content_type = "application/problem+json"
            response.json_body = {
                "type": PROBLEM_TYPE_BASE + "bad-request",
                "title": "Bad request",
                "status": 400,
                "detail": UNREADABLE,
            }
        response.headers.update(SECURITY_HEADERS)
        return response

    return tween


def request_log_tween_factory(handler: Any, registry: Any) -> Any:
    """Give each request an id (``X-Request-ID``) and log one JSON line per request."""

    def tween(request: Any) -> Any:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else (secrets.token_hex(8))
        )
        started = time.perf_counter()
        status = 500
        try:
            response = handler(request)
            status = response.status_code
            response.headers["X-Request-ID"] = request.request_id
            return response
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "request_id": request.request_id,
                            "method": request.method,
                            "path": request.path,
                            "status": status,
                            "ms": round((time.perf_counter() - started) * 1000, 1),
                            "user": getattr(
                                request.environ.get("guanxi.identity"), "user_id", None
                            ),
                        }
                    )
                )

    return tween
