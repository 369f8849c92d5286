"""Follow-up rules shared by the pages, the API and the jobs: scope, logging, editing, plans.

A follow-up has no owner, team or region of its own: it is reached through its
customer, with the scope of the follow-up permission (``customers.follow_up.*``)
evaluated on the customer's owner, team and region columns.  Saves happen in a
savepoint so that a refused save changes nothing (``Refused`` for bad input,
``ConflictError`` for a stale one), and every change recomputes the customer's
``last_contact_at`` (the latest live done follow-up).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.orm import Session, selectinload

from core.contributions import TimelineEntry
from core.db import utcnow
from core.security.service_errors import Refused, savepoint
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.followup_models import METHODS, FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.service import VIEW as CUSTOMER_VIEW
from plugins.customers.service import live_customers, route_factory, scoped

PREFIX = "customers.follow_up"
VIEW, CREATE, EDIT, DELETE = (
    f"{PREFIX}.{action}" for action in ("view", "create", "edit", "delete")
)
PERMISSIONS = {"view": VIEW, "create": CREATE, "edit": EDIT, "delete": DELETE}
#: How far in the future a "happened at" time may be (clocks of phones drift).
FUTURE_SLACK = dt.timedelta(minutes=5)

FUTURE = _("A follow-up that happened cannot be in the future.")
NEXT_BEFORE = _("The next follow-up must come after this one.")
NOT_A_CONTACT = _("Choose a contact of this customer.")
NOT_PLANNED = _("Only a planned follow-up can be logged or cancelled.")


# -- scope --------------------------------------------------------------------


def followup_customers(request: Any, permission: str) -> ColumnElement[bool]:
    """Live customers the user may view whose follow-ups ``permission`` reaches.

    ``permission`` is a follow-up permission, granted with a scope that applies to
    the customer's owner, team and regions.
    """
    return and_(scoped(request, CUSTOMER_VIEW), scoped(request, permission), live_customers())


def customers_reached(request: Any, permission: str) -> Select:
    """The ids of the customers :func:`followup_customers` matches."""
    return select(Customer.id).where(followup_customers(request, permission))


def followup_scope(request: Any, permission: str) -> ColumnElement[bool]:
    """Follow-ups whose customer ``permission`` reaches."""
    return FollowUp.customer_id.in_(customers_reached(request, permission))


def live_followups() -> ColumnElement[bool]:
    """Follow-ups that are not deleted."""
    return FollowUp.deleted_at.is_(None)


def find_followup(request: Any, raw_id: Any, permission: str) -> FollowUp | None:
    """The live follow-up ``raw_id`` if ``permission`` reaches its customer."""
    followup_id = parse_id(raw_id)
    if followup_id is None or request.identity is None:
        return None
    query = select(FollowUp).where(
        FollowUp.id == followup_id, live_followups(), followup_scope(request, permission)
    )
    return request.dbsession.scalars(query).first()


def find_plan(request: Any, raw_id: Any, permission: str) -> FollowUpPlan | None:
    """The plan ``raw_id`` if ``permission`` reaches its customer."""
    plan_id = parse_id(raw_id)
    if plan_id is None or request.identity is None:
        return None
    query = select(FollowUpPlan).where(
        FollowUpPlan.id == plan_id,
        FollowUpPlan.customer_id.in_(customers_reached(request, permission)),
    )
    return request.dbsession.scalars(query).first()


def find_customer(request: Any, raw_id: Any, permission: str) -> Customer | None:
    """The live customer ``raw_id`` if ``permission`` (a follow-up permission) reaches it."""
    customer_id = parse_id(raw_id)
    if customer_id is None or request.identity is None:
        return None
    query = select(Customer).where(
        Customer.id == customer_id, followup_customers(request, permission)
    )
    return request.dbsession.scalars(query).first()


def customer_factory(action: str) -> Any:
    """A route context factory: customer ``{id}`` within the follow-up ``action``'s scope."""
    return route_factory(CUSTOMER, find_customer, PERMISSIONS[action])


