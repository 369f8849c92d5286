"""Field-level rules: who may write which fields of a record, and masked sensitive values.

A module declares its field groups once, e.g. for customers::

    CUSTOMER_GROUPS = (
        FieldGroup("basic", _("Basic information"), ("name", "industry", "address"),
                   "customers.customer.edit_basic"),
        FieldGroup("status", _("Status"), ("status",), "customers.customer.edit_status"),
    )

and in its edit view refuses what the user may not write::

    writable = writable_fields(request.identity, CUSTOMER_GROUPS, record_type, customer)
    refused = reject_unwritable(changes, writable)

A group is writable when the user holds its permission *and* the record is
within that permission's data scope (the same predicate as everywhere:
:func:`core.security.scopes.in_scope`).

Sensitive values (ID numbers, bank accounts) are shown through
:func:`mask_value`; revealing one goes through :func:`unmask`, which needs
``<module>.<resource>.view_sensitive`` within scope and is audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import inspect

from core.audit import record_event
from core.contributions import RecordType
from core.crypto import mask
from core.security.identity import Identity
from core.security.scopes import in_scope


@dataclass(frozen=True)
class FieldGroup:
    """Fields written together, under one permission (e.g. ``customers.customer.edit_basic``)."""

    name: str
    label: str
    fields: tuple[str, ...]
    permission: str


@dataclass(frozen=True)
class SensitiveField:
    """A field shown masked; ``permission`` (``….view_sensitive``) allows revealing it."""

    name: str
    permission: str


def _persistent(record: Any) -> bool:
    state = inspect(record, raiseerr=False)
    return state is not None and state.persistent


def record_in_scope(
    identity: Identity | None, record_type: RecordType, record: Any, permission: str
) -> bool:
    """Whether the stored ``record`` is within ``permission``'s scope for ``identity``.

    A record not saved yet (or ``None``) has no scope: holding the permission is enough.
    Unsaved changes of the record are not flushed; the stored row decides.
    """
    if identity is None:
        return False
    if record is None or not _persistent(record):
        return identity.can(permission)
    session = inspect(record).session
    with session.no_autoflush:
        return in_scope(session, identity, record_type, record.id, permission)


def writable_fields(
    identity: Identity | None,
    groups: Iterable[FieldGroup],
    record_type: RecordType,
    record: Any,
) -> set[str]:
    """The fields of every group whose permission ``identity`` holds on ``record``."""
    allowed: dict[str, bool] = {}
    fields: set[str] = set()
    for group in groups:
        if group.permission not in allowed:
            allowed[group.permission] = record_in_scope(
                identity, record_type, record, group.permission
            )
        if allowed[group.permission]:
            fields.update(group.fields)
    return fields


def reject_unwritable(changes: Mapping[str, Any], writable: set[str]) -> list[str]:
    """The names (sorted) of the changed fields that are not writable; empty when all are.

    ``writable`` must list every field the form may change, governed by a group or not.
    """
    return sorted(name for name in changes if name not in writable)


def mask_value(value: Any, identity: Identity | None, permission: str) -> str:
    """A sensitive value as pages show it; never the value itself.

    Holders of ``permission`` (who may reveal it with :func:`unmask`) see the
    value masked by :func:`core.crypto.mask`, which keeps a few characters to
    recognise it; everybody else sees only mask characters.
    """
    if value is None or value == "":
        return ""
    text = str(value)
    if identity is not None and identity.can(permission):
        return mask(text)
    return "*" * len(text)


def masked_fields(
    identity: Identity | None, fields: Iterable[SensitiveField], record: Any
) -> dict[str, str]:
    """``{field name: masked value}`` of ``record`` for templates."""
    return {
        field.name: mask_value(getattr(record, field.name), identity, field.permission)
        for field in fields
    }


def unmask(request: Any, record_type: RecordType, record: Any, field_name: str) -> str:
    """The clear value of a sensitive field, for a user holding ``….view_sensitive`` in scope.

    Raises 404 for a field the record type does not declare sensitive and 403
    without the permission; each reveal is audited as ``unmask`` (field name only).
    """
    if field_name not in record_type.sensitive:
        raise HTTPNotFound()
    permission = f"{record_type.permission_prefix}.view_sensitive"
    if not record_in_scope(request.identity, record_type, record, permission):
        raise HTTPForbidden()
    record_event(
        request.dbsession,
        "unmask",
        record_type=record_type.name,
        record_id=record.id,
        summary=field_name,
        changes={"field": field_name},
    )
    value = getattr(record, field_name)
    return "" if value is None else str(value)
