"""Follow-ups (交往记录): logging, planning, editing, scope and permissions, My follow-ups."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.security.models import Role, RoleGrant
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.models import Contact

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def local(text):
    """A ``datetime-local`` form value → the aware datetime it means in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def log(web, customer, status=303, **fields):
    """Log a follow-up through the page; the response."""
    values = {"method": "phone", "contact_id": "", "subject": "报价沟通", **fields}
    return web.post_form(f"/customers/{customer.id}/follow-ups/new", values, status=status)


def followups(dbsession, customer):
    """``[(state, subject, happened_at, due_at)]`` of the customer's live follow-ups by id."""
    dbsession.expire_all()
    rows = dbsession.scalars(
        select(FollowUp)
        .where(FollowUp.customer_id == customer.id, FollowUp.deleted_at.is_(None))
        .order_by(FollowUp.id)
    )
    return [(f.state, f.subject, f.happened_at, f.due_at) for f in rows]


def planned(dbsession, customer, user, subject="回访", due=None, **columns):
    """A planned follow-up of ``user`` with ``customer``."""
    followup = FollowUp(
        customer_id=customer.id,
        user_id=user.id,
        state="planned",
        subject=subject,
        due_at=due,
        **columns,
    )
    dbsession.add(followup)
    dbsession.flush()
    return followup


@pytest.fixture
def contact(dbsession, org, make_customer):
    """A customer of the representative with one contact."""
    customer = make_customer(org["rep"])
    person = Contact(customer_id=customer.id, name="王建国", is_primary=True, custom={})
    dbsession.add(person)
    dbsession.flush()
    return person


# -- logging ----------------------------------------------------------------------------


