"""The main journeys through Guanxi, driven in Chromium as a person would use them.

Every test makes its own users and records (see ``conftest.py``), so the tests
run in any order and in parallel, one live server per worker.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.testing import TEST_PASSWORD
from plugins.customers.models import Customer
from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser

TOASTS = "#gx-toasts"
WRONG_PASSWORD = "not the right password"


def flash(page):
    """The flash messages of the page."""
    return page.locator(TOASTS)


# -- 1. modules -------------------------------------------------------------------


def disable_example(live_server) -> None:
    """Leave the example module disabled, whatever the test did."""
    registry = live_server.app.registry["modules"]
    with live_server.session() as session:
        if "example" in registry.enabled_names(session, fresh=True):
            registry.disable(session, "example")
    registry.invalidate()


def test_admin_toggles_a_module_without_restart(people, sign_in, live_server):
    page = sign_in(people("admin").username)
    asked: list[str] = []
    page.on("dialog", lambda dialog: asked.append(dialog.message))
    notes_item = page.locator("nav#gx-sidebar a[data-menu='example.notes']")
    example = page.locator("tr[data-module='example']")
    example_state = example.locator("td[data-label='State']")
    try:
        page.click("nav#gx-sidebar a[data-menu='settings.modules']")
        expect(page.locator("h1")).to_have_text("Modules")
        expect(example_state).to_have_text("Disabled")
        expect(notes_item).to_have_count(0)

        example.get_by_role("button", name="Enable").click()
        expect(flash(page)).to_contain_text("Example notes is enabled.")
        expect(example_state).to_have_text("Enabled")
        expect(notes_item).to_be_visible()
        notes_item.click()
        expect(page).to_have_url(f"{live_server.url}/example/notes")
        expect(page.locator("h1")).to_have_text("Notes")

        page.click("nav#gx-sidebar a[data-menu='settings.modules']")
        customers = page.locator("tr[data-module='customers']")
        customers.get_by_role("button", name="Disable").click()
        expect(flash(page)).to_contain_text(
            "Customers cannot be disabled while Example notes depends on it."
        )
        expect(customers.locator("td[data-label='State']")).to_have_text("Enabled")

        example.get_by_role("button", name="Disable").click()
        expect(flash(page)).to_contain_text("Example notes is disabled. Its data is kept.")
        assert any(message.startswith("Disable Example notes?") for message in asked)
        expect(example_state).to_have_text("Disabled")
        expect(notes_item).to_have_count(0)
        assert page.goto("/example/notes").status == 404
    finally:
        disable_example(live_server)


# -- 2. teams, users and data scope ---------------------------------------------------


def create_team(page, name: str, parent: str | None = None) -> None:
    """Settings → Teams → New team (or "Add sub-team" on ``parent``)."""
    page.click("nav#gx-sidebar a[data-menu='settings.teams']")
    if parent is None:
        page.get_by_role("link", name="New team").first.click()
    else:
        page.locator(f"li[data-team='{parent}']").get_by_role("link", name="Add sub-team").click()
    page.fill("#name", name)
    page.press("#name", "Enter")
    expect(flash(page)).to_contain_text(f"Team {name} is created.")


def add_customer(page, name: str) -> int:
    """Fill in the open new customer form (the owner is the user by default); returns its id."""
    expect(page.locator("h1")).to_have_text("New customer")
    page.fill("#name", name)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text(name)
    return int(re.search(r"/customers/(\d+)$", page.url).group(1))


def test_sales_reps_see_only_their_own_customers(people, sign_in, live_server):
    admin = sign_in(people("admin").username)
    sales, east = unique("Sales "), unique("East ")
    create_team(admin, sales)
    create_team(admin, east, parent=sales)
    expect(admin.locator(f"li[data-team='{sales}'] li[data-team='{east}']")).to_be_visible()

    username = unique("rep")
    admin.click("nav#gx-sidebar a[data-menu='settings.users']")
    admin.get_by_role("link", name="New user").click()
    admin.fill("#username", username)
    admin.fill("#display_name", f"Rep {username}")
    admin.select_option("#language", "en")
    admin.fill("#password", TEST_PASSWORD)
    admin.select_option("#team", label=sales)
    admin.select_option("#roles", label="Sales representative")
    admin.get_by_role("button", name="Create user").click()
    expect(flash(admin)).to_contain_text(f"User {username} is created.")

    second = people("sales_rep", team=east)
    manager = people("sales_manager", team=sales)

    first_page = sign_in(username, "/customers/new")
    second_page = sign_in(second.username, "/customers/new")
    mine, theirs = unique("Mine "), unique("Theirs ")
    mine_id = add_customer(first_page, mine)
    theirs_id = add_customer(second_page, theirs)

    first_page.click("nav#gx-sidebar a[data-menu='customers']")
    expect(first_page.get_by_role("link", name=mine)).to_be_visible()
    expect(first_page.get_by_role("link", name=theirs)).to_have_count(0)
    assert first_page.goto(f"/customers/{theirs_id}").status == 404
    second_page.click("nav#gx-sidebar a[data-menu='customers']")
    expect(second_page.get_by_role("link", name=theirs)).to_be_visible()
    expect(second_page.get_by_role("link", name=mine)).to_have_count(0)
    assert second_page.goto(f"/customers/{mine_id}").status == 404

    boss = sign_in(manager.username, "/customers")
    expect(boss.get_by_role("link", name=mine)).to_be_visible()
    expect(boss.get_by_role("link", name=theirs)).to_be_visible()


# -- 3. lockout ----------------------------------------------------------------------


def submit_login(page, username: str, password: str) -> None:
    page.fill("#login", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.press("#password", "Enter")


def test_ten_wrong_passwords_lock_the_account(people, chromium, live_server):
    person = people("sales_rep")
    context = chromium.new_context(locale="en-US", base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/login")
        alert = page.get_by_role("alert")
        for attempt in range(1, 11):
            submit_login(page, person.username, WRONG_PASSWORD)
            if attempt < 10:
                expect(alert).to_have_text("The username or password is not correct.")
        submit_login(page, person.username, TEST_PASSWORD)
        expect(alert).to_contain_text(
            "Too many failed attempts. For your security, please try again after"
        )
        expect(page).to_have_url(re.compile(r"/login$"))
        page.goto("/customers")
        expect(page).to_have_url(re.compile(r"/login\?"))
    finally:
        context.close()


# -- 4. custom fields ----------------------------------------------------------------


def test_custom_field_reaches_form_page_list_and_api(people, sign_in):
    page = sign_in(people("admin").username)
    key, label, value = unique("wechat_"), "WeChat group", "华东经销商群"
    page.click("nav#gx-sidebar a[data-menu='settings.custom_fields']")
    customers = page.locator("tr[data-record-type='customer']")
    customers.get_by_role("link", name="Manage fields").click()
    page.get_by_role("link", name="Add a field").first.click()
    page.fill("#key", key)
    page.select_option("#field_type", "text")
    page.fill("#label_en", label)
    page.check("#show_in_list")
    page.check("#filterable")
    page.get_by_role("button", name="Save").click()
    row = page.locator(f"tr[data-key='{key}']")
    expect(row).to_contain_text(label)
    expect(row).to_contain_text("List column")
    expect(row).to_contain_text("Filter")

    name = unique("WeChat customer ")
    page.click("nav#gx-sidebar a[data-menu='customers']")
    page.get_by_role("link", name="New customer").first.click()
    page.fill("#name", name)
    field = page.locator(f"#cf_{key}")
    expect(page.locator(f"label[for='cf_{key}']")).to_have_text(label)
    field.fill(value)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text(name)
    customer_id = int(re.search(r"/customers/(\d+)$", page.url).group(1))
    expect(page.locator(f"dt[data-key='{key}']")).to_have_text(label)
    expect(page.locator(f"dt[data-key='{key}'] + dd")).to_have_text(value)

    page.click("nav#gx-sidebar a[data-menu='customers']")
    page.fill("#f-q", name)
    page.press("#f-q", "Enter")
    expect(page.locator(f"th[data-key='{key}']")).to_have_text(label)
    cell = page.locator(f"tr[data-customer='{customer_id}'] td[data-label='{label}']")
    expect(cell).to_have_text(value)

    response = page.request.get(f"/api/v1/customers/{customer_id}")
    assert response.status == 200
    assert response.json()["custom"][key] == value
    found = page.request.get("/api/v1/customers", params={f"cf_{key}": value})
    assert found.status == 200
    assert [item["id"] for item in found.json()["items"]] == [customer_id]


# -- 5. API tokens -------------------------------------------------------------------


def test_api_token_works_until_revoked(people, sign_in, chromium, live_server):
    person = people("sales_rep")
    page = sign_in(person.username)
    page.get_by_role("button", name=person.display_name).click()
    page.get_by_role("link", name="My account").click()
    page.get_by_role("link", name="Manage API tokens").click()
    token_name = unique("ERP sync ")
    page.fill("#name", token_name)
    page.check("input[name=permissions][value='customers.customer.view']")
    page.get_by_role("button", name="Create token").click()
    raw = page.input_value("#gx-new-token")
    assert len(raw) > 20

    api = chromium.new_context(
        base_url=live_server.url, extra_http_headers={"Authorization": f"Bearer {raw}"}
    )
    try:
        response = api.request.get("/api/v1/me")
        assert response.status == 200
        me = response.json()
        assert me["username"] == person.username
        assert me["token"]["name"] == token_name

        page.goto("/account/tokens")
        expect(page.locator("#gx-new-token")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text(raw)
        row = page.locator("tr[data-token]", has_text=token_name)
        row.get_by_role("button", name="Revoke").click()
        expect(flash(page)).to_contain_text(f"The token {token_name} is revoked.")
        expect(row).to_contain_text("Revoked")
        assert api.request.get("/api/v1/me").status == 401
    finally:
        api.close()


# -- 6. phone ------------------------------------------------------------------------


def test_phone_in_chinese_shows_customers_as_cards(people, sign_in, live_server):
    person = people("sales_rep", language=None)
    name = unique("手机客户 ")
    with live_server.session() as session:
        customer = Customer(code=unique("P").upper(), name=name, owner_id=person.id, custom={})
        session.add(customer)
        session.flush()
        customer_id = customer.id
    page = sign_in(person.username, viewport=PHONE, locale="zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    sidebar = page.locator("nav#gx-sidebar")
    expect(sidebar).to_be_hidden()
    page.get_by_role("button", name="菜单").click()
    expect(sidebar).to_be_visible()
    customers = sidebar.locator("a[data-menu='customers']")
    expect(customers).to_have_text("客户")
    customers.click()

    expect(page.locator("table.table-stack thead")).to_be_hidden()
    card = page.locator(f"tr[data-customer='{customer_id}']")
    cell = card.locator("td[data-label]").first
    expect(cell).to_be_visible()
    expect(cell).to_have_attribute("data-label", "客户名称")
    shown = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert shown == '"客户名称"'
    expect(cell).to_contain_text(name)
    assert card.bounding_box()["width"] <= PHONE["width"]
