"""Showing a service's refusal on a form: field errors, and the stale-save message."""

from __future__ import annotations

from typing import Any

from core.i18n import _, format_datetime
from core.security.service_errors import Refused


def show_refusal(form: Any, refused: Refused) -> None:
    """Put the refusal's messages next to their fields (form-level ones above the form)."""
    for name, messages in refused.errors.items():
        target = form.form_errors if not name else form[name].errors
        target.extend(form.request.translate(message) for message in messages)


def submitted_version(form: Any) -> int:
    """The record version the form was loaded at (0 when missing or garbled)."""
    value = str(form.version.data or "")
    return int(value) if value.isdigit() else 0


def conflict_message(request: Any, record: Any) -> str:
    """ "Changed by X at T — review and save again" for a record whose version moved on."""
    from core.security.models import User

    editor = request.dbsession.get(User, record.updated_by_id) if record.updated_by_id else None
    name = editor.name if editor is not None else request.translate(_("the system"))
    return request.translate(
        _("This was changed by ${name} at ${time} — review and save again."),
        name=name,
        time=format_datetime(request, record.updated_at),
    )
