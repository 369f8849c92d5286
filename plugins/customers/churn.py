"""Churn: the rules that mark a customer at risk, and what the owner does about it.

The rules (an administrator's system setting) say after how many days without
an order and without a follow-up a customer of the checked statuses is at risk,
and whether both or either must hold.  A customer without any order (or
follow-up) counts from its creation.  The daily job (:mod:`plugins.customers.churn_jobs`)
applies them; the owner then pauses churn (a measure and a date to check
again), confirms it (a reason) or reactivates the customer.  Every step is a
:class:`ChurnEvent`; the status change itself is audited like any edit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.security.service_errors import Refused, savepoint
from core.settings_store import get_setting, set_setting
from plugins.customers import _
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.models import Customer
from plugins.customers.tags import CHURN_WARNING, set_system_tag

SETTING = "customers.churn_rules"
CONFIGURE = "customers.churn.configure"
#: Statuses the rules may check (at-risk and churned customers are already handled).
CHECKABLE = ("potential", "active")
COMBINE = {
    "all": _("Both must hold (no order and no follow-up)"),
    "any": _("Either is enough (no order or no follow-up)"),
}
#: Statuses a customer is in while churn is being handled.
CHURN_STATUSES = ("at_risk", "churned")
NOT_AT_RISK = _("This customer is not at risk of churning any more.")
NOT_IN_CHURN = _("This customer is neither at risk nor churned.")


@dataclass(frozen=True)
class ChurnRules:
    """When a customer is at risk: ``order_days`` without an order, ``contact_days`` without
    a follow-up (both, or either with ``combine="any"``), for customers in ``statuses``."""

    order_days: int = 180
    contact_days: int = 90
    combine: str = "all"
    statuses: tuple[str, ...] = ("active",)

    def held(self, customer: Customer, now: dt.datetime) -> list[str]:
        """Which rules hold for ``customer`` at ``now`` (``no_order``, ``no_contact``)."""
        found = []
        if (customer.last_order_at or customer.created_at) < now - dt.timedelta(
            days=self.order_days
        ):
            found.append("no_order")
        if (customer.last_contact_at or customer.created_at) < now - dt.timedelta(
            days=self.contact_days
        ):
            found.append("no_contact")
        return found

    def reason(self, held: list[str]) -> str:
        """The flagged event's stored reason: the rules that held, with their day counts."""
        days = {"no_order": self.order_days, "no_contact": self.contact_days}
        return ",".join(f"{name}={days[name]}" for name in held)


def quiet_since(column: Any, cutoff: dt.datetime) -> ColumnElement[bool]:
    """Nothing in ``column`` since ``cutoff`` (never anything: created before ``cutoff``)."""
    return or_(column < cutoff, and_(column.is_(None), Customer.created_at < cutoff))


def load_rules(session: Session) -> ChurnRules:
    """The configured rules; the defaults for anything missing or unusable."""
    stored = get_setting(session, SETTING, {})
    default = ChurnRules()
    if not isinstance(stored, dict):
        return default

    def days(key: str, fallback: int) -> int:
        value = stored.get(key)
        return value if isinstance(value, int) and 1 <= value <= 3650 else fallback

    statuses = stored.get("statuses")
    if not isinstance(statuses, list) or not set(statuses) <= set(CHECKABLE):
        statuses = list(default.statuses)
    return ChurnRules(
        order_days=days("order_days", default.order_days),
        contact_days=days("contact_days", default.contact_days),
        combine=stored.get("combine") if stored.get("combine") in COMBINE else default.combine,
        statuses=tuple(statuses),
    )


def save_rules(session: Session, rules: ChurnRules) -> None:
    """Store ``rules`` as the system setting."""
    values = asdict(rules)
    values["statuses"] = list(rules.statuses)
    set_setting(session, SETTING, values)


def reason_text(translate: Any, event: ChurnEvent) -> str:
    """What an event says: the rules that held (flagged) or what the user wrote."""
    if event.action != "flagged":
        return event.reason
    texts = {
        "no_order": _("No order for ${days} days"),
        "no_contact": _("No follow-up for ${days} days"),
    }
    parts = []
    for item in filter(None, event.reason.split(",")):
        name, _sep, days = item.partition("=")
        if name in texts:
            parts.append(translate(texts[name], days=days))
    return " · ".join(parts)


# -- the owner's actions ------------------------------------------------------------


def has_churn_events(session: Session, customer_id: int) -> bool:
    """Whether the customer has any churn history."""
    query = select(ChurnEvent.id).where(ChurnEvent.customer_id == customer_id).limit(1)
    return session.execute(query).first() is not None


def history(session: Session, customer_id: int) -> list[ChurnEvent]:
    """The customer's churn events, newest first."""
    query = (
        select(ChurnEvent)
        .where(ChurnEvent.customer_id == customer_id)
        .order_by(ChurnEvent.id.desc())
    )
    return list(session.scalars(query))


def latest_events(session: Session, customer_ids: list[int]) -> dict[int, ChurnEvent]:
    """The newest churn event of each of ``customer_ids`` (one query)."""
    if not customer_ids:
        return {}
    newest = (
        select(func.max(ChurnEvent.id))
        .where(ChurnEvent.customer_id.in_(customer_ids))
        .group_by(ChurnEvent.customer_id)
    )
    events = session.scalars(select(ChurnEvent).where(ChurnEvent.id.in_(newest)))
    return {event.customer_id: event for event in events}


def record(session: Session, customer: Customer, action: str, **values: Any) -> ChurnEvent:
    """Add a churn event of ``customer``."""
    event = ChurnEvent(customer_id=customer.id, action=action, **values)
    session.add(event)
    return event


def pause_churn(
    session: Session, customer: Customer, user_id: int, measure: str, check_on: dt.date
) -> None:
    """The owner took ``measure``; churn is checked again on ``check_on`` (status stays)."""
    if customer.status != "at_risk":
        raise Refused({"": [NOT_AT_RISK]})

    with savepoint(session, customer):
        customer.churn_check_on = check_on
        record(session, customer, "paused", user_id=user_id, measure=measure, check_on=check_on)


def confirm_churn(session: Session, customer: Customer, user_id: int, reason: str) -> None:
    """The customer is lost, for ``reason``."""
    if customer.status != "at_risk":
        raise Refused({"": [NOT_AT_RISK]})

    with savepoint(session, customer):
        customer.status = "churned"
        customer.churn_check_on = None
        record(session, customer, "confirmed", user_id=user_id, reason=reason)


def reactivate(session: Session, customer: Customer, user_id: int, note: str) -> None:
    """The customer is active again, without the ``流失预警`` tag."""
    if customer.status not in CHURN_STATUSES:
        raise Refused({"": [NOT_IN_CHURN]})

    with savepoint(session, customer):
        customer.status = "active"
        customer.churn_check_on = None
        set_system_tag(session, customer, CHURN_WARNING, present=False)
        record(session, customer, "reactivated", user_id=user_id, reason=note)


def days_since(moment: dt.datetime | None, now: dt.datetime | None = None) -> int | None:
    """Whole days from ``moment`` to now (None when there was none)."""
    if moment is None:
        return None
    return max(0, ((now or utcnow()) - moment).days)
