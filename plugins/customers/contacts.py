"""Contact rules shared by the pages and the API: scope, loading, saving, the primary flag.

A contact has no owner, team or region of its own: it is reached through its
customer, so every query filters with :func:`contact_scope`: a contact is reached
by ``customers.contact.<action>`` when its customer is live, in the user's
``customers.customer.view`` scope, and in the scope of the contact permission.

Every live customer with contacts has exactly one primary contact: the first
becomes primary, making another primary moves the flag, deleting the primary
promotes the next oldest.  Saves happen in a savepoint so that a refused save
changes nothing (``Refused`` for bad input, ``ConflictError`` for a stale one).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.customfields.service import set_custom_values
from core.db import utcnow
from core.security.service_errors import Refused, savepoint
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.models import Contact, Customer
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.service import VIEW, live_customers, route_factory, scoped

RECORD_TYPE = "contact"
PREFIX = "customers.contact"
CONTACT_VIEW, CONTACT_CREATE, CONTACT_EDIT, CONTACT_DELETE = (
    f"{PREFIX}.{action}" for action in ("view", "create", "edit", "delete")
)
KEEP_PRIMARY = _("A customer always has a primary contact: make another contact primary instead.")
PRIMARY_RACE = _("Another contact was made primary at the same time. Try again.")


def contact_customers(request: Any, permission: str) -> ColumnElement[bool]:
    """Live customers the user may view whose contacts ``permission`` reaches.

    ``permission`` is a contact permission, granted with a scope that applies to
    the customer's owner, team and regions.
    """
    return and_(scoped(request, VIEW), scoped(request, permission), live_customers())


def contact_scope(request: Any, permission: str) -> ColumnElement[bool]:
    """Contacts that ``permission`` (``customers.contact.<action>``) reaches."""
    customers = select(Customer.id).where(contact_customers(request, permission))
    return Contact.customer_id.in_(customers)


def live_contacts() -> ColumnElement[bool]:
    """Contacts that are not deleted."""
    return Contact.deleted_at.is_(None)


def contacts_of(session: Session, customer: Customer) -> list[Contact]:
    """The live contacts of ``customer``: the primary first, then the oldest first."""
    query = (
        select(Contact)
        .where(Contact.customer_id == customer.id, live_contacts())
        .order_by(Contact.is_primary.desc(), Contact.created_at, Contact.id)
    )
    return list(session.scalars(query))


def primary_contact(session: Session, customer_id: int) -> Contact | None:
    """The live primary contact of customer ``customer_id``, if it has contacts."""
    query = select(Contact).where(
        Contact.customer_id == customer_id, Contact.is_primary, live_contacts()
    )
    return session.scalars(query).first()


def find_contact(request: Any, raw_id: Any, permission: str) -> Contact | None:
    """The live contact ``raw_id`` if ``permission`` reaches its customer."""
    contact_id = parse_id(raw_id)
    if contact_id is None or request.identity is None:
        return None
    query = select(Contact).where(
        Contact.id == contact_id, live_contacts(), contact_scope(request, permission)
    )
    return request.dbsession.scalars(query).first()


def contact_factory(action: str) -> Any:
    """A route context factory loading contact ``{id}`` within the customer scope, else 404."""
    return route_factory(RECORD_TYPE, find_contact, f"{PREFIX}.{action}", granted=False)


def find_customer(request: Any, raw_id: Any, permission: str) -> Customer | None:
    """The customer ``raw_id`` if the user may view it and ``permission`` reaches its contacts."""
    customer_id = parse_id(raw_id)
    query = select(Customer).where(
        Customer.id == customer_id, contact_customers(request, permission)
    )
    return None if customer_id is None else request.dbsession.scalars(query).first()


def customer_factory(action: str) -> Any:
    """A route context factory loading customer ``{id}`` for its contacts (``action``), else 404.

    The customer must be one the user may view and ``customers.contact.<action>`` reach.
    """
    return route_factory(CUSTOMER, find_customer, f"{PREFIX}.{action}", granted=False)


def may_contacts(request: Any, customer: Customer, permission: str) -> bool:
    """Whether the contact ``permission`` reaches the contacts of ``customer`` (for buttons)."""
    if not request.identity.can(permission):
        return False
    query = select(Customer.id).where(
        Customer.id == customer.id, contact_customers(request, permission)
    )
    return request.dbsession.execute(query).first() is not None


def _drop_primary(session: Session, customer_id: int, keep: Contact) -> None:
    """Clear the flag of the customer's current primary (unless it is ``keep``), flushed."""
    query = select(Contact).where(
        Contact.customer_id == customer_id, Contact.is_primary, live_contacts()
    )
    for other in session.scalars(query):
        if other is not keep:
            other.is_primary = False
    session.flush()


def _save(session: Session, contact: Contact, change: Any) -> None:
    """Run ``change`` in a savepoint; a stale version or a primary race changes nothing."""
    try:
        with savepoint(session, contact):
            change()
    except IntegrityError as exc:
        raise Refused({"": [PRIMARY_RACE]}) from exc


def write_contact(
    session: Session,
    contact: Contact,
    values: dict[str, Any],
    custom: dict[str, Any] | None = None,
) -> None:
    """Apply validated ``values`` (and clean ``custom`` field values) and save ``contact``.

    ``values["is_primary"]`` true makes it the primary contact; the customer's
    first contact is primary whatever was asked; clearing the flag of the
    primary contact is refused (another contact must be made primary).
    """
    values = dict(values)
    wants_primary = bool(values.pop("is_primary", False))
    if contact.is_primary and not wants_primary:
        raise Refused({"is_primary": [KEEP_PRIMARY]})

    def change() -> None:
        current = primary_contact(session, contact.customer_id)
        primary = wants_primary or current is None or current is contact
        if primary and current is not None and current is not contact:
            _drop_primary(session, contact.customer_id, contact)
        for name, value in values.items():
            setattr(contact, name, value)
        if custom:
            set_custom_values(contact, custom)
        contact.is_primary = primary
        session.add(contact)

    _save(session, contact, change)


def make_primary(session: Session, contact: Contact) -> None:
    """Move the customer's primary flag to ``contact``."""

    def change() -> None:
        _drop_primary(session, contact.customer_id, contact)
        contact.is_primary = True

    _save(session, contact, change)


def delete_contact(session: Session, contact: Contact) -> Contact | None:
    """Soft-delete ``contact``; when it was primary the next oldest becomes primary (returned)."""
    promoted: list[Contact] = []

    def change() -> None:
        was_primary = contact.is_primary
        contact.deleted_at = utcnow()
        contact.is_primary = False
        session.flush()
        if was_primary:
            query = (
                select(Contact)
                .where(Contact.customer_id == contact.customer_id, live_contacts())
                .order_by(Contact.created_at, Contact.id)
            )
            successor = session.scalars(query).first()
            if successor is not None:
                successor.is_primary = True
                promoted.append(successor)

    _save(session, contact, change)
    return promoted[0] if promoted else None
