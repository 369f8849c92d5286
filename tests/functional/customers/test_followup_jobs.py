"""The follow-up jobs with a controllable clock: reminders before due follow-ups, and plans."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.mail import OutboxMessage
from core.notifications import Notification
from core.settings_store import set_setting
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.reminders import REMINDER_MINUTES, run_plans, send_reminders


def planned(dbsession, customer, user, due, subject="季度回访", **columns):
    columns.setdefault("state", "planned")
    followup = FollowUp(
        customer_id=customer.id,
        user_id=user.id,
        subject=subject,
        due_at=due,
        **columns,
    )
    dbsession.add(followup)
    dbsession.flush()
    return followup


def inbox(dbsession, user):
    """``(notification titles, [(to, subject, body)])`` the user received."""
    titles = list(
        dbsession.scalars(select(Notification.title).where(Notification.user_id == user.id))
    )
    mails = [
        (m.to, m.subject, m.body)
        for m in dbsession.scalars(select(OutboxMessage).where(OutboxMessage.to == user.email))
    ]
    return titles, mails


# -- reminders ----------------------------------------------------------------------


def test_a_reminder_goes_out_once_an_hour_before(factory, make_customer, dbsession, clock):
    rep = factory.user("rep1", email="rep1@example.com", language="en", timezone="Asia/Shanghai")
    customer = make_customer(rep, name="华东机电")
    followup = planned(dbsession, customer, rep, clock.now + dt.timedelta(minutes=90))
    assert send_reminders(dbsession) == 0  # 90 minutes before: too early
    assert inbox(dbsession, rep) == ([], [])
    clock.travel(minutes=31)
    assert send_reminders(dbsession) == 1
    titles, mails = inbox(dbsession, rep)
    assert [title.replace("\u202f", " ") for title in titles] == [
        "Follow-up due Nov 22, 2026, 11:30:00 AM: 华东机电"
    ]
    ((to, subject, body),) = mails
    assert (to, subject) == ("rep1@example.com", titles[0])
    assert "季度回访" in body and "Phone call" in body
    assert followup.reminded_at == clock.now
    clock.travel(minutes=5)
    assert send_reminders(dbsession) == 0  # sent once
    assert len(inbox(dbsession, rep)[1]) == 1


def test_reminders_are_in_the_users_language(factory, make_customer, dbsession, clock):
    rep = factory.user("rep2", email="rep2@example.com", language="zh_Hans")
    customer = make_customer(rep, name="华南贸易")
    planned(dbsession, customer, rep, clock.now + dt.timedelta(minutes=30), method="visit")
    send_reminders(dbsession)
    titles, ((_to, _subject, body),) = inbox(dbsession, rep)
    assert "华南贸易" in titles[0] and "2026年11月22日 10:30:00" in titles[0]
    assert "上门拜访" in body  # the method in Chinese


def test_the_lead_time_is_a_setting(factory, make_customer, dbsession, clock):
    rep = factory.user("rep3", email="rep3@example.com")
    customer = make_customer(rep)
    planned(dbsession, customer, rep, clock.now + dt.timedelta(minutes=90))
    set_setting(dbsession, REMINDER_MINUTES, 120)
    assert send_reminders(dbsession) == 1


def test_no_reminders_for_done_cancelled_deleted_or_inactive(
    factory, make_customer, dbsession, clock
):
    rep = factory.user("rep4", email="rep4@example.com")
    gone = factory.user("gone", email="gone@example.com")
    gone.is_active = False
    customer = make_customer(rep)
    soon = clock.now + dt.timedelta(minutes=10)
    planned(dbsession, customer, rep, soon, state="done", happened_at=clock.now)
    planned(dbsession, customer, rep, soon, state="cancelled")
    planned(dbsession, customer, rep, soon, deleted_at=clock.now)
    planned(dbsession, customer, gone, soon)
    assert send_reminders(dbsession) == 0
    assert inbox(dbsession, rep) == ([], []) and inbox(dbsession, gone) == ([], [])


def test_a_follow_up_logged_with_a_next_time_is_reminded(
    login_as, factory, make_customer, dbsession, clock
):
    rep = factory.user("rep5", email="rep5@example.com", language="en")
    customer = make_customer(rep)
    login_as(rep).post_form(
        f"/customers/{customer.id}/follow-ups/new",
        {"method": "phone", "contact_id": "", "subject": "首次联系", "next_at": "2026-11-23T10:00"},
        status=303,
    )
    clock.travel(hours=23, minutes=1)  # 09:01 in Shanghai the next day
    assert send_reminders(dbsession) == 1
    assert "首次联系" in inbox(dbsession, rep)[1][0][2]


# -- plans ----------------------------------------------------------------------------


def test_plans_plan_one_follow_up_per_occurrence(factory, make_customer, dbsession, clock):
    rep = factory.user("rep6", timezone="Asia/Shanghai")
    customer = make_customer(rep)
    plan = FollowUpPlan(
        customer_id=customer.id,
        user_id=rep.id,
        subject="周回访",
        method="phone",
        every=1,
        unit="weeks",
        next_due_on=dt.date(2026, 11, 23),
    )
    dbsession.add(plan)
    dbsession.flush()
    assert run_plans(dbsession) == 0  # not yet the 23rd in Shanghai
    clock.travel(hours=22)  # 2026-11-23 08:00 in Shanghai
    assert run_plans(dbsession) == 1
    assert run_plans(dbsession) == 0  # idempotent
    (followup,) = dbsession.scalars(select(FollowUp).where(FollowUp.plan_id == plan.id))
    assert (followup.state, followup.subject, followup.user_id) == ("planned", "周回访", rep.id)
    assert followup.due_at == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 local
    assert plan.next_due_on == dt.date(2026, 11, 30)
    # the worker was down for three weeks: one follow-up, and the plan moves past today
    clock.travel(days=21)
    assert run_plans(dbsession) == 1
    assert plan.next_due_on == dt.date(2026, 12, 21)
    plan.active = False
    clock.travel(days=30)
    assert run_plans(dbsession) == 0


def test_the_jobs_are_registered(app):
    names = {
        job.name
        for jobs in app.registry["modules"].hooks(frozenset({"customers"})).guanxi_periodic_jobs()
        for job in jobs
    }
    assert {"customers.follow_up_plans", "customers.follow_up_reminders"} <= names
