"""``/api/v1/orders`` and ``/api/v1/contracts``: create with lines, read, list, update, delete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.customers.models import Customer
from plugins.customers.order_models import Contract, Order
from tests.functional.customers.order_fixtures import (
    ORDER_PERMISSIONS,
    Api,
    store_contract,
    store_order,
)

LINES = [
    {"product_code": "P-1", "product_name": "螺丝", "quantity": "0.5", "unit_price": "0.01"},
    {"product_name": "安装", "quantity": 3, "unit_price": 19.99},
]


@pytest.fixture
def api(client, dbsession):
    """``api(user, permissions=…)`` → a client with a bearer token of ``user``."""
    return lambda user, permissions=ORDER_PERMISSIONS: Api(client, dbsession, user, permissions)


def test_orders_are_created_read_changed_and_deleted(api, org, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    rep = api(org["rep"])
    body = {"customer_id": customer.id, "ordered_on": "2026-11-20", "lines": LINES}
    created = rep.post("/api/v1/orders", body, status=201)
    order = created.json
    # 0.005 + 59.97 = 59.975 → 59.98 (half-up, in decimals)
    assert order["amount"] == "59.98" and order["number"] == "SO2026000001"
    assert order["currency"] == "CNY" and order["state"] == "confirmed"
    assert [line["quantity"] for line in order["lines"]] == ["0.5", "3"]
    assert created.location.endswith(f"/api/v1/orders/{order['id']}")
    read = rep.get(f"/api/v1/orders/{order['id']}")
    assert read.etag == str(order["version"])
    dbsession.expire_all()
    assert dbsession.get(Customer, customer.id).last_order_at.date() == dt.date(2026, 11, 20)

    patch = {"version": order["version"], "lines": [LINES[1]], "state": "shipped"}
    changed = rep.patch(f"/api/v1/orders/{order['id']}", patch).json
    assert changed["amount"] == "59.97" and changed["state"] == "shipped"
    assert changed["version"] == order["version"] + 1
    stale = rep.patch(f"/api/v1/orders/{order['id']}", {**patch, "notes": "x"}, status=409)
    assert stale.json["current_version"] == changed["version"]
    rep.patch(f"/api/v1/orders/{order['id']}", {"notes": "x"}, status=428)

    manager = api(org["manager"])
    manager.delete(f"/api/v1/orders/{order['id']}", status=204)
    manager.get(f"/api/v1/orders/{order['id']}", status=404)
    dbsession.expire_all()
    assert dbsession.get(Order, order["id"]).deleted_at is not None
    assert dbsession.get(Customer, customer.id).last_order_at is None


def test_bad_orders_are_refused_with_field_errors(api, org, make_customer, dbsession):
    customer = make_customer(org["rep"])
    rep = api(org["rep"])
    body = {"customer_id": customer.id, "ordered_on": "2026-11-20"}
    cases = [
        ({**body, "lines": [{**LINES[0], "quantity": "0"}]}, "lines[0].quantity"),
        ({**body, "lines": [LINES[1], {**LINES[0], "unit_price": "1.001"}]}, "lines[1].unit_price"),
        ({**body, "lines": [{**LINES[0], "quantity": True}]}, "lines[0].quantity"),
        ({**body, "lines": [{**LINES[0], "colour": "red"}]}, "lines[0].colour"),
        ({**body, "lines": ["螺丝"]}, "lines[0]"),
        ({**body, "lines": []}, "lines"),
        ({**body, "lines": LINES, "currency": "ABC"}, "currency"),
        ({**body, "lines": LINES, "ordered_on": "yesterday"}, "ordered_on"),
        ({**body, "lines": LINES, "custom": {}}, "custom"),
        ({"ordered_on": "2026-11-20", "lines": LINES}, "customer_id"),
    ]
    for sent, field in cases:
        problem = rep.post("/api/v1/orders", sent, status=422).json
        assert field in problem["errors"], (field, problem)
    problem = rep.post(
        "/api/v1/orders", {**body, "lines": [{**LINES[0], "quantity": "0"}]}, status=422
    )
    assert problem.json["errors"]["lines[0].quantity"] == ["Enter a number above 0."]
    assert dbsession.scalars(select(Order)).all() == []


def test_the_api_works_within_the_customers_scope(api, org, make_customer, dbsession, factory):
    mine = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"])
    order = store_order(dbsession, theirs)
    contract = store_contract(dbsession, theirs, "HT-X")
    rep = api(org["rep"])
    body = {"customer_id": theirs.id, "ordered_on": "2026-11-20", "lines": LINES}
    rep.post("/api/v1/orders", body, status=404)
    rep.post("/api/v1/contracts", {"customer_id": theirs.id, "title": "x"}, status=404)
    for url in (f"/api/v1/orders/{order.id}", f"/api/v1/contracts/{contract.id}"):
        rep.get(url, status=404)
        rep.patch(url, {"version": 1, "notes": "x"}, status=404)
    # Representatives never delete orders: refused even for their own.
    own = store_order(dbsession, mine)
    rep.delete(f"/api/v1/orders/{own.id}", status=403)
    assert rep.get("/api/v1/orders").json["items"] == [rep.get(f"/api/v1/orders/{own.id}").json]
    # A token without the order permissions reaches nothing.
    reader = api(org["rep"], ["customers.customer.view"])
    reader.get("/api/v1/orders", status=403)
    reader.get(f"/api/v1/orders/{own.id}", status=403)
    reader.post("/api/v1/orders", {**body, "customer_id": mine.id}, status=403)
    analyst = api(factory.user("analyst", role="analyst"))
    assert analyst.get(f"/api/v1/orders/{order.id}").json["number"] == order.number
    analyst.patch(f"/api/v1/orders/{order.id}", {"version": 1, "notes": "x"}, status=403)
    analyst.delete(f"/api/v1/contracts/{contract.id}", status=403)
    rep.patch(f"/api/v1/orders/{own.id}", {"version": 1, "customer_id": theirs.id}, status=422)


def test_lists_filter_sort_and_page(api, org, make_customer, dbsession):
    first = make_customer(org["rep"])
    second = make_customer(org["rep"])
    for day in range(1, 6):
        store_order(dbsession, first, dt.date(2026, 3, day))
        store_order(dbsession, second, dt.date(2026, 3, day), state="draft")
    rep = api(org["rep"])
    page = rep.get("/api/v1/orders", {"limit": 3}).json
    assert [o["ordered_on"] for o in page["items"]] == ["2026-03-05", "2026-03-05", "2026-03-04"]
    rest = rep.get(page["next"].removeprefix("http://localhost")).json
    assert len(rest["items"]) == 3
    found = rep.get(
        "/api/v1/orders",
        {"customer_id": first.id, "ordered_on__gte": "2026-03-02", "ordered_on__lt": "2026-03-04"},
    ).json["items"]
    assert [o["ordered_on"] for o in found] == ["2026-03-03", "2026-03-02"]
    drafts = rep.get("/api/v1/orders", {"state": "draft", "sort": "ordered_on"}).json["items"]
    assert [o["ordered_on"] for o in drafts][:2] == ["2026-03-01", "2026-03-02"]
    assert {o["customer_id"] for o in drafts} == {second.id}
    problem = rep.get("/api/v1/orders", {"owner_id": 1}, status=400).json
    assert problem["parameter"] == "owner_id"
    store_contract(dbsession, first, "HT-A", signed_on=dt.date(2026, 1, 1))
    store_contract(dbsession, second, "HT-B")
    contracts = rep.get("/api/v1/contracts", {"signed_on__isnull": "true"}).json["items"]
    assert [c["number"] for c in contracts] == ["HT-B"]


def test_contracts_link_only_the_customers_own_orders(api, org, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    other = make_customer(org["rep"])
    first = store_order(dbsession, customer, lines=(("", "甲", "1", "10"),))
    second = store_order(dbsession, customer, lines=(("", "乙", "1", "20"),))
    foreign = store_order(dbsession, other)
    rep = api(org["rep"])
    body = {
        "customer_id": customer.id,
        "title": "框架合同",
        "signed_on": "2026-11-01",
        "starts_on": "2026-11-01",
        "ends_on": "2027-10-31",
        "order_ids": [first.id, second.id],
    }
    contract = rep.post("/api/v1/contracts", body, status=201).json
    assert contract["number"] == "HT202600001" and contract["amount"] == "30.00"
    assert contract["order_ids"] == [first.id, second.id]
    rep.post("/api/v1/contracts", {**body, "order_ids": [foreign.id]}, status=404)
    url = f"/api/v1/contracts/{contract['id']}"
    rep.patch(url, {"version": contract["version"], "order_ids": [foreign.id]}, status=404)
    problem = rep.patch(
        url, {"version": contract["version"], "ends_on": "2026-01-01"}, status=422
    ).json
    assert "ends_on" in problem["errors"]
    changed = rep.patch(
        url, {"version": contract["version"], "order_ids": [second.id], "amount": "25.5"}
    ).json
    assert changed["order_ids"] == [second.id] and changed["amount"] == "25.50"
    rep.patch(url, {"version": contract["version"], "title": "旧"}, status=409)
    api(org["manager"]).delete(url, status=204)
    dbsession.expire_all()
    assert dbsession.get(Contract, contract["id"]).deleted_at is not None
    assert dbsession.get(Order, second.id).deleted_at is None
    assert Decimal(rep.get(f"/api/v1/orders/{second.id}").json["amount"]) == Decimal("20")


def test_orders_and_contracts_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    for path in ("/orders", "/orders/{id}", "/contracts", "/contracts/{id}"):
        assert path in document["paths"], path
    assert {"Order", "OrderInput", "Contract", "ContractPatch"} <= set(
        document["components"]["schemas"]
    )
