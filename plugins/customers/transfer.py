"""Transferring customers to another owner, one from its page or many from the list.

The new owner (an active user the transfer scope reaches) takes the customers,
their team follows, and the follow-ups the previous owner had planned for them
(with the active follow-up plans) go along.  Each customer gets a ``transfer``
audit event next to the automatic record of the owner change, and the new
owner is notified once, in their own language, with a link.
"""

from __future__ import annotations

from typing import Any

from pyramid.i18n import make_localizer
from pyramid.interfaces import ITranslationDirectories
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from core.audit import current_actor, record_event
from core.db import utcnow
from core.i18n import normalise_locale
from core.notifications import notify
from core.security.models import User
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.bulk import TEMPLATES, BulkAction, BulkRefused, batches, register
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.models import Customer
from plugins.customers.service import PREFIX, assign_owner, people_in_scope

TRANSFER = f"{PREFIX}.transfer"
AUDIT_TYPE = Customer.__tablename__
CHOOSE_OWNER = _("Choose the new owner.")


def owner_choices(request: Any) -> list[User]:
    """Active users the user may transfer customers to (everybody with an "all" grant)."""
    return people_in_scope(request.dbsession, request.identity, TRANSFER)


def find_owner(request: Any, raw_id: Any) -> User | None:
    """The chosen new owner, if it is one of :func:`owner_choices`."""
    owner_id = parse_id(raw_id)
    return next((user for user in owner_choices(request) if user.id == owner_id), None)


def _open_follow_ups(customer_ids: list[int]) -> Any:
    """Planned follow-ups of these customers that their current owner is to do."""
    owner_of = (
        select(Customer.owner_id).where(Customer.id == FollowUp.customer_id).scalar_subquery()
    )
    return (
        FollowUp.customer_id.in_(customer_ids),
        FollowUp.state == "planned",
        FollowUp.deleted_at.is_(None),
        FollowUp.user_id == owner_of,
    )


def _hand_over_work(session: Session, customers: list[Customer], owner: User) -> dict[int, int]:
    """Give ``owner`` the open follow-ups and active plans the previous owners had.

    Runs before the owners change; returns the number of follow-ups moved per customer.
    """
    ids = [customer.id for customer in customers]
    criteria = _open_follow_ups(ids)
    counts = dict(
        session.execute(
            select(FollowUp.customer_id, func.count())
            .where(*criteria)
            .group_by(FollowUp.customer_id)
        ).all()
    )
    bump = {
        "user_id": owner.id,
        "updated_at": utcnow(),
        "updated_by_id": current_actor(session).user_id,
    }
    session.execute(
        update(FollowUp)
        .where(*criteria)
        .values({**bump, "version": FollowUp.version + 1})
        .execution_options(synchronize_session="fetch")
    )
    plan_owner = (
        select(Customer.owner_id).where(Customer.id == FollowUpPlan.customer_id).scalar_subquery()
    )
    session.execute(
        update(FollowUpPlan)
        .where(
            FollowUpPlan.customer_id.in_(ids),
            FollowUpPlan.active,
            FollowUpPlan.user_id == plan_owner,
        )
        .values({**bump, "version": FollowUpPlan.version + 1})
        .execution_options(synchronize_session="fetch")
    )
    return counts


def transfer_customers(request: Any, ids: Select, owner: User) -> list[Customer]:
    """Give the customers of ``ids`` (a query of customer ids) to ``owner``; those moved.

    ``ids`` must already hold only live customers within the user's transfer scope
    (see :func:`plugins.customers.bulk.targets`).  Customers ``owner`` already has
    are left alone.
    """
    session = request.dbsession
    moved: list[Customer] = []
    for batch in batches(request, ids):
        customers = [customer for customer in batch if customer.owner_id != owner.id]
        if not customers:
            continue
        follow_ups = _hand_over_work(session, customers, owner)
        for customer in customers:
            previous = customer.owner
            assign_owner(customer, owner)
            record_event(
                session,
                "transfer",
                record_type=AUDIT_TYPE,
                record_id=customer.id,
                summary=f"{customer.name}: {previous.name} → {owner.name}",
                changes={
                    "from": previous.name,
                    "to": owner.name,
                    "follow_ups": follow_ups.get(customer.id, 0),
                },
            )
        moved.extend(customers)
    if moved and owner.id != request.identity.user_id:
        _notify(request, owner, moved)
    return moved


def _notify(request: Any, owner: User, customers: list[Customer]) -> None:
    """Tell the new owner, in their language, which customers are now theirs."""
    if len(customers) == 1:
        title = _("${name} is now your customer", mapping={"name": customers[0].name})
        url = request.route_path("customer_detail", id=customers[0].id)
    else:
        title = _("${count} customers are now yours", mapping={"count": len(customers)})
        url = request.route_path("customers", _query={"owner_id": owner.id})
    body = _("Transferred to you by ${name}.", mapping={"name": request.identity.user.name})
    localizer = make_localizer(
        normalise_locale(owner.language)
        or request.registry.settings.get("guanxi.default_locale", "en"),
        request.registry.queryUtility(ITranslationDirectories, default=[]),
    )
    notify(
        request.dbsession,
        owner.id,
        localizer.translate(title),
        localizer.translate(body),
        url=url,
        kind="customers.transfer",
    )


def _bulk_transfer(request: Any, ids: Select, params: Any) -> int:
    owner = find_owner(request, params.get("value"))
    if owner is None:
        raise BulkRefused(CHOOSE_OWNER)
    return len(transfer_customers(request, ids, owner))


def _owner_options(request: Any) -> dict[str, Any]:
    return {"choices": [(str(user.id), user.name) for user in owner_choices(request)]}


register(
    BulkAction(
        key="transfer",
        label=_("Transfer to…"),
        permission=TRANSFER,
        apply=_bulk_transfer,
        template=TEMPLATES + "bulk_value.jinja2",
        context=_owner_options,
        confirm=_(
            "The customers and the follow-ups their owners planned go to the chosen owner, "
            "who is notified."
        ),
        order=45,
    )
)
