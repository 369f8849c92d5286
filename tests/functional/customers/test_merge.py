"""Merging two customers: the side-by-side page, moved children, versions, audit, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import utcnow
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.followup_models import Attachment, FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer, Tag
from plugins.customers.order_models import Contract, Order
from plugins.customers.service import assign_owner


@pytest.fixture
def pair(dbsession, org, make_customer):
    """Two customers that are one company, each with children of every kind."""
    kept = make_customer(org["rep"], "上海浦江精密机械有限公司", phone="+8613812345678")
    other = make_customer(
        org["other_rep"],
        "浦江精密机械",
        email="info@pujiang.cn",
        level="major",
        custom={"budget": "100"},
    )
    vip, east = Tag(name="测试-甲"), Tag(name="测试-乙")
    dbsession.add_all([vip, east])
    kept.tags = [vip]
    other.tags = [vip, east]
    day = dt.date(2026, 3, 1)
    for customer, tag in ((kept, "A"), (other, "B")):
        dbsession.add(Contact(customer_id=customer.id, name=f"联系人{tag}", is_primary=True))
        follow_up = FollowUp(
            customer_id=customer.id, user_id=customer.owner_id, subject=f"回访{tag}"
        )
        dbsession.add(follow_up)
        dbsession.flush()
        dbsession.add(
            Attachment(
                follow_up_id=follow_up.id,
                filename="a.pdf",
                content_type="application/pdf",
                size=1,
                storage_name=f"file{tag}",
                sha256="0" * 64,
            )
        )
        dbsession.add_all(
            [
                FollowUpPlan(
                    customer_id=customer.id,
                    user_id=customer.owner_id,
                    subject="月度回访",
                    next_due_on=day,
                ),
                Order(number=f"SO-{tag}", customer_id=customer.id, ordered_on=day),
                Contract(number=f"HT-{tag}", customer_id=customer.id, title="框架协议"),
                ChurnEvent(customer_id=customer.id, action="flagged"),
            ]
        )
    dbsession.flush()
    return kept, other


def merge_url(kept, other):
    return f"/customers/{kept.id}/merge?other={other.id}"


def merge_form(page):
    """The merge form of the side-by-side page (webtest form)."""
    return next(form for form in page.forms.values() if "kept_version" in form.fields)


def test_merge_page_shows_the_differing_fields_side_by_side(login_as, admin, pair):
    kept, other = pair
    page = login_as(admin).get(merge_url(kept, other))
    for field in ("name", "level", "email", "owner"):
        assert f'data-field="{field}"' in page.text
    assert 'data-field="kind"' not in page.text  # the same on both
    assert 'data-field="phone"' not in page.text  # only the kept one has a phone
    assert f'name="kept_version" value="{kept.version}"' in page.text


def test_merge_moves_every_child_and_keeps_one_primary_contact(
    login_as, admin, pair, dbsession, org
):
    kept, other = pair
    web = login_as(admin)
    form = merge_form(web.get(merge_url(kept, other)))
    form["pick:email"] = "other"
    form["pick:level"] = "other"
    form["pick:owner"] = "other"
    response = form.submit(status=303)
    assert response.location.endswith(f"/customers/{kept.id}")
    dbsession.expire_all()
    assert (kept.email, kept.level, kept.owner_id) == ("info@pujiang.cn", "major", other.owner_id)
    assert kept.team_id == org["other_rep"].team_id
    assert kept.name == "上海浦江精密机械有限公司" and kept.phone == "+8613812345678"
    assert other.deleted_at is not None and other.merged_into_id == kept.id
    for model in (Contact, FollowUp, FollowUpPlan, Order, Contract, ChurnEvent):
        owners = dbsession.scalars(select(model.customer_id)).all()
        assert set(owners) == {kept.id}, model
    assert len(dbsession.scalars(select(Attachment)).all()) == 2
    primaries = dbsession.scalars(
        select(Contact.name).where(Contact.customer_id == kept.id, Contact.is_primary)
    ).all()
    assert primaries == ["联系人A"]
    assert sorted(tag.name for tag in kept.tags) == ["测试-乙", "测试-甲"]
    assert other.tags == []


def test_a_merged_customer_is_not_offered_for_restore(login_as, admin, pair, dbsession):
    kept, other = pair
    web = login_as(admin)
    merge_form(web.get(merge_url(kept, other))).submit(status=303)
    bin_page = web.get("/customers?deleted=1")
    assert f'data-merged-into="{kept.id}"' in bin_page.text
    assert f"/customers/{other.id}/restore" not in bin_page.text
    web.post(f"/customers/{other.id}/restore", status=404)
    dbsession.expire_all()
    assert other.deleted_at is not None and other.merged_into_id == kept.id


def test_merge_writes_an_audit_event_on_both_and_raises_the_domain_event(
    login_as, admin, pair, dbsession, monkeypatch
):
    kept, other = pair
    raised = []
    monkeypatch.setattr(
        "plugins.customers.merge.emit", lambda request, name, **payload: raised.append(payload)
    )
    web = login_as(admin)
    form = merge_form(web.get(merge_url(kept, other)))
    form["pick:email"] = "other"
    form.submit(status=303)
    events = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "merge").order_by(AuditEvent.record_id)
    ).all()
    assert sorted(int(event.record_id) for event in events) == sorted([kept.id, other.id])
    changes = events[0].changes
    assert changes["moved"]["contacts"] == 1 and changes["moved"]["orders"] == 1
    assert changes["moved"]["attachments"] == 1 and changes["moved"]["tags"] == 1
    assert changes["chosen"] == {"email": "info@pujiang.cn"}
    assert raised == [{"kept_id": kept.id, "merged_id": other.id}]


def test_merge_takes_a_custom_field_value(login_as, admin, pair, dbsession):
    from core.customfields.service import create_definition
    from plugins.customers.hooks import guanxi_record_types

    create_definition(
        dbsession, guanxi_record_types()[0], key="budget", field_type="text", labels={"en": "B"}
    )
    kept, other = pair
    form = merge_form(login_as(admin).get(merge_url(kept, other)))
    form["pick:custom.budget"] = "other"
    form.submit(status=303)
    dbsession.expire_all()
    assert kept.custom["budget"] == "100"


def test_a_stale_merge_is_refused_and_changes_nothing(login_as, admin, pair, dbsession, clock):
    kept, other = pair
    web = login_as(admin)
    form = merge_form(web.get(merge_url(kept, other)))
    other.short_name = "浦江"
    other.updated_at = utcnow()
    dbsession.flush()
    page = form.submit(status=409)
    assert "review and save again" in page.text
    dbsession.expire_all()
    assert other.deleted_at is None
    assert dbsession.scalars(select(Order.customer_id).where(Order.number == "SO-B")).one() == (
        other.id
    )
    assert not dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).all()


def test_merge_pick_page_offers_likely_duplicates(login_as, admin, org, make_customer):
    kept = make_customer(org["rep"], "甲公司", phone="+8613812345678")
    twin = make_customer(org["rep"], "甲有限公司")
    stranger = make_customer(org["rep"], "乙公司")
    web = login_as(admin)
    page = web.get(f"/customers/{kept.id}/merge")
    assert f'data-candidate="{twin.id}"' in page.text
    assert f'data-candidate="{stranger.id}"' not in page.text
    page = web.get(f"/customers/{kept.id}/merge", params={"q": "乙"})
    assert f'data-candidate="{stranger.id}"' in page.text


def test_merge_is_for_administrators_only(login_as, org, pair):
    kept, other = pair
    web = login_as(org["manager"])
    web.get(merge_url(kept, other), status=404)
    web.post_form(merge_url(kept, other), {"kept_version": 1, "other_version": 1}, status=404)
    login_as(org["rep"]).get(f"/customers/{kept.id}/merge", status=404)


def test_merge_with_a_missing_or_deleted_customer_is_404(login_as, admin, pair, dbsession):
    kept, other = pair
    web = login_as(admin)
    web.get(f"/customers/{kept.id}/merge?other=999999", status=404)
    web.get(f"/customers/{kept.id}/merge?other={kept.id}", status=404)
    other.deleted_at = utcnow()
    dbsession.flush()
    web.get(merge_url(kept, other), status=404)


def test_detail_page_offers_transfer_and_merge_to_administrators_only(login_as, admin, org, pair):
    kept, _other = pair
    page = login_as(admin).get(f"/customers/{kept.id}")
    assert f"/customers/{kept.id}/merge" in page.text
    assert f"/customers/{kept.id}/transfer" in page.text
    page = login_as(org["rep"]).get(f"/customers/{kept.id}")
    assert "/merge" not in page.text and "/transfer" not in page.text


def test_the_kept_customer_shows_the_merged_ones_history(login_as, admin, org, pair, dbsession):
    kept, other = pair
    other.short_name = "浦江"
    dbsession.flush()
    web = login_as(admin)
    web.get(f"/customers/{kept.id}/merged")  # nothing merged yet: an empty tab
    assert f"/customers/{kept.id}/merged" not in web.get(f"/customers/{kept.id}").text
    merge_form(web.get(merge_url(kept, other))).submit(status=303)
    assert f"/customers/{kept.id}/merged" in web.get(f"/customers/{kept.id}").text
    tab = web.get(f"/customers/{kept.id}/merged")
    assert f'data-merged="{other.id}"' in tab.text
    assert 'data-action="update"' in tab.text  # the merged customer's own change
    assert 'data-action="merge"' in tab.text
    login_as(org["other_rep"]).get(f"/customers/{kept.id}/merged", status=404)


def test_a_customer_outside_a_team_merge_grant_is_404(login_as, factory, org, pair, dbsession):
    from core.security.models import Role, RoleGrant

    role = Role(name="Team merger")
    role.grants = [
        RoleGrant(permission=f"customers.customer.{action}", scope="team")
        for action in ("view", "merge")
    ]
    dbsession.add(role)
    merger = factory.user("merger", role=None, team=org["east"])
    merger.roles.append(role)
    outsider = factory.user("outsider", role="sales_rep")
    kept, other = pair
    stranger = Customer(code="C2026888888", name="外部客户", custom={})
    assign_owner(stranger, outsider)
    dbsession.add(stranger)
    dbsession.flush()
    web = login_as(merger)
    web.get(merge_url(kept, other), status=200)
    web.get(merge_url(kept, stranger), status=404)
    web.get(merge_url(stranger, kept), status=404)


def test_a_chain_of_merges_points_every_merged_customer_at_the_last_kept_one(
    login_as, admin, org, make_customer, dbsession
):
    first, second, third = (make_customer(org["rep"], name) for name in ("甲", "乙", "丙"))
    web = login_as(admin)
    for kept, other in ((second, third), (first, second)):
        dbsession.expire_all()
        versions = {"kept_version": kept.version, "other_version": other.version}
        web.post_form(merge_url(kept, other), versions, status=303)
    dbsession.expire_all()
    assert (second.merged_into_id, third.merged_into_id) == (first.id, first.id)
    tab = web.get(f"/customers/{first.id}/merged")
    assert f'data-merged="{second.id}"' in tab.text and f'data-merged="{third.id}"' in tab.text
