"""Files attached to follow-ups: checking, storing and serving them safely.

An upload is accepted when its extension is allowed AND its first bytes are
what that kind of file starts with (executables, HTML and SVG never pass).  It
is stored under ``guanxi.attachments_dir`` (default ``<var>/attachments``) with
a random name; the original name, the size and the SHA-256 are recorded.
Limits: ``guanxi.attachments_max_mb`` (10) per file, ``guanxi.attachments_max_files``
(5) per follow-up.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from pyramid.httpexceptions import HTTPNotFound
from pyramid.response import Response
from sqlalchemy.orm import Session

from core.db import utcnow
from core.security.service_errors import Refused
from core.web.downloads import file_download
from plugins.customers import _
from plugins.customers.followup_models import Attachment, FollowUp

CHUNK = 64 * 1024
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
#: Allowed extensions: (the content type we serve, the magic bytes the file must start with).
#: ``None`` as magic means text: no NUL byte and no markup.
KINDS: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", (OLE,)),
    ".xls": ("application/vnd.ms-excel", (OLE,)),
    ".ppt": ("application/vnd.ms-powerpoint", (OLE,)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ZIP,
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ZIP,
    ),
    ".txt": ("text/plain; charset=utf-8", None),
    ".zip": ("application/zip", ZIP),
}
#: Markup that makes a "text" file something a browser might render.
MARKUP = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")

BAD_TYPE = _(
    "${name}: this kind of file cannot be attached. "
    "Attach images, PDF, Office documents, text or ZIP files."
)
MISMATCH = _("${name}: the file's content does not match its extension.")
TOO_BIG = _("${name} is larger than ${size} MB.")
TOO_MANY = _("A follow-up can have at most ${count} attachments.")
EMPTY = _("${name} is empty.")


@dataclass(frozen=True)
class Limits:
    """Where attachments are stored and how big and how many they may be."""

    directory: Path
    max_bytes: int
    max_files: int


def limits(settings: dict[str, Any]) -> Limits:
    """The attachment limits of the deployment's settings."""
    directory = settings.get("guanxi.attachments_dir") or str(
        Path(settings.get("guanxi.var_dir", "var")) / "attachments"
    )
    return Limits(
        directory=Path(directory),
        max_bytes=int(settings.get("guanxi.attachments_max_mb", 10)) * 1024 * 1024,
        max_files=int(settings.get("guanxi.attachments_max_files", 5)),
    )


def clean_name(raw: str) -> str:
    """The file's base name without path parts or control characters (at most 255)."""
    name = PurePath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable())
    return name.strip()[-255:] or "file"


def kind_of(name: str, head: bytes) -> str:
    """The content type to serve ``name`` with, or ``Refused`` when not allowed."""
    kind = KINDS.get(PurePath(name).suffix.lower())
    if kind is None:
        raise Refused({"attachments": [_(BAD_TYPE, mapping={"name": name})]})
    content_type, magic = kind
    if magic is None:
        lowered = head.lstrip().lower()
        acceptable = b"\x00" not in head and not any(m in lowered for m in MARKUP)
    else:
        acceptable = head.startswith(magic)
        if acceptable and PurePath(name).suffix.lower() == ".webp":
            acceptable = head[8:12] == b"WEBP"
    if not acceptable:
        raise Refused({"attachments": [_(MISMATCH, mapping={"name": name})]})
    return content_type


@dataclass
class Upload:
    """A file from a form or the API: its name and a readable stream."""

    filename: str
    stream: BinaryIO


def uploads_of(fields: list[Any]) -> list[Upload]:
    """The files of a multipart form's ``attachments`` values (empty file inputs skipped)."""
    return [
        Upload(value.filename, value.file)
        for value in fields
        if getattr(value, "filename", None) and getattr(value, "file", None) is not None
    ]


def live_attachments(followup: FollowUp) -> list[Attachment]:
    """The follow-up's attachments that are not deleted."""
    return [a for a in followup.attachments if a.deleted_at is None]


def store(session: Session, followup: FollowUp, uploads: list[Upload], rules: Limits) -> None:
    """Check and store ``uploads`` as attachments of ``followup``; ``Refused`` stores none."""
    if len(live_attachments(followup)) + len(uploads) > rules.max_files:
        raise Refused({"attachments": [_(TOO_MANY, mapping={"count": rules.max_files})]})
    rules.directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for upload in uploads:
            written.append(_store_one(session, followup, upload, rules))
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _store_one(session: Session, followup: FollowUp, upload: Upload, rules: Limits) -> Path:
    name = clean_name(upload.filename)
    head = upload.stream.read(512)
    content_type = kind_of(name, head)
    storage_name = secrets.token_hex(16)
    path = rules.directory / storage_name
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("xb") as out:
            chunk = head
            while chunk:
                size += len(chunk)
                if size > rules.max_bytes:
                    size_mb = rules.max_bytes // (1024 * 1024)
                    raise Refused(
                        {"attachments": [_(TOO_BIG, mapping={"name": name, "size": size_mb})]}
                    )
                digest.update(chunk)
                out.write(chunk)
                chunk = upload.stream.read(CHUNK)
        if size == 0:
            raise Refused({"attachments": [_(EMPTY, mapping={"name": name})]})
    except Exception:
        path.unlink(missing_ok=True)
        raise
    attachment = Attachment(
        filename=name,
        content_type=content_type,
        size=size,
        storage_name=storage_name,
        sha256=digest.hexdigest(),
    )
    followup.attachments.append(attachment)
    session.add(attachment)
    return path


def delete_attachment(attachment: Attachment) -> None:
    """Soft-delete an attachment (the file stays for the audit trail)."""
    attachment.deleted_at = utcnow()


def download(attachment: Attachment, rules: Limits, request: Any) -> Response:
    """The file as a download that no browser renders inline."""
    path = rules.directory / attachment.storage_name
    if not path.is_file():
        raise HTTPNotFound()
    content_type = KINDS.get(PurePath(attachment.filename).suffix.lower(), ("",))[0]
    return file_download(
        request, path, attachment.filename, content_type or "application/octet-stream"
    )
