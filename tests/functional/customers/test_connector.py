"""The sales-system lookup: the built-in connector, a connector plugin taking over, failures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import hookimpl
from core.contributions import SalesOrder, SalesProduct, StockLevel
from tests.functional.customers.order_fixtures import store_order


class FakeErp:
    """A connector answering from a pretend ERP."""

    key = "fake-erp"
    label = "Acme ERP"

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def product_search(self, query, limit):
        self.asked.append(("search", query))
        return [SalesProduct("ERP-1", f"{query} 工业版", Decimal("88.00"))]

    def stock_level(self, product_code):
        return StockLevel(product_code, Decimal("42"), "件")

    def order_history(self, customer, limit):
        self.asked.append(("history", customer.id))
        return [SalesOrder("ERP-SO-77", dt.date(2020, 5, 4), Decimal("1234.5"), "CNY", "")]


class BrokenErp(FakeErp):
    def order_history(self, customer, limit):
        raise TimeoutError("the ERP did not answer")


@pytest.fixture
def connector_plugin(app):
    """``connector_plugin(connector)`` registers a plugin answering the hook with it."""
    pm = app.registry["modules"].pm
    registered = []

    def register(connector):
        class Plugin:
            @hookimpl
            def guanxi_sales_connector(self, request):
                return connector

        plugin = Plugin()
        pm.register(plugin, name=f"test-connector-{len(registered)}")
        registered.append(plugin)
        return connector

    yield register
    for plugin in registered:
        pm.unregister(plugin)


def test_the_builtin_connector_answers_from_stored_orders_in_scope(
    login_as, org, make_customer, dbsession
):
    customer = make_customer(org["rep"])
    theirs = make_customer(org["other_rep"])
    order = store_order(dbsession, customer, lines=(("GB-M8", "不锈钢螺栓 M8", "10", "1.20"),))
    store_order(dbsession, theirs, lines=(("GB-M9", "不锈钢螺栓 M9", "1", "1"),))
    web = login_as(org["rep"])
    tab = web.get(f"/customers/{customer.id}/orders")
    assert "Sales system lookup" in tab.text and "Orders recorded in Guanxi" in tab.text
    assert "stock levels are not available" in tab.text
    found = web.get(f"/customers/{customer.id}/sales-lookup", {"q": "不锈钢"})
    assert "GB-M8" in found.text and "GB-M9" not in found.text  # the other's order is hidden
    assert "Stock: not available" in found.text
    assert order.number in found.text  # the order history
    by_code = web.get(f"/customers/{customer.id}/sales-lookup", {"q": "GB"})
    assert "不锈钢螺栓 M8" in by_code.text
    nothing = web.get(f"/customers/{customer.id}/sales-lookup", {"q": "铜"})
    assert "No product matches." in nothing.text


def test_a_connector_plugin_takes_precedence(
    login_as, org, make_customer, dbsession, connector_plugin
):
    customer = make_customer(org["rep"])
    store_order(dbsession, customer, lines=(("GB-M8", "螺栓", "1", "1"),))
    erp = connector_plugin(FakeErp())
    web = login_as(org["rep"])
    tab = web.get(f"/customers/{customer.id}/orders")
    assert 'data-connector="fake-erp"' in tab.text and "Acme ERP" in tab.text
    assert "stock levels are not available" not in tab.text
    found = web.get(f"/customers/{customer.id}/sales-lookup", {"q": "螺栓"})
    assert "螺栓 工业版" in found.text and "In stock: 42 件" in found.text
    assert "CN¥88.00" in found.text and "ERP-SO-77" in found.text
    assert "GB-M8" not in found.text  # the built-in one was not asked
    assert erp.asked == [("search", "螺栓"), ("history", customer.id)]


def test_a_failing_connector_is_reported_not_a_crash(
    login_as, org, make_customer, connector_plugin
):
    customer = make_customer(org["rep"])
    connector_plugin(BrokenErp())
    page = login_as(org["rep"]).get(f"/customers/{customer.id}/sales-lookup")
    assert "The sales system did not answer." in page.text


def test_the_lookup_checks_permission_and_scope(login_as, org, make_customer, factory):
    theirs = make_customer(org["other_rep"])
    login_as(org["rep"]).get(f"/customers/{theirs.id}/sales-lookup", status=404)
    nobody = login_as(factory.user("nobody", role=None))
    nobody.get(f"/customers/{theirs.id}/sales-lookup", status=403)
