"""Merging two customers: one is kept with the values chosen field by field, the other folds in.

Everything happens in one savepoint: the kept customer takes the chosen values,
every child of the other customer (contacts, follow-ups with their attachments,
follow-up plans, orders, contracts, churn history, tags) moves to it with one
UPDATE per table, and the other customer is soft-deleted with ``merged_into_id``
pointing at the kept one.  Both customers get a ``merge`` audit event; their
own trails stay.  Other modules move their records when they receive the
``customer.merged`` domain event (``kept_id``, ``merged_id``), raised in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from core.audit import REDACTED, AuditEvent, current_actor, jsonable, record_event
from core.db import utcnow
from core.events import emit
from core.security.scopes import in_scope
from core.security.service_errors import Refused, check_version, savepoint
from plugins.customers import _
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.contacts import primary_contact
from plugins.customers.followup_models import Attachment, FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer, customer_tags
from plugins.customers.order_models import Contract, Order
from plugins.customers.service import OUT_OF_SCOPE, PREFIX, RECORD_TYPE, assign_owner

MERGE = f"{PREFIX}.merge"
#: The audit record type of customers (their table, as in the automatic trail).
AUDIT_TYPE = Customer.__tablename__
#: The prefix of a custom field's choice key (``custom.budget``).
CUSTOM_PREFIX = "custom."
KEPT, OTHER = "kept", "other"


@dataclass(frozen=True)
class MergeField:
    """A value chosen as a whole: one column, or several that belong together."""

    key: str
    label: TranslationString
    columns: tuple[str, ...]
    sensitive: bool = False


FIELDS = (
    MergeField("name", _("Name"), ("name",)),
    MergeField("short_name", _("Short name"), ("short_name",)),
    MergeField("kind", _("Kind"), ("kind",)),
    MergeField("level", _("Level"), ("level",)),
    MergeField("status", _("Status"), ("status",)),
    MergeField("industry", _("Industry"), ("industry",)),
    MergeField("size", _("Company size"), ("size",)),
    MergeField("source", _("Source"), ("source",)),
    MergeField("credit_rating", _("Credit rating"), ("credit_rating",)),
    MergeField("satisfaction", _("Satisfaction"), ("satisfaction",)),
    MergeField("owner", _("Owner"), ("owner_id",)),
    MergeField("location", _("Region"), ("province_code", "city_code", "district_code")),
    MergeField("address", _("Address"), ("address",)),
    MergeField("phone", _("Phone"), ("phone",)),
    MergeField("email", _("E-mail"), ("email",)),
    MergeField("website", _("Website"), ("website",)),
    MergeField("credit_code", _("Unified social credit code"), ("credit_code",)),
    MergeField("id_number", _("ID number"), ("id_number",), sensitive=True),
    MergeField("bank_name", _("Bank"), ("bank_name",)),
    MergeField("bank_account", _("Bank account"), ("bank_account",), sensitive=True),
    MergeField("notes", _("Notes"), ("notes",)),
)

#: The children that move, by the name their count has in the audit event.
CHILDREN = {
    "contacts": Contact,
    "follow_ups": FollowUp,
    "follow_up_plans": FollowUpPlan,
    "orders": Order,
    "contracts": Contract,
    "churn_events": ChurnEvent,
}
SAME_CUSTOMER = _("Choose two different customers.")


@dataclass(frozen=True)
class Difference:
    """A field whose values differ: ``key`` is a field key or ``custom.<key>``."""

    key: str
    label: Any
    kept: Any
    other: Any
    sensitive: bool = False


def _values(customer: Customer, merge_field: MergeField) -> tuple[Any, ...]:
    return tuple(getattr(customer, column) for column in merge_field.columns)


def differences(kept: Customer, other: Customer, definitions: list[Any]) -> list[Difference]:
    """The fields (custom fields too) where the two customers hold different values.

    ``definitions`` are the customer custom field definitions (labels and order);
    a value is shown as stored (the page formats it).
    """
    found = []
    for merge_field in FIELDS:
        mine, theirs = _values(kept, merge_field), _values(other, merge_field)
        if mine != theirs and any(value not in (None, "") for value in theirs):
            found.append(
                Difference(merge_field.key, merge_field.label, mine, theirs, merge_field.sensitive)
            )
    kept_custom, other_custom = kept.custom or {}, other.custom or {}
    for definition in definitions:
        mine, theirs = kept_custom.get(definition.key), other_custom.get(definition.key)
        if mine != theirs and theirs not in (None, "", []):
            found.append(Difference(CUSTOM_PREFIX + definition.key, definition, mine, theirs))
    return found


def _take(kept: Customer, other: Customer, key: str) -> None:
    """Give ``kept`` the other customer's value of field ``key``."""
    if key.startswith(CUSTOM_PREFIX):
        name = key.removeprefix(CUSTOM_PREFIX)
        kept.custom = {**(kept.custom or {}), name: (other.custom or {}).get(name)}
    elif key == "owner":
        assign_owner(kept, other.owner)
    else:
        merge_field = next(f for f in FIELDS if f.key == key)
        for column in merge_field.columns:
            setattr(kept, column, getattr(other, column))