def followup_factory(action: str) -> Any:
    """A route context factory: follow-up ``{id}`` within ``action``'s scope, else 404."""
    return route_factory(CUSTOMER, find_followup, PERMISSIONS[action])


def plan_factory(action: str) -> Any:
    """A route context factory: plan ``{id}`` within ``action``'s scope, else 404."""
    return route_factory(CUSTOMER, find_plan, PERMISSIONS[action])


def may(request: Any, customer_id: int, action: str) -> bool:
    """Whether the follow-up ``action`` reaches customer ``customer_id`` (to show buttons)."""
    permission = PERMISSIONS[action]
    if request.identity is None or not request.identity.can(permission):
        return False
    query = select(Customer.id).where(
        Customer.id == customer_id, followup_customers(request, permission)
    )
    return request.dbsession.execute(query).first() is not None


# -- queries ------------------------------------------------------------------


def followups_of(customer_id: int) -> Select:
    """The customer's live done and planned follow-ups, the most recent first.

    Their contacts, users and attachments come in one query each (the tab and
    the timeline show them on every row).
    """
    when = func.coalesce(FollowUp.happened_at, FollowUp.due_at)
    return (
        select(FollowUp)
        .where(FollowUp.customer_id == customer_id, live_followups())
        .where(FollowUp.state != "cancelled")
        .order_by(when.desc(), FollowUp.id.desc())
        .options(
            selectinload(FollowUp.contact),
            selectinload(FollowUp.user),
            selectinload(FollowUp.attachments),
        )
    )


def contact_of(session: Session, customer_id: int, contact_id: int | None) -> Contact | None:
    """The live contact ``contact_id`` of the customer, or None."""
    if contact_id is None:
        return None
    query = select(Contact).where(
        Contact.id == contact_id, Contact.customer_id == customer_id, Contact.deleted_at.is_(None)
    )
    return session.scalars(query).first()


# -- saving -------------------------------------------------------------------


def refresh_last_contact(session: Session, customer_id: int) -> None:
    """Set the customer's ``last_contact_at`` to its latest live done follow-up.

    A derived value: written without moving the customer's version, so that
    logging a follow-up never makes somebody's open edit of the customer stale.
    """
    session.flush()
    latest = (
        select(func.max(FollowUp.happened_at))
        .where(FollowUp.customer_id == customer_id, FollowUp.state == "done", live_followups())
        .scalar_subquery()
    )
    session.execute(
        update(Customer)
        .where(Customer.id == customer_id)
        .values(last_contact_at=latest)
        .execution_options(synchronize_session="fetch")
    )


def check_values(session: Session, customer_id: int, values: dict[str, Any]) -> None:
    """Refuse a contact of another customer, a future time, or a next time not after it."""
    errors: dict[str, list[Any]] = {}
    contact_id = values.get("contact_id")
    if contact_id is not None and contact_of(session, customer_id, contact_id) is None:
        errors["contact_id"] = [NOT_A_CONTACT]
    happened = values.get("happened_at")
    if happened is not None and happened > utcnow() + FUTURE_SLACK:
        errors["happened_at"] = [FUTURE]
    following = values.get("next_at")
    if following is not None and following <= (happened or utcnow()):
        errors["next_at"] = [NEXT_BEFORE]
    if errors:
        raise Refused(errors)


