"""A representative on a phone logs a follow-up with a next date and gets the reminder."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from plugins.customers.models import Customer
from plugins.customers.reminders import send_reminders
from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser


def test_log_a_follow_up_on_a_phone_and_receive_the_reminder(people, sign_in, live_server):
    person = people("sales_rep")
    name = unique("跟进客户 ")
    with live_server.session() as session:
        customer = Customer(code=unique("F").upper(), name=name, owner_id=person.id, custom={})
        session.add(customer)
        session.flush()
        customer_id = customer.id
    page = sign_in(person.username, f"/customers/{customer_id}", viewport=PHONE)

    page.locator(".gx-page-header a[data-log-followup]").click()  # 1: the header's button
    page.fill("#subject", "电话确认报价")  # 2: what it was about
    soon = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(minutes=30)
    page.fill("#next_at", soon.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save").click()  # 3: save
    page.wait_for_url(f"**/customers/{customer_id}?tab=customers.followups")
    expect(page.locator(".gx-flash")).to_contain_text("The follow-up is logged.")
    page.get_by_role("tab", name="Follow-ups").click()
    rows = page.locator("li[data-followup]")
    expect(rows).to_have_count(2)
    expect(page.locator("li[data-state='planned']")).to_contain_text("电话确认报价")

    with live_server.session() as session:
        assert send_reminders(session) >= 1
    page.goto("/follow-ups/mine")
    expect(page.locator("[data-group='today'], [data-group='upcoming']")).to_contain_text(name)
    page.goto("/notifications")
    expect(page.locator("main")).to_contain_text(name)
