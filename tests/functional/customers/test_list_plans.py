"""Every filter, sort and scope of the customer list is served by an index, on both databases.

The statements the list page really runs (its page and its capped count) are
captured and EXPLAINed with their parameters on generated data; no plan may
scan the customers table, and no sort of the whole list may sort in memory.
A million customers make either mistake cost seconds (see ``guanxi bench``).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select, text

from core.security.models import User
from core.testing import query_plan
from plugins.customers.models import Customer, Tag

CUSTOMERS = 1500


@pytest.fixture
def captured(db_connection):
    """The (statement, parameters) of every SELECT reading the customers table."""
    found = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            r"\bFROM customers\b", statement
        ):
            found.append((statement, parameters))

    event.listen(db_connection, "before_cursor_execute", keep)
    yield found
    event.remove(db_connection, "before_cursor_execute", keep)


def full_scans(connection, lines):
    """Lines where the customers table is read whole."""
    if connection.dialect.name == "postgresql":
        return [line for line in lines if re.search(r"Seq Scan on customers\b", line)]
    return [line for line in lines if re.fullmatch(r"\s*SCAN customers\s*", line)]


def walks_by_id(statement):
    """The page newest first, or the capped count: both stop early on an id-ordered walk."""
    return bool(re.search(r"ORDER BY customers\.id DESC\s+LIMIT", statement)) or (
        "count(*)" in statement and "ORDER BY" not in statement and "LIMIT" in statement
    )


def sorts(connection, lines):
    """Lines where rows are sorted in memory instead of read in order from an index.

    PostgreSQL's Incremental Sort is not one: it reads the index in order and only
    orders the rows of equal keys by id (one row each for a unique code), stopping
    at the page's LIMIT like the index walk itself.
    """
    if connection.dialect.name == "postgresql":
        return [line for line in lines if re.search(r"(^|->)\s*Sort\s+\(", line)]
    return [line for line in lines if "USE TEMP B-TREE FOR ORDER BY" in line]


@pytest.fixture
def data(generate, dbsession):
    """Generated customers; SQLite plans as for a big table.

    Statistics of 1500 rows make SQLite's planner scan (rightly, for so few);
    without them it assumes a million rows per table, as at the scale that matters.
    PostgreSQL has sequential scans and sorts priced out instead (whatever its statistics
    say, which autovacuum may or may not have gathered): with rows this few it would
    rightly sort a representative's 70 customers in memory, and at scale it reads them
    in order from an index if one can give that order, which is what is checked.
    """
    plan = generate(CUSTOMERS)
    if dbsession.get_bind().dialect.name == "sqlite":
        dbsession.execute(text("DELETE FROM sqlite_stat1"))
        dbsession.execute(text("ANALYZE sqlite_schema"))  # reload: no statistics
    else:
        dbsession.execute(text("SET LOCAL enable_sort = off"))
    users = {user.id: user for user in dbsession.scalars(select(User))}
    sample = dbsession.execute(
        select(Customer).where(Customer.deleted_at.is_(None)).order_by(Customer.id).limit(1)
    ).scalar_one()
    return plan, users, sample


def _person(plan, users, role):
    return users[plan.with_role(role)[0].id]


def test_every_filter_sort_and_scope_reads_an_index(
    data, login_as, dbsession, db_connection, captured
):
    plan, users, sample = data
    admin = login_as(_person(plan, users, "admin"))
    tag = dbsession.scalars(select(Tag).where(Tag.name == "VIP")).one()
    other_tag = dbsession.scalars(select(Tag).where(Tag.name != "VIP").order_by(Tag.id)).first()
    filters = {
        "owner": {"owner_id": sample.owner_id},
        "team": {"team_id": sample.team_id},
        "province": {"province_code": sample.province_code},
        "city": {"province_code": sample.province_code, "city_code": sample.city_code},
        "level": {"level": "major"},
        "levels": {"level": ["major", "strategic"]},
        "status": {"status": "active"},
        "industry": {"industry": sample.industry or "manufacturing"},
        "tag": {"tag": tag.id},
        "all tags": {"tag": [tag.id, other_tag.id], "tag_mode": "all"},
        "created": {"created_from": "2024-01-01", "created_to": "2024-06-30"},
        "code prefix": {"code": sample.code[:6]},
        "name prefix": {"name": sample.name[:2]},
        "search": {"q": sample.name[2:4]},
        "custom choice": {"cf_channel": "reseller"},
    }
    sort_orders = ["name", "-name", "code", "created_at", "-updated_at"]
    # (label, client, parameters, read in index order, walking the table by id is the plan)
    cases = [("filter " + name, admin, params, False, False) for name, params in filters.items()]
    cases += [("sort " + order, admin, {"sort": order}, True, False) for order in sort_orders]
    cases.append(("recycle bin", admin, {"deleted": "1"}, True, False))
    # SQLite's table is its id index: newest first is a walk of it that stops after a page
    # (and the capped count after 1001 rows).  So is a region scope: it ORs the region
    # levels, which no single index returns in id order.
    cases.append(("sort -id", admin, {"sort": "-id"}, True, True))
    for role, by_id in (("sales_rep", False), ("sales_manager", False), ("service_agent", True)):
        web = login_as(_person(plan, users, role))
        cases.append((f"scope of {role}", web, {}, not by_id, by_id))
        cases.append((f"scope of {role}, by name", web, {"sort": "name"}, False, False))
    problems = []
    for label, web, params, ordered, by_id in cases:
        captured.clear()
        page = web.get("/customers", params=params)
        assert page.status_code == 200, label
        assert captured, label
        for statement, parameters in captured:
            lines = query_plan(db_connection, statement, parameters)
            if full_scans(db_connection, lines) and not (by_id and walks_by_id(statement)):
                problems.append((label, "scans the table", lines))
            if ordered and "ORDER BY" in statement and sorts(db_connection, lines):
                problems.append((label, "sorts in memory", lines))
    assert not problems, "\n".join(map(str, problems))
