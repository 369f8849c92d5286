"""The customer list in Chromium: filters panel, selection and bulk bar, saved views, phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plugins.customers.models import Customer
from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser


def add_customers(live_server, owner_id: int, prefix: str, count: int) -> list[int]:
    """``count`` customers of ``owner_id`` named ``prefix`` + a number; their ids."""
    with live_server.session() as session:
        made = [
            Customer(code=unique("L").upper(), name=f"{prefix}{n}", owner_id=owner_id, custom={})
            for n in range(count)
        ]
        session.add_all(made)
        session.flush()
        return [customer.id for customer in made]


def test_select_rows_and_set_their_level(people, sign_in, live_server):
    person = people("sales_rep")
    prefix = unique("Bulk")
    ids = add_customers(live_server, person.id, prefix, 3)
    page = sign_in(person.username, f"/customers?name={prefix}")
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_hidden()
    page.keyboard.press("/")
    expect(page.locator("#f-q")).to_be_focused()
    page.locator("#f-q").press("Escape")
    page.locator(f"tr[data-customer='{ids[0]}'] input[data-bulk-row]").check()
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("Selected: 1")
    page.locator("[data-bulk-page]").check()
    expect(bar.locator("[data-bulk-count]")).to_have_text("Selected: 3")
    page.select_option("#bulk-action", "set_level")
    expect(page.locator("#bulk-set_owner-value")).to_be_hidden()
    page.select_option("#bulk-set_level-value", "major")
    page.get_by_role("button", name="Apply", exact=True).last.click()
    expect(page.locator("#gx-toasts")).to_contain_text("Set level: customers changed: 3.")
    with live_server.session() as session:
        assert {session.get(Customer, i).level for i in ids} == {"major"}


def test_filters_panel_and_saved_view_on_a_phone(people, sign_in, live_server):
    person = people("admin")
    prefix = unique("筛选")
    add_customers(live_server, person.id, prefix, 2)
    page = sign_in(person.username, "/customers", viewport=PHONE)
    panel = page.locator("#gx-filters")
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Filters").click()
    expect(panel).to_be_visible()
    panel.locator("#f-name").fill(prefix)
    panel.get_by_role("button", name="Apply filters").click()
    expect(page.locator("tr[data-customer]")).to_have_count(2)
    expect(page.get_by_text(f"Name starts with: {prefix}")).to_be_visible()
    page.locator("tr[data-customer] input[data-bulk-row]").first.check()
    bar = page.locator("[data-bulk-bar]").bounding_box()
    assert abs(bar["y"] + bar["height"] - PHONE["height"]) < 2  # stuck to the bottom
    page.get_by_role("button", name="Views").click()
    page.locator("#gx-view-new-name").fill("Mine")
    page.locator("#gx-view-new-shared").check()
    page.get_by_role("button", name="Save view").click()
    expect(page.locator("#gx-saved-views a.active")).to_contain_text("Mine")
