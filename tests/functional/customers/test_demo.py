"""``guanxi demo``: a believable company, the same on every run, loaded once, consistent."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.demo import DEMO_USERS, load_demo
from core.search import pinyin_of_name
from core.security.models import Region, User
from plugins.customers.churn import load_rules
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer, Tag, customer_tags
from plugins.customers.order_models import Contract, Order, OrderLine
from plugins.customers.search_index import contact_search_filter, own_filter


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def demo(app, dbsession):
    """``demo(locale)`` loads the demo into the (rolled back) test database."""

    def load(locale="zh_Hans"):
        users = load_demo(dbsession, app.registry, locale)
        dbsession.flush()
        return users

    return load


def test_the_demo_is_a_consistent_company_with_a_year_of_history(demo, dbsession):
    users = demo()
    assert {username for username, *_rest in DEMO_USERS} <= set(users)
    assert_a_believable_company(dbsession)
    assert_some_were_entered_twice(dbsession)
    assert_the_invariants_hold(dbsession)
    assert_everybody_is_searchable(dbsession)


def assert_a_believable_company(dbsession):
    customers = dbsession.scalars(select(Customer)).all()
    assert 180 <= len(customers) <= 220
    statuses = Counter(customer.status for customer in customers)
    assert statuses["active"] > 100 and 3 <= statuses["at_risk"] <= 25
    assert 2 <= statuses["churned"] <= 15
    assert 10 <= Counter(customer.kind for customer in customers)["individual"] <= 60
    provinces = Counter(customer.province_code for customer in customers)
    assert len(provinces) >= 10 and provinces.most_common(1)[0][1] < len(customers) / 2
    teams = {dbsession.get(User, customer.owner_id).team_id for customer in customers}
    assert len(teams) >= 3  # both sales teams and the managers' department
    for customer in customers:
        assert customer.team_id == dbsession.get(User, customer.owner_id).team_id
        for code in (customer.city_code, customer.district_code):
            region = dbsession.get(Region, code) if code else None
            assert code is None or region.code.startswith(customer.province_code)
    assert 1000 <= count(dbsession, FollowUp) <= 2500
    assert count(dbsession, FollowUp, FollowUp.state == "planned") >= 20
    assert count(dbsession, FollowUpPlan) >= 10
    assert count(dbsession, Order) >= 300 and count(dbsession, Contract) >= 20
    assert count(dbsession, ChurnEvent, ChurnEvent.action == "confirmed") == statuses["churned"]
    groups = {tag.group for tag in dbsession.scalars(select(Tag).where(Tag.group.is_not(None)))}
    assert {"行业", "区域", "渠道"} <= groups
    assert count(dbsession, customer_tags) >= 200


def assert_some_were_entered_twice(dbsession):
    """A few companies were entered again by someone else: the duplicates page has work."""
    phones = Counter(dbsession.scalars(select(Customer.phone).where(Customer.phone.is_not(None))))
    twice = [phone for phone, times in phones.items() if times > 1]
    assert len(twice) >= 3
    for phone in twice:
        owners = dbsession.scalars(select(Customer.owner_id).where(Customer.phone == phone))
        assert len(set(owners)) > 1


def assert_the_invariants_hold(dbsession):
    now = utcnow()
    for customer in dbsession.scalars(select(Customer)):
        contacts = dbsession.scalars(select(Contact).where(Contact.customer_id == customer.id))
        assert [contact.is_primary for contact in contacts].count(True) == 1
        done = dbsession.scalars(
            select(FollowUp.happened_at).where(
                FollowUp.customer_id == customer.id, FollowUp.state == "done"
            )
        ).all()
        assert customer.last_contact_at == (max(done) if done else None)
        assert all(customer.created_at <= at <= now for at in done)
        orders = dbsession.scalars(
            select(Order.ordered_on).where(
                Order.customer_id == customer.id, Order.state != "cancelled"
            )
        ).all()
        expected = dt.datetime.combine(max(orders), dt.time(), dt.UTC) if orders else None
        assert customer.last_order_at == expected
    for order in dbsession.scalars(select(Order)):
        lines = dbsession.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
        assert lines and order.amount == sum(
            (line.quantity * line.unit_price for line in lines), Decimal(0)
        )
    for planned in dbsession.scalars(select(FollowUp).where(FollowUp.state == "planned")):
        assert planned.due_at is not None and planned.happened_at is None
        latest = dbsession.scalars(
            select(FollowUp)
            .where(FollowUp.customer_id == planned.customer_id, FollowUp.state == "done")
            .order_by(FollowUp.happened_at.desc())
        ).first()
        assert latest is None or latest.next_at == planned.due_at
    rules = load_rules(dbsession)
    for customer in dbsession.scalars(select(Customer)):
        held = set(rules.held(customer, now))
        if customer.status == "active":
            assert not held, customer.name  # the churn job finds nothing to flag at once
        elif customer.status in ("at_risk", "churned"):
            assert held == {"no_order", "no_contact"}, customer.name
            actions = dbsession.scalars(
                select(ChurnEvent.action)
                .where(ChurnEvent.customer_id == customer.id)
                .order_by(ChurnEvent.created_at)
            ).all()
            assert actions[0] == "flagged"
            assert (customer.status == "churned") == (actions[-1] == "confirmed")


def assert_everybody_is_searchable(dbsession):
    people = dbsession.scalars(select(Contact).order_by(Contact.id)).all()
    assert {person.name[0] for person in people} >= {"单", "曾", "解", "仇", "朴", "查", "区"}
    for person in people[:40]:
        reading, initials = pinyin_of_name(person.name)
        for query in (person.name, reading, initials):
            found = dbsession.scalars(
                select(Contact.id).where(contact_search_filter(dbsession, query))
            )
            assert person.id in found.all(), query
    for customer in dbsession.scalars(select(Customer).limit(20)):
        found = dbsession.scalars(select(Customer.id).where(own_filter(dbsession, customer.code)))
        assert customer.id in found.all()


def test_the_demo_is_deterministic_and_loads_once(demo, dbsession, app, clock):
    def contents():
        return [
            dbsession.scalars(select(model.name).order_by(model.id)).all()
            for model in (Customer, Contact)
        ]

    with dbsession.begin_nested() as first_run:
        demo()
        first = contents()
        first_run.rollback()
    assert dbsession.scalar(select(func.count()).select_from(Customer)) == 0
    clock.travel(days=3)  # the same names whatever the day
    demo()
    assert contents() == first
    before = {model: count(dbsession, model) for model in (Customer, Contact, FollowUp, Order)}
    assert load_demo(dbsession, app.registry) is None
    assert {model: count(dbsession, model) for model in before} == before


def test_the_english_demo_uses_english_names(demo, dbsession):
    users = demo("en")
    assert users["manager"].display_name == "Fiona Wang"
    names = (
        dbsession.scalars(select(Customer.name)).all()
        + dbsession.scalars(select(Contact.name)).all()
    )
    assert len(names) > 300 and all(name.isascii() for name in names)
    assert any(name.endswith("Co., Ltd.") for name in names)


def test_an_unknown_locale_is_refused(app, dbsession):
    with pytest.raises(ValueError):
        load_demo(dbsession, app.registry, "fr")
