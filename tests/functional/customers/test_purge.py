"""Purging deleted customers from the recycle bin: confirmation, removal, audit, refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import utcnow
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.followup_models import Attachment, FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer, Tag
from plugins.customers.order_models import Contract, Order, OrderLine

CHILDREN = (Contact, FollowUp, Attachment, FollowUpPlan, Order, OrderLine, Contract, ChurnEvent)


@pytest.fixture
def binned(dbsession, org, make_customer):
    """A deleted customer with a child of every kind."""
    customer = make_customer(org["rep"], "上海浦江精密机械有限公司", code="C2026009999")
    customer.tags = [Tag(name="测试标签")]
    day = dt.date(2026, 3, 1)
    follow_up = FollowUp(customer_id=customer.id, user_id=org["rep"].id, subject="回访")
    order = Order(number="SO-1", customer_id=customer.id, ordered_on=day)
    contract = Contract(number="HT-1", customer_id=customer.id, title="框架协议", orders=[order])
    dbsession.add_all([follow_up, order, contract])
    dbsession.flush()
    dbsession.add_all(
        [
            Contact(customer_id=customer.id, name="张三", is_primary=True),
            Attachment(
                follow_up_id=follow_up.id,
                filename="a.pdf",
                content_type="application/pdf",
                size=1,
                storage_name="purge-test-file",
                sha256="0" * 64,
            ),
            FollowUpPlan(
                customer_id=customer.id, user_id=org["rep"].id, subject="月度", next_due_on=day
            ),
            OrderLine(order_id=order.id, product_name="轴承", quantity=1, unit_price=10),
            ChurnEvent(customer_id=customer.id, action="flagged"),
        ]
    )
    customer.deleted_at = utcnow()
    dbsession.flush()
    return customer


def rows(dbsession, model):
    return dbsession.scalar(select(func.count()).select_from(model))


def test_purge_asks_for_the_code_then_removes_everything(login_as, admin, binned, dbsession):
    customer_id = binned.id
    web = login_as(admin)
    page = web.get(f"/customers/{binned.id}/purge")
    assert 'data-count="follow_ups">1<' in page.text
    page = web.post_form(f"/customers/{binned.id}/purge", {"confirm_code": "C2026"}, status=200)
    assert "Type the customer code exactly" in page.text
    assert dbsession.get(Customer, binned.id) is not None
    response = web.post_form(
        f"/customers/{binned.id}/purge", {"confirm_code": "C2026009999"}, status=303
    )
    assert response.location.endswith("/customers?deleted=1")
    dbsession.expire_all()
    assert dbsession.get(Customer, customer_id) is None
    for model in CHILDREN:
        assert rows(dbsession, model) == 0, model
    event = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
    assert event.record_id == str(customer_id)
    assert event.changes["code"] == "C2026009999"
    assert event.changes["removed"]["follow_ups"] == 1
    assert event.changes["removed"]["attachments"] == 1


def test_purge_is_refused_while_other_records_point_at_the_customer(
    login_as, admin, binned, dbsession, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    def refuse(session, customer_id):
        raise IntegrityError("DELETE", {}, Exception("still referenced"))

    monkeypatch.setattr("plugins.customers.purge._remove_children", refuse)
    page = login_as(admin).post_form(
        f"/customers/{binned.id}/purge", {"confirm_code": "C2026009999"}, status=200
    )
    assert "Other records still refer to this customer" in page.text
    dbsession.expire_all()
    assert dbsession.get(Customer, binned.id) is not None
    assert rows(dbsession, FollowUp) == 1
    assert not dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).all()


def test_a_customer_merged_into_the_purged_one_is_unlinked(
    login_as, admin, dbsession, org, make_customer
):
    kept = make_customer(org["rep"], "浦江精密", code="C2026007777")
    folded = make_customer(org["rep"], "浦江精密机械")
    web = login_as(admin)
    web.post_form(
        f"/customers/{kept.id}/merge?other={folded.id}",
        {"kept_version": kept.version, "other_version": folded.version},
        status=303,
    )
    web.post_form(f"/customers/{kept.id}/delete", status=303)
    web.post_form(f"/customers/{kept.id}/purge", {"confirm_code": "C2026007777"}, status=303)
    dbsession.expire_all()
    assert folded.merged_into_id is None and folded.deleted_at is not None


def test_only_deleted_customers_are_purged(login_as, admin, org, make_customer):
    live = make_customer(org["rep"], "在用客户")
    web = login_as(admin)
    web.get(f"/customers/{live.id}/purge", status=404)
    web.post_form(f"/customers/{live.id}/purge", {"confirm_code": live.code}, status=404)
    web.get("/customers/999999/purge", status=404)


def test_purge_is_for_administrators_only(login_as, org, binned, dbsession):
    web = login_as(org["manager"])  # may delete and restore, not purge
    web.get(f"/customers/{binned.id}/purge", status=404)
    web.post_form(f"/customers/{binned.id}/purge", {"confirm_code": binned.code}, status=404)
    assert dbsession.get(Customer, binned.id) is not None


def test_the_recycle_bin_links_to_purge_for_administrators(login_as, admin, org, binned):
    purge = f"/customers/{binned.id}/purge"
    assert purge in login_as(admin).get("/customers", params={"deleted": "1"}).text
    assert purge not in login_as(org["manager"]).get("/customers", params={"deleted": "1"}).text
