"""Tweens: a request id with structured request logging, and security headers."""

from __future__ import annotations

import json
import logging
import secrets
import time
from typing import Any

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
                            "user": request.environ.get("guanxi.user_id"),
                        }
                    )
                )

    return tween
