"""Transferring customers: the customer's page, the list's bulk action, follow-ups, notices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.notifications import Notification
from plugins.customers.followup_models import FollowUp, FollowUpPlan


@pytest.fixture
def customer(dbsession, org, make_customer):
    """A customer of the representative with planned, done and colleagues' follow-ups."""
    customer = make_customer(org["rep"], "上海浦江精密机械有限公司")
    due = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    rep, manager = org["rep"].id, org["manager"].id
    dbsession.add_all(
        [
            FollowUp(
                customer_id=customer.id, user_id=rep, subject="报价", state="planned", due_at=due
            ),
            FollowUp(customer_id=customer.id, user_id=rep, subject="拜访", state="done"),
            FollowUp(customer_id=customer.id, user_id=manager, subject="经理", state="planned"),
            FollowUpPlan(
                customer_id=customer.id, user_id=rep, subject="月度", next_due_on=due.date()
            ),
        ]
    )
    dbsession.flush()
    return customer


def follow_up_users(dbsession, customer):
    rows = dbsession.execute(
        select(FollowUp.subject, FollowUp.user_id).where(FollowUp.customer_id == customer.id)
    )
    return dict(rows.all())


def test_transfer_moves_open_follow_ups_and_notifies_the_new_owner(
    login_as, admin, org, customer, dbsession
):
    new_owner = org["other_rep"]
    web = login_as(admin)
    page = web.get(f"/customers/{customer.id}/transfer")
    assert "1 planned follow-up of the current owner goes to the new owner" in page.text
    response = web.post_form(
        f"/customers/{customer.id}/transfer", {"owner_id": new_owner.id}, status=303
    )
    assert response.location.endswith(f"/customers/{customer.id}")
    dbsession.expire_all()
    assert customer.owner_id == new_owner.id and customer.team_id == new_owner.team_id
    assert follow_up_users(dbsession, customer) == {
        "报价": new_owner.id,
        "拜访": org["rep"].id,
        "经理": org["manager"].id,
    }
    plan = dbsession.scalars(select(FollowUpPlan)).one()
    assert plan.user_id == new_owner.id
    notice = dbsession.scalars(
        select(Notification).where(Notification.user_id == new_owner.id)
    ).one()
    assert customer.name in notice.title
    assert notice.url == f"/customers/{customer.id}"
    event = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "transfer")).one()
    assert event.record_id == str(customer.id)
    assert event.changes["follow_ups"] == 1


def test_transfer_needs_an_active_new_owner(login_as, admin, org, factory, customer, dbsession):
    gone = factory.user("gone", role="sales_rep", is_active=False)
    web = login_as(admin)
    for owner_id in (gone.id, "", "abc", org["rep"].id):
        page = web.post_form(
            f"/customers/{customer.id}/transfer", {"owner_id": owner_id}, status=200
        )
        assert "Choose the new owner" in page.text
    dbsession.expire_all()
    assert customer.owner_id == org["rep"].id


def test_transfer_is_for_administrators_only(login_as, org, customer):
    for user in (org["manager"], org["rep"]):
        web = login_as(user)
        web.get(f"/customers/{customer.id}/transfer", status=404)
        web.post_form(
            f"/customers/{customer.id}/transfer", {"owner_id": org["other_rep"].id}, status=404
        )


def test_transfer_of_a_missing_customer_is_404(login_as, admin):
    login_as(admin).get("/customers/999999/transfer", status=404)


def test_bulk_transfer_moves_the_selection_and_notifies_once(
    login_as, admin, org, make_customer, dbsession, customer
):
    second = make_customer(org["rep"], "申城物流")
    already = make_customer(org["other_rep"], "已归属")
    new_owner = org["other_rep"]
    login_as(admin).post_form(
        "/customers/bulk",
        {
            "action": "transfer",
            "id": [customer.id, second.id, already.id],
            "transfer.value": new_owner.id,
            "confirmed": "1",
        },
        status=303,
    )
    dbsession.expire_all()
    assert {customer.owner_id, second.owner_id, already.owner_id} == {new_owner.id}
    assert follow_up_users(dbsession, customer)["报价"] == new_owner.id
    notices = dbsession.scalars(
        select(Notification).where(Notification.user_id == new_owner.id)
    ).all()
    assert [notice.title for notice in notices] == ["2 customers are now yours"]
    events = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "transfer")).all()
    assert sorted(int(event.record_id) for event in events) == sorted([customer.id, second.id])


def test_bulk_transfer_is_not_offered_to_managers(login_as, org, customer, dbsession):
    login_as(org["manager"]).post_form(
        "/customers/bulk",
        {"action": "transfer", "id": [customer.id], "transfer.value": org["manager"].id},
        status=403,
    )
    dbsession.expire_all()
    assert customer.owner_id == org["rep"].id
