"""Contracts on the customer page: numbers, dates, amounts, linked orders, versions, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from plugins.customers.order_models import Contract
from tests.functional.customers.order_fixtures import store_contract, store_order


def contract_form(**fields):
    data = {"title": "2026 年度供货合同", "currency": "CNY", "state": "signed", "number": ""}
    data.update(fields)
    return data


def contracts_of(dbsession, customer):
    """``{number: (title, amount, [order numbers], live)}`` as stored."""
    dbsession.expire_all()
    rows = dbsession.scalars(select(Contract).where(Contract.customer_id == customer.id))
    return {
        c.number: (c.title, c.amount, [o.number for o in c.orders], c.deleted_at is None)
        for c in rows
    }


def new_contract(web, customer, params, status=303):
    return web.post_form(f"/customers/{customer.id}/contracts/new", params, status=status)


def test_a_contract_covers_orders_and_defaults_to_their_total(
    login_as, org, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    first = store_order(dbsession, customer, lines=(("", "甲", "1", "100.50"),))
    second = store_order(dbsession, customer, lines=(("", "乙", "2", "50"),))
    store_order(dbsession, customer, lines=(("", "丙", "1", "1"),))
    web = login_as(org["rep"])
    form = web.get(f"/customers/{customer.id}/contracts/new")
    assert first.number in form.text and second.number in form.text
    params = contract_form(signed_on="2026-11-01") | {"order_ids": [first.id, second.id]}
    page = new_contract(web, customer, params).follow()
    assert contracts_of(dbsession, customer) == {
        "HT202600001": ("2026 年度供货合同", Decimal("200.50"), [first.number, second.number], True)
    }
    assert "CN¥200.50" in page.text and second.number in page.text
    new_contract(web, customer, contract_form(title="补充协议", amount="1,000"))
    assert contracts_of(dbsession, customer)["HT202600002"][:3] == (
        "补充协议",
        Decimal("1000.00"),
        [],
    )
    order_page = web.get(f"/orders/{first.id}")
    assert "HT202600001" in order_page.text  # the order shows the contracts covering it


def test_linking_another_customers_order_is_not_found(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    other = make_customer(org["rep"], name="另一家")
    foreign = store_order(dbsession, other)
    deleted = store_order(dbsession, customer, deleted_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    web = login_as(org["rep"])
    for order in (foreign, deleted):
        new_contract(web, customer, contract_form() | {"order_ids": [order.id]}, status=404)
    contract = store_contract(dbsession, customer, "HT-1")
    params = contract_form(number="HT-1", version=contract.version) | {"order_ids": [foreign.id]}
    web.post_form(f"/contracts/{contract.id}/edit", params, status=404)
    assert contracts_of(dbsession, customer) == {"HT-1": ("年度供货合同", Decimal("0"), [], True)}


def test_bad_input_is_explained(login_as, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    cases = [
        (contract_form(starts_on="2026-12-01", ends_on="2026-01-01"), "must not be before"),
        (contract_form(title=""), "This field is required."),
        (contract_form(amount="-5"), "Enter 0 or more."),
        (contract_form(amount="1.234"), "Use at most 2 decimal places."),
        (contract_form(number="合同 1"), "Use letters, digits, - and _ only."),
        (contract_form(state="lost"), "Not a valid choice"),
    ]
    for params, message in cases:
        assert message in new_contract(web, customer, params, status=200).text, message
    store_contract(dbsession, customer, "HT-TAKEN")
    page = new_contract(web, customer, contract_form(number="HT-TAKEN"), status=200)
    assert "This number is already in use." in page.text
    assert list(contracts_of(dbsession, customer)) == ["HT-TAKEN"]


def test_edit_refuses_a_stale_version_and_delete_asks_first(
    login_as, org, make_customer, dbsession
):
    customer = make_customer(org["rep"])
    order = store_order(dbsession, customer)
    contract = store_contract(dbsession, customer, "HT-9")
    web = login_as(org["rep"])
    params = contract_form(number="HT-9", version=contract.version) | {"order_ids": [order.id]}
    web.post_form(f"/contracts/{contract.id}/edit", params, status=303)
    assert contracts_of(dbsession, customer)["HT-9"][2] == [order.number]
    page = web.post_form(f"/contracts/{contract.id}/edit", params | {"title": "旧"}, status=200)
    assert "review and save again" in page.text
    assert contracts_of(dbsession, customer)["HT-9"][0] == "2026 年度供货合同"
    manager = login_as(org["manager"])
    detail = manager.get(f"/contracts/{contract.id}")
    assert "Delete the contract HT-9? Its orders stay." in detail.text
    dbsession.expire_all()
    manager.post_form(f"/contracts/{contract.id}/delete", {"version": contract.version})
    assert contracts_of(dbsession, customer)["HT-9"][3] is False
    manager.get(f"/contracts/{contract.id}", status=404)
    manager.get(f"/orders/{order.id}", status=200)  # its orders stay


def test_contract_pages_check_permission_and_scope(
    login_as, org, make_customer, dbsession, factory
):
    mine = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"])
    contract = store_contract(dbsession, theirs, "HT-X")
    own = store_contract(dbsession, mine, "HT-MINE")
    rep = login_as(org["rep"])
    rep.get(f"/contracts/{contract.id}", status=404)
    rep.get(f"/contracts/{contract.id}/edit", status=404)
    rep.get(f"/customers/{theirs.id}/contracts/new", status=404)
    rep.post_form(f"/customers/{theirs.id}/contracts/new", contract_form(), status=404)
    rep.post_form(f"/contracts/{own.id}/delete", {"version": own.version}, status=403)
    analyst = login_as(factory.user("analyst", role="analyst"))
    analyst.get(f"/contracts/{contract.id}", status=200)
    analyst.get(f"/contracts/{contract.id}/edit", status=403)
    analyst.get(f"/customers/{theirs.id}/contracts/new", status=403)
    assert list(contracts_of(dbsession, theirs)) == ["HT-X"]
