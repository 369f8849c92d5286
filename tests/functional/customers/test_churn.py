"""Churn: the daily check, the owner's actions, the churn list, the history tab, the rules page."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.mail import OutboxMessage
from core.notifications import Notification
from core.testing import query_plan
from plugins.customers.churn import ChurnRules, load_rules, save_rules
from plugins.customers.churn_jobs import candidates, check_churn
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.models import Customer
from plugins.customers.tags import CHURN_WARNING, tag_names


@pytest.fixture
def quiet(clock, make_customer, org):
    """``quiet(owner, name, days=…)``: an active customer without orders or follow-ups for
    ``days`` days (created then)."""

    def make(owner=None, name="上海测试有限公司", days=200, **columns):
        customer = make_customer(owner or org["rep"], name=name, status="active", **columns)
        customer.created_at = clock.now - dt.timedelta(days=days)
        return customer

    return make


def events(dbsession, customer):
    dbsession.expire_all()
    query = select(ChurnEvent).where(ChurnEvent.customer_id == customer.id)
    return [(e.action, e.reason) for e in dbsession.scalars(query.order_by(ChurnEvent.id))]


def status(dbsession, customer):
    dbsession.expire_all()
    return dbsession.get(Customer, customer.id).status


# -- the daily check ---------------------------------------------------------------------


def test_the_check_flags_quiet_customers_and_tells_the_owner(dbsession, clock, quiet, org):
    org["rep"].email, org["rep"].language = "li@example.com", "zh_Hans"
    quiet_one = quiet(name="沉默客户")
    ordered = quiet(name="刚下单客户", last_order_at=clock.now - dt.timedelta(days=3))
    contacted = quiet(name="刚联系客户", last_contact_at=clock.now - dt.timedelta(days=3))
    potential = quiet(name="潜在客户")
    potential.status = "potential"
    dbsession.flush()
    assert check_churn(dbsession) == 1
    assert status(dbsession, quiet_one) == "at_risk"
    assert events(dbsession, quiet_one) == [("flagged", "no_order=180,no_contact=90")]
    assert CHURN_WARNING in tag_names(dbsession, quiet_one.id)
    for other in (ordered, contacted, potential):
        assert events(dbsession, other) == [] and status(dbsession, other) != "at_risk"
    note = dbsession.scalars(
        select(Notification).where(Notification.user_id == org["rep"].id)
    ).one()
    assert "沉默客户" in note.title and note.url == f"/customers/{quiet_one.id}"
    mail = dbsession.scalars(select(OutboxMessage)).one()
    assert mail.to == "li@example.com" and "沉默客户" in mail.subject


def test_a_second_run_the_same_day_does_nothing(dbsession, clock, quiet):
    customer = quiet()
    dbsession.flush()
    assert check_churn(dbsession) == 1
    clock.travel(hours=1)
    assert check_churn(dbsession) == 0
    assert len(events(dbsession, customer)) == 1
    assert dbsession.scalar(select(func.count()).select_from(Notification)) == 1


def test_either_rule_and_the_checked_statuses_are_configurable(dbsession, clock, quiet):
    ordered = quiet(name="刚下单客户", last_order_at=clock.now - dt.timedelta(days=3))
    potential = quiet(name="潜在客户")
    potential.status = "potential"
    dbsession.flush()
    save_rules(dbsession, ChurnRules(combine="any", statuses=("potential", "active")))
    assert check_churn(dbsession) == 2
    assert events(dbsession, ordered) == [("flagged", "no_contact=90")]
    assert status(dbsession, potential) == "at_risk"


def test_paused_customers_are_checked_again_on_their_date(dbsession, clock, quiet):
    customer = quiet()
    customer.status = "at_risk"
    customer.churn_check_on = (clock.now + dt.timedelta(days=10)).date()
    dbsession.flush()
    assert check_churn(dbsession) == 0
    clock.travel(days=11)
    assert check_churn(dbsession) == 1
    assert events(dbsession, customer) == [("flagged", "no_order=180,no_contact=90")]
    dbsession.expire_all()
    assert dbsession.get(Customer, customer.id).churn_check_on is None


def test_the_check_walks_every_batch(dbsession, quiet, monkeypatch):
    monkeypatch.setattr("plugins.customers.churn_jobs.BATCH", 2)
    customers = [quiet(name=f"客户{number}") for number in range(5)]
    dbsession.flush()
    assert check_churn(dbsession) == 5
    assert {status(dbsession, customer) for customer in customers} == {"at_risk"}


@pytest.mark.parametrize("combine", ["all", "any"])
def test_candidates_are_found_through_indexes(generate, dbsession, db_connection, clock, combine):
    generate(1500)  # realistic statistics: most customers active, recently contacted
    if db_connection.dialect.name == "postgresql":
        db_connection.exec_driver_sql("ANALYZE customers")
    query = candidates(ChurnRules(combine=combine), clock.now, ZoneInfo("Asia/Shanghai"))
    sql = str(query.compile(db_connection, compile_kwargs={"literal_binds": True}))
    plan = "\n".join(query_plan(db_connection, sql, {}))
    assert not re.search(r"Seq Scan on customers\b|\bSCAN customers\b", plan), plan
    assert "ix_customers_status_last_contact" in plan, plan


def test_deleted_customers_are_not_checked(dbsession, clock, quiet):
    customer = quiet()
    customer.deleted_at = clock.now
    dbsession.flush()
    assert check_churn(dbsession) == 0


# -- the owner's actions -----------------------------------------------------------------


@pytest.fixture
def at_risk(dbsession, quiet):
    """A customer of the representative that the check marked at risk."""
    customer = quiet(name="风险客户")
    dbsession.flush()
    check_churn(dbsession)
    dbsession.expire_all()
    return dbsession.get(Customer, customer.id)


def test_pause_churn_keeps_the_status_and_sets_the_check_date(
    login_as, org, at_risk, dbsession, clock
):
    web = login_as(org["rep"])
    detail = web.get(f"/customers/{at_risk.id}")
    assert f"/customers/{at_risk.id}/churn/actions" in detail.text
    actions = web.get(f"/customers/{at_risk.id}/churn/actions")
    assert "Pause churn" in actions.text and "Confirm churn" in actions.text
    url = f"/customers/{at_risk.id}/churn/pause"
    page = web.post_form(
        url, {"measure": " ", "check_on": "2026-11-01", "version": at_risk.version}
    )
    assert "This field is required." in page.text and "Choose a date after today." in page.text
    web.post_form(
        url,
        {"measure": "总经理亲自拜访", "check_on": "2026-12-20", "version": at_risk.version},
        status=303,
    )
    dbsession.expire_all()
    customer = dbsession.get(Customer, at_risk.id)
    assert customer.status == "at_risk" and customer.churn_check_on == dt.date(2026, 12, 20)
    event = dbsession.scalars(select(ChurnEvent).where(ChurnEvent.action == "paused")).one()
    assert event.measure == "总经理亲自拜访" and event.user_id == org["rep"].id
    assert "No order for 180 days" in web.get(f"/customers/{at_risk.id}/churn").text
    # The list shows the measure as the latest step, without opening the history.
    latest = web.get("/churn").html.select_one(f'tr[data-customer="{at_risk.id}"] [data-measure]')
    assert latest is not None and latest.text == "总经理亲自拜访"


def test_confirm_churn_needs_a_reason(login_as, org, at_risk, dbsession):
    web = login_as(org["rep"])
    url = f"/customers/{at_risk.id}/churn/confirm"
    page = web.post_form(url, {"reason": "", "version": at_risk.version})
    assert "This field is required." in page.text
    assert status(dbsession, at_risk) == "at_risk"
    web.post_form(url, {"reason": "转向竞争对手", "version": at_risk.version}, status=303)
    assert status(dbsession, at_risk) == "churned"
    assert events(dbsession, at_risk)[-1] == ("confirmed", "转向竞争对手")
    # A churned customer can only be reactivated.
    again = web.post_form(url, {"reason": "again", "version": at_risk.version + 5})
    assert "alert-danger" in again.text and status(dbsession, at_risk) == "churned"


def test_reactivate_removes_the_tag(login_as, org, at_risk, dbsession):
    web = login_as(org["agent"])  # service agents change the status of any customer
    web.post_form(
        f"/customers/{at_risk.id}/churn/reactivate", {"version": at_risk.version}, status=303
    )
    assert status(dbsession, at_risk) == "active"
    assert CHURN_WARNING not in tag_names(dbsession, at_risk.id)
    assert events(dbsession, at_risk)[-1][0] == "reactivated"
    actions = web.get(f"/customers/{at_risk.id}/churn/actions")
    assert "Reactivate" not in actions.text


def test_a_stale_action_is_refused(login_as, org, at_risk, dbsession):
    web = login_as(org["rep"])
    page = web.post_form(
        f"/customers/{at_risk.id}/churn/confirm", {"reason": "x", "version": at_risk.version - 1}
    )
    assert "alert-danger" in page.text and status(dbsession, at_risk) == "at_risk"


def test_actions_are_refused_outside_scope_and_without_the_permission(
    login_as, org, at_risk, factory, client
):
    other = login_as(org["other_rep"])
    analyst = login_as(factory.user("analyst", role="analyst"))
    for action in ("pause", "confirm", "reactivate"):
        url = f"/customers/{at_risk.id}/churn/{action}"
        other.get(url, status=404)
        other.post_form(url, {"reason": "x", "version": at_risk.version}, status=404)
        analyst.get(url, status=404)
        assert "/login" in client.get(url, status=303).location
    other.get(f"/customers/{at_risk.id}/churn", status=404)
    other.get(f"/customers/{at_risk.id}/churn/actions", status=404)
    assert "Pause churn" not in analyst.get(f"/customers/{at_risk.id}/churn/actions").text


# -- pages -------------------------------------------------------------------------------


def test_churn_list_shows_customers_in_scope_with_their_latest_step(
    login_as, org, quiet, dbsession, clock
):
    mine = quiet(name="我的风险客户", last_order_at=clock.now - dt.timedelta(days=300))
    theirs = quiet(org["other_rep"], name="别人的风险客户")
    dbsession.flush()
    check_churn(dbsession)
    web = login_as(org["rep"])
    page = web.get("/churn")
    assert "我的风险客户" in page.text and "别人的风险客户" not in page.text
    assert "No order for 180 days" in page.text and ">300<" in page.text
    assert f"/customers/{mine.id}/churn" in page.text
    manager = login_as(org["manager"]).get("/churn?state=at_risk")
    assert "我的风险客户" in manager.text and "别人的风险客户" in manager.text
    assert "No customers at risk" in web.get("/churn?state=churned").text
    assert theirs.id


def test_churn_list_pages_by_keyset(login_as, org, quiet, dbsession, monkeypatch):
    monkeypatch.setattr("plugins.customers.churn_views.PAGE_SIZE", 2)
    for number in range(3):
        quiet(name=f"风险客户{number}")
    dbsession.flush()
    check_churn(dbsession)
    web = login_as(org["rep"])
    first = web.get("/churn")
    assert "风险客户2" in first.text and "风险客户0" not in first.text
    second = first.click(href="before=", index=0)
    assert "风险客户0" in second.text and "风险客户2" not in second.text


def test_churn_history_tab_appears_once_there_is_history(login_as, org, at_risk, make_customer):
    web = login_as(org["rep"])
    assert f'hx-get="/customers/{at_risk.id}/churn"' in web.get(f"/customers/{at_risk.id}").text
    calm = make_customer(org["rep"], name="平静客户")
    assert f'hx-get="/customers/{calm.id}/churn"' not in web.get(f"/customers/{calm.id}").text
    assert "No churn history" in web.get(f"/customers/{calm.id}/churn").text


def test_churn_events_are_on_the_customer_timeline(login_as, org, at_risk):
    timeline = login_as(org["rep"]).get(f"/records/customer/{at_risk.id}/timeline")
    assert 'data-kind="churn"' in timeline.text and "Marked at risk" in timeline.text


def test_churn_pages_need_a_login_and_the_permission(client, login_as, factory):
    assert "/login" in client.get("/churn", status=303).location
    login_as(factory.user("nobody", role=None)).get("/churn", status=403)


def test_administrators_set_the_rules(login_as, admin, org, dbsession):
    web = login_as(admin)
    page = web.get("/settings/churn")
    assert 'value="180"' in page.text and 'value="90"' in page.text
    bad = web.post_form(
        "/settings/churn", {"order_days": "0", "contact_days": "x", "combine": "all"}
    )
    assert "Choose at least one status." in bad.text
    web.post_form(
        "/settings/churn",
        {"order_days": "60", "contact_days": "30", "combine": "any", "statuses": ["active"]},
        status=303,
    )
    assert load_rules(dbsession) == ChurnRules(60, 30, "any", ("active",))
    login_as(org["manager"]).get("/settings/churn", status=403)
