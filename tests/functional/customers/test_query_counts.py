"""Customer pages send a fixed number of statements however many rows they show (no N+1).

Each page is loaded, rows it shows are added, and it is loaded again: the
statement count must not grow.  The last test removes the list's eager loading
to show that the check catches an N+1.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.testing import assert_bounded_queries
from plugins.customers import views
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Contact
from plugins.customers.order_models import Order
from plugins.customers.tags import add_tags, create_tag

ALL_COLUMNS = ["name", "code", "status", "level", "industry", "owner", "region", "phone"]
ALL_COLUMNS += ["tags", "last_contact", "updated", "created"]


@pytest.fixture
def shop(org, make_customer, dbsession):
    """A representative with two customers in Shanghai carrying a tag; ``more()`` adds 30."""
    rep = org["rep"]
    tag = create_tag(dbsession, "行业-制造业")
    made = []

    def more(count):
        for number in range(count):
            customer = make_customer(
                rep, name=f"上海客户{len(made)}有限公司", city_code="3101", phone="+8613800000000"
            )
            made.append(customer)
            add_tags(dbsession, [customer.id], [tag.id])
            dbsession.add(Contact(customer_id=customer.id, name=f"张{number}", is_primary=True))
        dbsession.flush()

    more(2)
    return {"rep": rep, "more": more, "customers": made}


def test_the_list_page_costs_the_same_with_50_rows_as_with_2(shop, org, login_as, count_statements):
    for person in (org["rep"], org["manager"], org["agent"]):
        web = login_as(person)
        load = lambda web=web: web.get("/customers", params={"cols": ALL_COLUMNS}, status=200)  # noqa: E731
        assert_bounded_queries(count_statements, load, lambda: shop["more"](20))


def test_search_costs_the_same_however_many_match(shop, login_as, count_statements):
    web = login_as(shop["rep"])
    load = lambda: web.get("/customers", params={"q": "上海"}, status=200)  # noqa: E731
    assert_bounded_queries(count_statements, load, lambda: shop["more"](20))


def test_a_customer_page_and_its_tabs_cost_the_same_with_a_long_history(
    shop, login_as, count_statements, dbsession
):
    customer = shop["customers"][0]
    rep = shop["rep"]
    web = login_as(rep)
    paths = [
        f"/customers/{customer.id}",
        f"/customers/{customer.id}/contacts",
        f"/customers/{customer.id}/follow-ups",
        f"/customers/{customer.id}/orders",
        f"/records/customer/{customer.id}/timeline",
    ]

    def history(first=0, count=12):
        now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for number in range(first, first + count):
            contact = Contact(
                customer_id=customer.id, name=f"李{number}", mobile=f"+86139{number:08d}"
            )
            dbsession.add(contact)
            dbsession.flush()
            dbsession.add(
                FollowUp(
                    customer_id=customer.id, contact_id=contact.id, user_id=rep.id,
                    subject=f"回访 {number}", happened_at=now - dt.timedelta(days=number),
                )
            )  # fmt: skip
            dbsession.add(
                Order(
                    customer_id=customer.id, number=f"SO-T{number}", custom={},
                    ordered_on=(now - dt.timedelta(days=number)).date(),
                )
            )  # fmt: skip
        dbsession.flush()

    def load():
        for path in paths:
            web.get(path, status=200)

    history(100, 1)  # one of each already: eager loads of nothing send nothing
    assert_bounded_queries(count_statements, load, history)


def test_the_check_catches_a_page_that_loads_each_row_s_region_apart(
    shop, login_as, count_statements, monkeypatch
):
    monkeypatch.setattr(views, "load_options", lambda columns: [])  # no eager loading: N+1
    web = login_as(shop["rep"])
    load = lambda: web.get("/customers", params={"cols": ALL_COLUMNS}, status=200)  # noqa: E731
    with pytest.raises(AssertionError, match="N\\+1"):
        assert_bounded_queries(count_statements, load, lambda: shop["more"](20))
