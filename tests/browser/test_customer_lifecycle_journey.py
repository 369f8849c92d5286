"""A customer's life in Chromium, as a new user would try it, in Chinese and in English.

A representative on a phone, in Chinese, creates a company with two contacts,
moves the primary flag and finds it by the pinyin initials of a contact; a
representative tags a customer and filters the list by the tag; the daily churn
check marks a quiet customer at risk and its owner pauses, then confirms, churn;
an administrator transfers a customer, merges a duplicate into it field by
field, deletes it and restores it from the deleted customers.

The live database is shared by the browser tests of a worker, so every record
has a unique name and every assertion is about the test's own records.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from core.db import utcnow
from plugins.customers.churn_jobs import check_churn
from plugins.customers.models import Contact, Customer
from plugins.customers.tags import create_tag
from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser

TOASTS = "#gx-toasts"


def mobile() -> str:
    """A mainland mobile number nobody else uses, as people type it (``139 1234 5678``)."""
    digits = f"{uuid.uuid4().int % 10**8:08d}"
    return f"139 {digits[:4]} {digits[4:]}"


def add_customer(live_server, owner_id: int, name: str, **values) -> int:
    """A customer of ``owner_id`` added behind the scenes (for what the test is not about)."""
    contacts = values.pop("contacts", ())
    with live_server.session() as session:
        customer = Customer(code=unique("J").upper(), name=name, owner_id=owner_id, custom={})
        for key, value in values.items():
            setattr(customer, key, value)
        session.add(customer)
        session.flush()
        for index, contact in enumerate(contacts):
            session.add(
                Contact(customer_id=customer.id, name=contact, is_primary=not index, custom={})
            )
        return customer.id


def customer_id_of(page) -> int:
    """The id of the customer whose page is open."""
    return int(re.search(r"/customers/(\d+)$", page.url).group(1))


def contacts_tab(page):
    """Open the customer page's Contacts tab; its panel."""
    tab = page.locator("[data-tab='customers.contacts']")
    tab.click()
    return page.locator(f"#{tab.get_attribute('aria-controls')}")


def search(page, text: str) -> None:
    """Type ``text`` into the list's search box and press Enter (waits for the results)."""
    box = page.locator("#f-q")
    box.fill(text)
    box.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(urlencode({"q": text}))))


# -- 1. create a company with two contacts, find it by pinyin -------------------------


