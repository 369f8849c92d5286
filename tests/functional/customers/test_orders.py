"""Orders on the customer page: lines and amounts, numbers, validation, versions, scope,
the customer's last order date, the order list and the timeline."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from sqlalchemy import select

from core.security.models import Role, RoleGrant
from plugins.customers.models import Customer
from plugins.customers.order_models import Order
from tests.functional.customers.order_fixtures import order_form, store_contract, store_order


def orders_of(dbsession, customer):
    """The customer's orders as stored: ``{number: (amount, state, live)}``."""
    dbsession.expire_all()
    rows = dbsession.scalars(select(Order).where(Order.customer_id == customer.id))
    return {o.number: (o.amount, o.state, o.deleted_at is None) for o in rows}


def last_order_day(dbsession, customer):
    dbsession.expire_all()
    value = dbsession.get(Customer, customer.id).last_order_at
    return value and value.date()


def new_order(web, customer, status=303, **kw):
    return web.post_form(f"/customers/{customer.id}/orders/new", order_form(**kw), status=status)


# -- amounts and numbers ---------------------------------------------------------------------


def test_amount_is_the_decimal_sum_of_the_lines_rounded_half_up(
    login_as, org, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    lines = [
        ("A-1", "垫片", "0.5", "0.01"),
        ("B-2", "螺母", "3", "0.10"),
        ("", "安装服务", "1", "10"),
    ]
    page = new_order(web, customer, lines=lines).follow()
    # 0.005 + 0.30 + 10 = 10.305 → 10.31 (half-up; binary floats or half-even give 10.30)
    assert orders_of(dbsession, customer) == {"SO2026000001": (Decimal("10.31"), "confirmed", True)}
    assert "CN¥10.31" in page.text
    assert "安装服务" in page.text and "CN¥0.30" in page.text  # the line total 3 × 0.10


def test_numbers_follow_the_yearly_sequence_and_an_own_number_must_be_free(
    login_as, org, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    new_order(web, customer)
    new_order(web, customer, number="X-7")
    new_order(web, customer)
    assert set(orders_of(dbsession, customer)) == {"SO2026000001", "X-7", "SO2026000002"}
    page = new_order(web, customer, number="X-7", status=200)
    assert "This number is already in use." in page.text
    assert len(orders_of(dbsession, customer)) == 3


def test_a_number_taken_meanwhile_is_replaced_by_the_next(
    login_as, org, make_customer, dbsession, clock, monkeypatch
):
    customer = make_customer(org["rep"])
    store_order(dbsession, customer, number="SO2026000001")
    from plugins.customers import orders

    real = orders.next_number
    answers = iter(["SO2026000001"])  # what a concurrent save took just before
    monkeypatch.setattr(orders, "next_number", lambda *args: next(answers, None) or real(*args))
    new_order(login_as(org["rep"]), customer)
    assert set(orders_of(dbsession, customer)) == {"SO2026000001", "SO2026000002"}


# -- validation ----------------------------------------------------------------------------


def test_bad_input_is_explained_and_saves_nothing(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    cases = [
        ([("", "螺丝", "0", "1")], "Enter a number above 0."),
        ([("", "螺丝", "1.2345", "1")], "Use at most 3 decimal places."),
        ([("", "螺丝", "1", "-1")], "Enter 0 or more."),
        ([("", "螺丝", "1", "1.005")], "Use at most 2 decimal places."),
        ([("", "螺丝", "1e3", "1")], "Enter a number such as 12.5."),
        ([("", "螺丝", "100000000000", "0")], "Enter at most 99999999999.999."),
        ([("", "螺丝", "0.001", "1000000000000")], "Enter at most 999999999999.99."),
        ([("", "", "1", "1")], "Enter the product."),
        ([("", "", "", "")], "Add at least one line."),
        ([("", "螺丝", "1", "999999999999")] * 2, "The total is too large: split the order."),
    ]
    for lines, message in cases:
        page = new_order(web, customer, lines=lines, status=200)
        assert message in page.text, message
    page = new_order(web, customer, currency="XXX", status=200)
    assert "Not a valid choice" in page.text
    page = new_order(web, customer, day="", status=200)
    assert "This field is required." in page.text
    assert orders_of(dbsession, customer) == {}


def test_blank_lines_are_ignored(login_as, org, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    lines = [("", "", "", ""), ("P-1", "螺丝", "2", "1.50"), ("", "", "", "")]
    new_order(login_as(org["rep"]), customer, lines=lines)
    order = dbsession.scalars(select(Order).where(Order.customer_id == customer.id)).one()
    assert [(line.position, line.product_name) for line in order.lines] == [(0, "螺丝")]
    assert order.amount == Decimal("3.00")


def test_line_rows_are_added_and_removed_without_saving(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    lines = [("A", "甲", "1", "1"), ("B", "乙", "2", "2")]
    url = f"/customers/{customer.id}/orders/new"
    page = web.post_form(url, {**order_form(lines=lines), "add_line": "1"})
    assert len(re.findall(r"<tr data-line=", page.text)) == 3
    page = web.post_form(
        url, {**order_form(lines=lines), "remove_line": "0"}, headers={"HX-Request": "true"}
    )
    assert len(re.findall(r"<tr data-line=", page.text)) == 1
    assert 'value="乙"' in page.text and 'value="甲"' not in page.text
    assert orders_of(dbsession, customer) == {}


# -- editing, versions, deleting, last order date ---------------------------------------------


def test_editing_replaces_the_lines_and_a_stale_version_is_refused(
    login_as, org, make_customer, dbsession
):
    customer = make_customer(org["rep"])
    order = store_order(dbsession, customer, lines=(("A", "甲", "1", "5"), ("B", "乙", "1", "5")))
    web = login_as(org["rep"])
    form = order_form(lines=[("A", "甲", "4", "5")], number=order.number, version=order.version)
    web.post_form(f"/orders/{order.id}/edit", form, status=303)
    dbsession.expire_all()
    assert order.amount == Decimal("20.00") and len(order.lines) == 1
    assert order.version == 2  # changing only the lines still moves the order's version
    page = web.post_form(f"/orders/{order.id}/edit", {**form, "notes": "late"}, status=200)
    assert "review and save again" in page.text
    dbsession.expire_all()
    assert order.notes == ""


def test_last_order_date_follows_every_change(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    assert last_order_day(dbsession, customer) is None
    new_order(web, customer, day="2026-10-01")
    new_order(web, customer, day="2026-11-05")
    assert last_order_day(dbsession, customer) == dt.date(2026, 11, 5)
    latest = dbsession.scalars(select(Order).where(Order.ordered_on == dt.date(2026, 11, 5))).one()
    form = order_form(day="2026-11-05", state="cancelled", number=latest.number)
    web.post_form(f"/orders/{latest.id}/edit", {**form, "version": latest.version}, status=303)
    assert last_order_day(dbsession, customer) == dt.date(2026, 10, 1)
    first = dbsession.scalars(select(Order).where(Order.ordered_on == dt.date(2026, 10, 1))).one()
    manager = login_as(org["manager"])
    manager.post_form(f"/orders/{first.id}/delete", {"version": first.version}, status=303)
    assert last_order_day(dbsession, customer) is None
    assert orders_of(dbsession, customer)[first.number][2] is False  # soft-deleted


def test_delete_needs_the_current_version(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    order = store_order(dbsession, customer)
    web = login_as(org["manager"])
    page = web.post_form(f"/orders/{order.id}/delete", {"version": 99}, status=303).follow()
    assert "review and save again" in page.text
    assert orders_of(dbsession, customer)[order.number][2] is True
    detail = web.get(f"/orders/{order.id}")
    assert f"Delete the order {order.number}?" in detail.text  # the confirmation


# -- permissions and scope ------------------------------------------------------------------


def test_every_page_refuses_without_permission_and_hides_other_customers(
    login_as, org, make_customer, dbsession, factory
):
    mine = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"], name="别人的客户")
    order = store_order(dbsession, theirs)
    own_order = store_order(dbsession, mine)
    rep = login_as(org["rep"])
    for url in (
        f"/customers/{theirs.id}/orders",
        f"/customers/{theirs.id}/orders/new",
        f"/customers/{theirs.id}/sales-lookup",
        f"/orders/{order.id}",
        f"/orders/{order.id}/edit",
    ):
        rep.get(url, status=404)
    rep.post_form(f"/orders/{order.id}/edit", order_form(), status=404)
    # Representatives do not delete orders, not even their own.
    rep.post_form(f"/orders/{own_order.id}/delete", {"version": 1}, status=403)
    analyst = login_as(factory.user("analyst", role="analyst"))
    analyst.get(f"/orders/{order.id}", status=200)
    analyst.get(f"/customers/{theirs.id}/orders/new", status=403)
    analyst.get(f"/orders/{order.id}/edit", status=403)
    analyst.post_form(f"/orders/{order.id}/delete", {"version": 1}, status=403)
    nobody = login_as(factory.user("nobody", role=None))
    nobody.get("/orders", status=403)
    nobody.get(f"/customers/{mine.id}/orders", status=403)
    assert "别人的客户" not in rep.get("/orders").text
    assert len(orders_of(dbsession, theirs)) == 1


def test_a_deleted_order_is_gone(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    order = store_order(dbsession, customer)
    web = login_as(org["manager"])
    web.post_form(f"/orders/{order.id}/delete", {"version": order.version}, status=303)
    web.get(f"/orders/{order.id}", status=404)
    assert order.number not in web.get(f"/customers/{customer.id}/orders").text


# -- the tab, the list, the timeline -----------------------------------------------------------


def test_the_tab_shows_totals_in_the_users_language(
    login_as, org, make_customer, dbsession, factory, clock
):
    customer = make_customer(org["rep"])
    store_order(dbsession, customer, dt.date(2025, 6, 1), lines=(("", "旧货", "1", "1000"),))
    store_order(dbsession, customer, dt.date(2026, 3, 1), lines=(("", "新货", "2", "617.25"),))
    store_order(dbsession, customer, dt.date(2026, 4, 1), state="cancelled")
    store_contract(dbsession, customer, "HT202600001", amount=Decimal("8000"))
    tab = login_as(org["rep"]).get(f"/customers/{customer.id}/orders")
    assert re.search(r'data-total="lifetime">.*?CN¥2,234\.50', tab.text, re.S)
    assert re.search(r'data-total="year">.*?CN¥1,234\.50', tab.text, re.S)
    assert "HT202600001" in tab.text and "New order" in tab.text
    chinese = factory.user("zhang", role="sales_manager", team=org["sales"], language="zh_Hans")
    tab = login_as(chinese).get(f"/customers/{customer.id}/orders")
    assert re.search(r'data-total="lifetime">.*?¥2,234\.50', tab.text, re.S)
    assert "CN¥" not in tab.text
    detail = login_as(org["rep"]).get(f"/customers/{customer.id}")
    assert f"/customers/{customer.id}/orders" in detail.text  # the tab is offered


def test_the_order_list_filters_and_pages(login_as, org, make_customer, dbsession):
    first = make_customer(org["rep"], name="甲公司")
    second = make_customer(org["rep"], name="乙公司")
    for day in range(1, 29):
        store_order(dbsession, first, dt.date(2026, 2, day))
        store_order(dbsession, second, dt.date(2026, 2, day), state="draft")
    web = login_as(org["rep"])
    page = web.get("/orders")
    numbers = re.findall(r'data-order="(\d+)"', page.text)
    assert len(numbers) == 50
    rest = web.get(page.html.find("a", rel="next")["href"])
    assert len(re.findall(r'data-order="\d+"', rest.text)) == 6
    assert rest.html.find("a", rel="next") is None
    page = web.get("/orders", {"state": "draft", "from": "2026-02-10", "to": "2026-02-12"})
    assert len(re.findall(r'data-order="\d+"', page.text)) == 3
    assert "甲公司" not in page.text.split("data-orders")[1]
    page = web.get("/orders", {"customer_id": first.id, "to": "2026-02-02"})
    assert len(re.findall(r'data-order="\d+"', page.text)) == 2
    assert "Customer: 甲公司" in page.text
    page = web.get("/orders", {"customer": "乙", "to": "2026-02-01"})
    assert len(re.findall(r'data-order="\d+"', page.text)) == 1
    page = web.get("/orders", {"cursor": "garbage"})
    assert "no longer available" in page.text


def test_orders_and_contracts_are_on_the_customers_timeline(
    login_as, org, make_customer, dbsession, factory
):
    customer = make_customer(org["rep"])
    store_order(dbsession, customer, dt.date(2026, 3, 1), number="SO-OLD")
    store_order(dbsession, customer, dt.date(2026, 5, 1), number="SO-NEW")
    store_contract(dbsession, customer, "HT-1", signed_on=dt.date(2026, 4, 1), amount=Decimal("99"))
    store_contract(dbsession, customer, "HT-UNSIGNED")
    page = login_as(org["rep"]).get(f"/records/customer/{customer.id}/timeline")
    text = page.text
    assert text.index("Order SO-NEW") < text.index("Contract HT-1 signed")
    assert text.index("Contract HT-1 signed") < text.index("Order SO-OLD")
    assert "HT-UNSIGNED" not in text
    # Without the order permission, the customer's timeline shows no orders.
    viewer = factory.user("viewer", role=None)
    viewer.roles.append(
        Role(name="只看客户", grants=[RoleGrant(permission="customers.customer.view", scope="all")])
    )
    dbsession.flush()
    page = login_as(viewer).get(f"/records/customer/{customer.id}/timeline")
    assert "SO-NEW" not in page.text and "HT-1" not in page.text