def log_followup(
    session: Session,
    customer_id: int,
    user_id: int,
    values: dict[str, Any],
    against: FollowUp | None = None,
) -> FollowUp:
    """Log a done follow-up (``against`` a planned one: that one becomes done).

    ``values`` holds method, contact_id, subject, content, result, happened_at
    (now when missing) and next_at; a ``next_at`` plans the next follow-up for
    the same user, due then.
    """
    if against is not None and against.state != "planned":
        raise Refused({"": [NOT_PLANNED]})
    values = {**values, "happened_at": values.get("happened_at") or utcnow()}
    check_values(session, customer_id, values)
    record = against or FollowUp(customer_id=customer_id, user_id=user_id)

    with savepoint(session, record):
        for name, value in values.items():
            setattr(record, name, value)
        record.state = "done"
        session.add(record)
        if values.get("next_at") is not None:
            session.add(
                FollowUp(
                    customer_id=customer_id,
                    user_id=user_id,
                    state="planned",
                    method=record.method,
                    contact_id=record.contact_id,
                    subject=record.subject,
                    due_at=values["next_at"],
                )
            )
        refresh_last_contact(session, customer_id)
    return record


def edit_followup(session: Session, record: FollowUp, values: dict[str, Any]) -> None:
    """Change a follow-up's fields (``due_at`` for a planned one, ``happened_at`` else)."""
    check_values(session, record.customer_id, {"happened_at": record.happened_at, **values})

    with savepoint(session, record):
        for name, value in values.items():
            setattr(record, name, value)
        if "due_at" in values:
            record.reminded_at = None  # a new due time gets its own reminder
        refresh_last_contact(session, record.customer_id)


def cancel_followup(session: Session, record: FollowUp) -> None:
    """Cancel a planned follow-up (it will not be reminded)."""
    if record.state != "planned":
        raise Refused({"": [NOT_PLANNED]})

    with savepoint(session, record):
        record.state = "cancelled"


def delete_followup(session: Session, record: FollowUp) -> None:
    """Soft-delete a follow-up and its attachments."""
    with savepoint(session, record):
        now = utcnow()
        record.deleted_at = now
        for attachment in record.attachments:
            if attachment.deleted_at is None:
                attachment.deleted_at = now
        refresh_last_contact(session, record.customer_id)


# -- plans --------------------------------------------------------------------


def save_plan(session: Session, plan: FollowUpPlan, values: dict[str, Any]) -> None:
    """Create or change a plan (user, subject, method, every N days or weeks, next due date)."""
    with savepoint(session, plan):
        for name, value in values.items():
            setattr(plan, name, value)
        session.add(plan)


def stop_plan(session: Session, plan: FollowUpPlan) -> None:
    """Stop a plan: it plans no more follow-ups (those already planned stay)."""
    with savepoint(session, plan):
        plan.active = False


def step(plan: FollowUpPlan) -> dt.timedelta:
    """The interval between two occurrences of ``plan``."""
    return dt.timedelta(days=plan.every * (7 if plan.unit == "weeks" else 1))


# -- timeline -----------------------------------------------------------------


def timeline(request: Any, customer: Customer, before: Any, limit: int) -> list[TimelineEntry]:
    """The customer's follow-ups for its timeline: done ones when they happened, planned when due.

    Empty unless the user may view the customer's follow-ups.
    """
    if not may(request, customer.id, "view"):
        return []
    editable = may(request, customer.id, "edit")
    when = func.coalesce(FollowUp.happened_at, FollowUp.due_at)
    query = followups_of(customer.id).limit(limit)
    if before is not None:
        query = query.where(when < before)
    entries = []
    for followup in request.dbsession.scalars(query):
        planned = followup.state == "planned"
        label = _("Planned: ${subject}") if planned else _("${method}: ${subject}")
        method = request.translate(METHODS.get(followup.method, METHODS["other"]))
        entries.append(
            TimelineEntry(
                at=(followup.due_at if planned else followup.happened_at) or followup.created_at,
                kind="customers.follow_up_planned" if planned else "customers.follow_up",
                title=request.translate(label, subject=followup.subject, method=method),
                detail=followup.content or followup.result,
                url=request.route_path("followup_edit", id=followup.id) if editable else None,
                icon="calendar-event" if planned else "message-circle",
                actor=followup.user.name,
            )
        )
    return entries
