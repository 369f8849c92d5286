"""Purging a deleted customer: its rows and its children's are removed for good.

Only customers in the recycle bin (soft-deleted) are purged, by users holding
``customers.customer.purge``.  A ``purge`` audit event keeps a summary (name,
code, how many children) written before the rows go; the automatic trail
records the customer's own deletion with its values.  When another module's
records still point at the customer the database refuses and nothing is removed.
Attachment files are deleted from disk once the transaction has committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import record_event
from core.search import SearchIndex
from core.security.service_errors import Refused
from plugins.customers import _
from plugins.customers.attachments import limits
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.contacts import RECORD_TYPE as CONTACT
from plugins.customers.followup_models import Attachment, FollowUp, FollowUpPlan
from plugins.customers.merge import repoint_merged
from plugins.customers.models import Contact, Customer
from plugins.customers.order_models import Contract, Order, OrderLine, contract_orders
from plugins.customers.service import PREFIX, RECORD_TYPE

PURGE = f"{PREFIX}.purge"
AUDIT_TYPE = Customer.__tablename__
IN_USE = _(
    "Other records still refer to this customer, so it cannot be purged. "
    "Remove or move them first, or leave the customer in the recycle bin."
)
NOT_DELETED = _("Only customers in the recycle bin can be purged.")


def _of(model: Any, customer_id: int) -> ColumnElement[bool]:
    return model.customer_id == customer_id


def _follow_up_ids(customer_id: int) -> Any:
    return select(FollowUp.id).where(_of(FollowUp, customer_id)).scalar_subquery()


def _order_ids(customer_id: int) -> Any:
    return select(Order.id).where(_of(Order, customer_id)).scalar_subquery()


def _contract_ids(customer_id: int) -> Any:
    return select(Contract.id).where(_of(Contract, customer_id)).scalar_subquery()


def child_counts(session: Session, customer_id: int) -> dict[str, int]:
    """How many rows of each kind belong to the customer (deleted ones included)."""
    queries = {
        "contacts": select(func.count(Contact.id)).where(_of(Contact, customer_id)),
        "follow_ups": select(func.count(FollowUp.id)).where(_of(FollowUp, customer_id)),
        "attachments": select(func.count(Attachment.id)).where(
            Attachment.follow_up_id.in_(_follow_up_ids(customer_id))
        ),
        "follow_up_plans": select(func.count(FollowUpPlan.id)).where(
            _of(FollowUpPlan, customer_id)
        ),
        "orders": select(func.count(Order.id)).where(_of(Order, customer_id)),
        "contracts": select(func.count(Contract.id)).where(_of(Contract, customer_id)),
        "churn_events": select(func.count(ChurnEvent.id)).where(_of(ChurnEvent, customer_id)),
    }
    return {name: session.scalar(query) or 0 for name, query in queries.items()}


def _remove_children(session: Session, customer_id: int) -> None:
    """Delete the customer's children, those referring to others first (tags go with it)."""
    follow_ups, orders, contracts = (
        _follow_up_ids(customer_id),
        _order_ids(customer_id),
        _contract_ids(customer_id),
    )
    statements = (
        delete(Attachment).where(Attachment.follow_up_id.in_(follow_ups)),
        delete(FollowUp).where(_of(FollowUp, customer_id)),
        delete(FollowUpPlan).where(_of(FollowUpPlan, customer_id)),
        delete(contract_orders).where(
            or_(
                contract_orders.c.order_id.in_(orders), contract_orders.c.contract_id.in_(contracts)
            )
        ),
        delete(OrderLine).where(OrderLine.order_id.in_(orders)),
        delete(Contract).where(_of(Contract, customer_id)),
        delete(Order).where(_of(Order, customer_id)),
        delete(ChurnEvent).where(_of(ChurnEvent, customer_id)),
        delete(Contact).where(_of(Contact, customer_id)),
    )
    for statement in statements:
        session.execute(statement, execution_options={"synchronize_session": False})


def purge_customer(request: Any, customer: Customer) -> dict[str, int]:
    """Remove the deleted ``customer`` and its children for good; the counts removed.

    Raises ``Refused`` (and removes nothing) when the customer is not deleted or
    other records still refer to it.
    """
    if customer.deleted_at is None:
        raise Refused({"": [NOT_DELETED]})
    session = request.dbsession
    customer_id = customer.id
    counts = child_counts(session, customer_id)
    files = list(
        session.scalars(
            select(Attachment.storage_name).where(
                Attachment.follow_up_id.in_(_follow_up_ids(customer_id))
            )
        )
    )
    contact_ids = list(session.scalars(select(Contact.id).where(_of(Contact, customer_id))))
    try:
        with session.begin_nested():
            record_event(
                session,
                "purge",
                record_type=AUDIT_TYPE,
                record_id=customer_id,
                summary=f"{customer.name} ({customer.code})",
                changes={"name": customer.name, "code": customer.code, "removed": counts},
            )
            session.flush()
            _remove_children(session, customer_id)
            repoint_merged(session, customer_id, None)
            session.delete(customer)
            session.flush()
    except IntegrityError as exc:
        raise Refused({"": [IN_USE]}) from exc
    index = SearchIndex()
    index.delete(session, RECORD_TYPE, customer_id)
    for contact_id in contact_ids:
        index.delete(session, CONTACT, contact_id)
    _remove_files_after_commit(request, limits(request.registry.settings).directory, files)
    return counts


def _remove_files_after_commit(request: Any, directory: Path, names: list[str]) -> None:
    """Delete the attachment files once the purge is committed (kept when it is not)."""
    if not names:
        return

    def remove(committed: bool) -> None:
        if committed:
            for name in names:
                (directory / name).unlink(missing_ok=True)

    request.tm.get().addAfterCommitHook(remove)
