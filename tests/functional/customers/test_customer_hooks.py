"""What the customers module contributes elsewhere: search, menu, demo data, permissions."""

from __future__ import annotations

from sqlalchemy import select

from core.security.models import Region, User
from plugins.customers.demo import DEMO_CUSTOMERS, load_demo_customers
from plugins.customers.models import Customer


def test_global_search_finds_customers_in_scope_only(login_as, org, make_customer):
    mine = make_customer(org["rep"], "浦江精密机械", phone="+8613812345678")
    make_customer(org["other_rep"], "浦江物流")
    web = login_as(org["rep"])
    page = web.get("/search", params={"q": "浦江"})
    assert f"/customers/{mine.id}" in page.text
    assert "浦江物流" not in page.text
    assert f"/customers/{mine.id}" in web.get("/search", params={"q": "13812345678"}).text


def test_deleted_customers_are_not_found(login_as, org, make_customer, clock):
    gone = make_customer(org["rep"], "已删除公司", deleted_at=clock.now)
    page = login_as(org["rep"]).get("/search", params={"q": "已删除"})
    assert f"/customers/{gone.id}" not in page.text


def test_menu_entry_needs_the_view_permission(login_as, factory, org):
    assert 'data-menu="customers"' in login_as(org["rep"]).get("/").text
    assert 'data-menu="customers"' not in login_as(factory.user("nobody", role=None)).get("/").text


def test_demo_customers_are_valid_and_spread_over_the_demo_users(dbsession, factory):
    sales = factory.team("销售部")
    users = {
        "manager": factory.user("manager", role="sales_manager", team=sales),
        "east_rep": factory.user("east_rep", team=factory.team("华东", parent=sales)),
        "south_rep": factory.user("south_rep", team=factory.team("华南", parent=sales)),
    }
    assert load_demo_customers(dbsession, users) == len(DEMO_CUSTOMERS) >= 40
    customers = dbsession.scalars(select(Customer)).all()
    assert len({customer.code for customer in customers}) == len(customers)
    assert {customer.province_code for customer in customers} == {"31", "32", "44"}
    for customer in customers:
        for code in (customer.city_code, customer.district_code):
            if code:
                region = dbsession.get(Region, code)
                assert region is not None and region.code.startswith(customer.province_code)
        assert customer.team_id == dbsession.get(User, customer.owner_id).team_id


def test_default_grants_follow_the_roles(login_as, org, dbsession):
    from core.security.identity import load_grants

    def scopes(user):
        grants = load_grants(dbsession, user.id, frozenset({"customers"}))
        return {
            name.rsplit(".", 1)[1]: set(s)
            for name, s in grants.items()
            if name.startswith("customers.")
        }

    manager_actions = ("view", "create", "edit", "edit_status", "delete")
    assert scopes(org["manager"]) == {a: {"team"} for a in manager_actions}
    assert scopes(org["rep"]) == {a: {"own"} for a in ("view", "create", "edit", "edit_status")}
    assert scopes(org["agent"]) == {"view": {"all"}, "edit_status": {"all"}}