def test_logging_with_a_next_time_plans_the_next_one(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    version = customer.version
    web = login_as(org["rep"])
    page = web.get(f"/customers/{customer.id}")
    form_url = f"/customers/{customer.id}/follow-ups/new"
    assert form_url in page.text  # the header's quick action: one click to the form
    assert web.get(form_url).status_int == 200
    log(
        web,
        customer,
        contact_id=str(contact.id),
        content="客户希望下周收到报价",
        happened_at="2026-11-22T09:30",
        next_at="2026-11-25T10:00",
    )
    assert followups(dbsession, customer) == [
        ("done", "报价沟通", local("2026-11-22T09:30"), None),
        ("planned", "报价沟通", None, local("2026-11-25T10:00")),
    ]
    assert customer.last_contact_at == local("2026-11-22T09:30")
    assert customer.version == version  # an open edit of the customer does not go stale
    tab = web.get(f"/customers/{customer.id}/follow-ups")
    assert "客户希望下周收到报价" in tab.text and 'data-state="planned"' in tab.text


def test_happened_at_defaults_to_now(login_as, org, contact, dbsession, clock):
    log(login_as(org["rep"]), contact.customer)
    assert followups(dbsession, contact.customer)[0][2] == clock.now


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": ""}, "This field is required."),
        ({"subject": "长" * 201}, "Field cannot be longer than 200 characters."),
        ({"happened_at": "2026-11-22T11:00"}, "cannot be in the future"),
        (
            {"happened_at": "2026-11-22T09:00", "next_at": "2026-11-22T08:00"},
            "must come after this one",
        ),
        ({"happened_at": "yesterday"}, "Enter a date and time"),
        ({"method": "telepathy"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    login_as, org, contact, dbsession, clock, fields, message
):
    page = log(login_as(org["rep"]), contact.customer, status=200, **fields)
    assert message in page.text
    assert followups(dbsession, contact.customer) == []


def test_a_contact_of_another_customer_is_refused(
    login_as, org, contact, make_customer, dbsession, clock
):
    other = make_customer(org["rep"], name="另一家公司")
    page = log(login_as(org["rep"]), other, status=200, contact_id=str(contact.id))
    assert "Not a valid choice" in page.text
    assert followups(dbsession, other) == []


def test_logging_a_planned_one_marks_it_done(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    due = planned(dbsession, customer, org["rep"], due=clock.now + dt.timedelta(hours=1))
    web = login_as(org["rep"])
    form = web.get(f"/customers/{customer.id}/follow-ups/new?planned={due.id}")
    assert 'value="回访"' in form.text
    web.post_form(
        f"/customers/{customer.id}/follow-ups/new?planned={due.id}",
        {"method": "visit", "contact_id": "", "subject": "回访", "result": "签约意向"},
        status=303,
    )
    assert followups(dbsession, customer) == [("done", "回访", clock.now, due.due_at)]
    assert customer.last_contact_at == clock.now


def test_logging_a_planned_one_of_another_customer_is_404(
    login_as, org, contact, make_customer, dbsession, clock
):
    other = make_customer(org["rep"], name="另一家公司")
    due = planned(dbsession, other, org["rep"], due=clock.now)
    web = login_as(org["rep"])
    web.get(f"/customers/{contact.customer_id}/follow-ups/new?planned={due.id}", status=404)


# -- editing, cancelling, deleting ----------------------------------------------------------


def test_a_stale_edit_is_refused(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    web = login_as(org["rep"])
    log(web, customer, happened_at="2026-11-22T09:00")
    followup = dbsession.scalars(select(FollowUp)).one()
    version = followup.version
    login_as(org["manager"]).post_form(
        f"/follow-ups/{followup.id}/edit",
        {"method": "phone", "subject": "经理修改", "version": version, "happened_at": ""},
        status=303,
    )
    page = web.post_form(
        f"/follow-ups/{followup.id}/edit",
        {"method": "phone", "subject": "代表修改", "version": version},
        status=200,
    )
    assert "review and save again" in page.text
    assert followups(dbsession, customer)[0][1] == "经理修改"
    # an empty "when" keeps the time it happened
    assert followups(dbsession, customer)[0][2] == local("2026-11-22T09:00")


def test_cancel_and_delete(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    web = login_as(org["rep"])
    log(web, customer, happened_at="2026-11-22T08:00")
    log(web, customer, subject="第二次", happened_at="2026-11-22T09:00")
    dbsession.refresh(customer)
    assert customer.last_contact_at == local("2026-11-22T09:00")
    due = planned(dbsession, customer, org["rep"], due=clock.now + dt.timedelta(days=1))
    web.post_form(f"/follow-ups/{due.id}/cancel", {"version": due.version}, status=303)
    dbsession.refresh(due)
    assert due.state == "cancelled"
    latest = dbsession.scalars(select(FollowUp).where(FollowUp.subject == "第二次")).one()
    # representatives may not delete; their manager may
    web.post_form(f"/follow-ups/{latest.id}/delete", {"version": latest.version}, status=403)
    login_as(org["manager"]).post_form(
        f"/follow-ups/{latest.id}/delete", {"version": latest.version}, status=303
    )
    done = [row[1] for row in followups(dbsession, customer) if row[0] == "done"]
    assert done == ["报价沟通"]
    assert customer.last_contact_at == local("2026-11-22T08:00")


def test_a_done_follow_up_cannot_be_cancelled(login_as, org, contact, dbsession, clock):
    web = login_as(org["rep"])
    log(web, contact.customer)
    done = dbsession.scalars(select(FollowUp)).one()
    page = web.post_form(
        f"/follow-ups/{done.id}/cancel", {"version": done.version}, status=303
    ).follow()
    assert "Only a planned follow-up" in page.text
    assert followups(dbsession, contact.customer)[0][0] == "done"


# -- scope and permissions -----------------------------------------------------------------


def test_out_of_scope_follow_ups_are_404(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    due = planned(dbsession, customer, org["rep"], due=clock.now)
    other = login_as(org["other_rep"])
    other.get(f"/customers/{customer.id}/follow-ups", status=404)
    other.get(f"/customers/{customer.id}/follow-ups/new", status=404)
    other.get(f"/follow-ups/{due.id}/edit", status=404)
    other.post_form(f"/follow-ups/{due.id}/cancel", {"version": due.version}, status=404)
    other.get(f"/customers/{customer.id}/follow-up-plans/new", status=404)
    assert followups(dbsession, customer)[0][0] == "planned"


def test_routes_need_the_follow_up_permissions(login_as, org, factory, contact, dbsession, clock):
    customer = contact.customer
    due = planned(dbsession, customer, org["rep"], due=clock.now)
    analyst = login_as(factory.user("analyst", role="analyst"))
    assert analyst.get(f"/customers/{customer.id}/follow-ups").status_int == 200
    analyst.get(f"/customers/{customer.id}/follow-ups/new", status=403)
    analyst.get(f"/follow-ups/{due.id}/edit", status=403)
    analyst.post_form(f"/follow-ups/{due.id}/cancel", {"version": due.version}, status=403)
    analyst.post_form(f"/follow-ups/{due.id}/delete", {"version": due.version}, status=403)
    analyst.get(f"/customers/{customer.id}/follow-up-plans/new", status=403)
    nobody = login_as(factory.user("nobody", role=None))
    nobody.get(f"/customers/{customer.id}/follow-ups", status=403)
    nobody.get("/follow-ups/mine", status=403)
    nobody.get("/follow-ups/widgets/due", status=403)


def test_service_agents_log_calls_for_any_customer(login_as, org, contact, dbsession, clock):
    agent = login_as(org["agent"])
    log(agent, contact.customer, method="phone", subject="客服来电")
    assert followups(dbsession, contact.customer)[0][:2] == ("done", "客服来电")
    agent.get(f"/follow-ups/{dbsession.scalars(select(FollowUp)).one().id}/edit", status=403)


def test_the_tab_pages_through_many_follow_ups(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    for number in range(25):
        dbsession.add(
            FollowUp(
                customer_id=customer.id,
                user_id=org["rep"].id,
                subject=f"第{number:02d}次",
                happened_at=clock.now - dt.timedelta(hours=number),
            )
        )
    dbsession.flush()
    web = login_as(org["rep"])
    first = web.get(f"/customers/{customer.id}/follow-ups")
    assert "第00次" in first.text and "第19次" in first.text and "第20次" not in first.text
    assert "data-next-page" in first.text
    second = web.get(f"/customers/{customer.id}/follow-ups?page=2")
    assert "第24次" in second.text and "第00次" not in second.text
    assert "data-next-page" not in second.text
    far = web.get(f"/customers/{customer.id}/follow-ups?page=9223372036854775807")
    assert "第" not in far.text and "data-next-page" not in far.text


# -- My follow-ups ----------------------------------------------------------------------------


def test_my_follow_ups_groups_by_the_users_day(login_as, org, contact, dbsession, clock):
    # 2026-11-22 02:00 UTC is 10:00 in Shanghai: "today" ends at 16:00 UTC
    customer = contact.customer
    rep = org["rep"]
    planned(dbsession, customer, rep, "昨天的", due=clock.now - dt.timedelta(hours=12))
    planned(dbsession, customer, rep, "今晚的", due=clock.now + dt.timedelta(hours=13))
    planned(dbsession, customer, rep, "明早的", due=clock.now + dt.timedelta(hours=15))
    planned(dbsession, customer, rep, "下个月的", due=clock.now + dt.timedelta(days=30))
    planned(dbsession, customer, org["other_rep"], "别人的", due=clock.now)
    page = login_as(rep).get("/follow-ups/mine")
    sections = {
        key: page.html.select_one(f'[data-group="{key}"]')
        for key in ("overdue", "today", "upcoming")
    }
    assert "昨天的" in sections["overdue"].text
    assert "今晚的" in sections["today"].text
    assert "明早的" in sections["upcoming"].text
    assert "下个月的" not in page.text and "别人的" not in page.text
    assert "My team" not in page.text  # representatives have no team view


def test_the_home_card_counts_the_users_own_follow_ups_coming_due(
    login_as, org, contact, dbsession, clock
):
    customer = contact.customer
    rep = org["rep"]
    planned(dbsession, customer, rep, "昨天的", due=clock.now - dt.timedelta(hours=12))
    planned(dbsession, customer, rep, "前天的", due=clock.now - dt.timedelta(hours=36))
    planned(dbsession, customer, rep, "今晚的", due=clock.now + dt.timedelta(hours=13))
    planned(dbsession, customer, rep, "下个月的", due=clock.now + dt.timedelta(days=30))
    planned(dbsession, customer, org["other_rep"], "别人的", due=clock.now)
    web = login_as(rep)
    assert "/follow-ups/widgets/due" in web.get("/").text
    card = web.get("/follow-ups/widgets/due").html
    counts = {
        key: card.select_one(f'[data-group="{key}"] .h4').text.strip()
        for key in ("overdue", "today", "upcoming")
    }
    assert counts == {"overdue": "2", "today": "1", "upcoming": "0"}
    assert card.select_one('[data-group="overdue"]')["href"] == "/follow-ups/mine#group-overdue"


def test_managers_switch_to_their_teams_follow_ups(login_as, org, contact, dbsession, clock):
    planned(dbsession, contact.customer, org["rep"], "代表的", due=clock.now)
    web = login_as(org["manager"])
    assert "代表的" not in web.get("/follow-ups/mine").text
    team = web.get("/follow-ups/mine?who=team")
    assert "代表的" in team.text and "李强" in team.text


def test_my_follow_ups_log_it_and_cancel(login_as, org, contact, dbsession, clock):
    due = planned(dbsession, contact.customer, org["rep"], due=clock.now)
    web = login_as(org["rep"])
    page = web.get("/follow-ups/mine")
    assert f"planned={due.id}" in page.text
    back = web.post_form(
        f"/follow-ups/{due.id}/cancel?next=/follow-ups/mine", {"version": due.version}
    )
    assert back.status_int == 303 and back.location.endswith("/follow-ups/mine")
    assert "回访" not in web.get("/follow-ups/mine").text


# -- plans ------------------------------------------------------------------------------------


def test_plans_are_created_edited_and_stopped(login_as, org, contact, dbsession, clock):
    customer = contact.customer
    web = login_as(org["rep"])
    values = {
        "subject": "月度回访",
        "method": "visit",
        "user_id": str(org["rep"].id),
        "every": "2",
        "unit": "weeks",
        "next_due_on": "2026-11-30",
    }
    web.post_form(f"/customers/{customer.id}/follow-up-plans/new", values, status=303)
    plan = dbsession.scalars(select(FollowUpPlan)).one()
    assert (plan.every, plan.unit, plan.next_due_on) == (2, "weeks", dt.date(2026, 11, 30))
    assert "月度回访" in web.get(f"/customers/{customer.id}/follow-ups").text
    stale = web.post_form(
        f"/follow-up-plans/{plan.id}/edit", {**values, "every": "3", "version": "0"}, status=200
    )
    assert "review and save again" in stale.text
    web.post_form(
        f"/follow-up-plans/{plan.id}/edit",
        {**values, "every": "3", "version": plan.version},
        status=303,
    )
    web.post_form(f"/follow-up-plans/{plan.id}/stop", {"version": plan.version + 1}, status=303)
    dbsession.refresh(plan)
    assert (plan.every, plan.active) == (3, False)
    # a representative cannot plan for somebody else, nor in the past
    page = web.post_form(
        f"/customers/{customer.id}/follow-up-plans/new",
        {**values, "user_id": str(org["other_rep"].id), "next_due_on": "2026-11-01"},
        status=200,
    )
    assert "Not a valid choice" in page.text and "Choose today or a later date" in page.text
    login_as(org["other_rep"]).get(f"/follow-up-plans/{plan.id}/edit", status=404)


# -- the customer page ----------------------------------------------------------------------


def test_the_customer_page_list_and_timeline_show_follow_ups(
    login_as, org, factory, contact, dbsession, clock
):
    customer = contact.customer
    web = login_as(org["rep"])
    log(web, customer, subject="已完成的拜访", happened_at="2026-11-22T09:00")
    planned(dbsession, customer, org["rep"], "下周回访", due=clock.now + dt.timedelta(days=7))
    page = web.get(f"/customers/{customer.id}")
    assert f"/customers/{customer.id}/follow-ups" in page.text  # the tab
    row_link = f"/customers/{customer.id}/follow-ups/new"
    assert row_link in web.get("/customers").text  # logging from the list row
    timeline = web.get(f"/records/customer/{customer.id}/timeline").text
    assert "已完成的拜访" in timeline and "下周回访" in timeline
    analyst = login_as(factory.user("analyst", role="analyst"))
    assert row_link not in analyst.get(f"/customers/{customer.id}").text
    assert "已完成的拜访" in analyst.get(f"/records/customer/{customer.id}/timeline").text
    viewer = factory.user("viewer", role=None)
    role = Role(
        name="只看客户", grants=[RoleGrant(permission="customers.customer.view", scope="all")]
    )
    viewer.roles.append(role)
    dbsession.flush()
    viewer_web = login_as(viewer)
    assert (
        f"/customers/{customer.id}/follow-ups"
        not in viewer_web.get(f"/customers/{customer.id}").text
    )  # no Follow-ups tab
    assert "已完成的拜访" not in viewer_web.get(f"/records/customer/{customer.id}/timeline").text


def test_moving_a_planned_follow_up_reminds_again(login_as, org, contact, dbsession, clock):
    due = planned(dbsession, contact.customer, org["rep"], due=clock.now, reminded_at=clock.now)
    web = login_as(org["rep"])
    form = web.get(f"/follow-ups/{due.id}/edit")
    assert 'name="due_at"' in form.text and 'name="happened_at"' not in form.text
    web.post_form(
        f"/follow-ups/{due.id}/edit",
        {
            "method": "phone",
            "subject": "回访",
            "due_at": "2026-11-24T15:00",
            "version": due.version,
        },
        status=303,
    )
    dbsession.refresh(due)
    assert (due.state, due.due_at, due.reminded_at) == ("planned", local("2026-11-24T15:00"), None)
