"""The full customer record in Chromium: individual-only fields, facts, masked values, reveal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser


def test_an_individual_with_an_id_number_then_revealed_by_an_administrator(
    people, sign_in, live_server
):
    rep = people("sales_rep")
    name = unique("张伟")
    page = sign_in(rep.username, "/customers/new")
    expect(page.locator("#id_number")).to_be_hidden()
    page.select_option("#kind", "individual")
    expect(page.locator("#id_number")).to_be_visible()
    page.fill("#name", name)
    page.select_option("#industry", "finance")
    page.select_option("#credit_rating", "4")
    page.fill("#website", "www.example.com")
    page.fill("#id_number", "11010519491231002x")
    page.fill("#bank_account", "6222 0212 3456 7890 128")
    page.screenshot(path="/tmp/gx-customer-form.png", full_page=True)
    page.get_by_role("button", name="Save").click()
    facts = page.locator("[data-facts]")
    expect(facts).to_contain_text("Finance")
    expect(facts.get_by_role("img", name="4 of 5")).to_be_visible()
    expect(page.locator("#sensitive-id_number")).to_have_text("*" * 18)
    expect(page.get_by_role("button", name="Show")).to_have_count(0)
    customer_url = page.url.removeprefix(live_server.url)

    admin = people("admin")
    page = sign_in(admin.username, customer_url, viewport=PHONE)
    expect(page.locator("#sensitive-id_number")).to_contain_text("110105********002X")
    page.screenshot(path="/tmp/gx-customer-detail-phone.png", full_page=True)
    page.locator("#sensitive-id_number").get_by_role("button", name="Show").click()
    expect(page.locator("[data-revealed='id_number']")).to_have_text("11010519491231002X")


def test_an_administrator_adds_an_industry_in_three_languages(people, sign_in):
    admin = people("admin")
    code = unique("ind").lower()
    page = sign_in(admin.username, "/settings/customer-lists")
    page.locator("#list-industry").get_by_role("link", name="Add").click()
    expect(page.locator("#kind")).to_have_value("industry")
    page.fill("#code", code)
    page.fill("#label_zh_Hans", "采矿业")
    page.fill("#label_zh_Hant", "採礦業")
    page.fill("#label_en", "Mining")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(f"#list-industry tr[data-code='{code}']")).to_contain_text("Mining")
    page.screenshot(path="/tmp/gx-customer-lists.png", full_page=True)
