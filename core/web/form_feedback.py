"""Showing a service's refusal on a form (field errors, the stale-save message) or as a flash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from core.i18n import _, format_datetime
from core.security.service_errors import ConflictError, Refused, check_version
from core.validation import parse_id

T = TypeVar("T")


def show_refusal(form: Any, refused: Refused) -> None:
    """Put the refusal's messages next to their fields (others above the form).

    Messages of the whole form (``""``) and of inputs that are no form field (files
    read from the request, say) go above it.
    """
    for name, messages in refused.errors.items():
        target = form[name].errors if name in form else form.form_errors
        target.extend(form.request.translate(message) for message in messages)


def flash_refusal(request: Any, refused: Refused) -> None:
    """Flash each of the refusal's messages as an error (for actions without a form)."""
    for message in refused.messages():
        request.flash(message, "danger")


def save_form(
    request: Any,
    form: Any,
    save: Callable[[], T | None],
    record: T | None = None,
    *,
    versioned: bool = False,
    validated: bool = False,
    on_conflict: Callable[[], None] | None = None,
) -> T | None:
    """Run ``save`` for a valid POSTed form; the record saved, or None when nothing was.

    The record is ``record`` when editing one, else what ``save`` returns (the new
    one).  ``versioned``: a ``record`` already stored must still be at the version
    the form was loaded at.  ``validated``: the caller has validated the form.  A
    refusal is shown on the form; a save over somebody else's newer changes shows
    the stale-save message, with the form moved to the current version, then calls
    ``on_conflict``.
    """
    if not validated and (request.method != "POST" or not form.validate()):
        return None
    try:
        if versioned and record is not None and record.id is not None:  # type: ignore[attr-defined]
            check_version(record, submitted_version(form))
        created = save()
    except ConflictError as conflict:
        form.form_errors.append(conflict_message(request, conflict.record))
        form.version.data = str(conflict.record.version)
        if on_conflict is not None:
            on_conflict()
        return None
    except Refused as refused:
        show_refusal(form, refused)
        return None
    return created if record is None else record


def posted_action(request: Any, record: Any, action: Callable[[], Any]) -> bool:
    """Run a one-button ``action`` on ``record`` posted at its current ``version``; whether it ran.

    A stale version (posted, or found by ``action``) or a refusal is flashed instead.
    """
    try:
        if request.POST.get("version") != str(record.version):
            raise ConflictError(record)
        action()
    except ConflictError:
        request.flash(conflict_message(request, record), "danger")
        return False
    except Refused as refused:
        flash_refusal(request, refused)
        return False
    return True


def submitted_version(form: Any) -> int:
    """The record version the form was loaded at (0 when missing or garbled)."""
    return parse_id(str(form.version.data or "")) or 0


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