def _latest(*moments: Any) -> Any:
    return max((moment for moment in moments if moment is not None), default=None)


def _move_tags(session: Session, kept_id: int, other_id: int) -> int:
    """Give the kept customer the other's tags it lacks; the number of tags added."""
    tags = customer_tags.c
    mine = select(tags.tag_id).where(tags.customer_id == kept_id)
    missing = list(
        session.scalars(
            select(tags.tag_id).where(tags.customer_id == other_id, tags.tag_id.not_in(mine))
        )
    )
    if missing:
        rows = [{"customer_id": kept_id, "tag_id": tag_id} for tag_id in missing]
        session.execute(insert(customer_tags), rows)
    session.execute(delete(customer_tags).where(tags.customer_id == other_id))
    return len(missing)


def _move_children(session: Session, kept: Customer, other: Customer) -> dict[str, int]:
    """Move every child of ``other`` to ``kept``, one UPDATE per table; counts by kind.

    The kept customer's primary contact stays primary; without one, the other's does.
    """
    actor_id = current_actor(session).user_id
    counts = {
        "attachments": session.scalar(
            select(func.count(Attachment.id))
            .join(FollowUp, Attachment.follow_up_id == FollowUp.id)
            .where(FollowUp.customer_id == other.id)
        )
        or 0
    }
    keep_primary = primary_contact(session, kept.id) is not None
    for name, model in CHILDREN.items():
        values: dict[str, Any] = {
            "customer_id": kept.id,
            "version": model.version + 1,
            "updated_at": utcnow(),
            "updated_by_id": actor_id,
        }
        if model is Contact and keep_primary:
            values["is_primary"] = False
        statement = update(model).where(model.customer_id == other.id).values(values)
        counts[name] = session.execute(
            statement, execution_options={"synchronize_session": "fetch"}
        ).rowcount
    counts["tags"] = _move_tags(session, kept.id, other.id)
    repoint_merged(session, other.id, kept.id)
    return counts


def _chosen_values(kept: Customer, picks: Mapping[str, str]) -> dict[str, Any]:
    """What the kept customer now holds for each field taken from the other (for the trail)."""
    sensitive = {f.key for f in FIELDS if f.sensitive}
    chosen: dict[str, Any] = {}
    for key, pick in sorted(picks.items()):
        if pick != OTHER:
            continue
        if key in sensitive:
            chosen[key] = REDACTED
        elif key == "owner":
            chosen[key] = kept.owner.name
        elif key.startswith(CUSTOM_PREFIX):
            chosen[key] = jsonable((kept.custom or {}).get(key.removeprefix(CUSTOM_PREFIX)))
        else:
            merge_field = next(f for f in FIELDS if f.key == key)
            chosen[key] = jsonable(" / ".join(str(v or "") for v in _values(kept, merge_field)))
    return chosen


