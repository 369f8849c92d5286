"""The daily churn check: mark customers at risk when the rules hold, and tell their owners.

Candidates are selected in batches by a union of index range scans (one status
and the last follow-up time each, see :func:`candidates`).  A customer whose churn
was paused is skipped until its check date; on that date it is checked again.
Each flagged customer becomes ``at_risk`` (which takes it out of the candidates,
so a second run the same day does nothing), gets a ``flagged`` event naming the
rules that held and the system tag ``流失预警`` (a batch at a time), and its owner
an in-app notification and an e-mail in the owner's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import CompoundSelect, and_, or_, select, union
from sqlalchemy.orm import Session

from core.contributions import PeriodicJob
from core.db import utcnow
from core.i18n import DEFAULT_TIMEZONE, localizer_for, user_language, zone_named
from core.jobs import job_settings
from core.mail import absolute_url, queue_mail
from core.notifications import notify
from plugins.customers import _
from plugins.customers.churn import ChurnRules, load_rules, quiet_since, reason_text, record
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.models import Customer
from plugins.customers.reminders import customer_path
from plugins.customers.service import live_customers
from plugins.customers.tags import CHURN_WARNING, add_tags, find_tag

BATCH = 500
#: Dates are compared in the company's time zone (the job has no user).


def candidates(rules: ChurnRules, now: dt.datetime, zone: ZoneInfo) -> CompoundSelect:
    """Ids of live customers the rules mark at risk now, as a union of index range scans.

    Each branch is one status (``status = …``) with one quiet-contact range on
    ``ix_customers_status_last_contact`` (or, with ``combine="any"``, the quiet-order
    test alone).  Customers of the checked statuses count unless churn is paused;
    at-risk customers whose paused churn reached its check date count again.
    """
    today = now.astimezone(zone).date()
    contact_cutoff = now - dt.timedelta(days=rules.contact_days)
    no_order = quiet_since(Customer.last_order_at, now - dt.timedelta(days=rules.order_days))
    no_contact = [
        Customer.last_contact_at < contact_cutoff,
        and_(Customer.last_contact_at.is_(None), Customer.created_at < contact_cutoff),
    ]
    if rules.combine == "all":
        tests = [and_(contact, no_order) for contact in no_contact]
    else:
        tests = [*no_contact, no_order]
    not_paused = or_(Customer.churn_check_on.is_(None), Customer.churn_check_on <= today)
    gates = [(status, not_paused) for status in rules.statuses]
    gates.append(("at_risk", Customer.churn_check_on <= today))
    return union(
        *(
            select(Customer.id).where(
                Customer.status == status,
                gate,
                test,
                live_customers(),
                Customer.merged_into_id.is_(None),
            )
            for status, gate in gates
            for test in tests
        )
    )


def notice(session: Session, event: ChurnEvent, customer: Customer) -> tuple[str, str]:
    """The owner's notification title and body, in the owner's language."""
    localizer = localizer_for(user_language(customer.owner))

    def translate(message: Any, **mapping: Any) -> str:
        return localizer.translate(message, mapping=mapping or None)

    link = absolute_url(job_settings(session), customer_path(customer.id))
    mapping = {"customer": customer.name, "code": customer.code, "link": link}
    title = translate(_("${customer} is at risk of churning"), **mapping)
    body = translate(
        _(
            "${customer} (${code}) was marked at risk: ${reason}.\n\n"
            "Open the customer in Guanxi CRM to pause churn with a measure, "
            "confirm it, or reactivate the customer: ${link}"
        ),
        reason=reason_text(translate, event),
        **mapping,
    )
    return title, body


def flag(session: Session, customer: Customer, rules: ChurnRules, now: dt.datetime) -> None:
    """Mark ``customer`` at risk, record why, and tell its owner."""
    customer.status = "at_risk"
    customer.churn_check_on = None
    event = record(session, customer, "flagged", reason=rules.reason(rules.held(customer, now)))
    title, body = notice(session, event, customer)
    owner = customer.owner
    url = customer_path(customer.id)
    notify(session, owner.id, title, body, url=url, kind="customers.churn_at_risk")
    if owner.is_active and owner.email:
        queue_mail(session, owner.email, title, body)


def check_churn(session: Session) -> int:
    """Apply the churn rules to every live customer, a batch at a time; how many were flagged.

    A flagged customer leaves the candidates, so each batch is the next one.
    """
    rules = load_rules(session)
    now = utcnow()
    warning = find_tag(session, CHURN_WARNING)
    zone = zone_named(job_settings(session).get("guanxi.default_timezone") or DEFAULT_TIMEZONE)
    query = candidates(rules, now, zone).limit(BATCH)
    flagged: set[int] = set()
    while True:
        ids = sorted(set(session.scalars(query)) - flagged)
        if not ids:
            return len(flagged)
        for customer in session.scalars(select(Customer).where(Customer.id.in_(ids))):
            flag(session, customer, rules, now)
        session.flush()
        if warning is not None:
            add_tags(session, ids, [warning.id])
        flagged.update(ids)


def periodic_jobs() -> list[PeriodicJob]:
    """The churn check, once a day."""
    return [PeriodicJob("customers.churn_check", check_churn, every_minutes=24 * 60)]