def test_a_representative_on_a_phone_in_chinese_creates_a_company_with_two_contacts(
    people, sign_in, live_server
):
    """The new company shows 李四 as primary after "make primary", and 'zs' finds it in
    the representative's list (not in a colleague's, who finds only their own 张三)."""
    rep = people("sales_rep", language="zh_Hans")
    colleague = people("sales_rep", language="zh_Hans")
    theirs = add_customer(live_server, colleague.id, unique("同行公司 "), contacts=["张三"])
    unrelated = add_customer(live_server, rep.id, unique("无关客户 "), contacts=["王五"])
    name = unique("华东精密机械 ")
    page = sign_in(rep.username, "/customers", viewport=PHONE, locale="zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    page.locator(".gx-page-header a[href='/customers/new']").click()
    expect(page.locator("#kind")).to_have_value("company")
    expect(page.locator("#name")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(name)
    customer_id = customer_id_of(page)
    expect(page.locator("dd[data-primary-contact]")).to_have_text("—")

    for contact, number in (("张三", mobile()), ("李四", None)):
        contacts_tab(page).locator(f"a[href='/customers/{customer_id}/contacts/new']").click()
        expect(page.locator("#name")).to_be_focused()
        page.keyboard.type(contact)
        if number:
            page.locator("#mobile").fill(number)
        page.locator("#name").press("Enter")
        expect(page.locator("h1")).to_have_text(name)
        expect(page.locator(TOASTS)).to_contain_text(contact)
    expect(page.locator("dd[data-primary-contact]")).to_contain_text("张三")
    expect(page.locator("dd[data-primary-contact] a[href^='tel:+86139']")).to_be_visible()

    panel = contacts_tab(page)
    zhang = panel.locator("tr[data-contact]", has_text="张三")
    li = panel.locator("tr[data-contact]", has_text="李四")
    expect(zhang.locator("[data-primary]")).to_be_visible()
    expect(li.locator("[data-primary]")).to_have_count(0)
    # On a phone each contact is a card; its name is labelled as the table's column is.
    expect(panel.locator("thead")).to_be_hidden()
    column = panel.locator("thead th").first.text_content().strip()
    expect(zhang.locator("td").first).to_have_attribute("data-label", column)
    li.locator("form[action$='/primary'] button").click()
    expect(page.locator("dd[data-primary-contact]")).to_contain_text("李四")
    panel = contacts_tab(page)
    expect(
        panel.locator("tr[data-contact]", has_text="李四").locator("[data-primary]")
    ).to_be_visible()
    expect(
        panel.locator("tr[data-contact]", has_text="张三").locator("[data-primary]")
    ).to_have_count(0)

    page.locator(".breadcrumb a[href='/customers']").click()
    for query in ("zs", "zhangsan"):
        search(page, query)
        expect(page.locator(f"tr[data-customer='{customer_id}']")).to_contain_text(name)
        expect(page.locator(f"tr[data-customer='{unrelated}']")).to_have_count(0)
        expect(page.locator(f"tr[data-customer='{theirs}']")).to_have_count(0)

    other = sign_in(colleague.username, "/customers", viewport=PHONE, locale="zh-CN")
    search(other, "zs")
    expect(other.locator(f"tr[data-customer='{theirs}']")).to_contain_text("同行公司")
    expect(other.locator(f"tr[data-customer='{customer_id}']")).to_have_count(0)


# -- 2. tag a customer, filter the list by the tag ------------------------------------


def test_tag_a_customer_from_its_page_then_filter_the_list_by_the_tag(people, sign_in, live_server):
    """A tag picked in the customer header's editor shows on the page, and the list's
    Filters panel then shows that customer alone."""
    rep = people("sales_rep")
    tag = unique("Key account ")
    with live_server.session() as session:
        create_tag(session, tag)
    name = unique("Tagged ")
    tagged = add_customer(live_server, rep.id, name)
    untagged = add_customer(live_server, rep.id, unique("Untagged "))
    page = sign_in(rep.username, f"/customers/{tagged}")

    tags = page.locator("#customer-tags")
    tags.get_by_role("link", name="Add tags").click()
    editor = tags.locator("[data-tag-editor]")
    expect(editor.get_by_text("No tags yet.")).to_be_visible()
    expect(editor.get_by_role("searchbox")).to_be_focused()
    page.keyboard.type(tag.split()[-1])  # the end of its name is enough
    editor.get_by_role("button", name=f"Add {tag}").click()
    expect(editor.locator(f"[data-tag='{tag}']")).to_be_visible()
    editor.get_by_role("link", name="Done").click()
    expect(tags.locator("[data-tag-editor]")).to_have_count(0)
    expect(tags.locator(f"[data-tag='{tag}']")).to_be_visible()
    expect(tags.get_by_role("link", name="Edit tags")).to_be_visible()

    page.click("nav#gx-sidebar a[data-menu='customers']")
    expect(page.locator(f"tr[data-customer='{untagged}']")).to_be_visible()
    page.get_by_role("button", name="Filters").click()
    panel = page.locator("#gx-filters")
    panel.get_by_label(tag, exact=True).check()
    panel.get_by_role("button", name="Apply filters").click()
    filters = page.get_by_role("group", name="Active filters")
    expect(filters.get_by_role("link", name=f"Tags (any of): {tag}")).to_be_visible()
    rows = page.locator("tr[data-customer]")
    expect(rows).to_have_count(1)
    expect(rows).to_have_attribute("data-customer", str(tagged))
    expect(rows).to_contain_text(name)


# -- 3. churn: flagged by the daily check, paused, confirmed ----------------------------


def test_the_daily_check_flags_a_quiet_customer_and_its_owner_pauses_then_confirms_churn(
    people, sign_in, live_server
):
    """The owner is notified that a customer gone quiet is at risk, pauses churn with a
    measure and a date, later confirms it with a reason; the churn list follows along."""
    rep = people("sales_rep", language="zh_Hans")
    name = unique("沉睡客户 ")
    long_ago = utcnow() - dt.timedelta(days=400)
    customer_id = add_customer(live_server, rep.id, name, status="active", created_at=long_ago)
    with live_server.session() as session:
        assert check_churn(session) >= 1

    page = sign_in(rep.username, "/", locale="zh-CN")
    page.locator("header a[href='/notifications']").click()
    notice = page.locator("main .list-group-item", has_text=name)
    expect(notice).to_have_count(1)
    notice.locator(f"a[href='/customers/{customer_id}']").click()
    expect(page.locator("h1")).to_have_text(name)
    actions = page.locator("[data-churn-actions]")
    expect(actions.locator("a")).to_have_count(3)

    actions.locator("a[href$='/churn/pause']").click()
    expect(page.locator("#measure")).to_be_focused()
    page.keyboard.type("总经理亲自拜访，给予九折")
    check_on = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=14)
    page.locator("#check_on").fill(check_on.isoformat())
    page.locator("form.gx-form button[type='submit']").click()
    expect(page.locator("h1")).to_have_text(name)

    page.goto("/churn?state=paused")
    row = page.locator(f"tr[data-customer='{customer_id}']")
    expect(row).to_contain_text(name)
    row.locator("button[data-bs-toggle='collapse']").click()
    paused = page.locator(f"[data-churn-history='{customer_id}'] [data-churn-event='paused']")
    expect(paused).to_contain_text("总经理亲自拜访，给予九折")
    row.locator(f"a[href='/customers/{customer_id}']").click()

    page.locator("[data-churn-actions] a[href$='/churn/confirm']").click()
    expect(page.locator("#reason")).to_be_focused()
    page.keyboard.type("已改用竞争对手的产品")
    page.locator("form.gx-form button[type='submit']").click()
    expect(page.locator("h1")).to_have_text(name)
    actions = page.locator("[data-churn-actions]")
    expect(actions.locator("a")).to_have_count(1)
    expect(actions.locator("a[href$='/churn/reactivate']")).to_be_visible()

    page.goto("/churn?state=churned")
    row = page.locator(f"tr[data-customer='{customer_id}']")
    expect(row).to_contain_text("已改用竞争对手的产品")
    row.locator("button[data-bs-toggle='collapse']").click()
    history = page.locator(f"[data-churn-history='{customer_id}'] [data-churn-event]")
    expect(history).to_have_count(3)
    assert history.evaluate_all("items => items.map(item => item.dataset.churnEvent)") == [
        "confirmed",
        "paused",
        "flagged",
    ]
    page.goto("/churn?state=at_risk")
    expect(page.locator(f"tr[data-customer='{customer_id}']")).to_have_count(0)


# -- 4. an administrator transfers, merges, deletes and restores -----------------------


def test_an_administrator_transfers_a_customer_and_the_new_owner_is_notified(
    people, sign_in, live_server
):
    """After More → Transfer, the customer is in the new owner's list, not the old one's,
    and the new owner has a notification leading to it."""
    old, new = people("sales_rep"), people("sales_rep", language="zh_Hans")
    name = unique("Transferred ")
    customer_id = add_customer(live_server, old.id, name)
    admin = sign_in(people("admin").username, f"/customers/{customer_id}")

    admin.get_by_role("button", name="More").click()
    admin.get_by_role("link", name="Transfer to another owner").click()
    expect(admin.get_by_text(f"Current owner: {old.display_name}")).to_be_visible()
    admin.get_by_label("New owner").select_option(label=new.display_name)
    admin.get_by_role("button", name="Transfer").click()
    expect(admin.locator(TOASTS)).to_contain_text(f"{name} is transferred to {new.display_name}.")
    expect(admin.locator("h1")).to_have_text(name)

    page = sign_in(new.username, "/customers", locale="zh-CN")
    expect(page.locator(f"tr[data-customer='{customer_id}']")).to_contain_text(name)
    page.locator("header a[href='/notifications']").click()
    page.locator("main").get_by_role("link", name=name).click()
    expect(page.locator("h1")).to_have_text(name)

    before = sign_in(old.username, "/customers")
    expect(before.locator(f"tr[data-customer='{customer_id}']")).to_have_count(0)
    assert before.goto(f"/customers/{customer_id}").status == 404


def test_an_administrator_merges_a_duplicate_then_deletes_and_restores_the_customer(
    people, sign_in, live_server
):
    """A lookalike with the same phone is flagged when saved; merged field by field into
    the original, both contacts end up on it; deleted, it is restored from the bin."""
    rep = people("sales_rep")
    number = mobile()
    name = unique("Pujiang Precision ")
    kept_id = add_customer(
        live_server, rep.id, name, phone="+86" + number.replace(" ", ""), contacts=["王五"]
    )
    page = sign_in(people("admin").username, "/customers")

    page.get_by_role("link", name="New customer").first.click()
    duplicate = name + " Shanghai"
    page.fill("#name", duplicate)
    page.fill("#phone", number)
    email_address = f"{unique('buyer')}@pujiang.example"
    page.fill("#email", email_address)
    page.get_by_role("button", name="Save", exact=True).click()
    warning = page.locator("[data-duplicates]")
    expect(warning.locator(f"[data-duplicate='{kept_id}']")).to_contain_text("same phone")
    warning.get_by_role("button", name="Save anyway").click()
    expect(page.locator("h1")).to_have_text(duplicate)
    duplicate_id = customer_id_of(page)
    contacts_tab(page).get_by_role("link", name="Add contact").click()
    page.fill("#name", "赵六")
    page.press("#name", "Enter")
    expect(page.locator(TOASTS)).to_contain_text("Contact 赵六 is added.")

    page.goto(f"/customers/{kept_id}")
    page.get_by_role("button", name="More").click()
    page.get_by_role("link", name="Merge with a duplicate").click()
    page.locator(f"a[data-candidate='{duplicate_id}']").click()
    expect(page.locator("h1")).to_have_text("Merge two customers")
    email = page.locator("tr[data-field='email']")
    expect(email.locator("td").first).to_contain_text("—")
    email.get_by_label(email_address).check()
    page.locator("tr[data-field='name']").get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(TOASTS)).to_contain_text(f"{duplicate} was merged into {name}")
    expect(page.locator("h1")).to_have_text(name)
    expect(page.get_by_role("link", name=email_address)).to_be_visible()
    contacts = contacts_tab(page).locator("tr[data-contact]")
    expect(contacts).to_have_count(2)
    expect(contacts.filter(has_text="王五")).to_have_count(1)
    expect(contacts.filter(has_text="赵六")).to_have_count(1)
    expect(contacts.locator("[data-primary]")).to_have_count(1)
    assert page.goto(f"/customers/{duplicate_id}").status == 404

    page.goto(f"/customers/{kept_id}")
    page.locator(".gx-page-header form[action$='/delete'] button").click()
    expect(page.locator(f"[data-undo='{kept_id}']")).to_contain_text(f"{name} is deleted.")
    search(page, name)
    expect(page.locator(f"tr[data-customer='{kept_id}']")).to_have_count(0)
    page.get_by_role("link", name="Deleted customers").click()
    expect(page.locator("h1")).to_have_text("Deleted customers")
    row = page.locator(f"tr[data-customer='{kept_id}']")
    row.get_by_role("button", name="Restore").click()
    expect(page.locator(TOASTS)).to_contain_text(f"Customer {name} is restored.")
    expect(page.locator("h1")).to_have_text(name)
    expect(contacts_tab(page).locator("tr[data-contact]")).to_have_count(2)
