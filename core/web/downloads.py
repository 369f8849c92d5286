"""Files sent as downloads: a safe name in both forms browsers read, never rendered inline."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from pyramid.response import FileIter, Response


def disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_headers(response: Response, filename: str) -> Response:
    """Mark ``response`` as a private download called ``filename``."""
    response.headers["Content-Disposition"] = disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_download(request: Any, path: Path, filename: str, content_type: str) -> Response:
    """The file at ``path`` as a download called ``filename``."""
    response = Response(
        app_iter=FileIter(path.open("rb")),
        content_type=content_type.split(";")[0],
        content_length=path.stat().st_size,
        request=request,
    )
    if content_type.startswith("text/"):
        response.charset = "utf-8"
    return download_headers(response, filename)
