"""``guanxi generate``: consistent data in the proportions of the issue, the same for a seed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.generate import DataPlan, chunks, parallel_map, team_provinces
from core.search import SearchIndex
from core.security.models import Team, User
from plugins.customers import generate as customers_generate
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Contact, Customer, customer_tags
from plugins.customers.order_models import Order, OrderLine
from plugins.customers.search_index import search_filter

CUSTOMERS = 3000


@pytest.fixture
def generated(generate):
    return generate(CUSTOMERS)


def count(session, *query):
    return session.scalar(select(func.count()).select_from(*query))


def test_rows_come_in_the_proportions_of_a_real_crm(generated, dbsession):
    assert count(dbsession, Customer) == CUSTOMERS
    per_customer = {
        "contacts": count(dbsession, Contact) / CUSTOMERS,
        "follow-ups": count(dbsession, FollowUp) / CUSTOMERS,
        "orders": count(dbsession, Order) / CUSTOMERS,
        "lines per order": count(dbsession, OrderLine) / count(dbsession, Order),
        "tags": count(dbsession, customer_tags) / CUSTOMERS,
    }
    # Per million customers: 2 M contacts, 5 M follow-ups, 500 k orders.
    assert 1.8 <= per_customer["contacts"] <= 2.2, per_customer
    assert 4.5 <= per_customer["follow-ups"] <= 5.5, per_customer
    assert 0.4 <= per_customer["orders"] <= 0.6, per_customer
    assert 2 <= per_customer["lines per order"] <= 4, per_customer
    assert 0.5 <= per_customer["tags"] <= 2, per_customer
    deleted = count(
        dbsession, Customer.__table__.select().where(Customer.deleted_at.is_not(None)).subquery()
    )
    assert 0 < deleted < CUSTOMERS * 0.03


def test_users_form_teams_across_provinces_with_every_role(generated, dbsession):
    roles = {user.role for user in generated.users}
    assert roles == {"admin", "sales_manager", "sales_rep", "service_agent", "analyst"}
    # per million customers 200 users in 20 teams; a small database still has two teams
    seats = Counter(team_provinces(20, ["44", "32", "33", "31", "11"]))
    assert sum(seats.values()) == 20 and len(seats) == 5
    assert seats["44"] > seats["32"] > seats["11"]  # Guangdong has the most teams
    sales_teams = {user.team_id for user in generated.with_role("sales_rep")}
    assert len(sales_teams) >= 2
    assert all(user.region_codes for user in generated.with_role("sales_rep", "service_agent"))
    assert count(dbsession, Team) >= len(sales_teams) + 2


def test_every_customer_is_consistent(generated, dbsession):
    customers = dbsession.scalars(select(Customer)).all()
    owners = {user.id: user for user in dbsession.scalars(select(User))}
    codes = [customer.code for customer in customers]
    assert len(set(codes)) == len(codes)
    assert all(customer.team_id == owners[customer.owner_id].team_id for customer in customers)
    assert all(
        customer.custom.get("channel") in ("direct", "reseller", "online") for customer in customers
    )
    surnames = {customer.name[0] for customer in customers if customer.kind == "individual"}
    assert len(surnames) > 10  # a spread of surnames, not one name repeated
    assert len({customer.province_code for customer in customers}) >= 5
    primaries = dbsession.execute(
        select(Contact.customer_id, func.count())
        .where(Contact.is_primary)
        .group_by(Contact.customer_id)
    ).all()
    assert len(primaries) == CUSTOMERS and all(n == 1 for _id, n in primaries)
    latest = dict(
        dbsession.execute(
            select(FollowUp.customer_id, func.max(FollowUp.happened_at))
            .where(FollowUp.state == "done")
            .group_by(FollowUp.customer_id)
        ).all()
    )
    for customer in customers[:300]:
        assert customer.last_contact_at == latest.get(customer.id)
    assert all(customer.created_at <= customer.updated_at for customer in customers)


def test_the_search_index_and_pinyin_are_filled(generated, dbsession):
    person = dbsession.scalars(select(Customer).where(Customer.kind == "individual")).first()
    contact = dbsession.scalars(select(Contact).where(Contact.customer_id != person.id)).first()
    from core.search import pinyin_of_name

    for query in (person.name, pinyin_of_name(person.name)[0], contact.name, person.phone[-4:]):
        found = dbsession.scalars(select(Customer.id).where(search_filter(dbsession, query))).all()
        assert person.id in found or contact.customer_id in found, query
    entries = SearchIndex().search(dbsession, "customer", person.name, limit=500)
    assert person.id in entries


def _plan(users, customers=2 * customers_generate.CHUNK):
    return DataPlan(customers, 5, users, {}, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), workers=2)


def test_the_same_seed_gives_the_same_rows_with_any_number_of_workers(generated, dbsession):
    plan = _plan(generated.users)
    plan.record_types.update(generated.record_types)
    setting = customers_generate._setting(dbsession, plan)
    customers_generate._SETTING = setting
    try:
        bounds = chunks(plan.customers, customers_generate.CHUNK)
        serial = [rows.customers for rows in parallel_map(customers_generate._build, bounds, 1)]
        forked = [rows.customers for rows in parallel_map(customers_generate._build, bounds, 2)]
    finally:
        customers_generate._SETTING = None
    assert serial == forked
    assert len({row[1] for rows in serial for row in rows}) == plan.customers  # unique codes
