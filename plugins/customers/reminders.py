"""The follow-up jobs: plans that come due, and reminders before planned follow-ups.

Both run in the worker with only a database session: the reminder lead time is
the system setting ``customers.reminder_minutes`` (default 60), times are shown
in each user's time zone (default Asia/Shanghai) and texts in each user's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel import dates
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contributions import PeriodicJob
from core.db import utcnow
from core.i18n import BABEL_LOCALES, DEFAULT_TIMEZONE, localizer_for, user_language, zone_named
from core.jobs import job_settings
from core.mail import absolute_url, queue_mail
from core.notifications import notify
from core.security.models import User
from core.settings_store import get_setting
from plugins.customers import _
from plugins.customers.followup_models import METHODS, FollowUp, FollowUpPlan
from plugins.customers.followups import live_followups, step
from plugins.customers.models import Customer
from plugins.customers.service import live_customers

REMINDER_MINUTES = "customers.reminder_minutes"
DEFAULT_REMINDER_MINUTES = 60
#: Planned follow-ups made by a plan are due at this local time of the due date.
PLAN_HOUR = dt.time(9, 0)
#: Reminders of follow-ups due longer ago than this are not sent any more.
STALE_AFTER = dt.timedelta(hours=24)
BATCH = 500


def user_zone(session: Session, user: User) -> ZoneInfo:
    """The user's time zone, else the company's (``guanxi.default_timezone``)."""
    return zone_named(
        user.timezone, job_settings(session).get("guanxi.default_timezone") or DEFAULT_TIMEZONE
    )


# -- plans --------------------------------------------------------------------


def run_plans(session: Session) -> int:
    """Plan a follow-up for every active plan whose next due date has come; how many.

    Idempotent: an occurrence that already has its follow-up is not planned again,
    and the plan's next due date moves past today (missed occurrences are not replayed).
    """
    now = utcnow()
    horizon = (now + dt.timedelta(days=1)).date()  # the earliest "today" on Earth is later
    plans = session.scalars(
        select(FollowUpPlan)
        .join(Customer, Customer.id == FollowUpPlan.customer_id)
        .where(FollowUpPlan.active, FollowUpPlan.next_due_on <= horizon, live_customers())
        .order_by(FollowUpPlan.id)
        .limit(BATCH)
    )
    planned = 0
    for plan in list(plans):
        zone = user_zone(session, plan.user)
        today = now.astimezone(zone).date()
        if plan.next_due_on > today:
            continue
        due_at = dt.datetime.combine(plan.next_due_on, PLAN_HOUR, tzinfo=zone).astimezone(dt.UTC)
        exists = session.scalar(
            select(FollowUp.id).where(FollowUp.plan_id == plan.id, FollowUp.due_at == due_at)
        )
        if exists is None:
            session.add(
                FollowUp(
                    customer_id=plan.customer_id,
                    user_id=plan.user_id,
                    plan_id=plan.id,
                    state="planned",
                    method=plan.method,
                    subject=plan.subject,
                    due_at=due_at,
                )
            )
            planned += 1
        while plan.next_due_on <= today:
            plan.next_due_on += step(plan)
        session.flush()
    return planned


# -- reminders ----------------------------------------------------------------


def reminder_text(session: Session, followup: FollowUp, user: User) -> tuple[str, str]:
    """The reminder's title and body in the user's language and time zone."""
    locale = user_language(user)
    localizer = localizer_for(locale)
    due = dates.format_datetime(
        followup.due_at, "medium", tzinfo=user_zone(session, user), locale=BABEL_LOCALES[locale]
    )
    mapping = {
        "customer": followup.customer.name,
        "subject": followup.subject,
        "due": due,
        "method": localizer.translate(METHODS.get(followup.method, METHODS["other"])),
        "contact": followup.contact.name if followup.contact else "—",
        "link": absolute_url(job_settings(session), customer_path(followup.customer_id)),
    }
    title = localizer.translate(_("Follow-up due ${due}: ${customer}", mapping=mapping))
    body = localizer.translate(
        _(
            "${subject}\nCustomer: ${customer}\nContact: ${contact}\nMethod: ${method}\n"
            "Due: ${due}\n\nLog it or cancel it under My follow-ups in Guanxi CRM: ${link}",
            mapping=mapping,
        )
    )
    return title, body


def due_for_reminder(session: Session, now: dt.datetime, lead: dt.timedelta) -> list[FollowUp]:
    """Planned live follow-ups due within ``lead`` that were not reminded, of active users."""
    query = (
        select(FollowUp)
        .join(User, User.id == FollowUp.user_id)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(
            FollowUp.state == "planned",
            live_followups(),
            live_customers(),
            FollowUp.reminded_at.is_(None),
            FollowUp.due_at <= now + lead,
            FollowUp.due_at > now - STALE_AFTER,
            User.is_active,
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(BATCH)
    )
    return list(session.scalars(query))


def send_reminders(session: Session) -> int:
    """Notify (in-app and by e-mail) the users of follow-ups due soon, once each; how many."""
    now = utcnow()
    minutes = get_setting(session, REMINDER_MINUTES, DEFAULT_REMINDER_MINUTES)
    lead = dt.timedelta(minutes=max(0, int(minutes)))
    followups = due_for_reminder(session, now, lead)
    for followup in followups:
        user = followup.user
        title, body = reminder_text(session, followup, user)
        notify(
            session,
            user.id,
            title,
            body,
            url=customer_path(followup.customer_id),
            kind="customers.follow_up_reminder",
        )
        if user.email:
            queue_mail(session, user.email, title, body)
        followup.reminded_at = now
    session.flush()
    return len(followups)


def customer_path(customer_id: int) -> str:
    """The customer page's path, for links made outside a request."""
    return f"/customers/{customer_id}"


def periodic_jobs() -> list[Any]:
    """The plan job (hourly) and the reminder job (every five minutes)."""
    return [
        PeriodicJob("customers.follow_up_plans", run_plans, every_minutes=60),
        PeriodicJob("customers.follow_up_reminders", send_reminders, every_minutes=5),
    ]
