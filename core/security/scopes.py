"""The one place that turns (user, record type, permission) into a SQL predicate.

Lists, detail pages, bulk actions, exports, search, reports, attachments, the
audit views, the API and the CLI all filter through :func:`scope_filter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import ColumnElement, false, or_, select, true

from core.contributions import RecordType
from core.security.identity import Identity
from core.validation import parse_id


def scope_filter(
    identity: Identity | None, record_type: RecordType, permission: str
) -> ColumnElement[bool]:
    """A WHERE clause matching the records of ``record_type`` that ``permission`` reaches."""
    if identity is None:
        return false()
    scopes = identity.scopes(permission)
    if not scopes:
        return false()
    if "all" in scopes:
        return true()
    model = record_type.model
    columns = record_type.scope
    clauses: list[ColumnElement[bool]] = []
    if "own" in scopes and columns.owner:
        clauses.append(getattr(model, columns.owner) == identity.user_id)
    if "team" in scopes and columns.team and identity.team_ids:
        clauses.append(getattr(model, columns.team).in_(sorted(identity.team_ids)))
    if "region" in scopes and columns.regions and identity.region_codes:
        codes = sorted(identity.region_codes)
        clauses.extend(getattr(model, column).in_(codes) for column in columns.regions)
    return or_(*clauses) if clauses else false()


def values_in_scope(
    identity: Identity | None,
    record_type: RecordType,
    permission: str,
    values: Mapping[str, Any],
) -> bool:
    """Whether a record with these column ``values`` (not saved yet) is within ``permission``.

    The same rule as :func:`scope_filter`, applied to values in memory: bulk
    imports check thousands of new rows without a query each.
    """
    if identity is None:
        return False
    scopes = identity.scopes(permission)
    if "all" in scopes:
        return True
    columns = record_type.scope
    if "own" in scopes and columns.owner and values.get(columns.owner) == identity.user_id:
        return True
    if "team" in scopes and columns.team and values.get(columns.team) in identity.team_ids:
        return True
    if "region" in scopes and identity.region_codes:
        return any(values.get(column) in identity.region_codes for column in columns.regions)
    return False


def in_scope(
    session: Any,
    identity: Identity | None,
    record_type: RecordType,
    record_id: Any,
    permission: str,
) -> bool:
    """Whether the record with ``record_id`` is within ``permission``'s scope."""
    model = record_type.model
    query = select(model.id).where(
        model.id == record_id, scope_filter(identity, record_type, permission)
    )
    return session.execute(query).first() is not None


def get_in_scope(request: Any, record_type: RecordType, record_id: Any, permission: str) -> Any:
    """Load one record the user may reach under ``permission``, or raise 404."""
    model = record_type.model
    record_id = parse_id(record_id)
    if record_id is None:
        raise HTTPNotFound()
    query = select(model).where(
        model.id == record_id, scope_filter(request.identity, record_type, permission)
    )
    deleted = getattr(model, "deleted_at", None)
    if deleted is not None:
        query = query.where(deleted.is_(None))
    record = request.dbsession.scalars(query).first()
    if record is None:
        raise HTTPNotFound()
    return record


class RecordContext:
    """The context of a record route: the record, loaded within the view scope."""

    def __init__(self, record: Any, record_type: RecordType) -> None:
        self.record = record
        self.record_type = record_type


def record_factory(record_type_name: str, action: str = "view") -> Any:
    """A Pyramid context factory loading ``{id}`` of a record type, 404 when out of scope."""

    def factory(request: Any) -> RecordContext:
        record_type = request.record_types.get(record_type_name)
        if record_type is None:  # its module is disabled
            raise HTTPNotFound()
        if request.identity is None:  # the login page (or a 401), not a misleading 404
            raise HTTPForbidden()
        permission = f"{record_type.permission_prefix}.{action}"
        record = get_in_scope(request, record_type, request.matchdict.get("id"), permission)
        return RecordContext(record, record_type)

    return factory
