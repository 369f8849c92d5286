"""Run a request again when SQLite gave the write lock to another process first.

SQLite lets one connection write at a time.  Requests that change data take
the lock when they begin (``core.db.begin_for_writing``); a reading request
that writes after all (a session's "last seen" touch) cannot wait for it once
another process committed, and :class:`core.db.DatabaseLocked` is raised.
Only starting over helps: this execution policy runs such a request again, as
a new request on the same WSGI environ, up to :data:`ATTEMPTS` times.  No other
error is retried: a stale version is the user's conflict (409), not ours.
"""

from __future__ import annotations

from typing import Any

from core.db import DatabaseLocked
from core.security.policy import forget_cached_identity

ATTEMPTS = 3


def retry_when_locked(environ: dict[str, Any], router: Any) -> Any:
    """Pyramid execution policy: invoke the request, again while it lost SQLite's lock."""
    for attempt in range(1, ATTEMPTS + 1):
        context = router.request_context(environ)
        request = context.begin()
        try:
            if attempt == 1:
                request.make_body_seekable()  # a retry reads the body again
            try:
                response = router.invoke_request(request)
            except DatabaseLocked:
                if attempt == ATTEMPTS:
                    raise
                continue
            if attempt < ATTEMPTS and isinstance(
                getattr(request, "exception", None), DatabaseLocked
            ):
                continue  # an exception view answered 500 for the lost lock
            return response
        finally:
            context.end()
            forget_cached_identity(environ)
    raise AssertionError("unreachable")  # pragma: no cover