def merge_customers(
    request: Any,
    kept: Customer,
    other: Customer,
    picks: Mapping[str, str],
    versions: tuple[int, int],
) -> dict[str, int]:
    """Fold ``other`` into ``kept``; the moved children counted by kind.

    ``picks`` maps a field key (see :func:`differences`) to ``"other"`` to take
    the other customer's value (anything else keeps the kept one's).  ``versions``
    are the versions the user saw: a customer changed meanwhile raises
    ``ConflictError`` and nothing changes.  Raises ``Refused`` for the same
    customer twice, or when the result would leave the merge scope.
    """
    if kept.id == other.id:
        raise Refused({"": [SAME_CUSTOMER]})
    for customer, version in zip((kept, other), versions, strict=True):
        check_version(customer, version)
    session = request.dbsession
    offered = {difference.key for difference in differences(kept, other, _definitions(request))}
    picks = {key: pick for key, pick in picks.items() if key in offered}
    try:
        with savepoint(session, kept):
            for key, pick in picks.items():
                if pick == OTHER:
                    _take(kept, other, key)
            kept.last_contact_at = _latest(kept.last_contact_at, other.last_contact_at)
            kept.last_order_at = _latest(kept.last_order_at, other.last_order_at)
            other.deleted_at = utcnow()
            other.merged_into_id = kept.id
            flag_modified(kept, "name")  # the kept customer's version is checked and moves on
            session.flush()
            counts = _move_children(session, kept, other)
            for customer in (kept, other):
                session.expire(customer, ["tags"])  # the link rows changed underneath
            record_type = request.record_types[RECORD_TYPE]
            if not in_scope(session, request.identity, record_type, kept.id, MERGE):
                raise Refused({"": [OUT_OF_SCOPE]})
    except IntegrityError as exc:
        raise Refused({"": [_("The customers changed meanwhile. Try again.")]}) from exc
    chosen = _chosen_values(kept, picks)
    for customer, role in ((kept, KEPT), (other, "merged")):
        record_event(
            session,
            "merge",
            record_type=AUDIT_TYPE,
            record_id=customer.id,
            summary=f"{other.name} ({other.code}) → {kept.name} ({kept.code})",
            changes={
                "role": role,
                "kept_id": kept.id,
                "merged_id": other.id,
                "moved": counts,
                "chosen": chosen,
            },
        )
    emit(request, "customer.merged", kept_id=kept.id, merged_id=other.id)
    return counts


def _definitions(request: Any) -> list[Any]:
    return list(request.custom_fields(RECORD_TYPE))


#: Merges followed back when listing the customers folded into one (merged ones merged again).
MERGE_DEPTH = 50


def merged_ids(session: Session, customer_id: int) -> list[int]:
    """Ids of the customers merged into ``customer_id``, directly or through merged ones.

    Read from the ``merge`` events of the audit trail (an indexed lookup per customer).
    """
    found: list[int] = []
    pending = [customer_id]
    while pending and len(found) < MERGE_DEPTH:
        current = pending.pop()
        changes = session.scalars(
            select(AuditEvent.changes).where(
                AuditEvent.record_type == AUDIT_TYPE,
                AuditEvent.record_id == str(current),
                AuditEvent.action == "merge",
            )
        )
        for change in changes:
            if isinstance(change, dict) and change.get("role") == KEPT:
                merged = change.get("merged_id")
                if isinstance(merged, int) and merged not in found:
                    found.append(merged)
                    pending.append(merged)
    return found


def repoint_merged(session: Session, customer_id: int, target_id: int | None) -> None:
    """Point the customers merged into ``customer_id`` at ``target_id`` (``None``: unlink).

    They are found through the audit trail and updated by primary key, so no
    table scan of ``merged_into_id`` is needed.
    """
    ids = merged_ids(session, customer_id)
    if ids:
        session.execute(
            update(Customer)
            .where(Customer.id.in_(ids), Customer.merged_into_id == customer_id)
            .values(merged_into_id=target_id)
            .execution_options(synchronize_session="fetch")
        )
