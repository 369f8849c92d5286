"""Writes through the REST API: JSON bodies, optimistic locking and validation problems.

A PATCH endpoint reads the body, takes the version the client last saw (body ``version``
or ``If-Match``), refuses a stale one with 409 and answers field errors with 422::

    body = read_json(request)
    check_version(record, expected_version(request, body))
    ...
    if errors:
        raise validation_problem(errors)

A race between two writers that both passed :func:`check_version` is still caught: the
``version`` column makes the second UPDATE fail with ``StaleDataError``, which the API
answers with the same 409 (see ``core.api``).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

from core.api.problems import ProblemError
from core.i18n import _
from core.security.service_errors import ConflictError, Refused

MAX_BODY = 1_000_000
_ETAG_RE = re.compile(r'\s*(?:W/)?"([0-9]{1,18})"\s*')


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json(request: Any, max_bytes: int = MAX_BODY) -> dict[str, Any]:
    """The request body as a JSON object: 415 unless JSON, 413 when too large, else 400."""
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise ProblemError(
            415, _("Unsupported media type"), _("Send the body as application/json.")
        )
    too_large = ProblemError(
        413,
        _("Request body too large"),
        _("The body may be at most ${size} bytes.", mapping={"size": max_bytes}),
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    raw = request.body_file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise too_large
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ProblemError(
            400, _("Invalid JSON"), _("The body is not valid UTF-8 encoded JSON.")
        ) from None
    if not isinstance(body, dict):
        raise ProblemError(400, _("Invalid JSON"), _("The body must be a JSON object."))
    if not storable(body):
        raise ProblemError(
            400,
            _("Invalid JSON"),
            _("Text in the body must not contain NUL characters or lone surrogates."),
        )
    return body


def storable(value: Any) -> bool:
    """Whether every text in a parsed JSON value can be stored (no NUL, valid Unicode)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def _header_version(request: Any) -> int | None:
    header = request.headers.get("If-Match")
    if header is None:
        return None
    match = _ETAG_RE.fullmatch(header)
    if match is None:
        raise ProblemError(
            400,
            _("Invalid If-Match header"),
            _('If-Match must be the ETag of the record, like "3".'),
        )
    return int(match.group(1))


def expected_version(request: Any, body: dict[str, Any]) -> int:
    """The version the client edited, from ``body["version"]`` (removed) or ``If-Match``.

    Missing → 428; not a positive whole number or contradicting If-Match → 400.
    """
    header = _header_version(request)
    if "version" not in body:
        if header is None:
            raise ProblemError(
                428,
                _("Version required"),
                _("Send the version you last read, in the body or as If-Match."),
            )
        return header
    version = body.pop("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProblemError(400, _("Invalid version"), _("version must be a positive whole number."))
    if header is not None and header != version:
        raise ProblemError(
            400, _("Invalid version"), _("The body's version and If-Match disagree.")
        )
    return version


def stale_problem(current_version: int | None = None) -> ProblemError:
    """The 409 problem for an edit based on an outdated version."""
    extra = {} if current_version is None else {"current_version": current_version}
    return ProblemError(
        409,
        _("The record was changed by someone else"),
        _("Read it again, re-apply your change and send the new version."),
        **extra,
    )


def check_version(record: Any, expected: int) -> None:
    """Raise the 409 problem (with ``current_version``) when ``record`` moved on."""
    if record.version != expected:
        raise stale_problem(record.version)


def validation_problem(errors: dict[str, list[Any]]) -> ProblemError:
    """The 422 problem listing each field's (translatable) error messages."""
    return ProblemError(
        422,
        _("The data is not valid"),
        _("Correct the fields listed in errors and send the request again."),
        errors=errors,
    )


def refusal_problem(request: Any, refused: Refused, record_key: str) -> ProblemError:
    """The 422 problem of a refusal; errors not tied to a field go under ``record_key``."""
    return validation_problem(
        {
            name or record_key: [request.translate(message) for message in messages]
            for name, messages in refused.errors.items()
        }
    )


@contextlib.contextmanager
def service_problems(request: Any, record: Any, record_key: str) -> Iterator[None]:
    """Around a service's write: a stale version becomes the 409 problem (with the record's
    current version), a refusal the 422 problem (see :func:`refusal_problem`)."""
    try:
        yield
    except ConflictError:
        raise stale_problem(record.version) from None
    except Refused as refused:
        raise refusal_problem(request, refused, record_key) from None


def set_etag(request: Any, record: Any) -> None:
    """Give a single-record response the record's version as ETag (If-None-Match → 304)."""
    request.response.etag = str(record.version)
    request.response.conditional_response = True


def set_created(request: Any, route_name: str, record: Any) -> None:
    """Answer 201 Created with the new record's ``Location`` (route ``route_name``) and ETag."""
    request.response.status_code = 201
    request.response.location = request.route_url(route_name, id=record.id)
    set_etag(request, record)
