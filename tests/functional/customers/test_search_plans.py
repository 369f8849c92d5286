"""Searching is an index lookup, not a table scan, on SQLite (FTS5) and PostgreSQL (GIN).

The statements the list page, the API and global search really run are
captured and EXPLAINed on the same connection with the same parameters.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, insert, select

from core.db import utcnow
from core.security.tokens import create_token
from core.testing import query_plan
from plugins.customers.models import Contact, Customer
from plugins.customers.search_index import REBUILDERS

ROWS = 2000
TABLES = ("customers", "contacts", "search_entries", "search_fts")


@pytest.fixture
def captured(db_connection):
    """The (statement, parameters) of every query touching the search index, as run."""
    found = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "search_entries" in statement and statement.lstrip().upper().startswith("SELECT"):
            found.append((statement, parameters))

    event.listen(db_connection, "before_cursor_execute", keep)
    yield found
    event.remove(db_connection, "before_cursor_execute", keep)


def plan(connection, statement, parameters):
    """The query plan's lines, PostgreSQL's with fresh statistics (as autovacuum keeps)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("ANALYZE customers, contacts, search_entries")
    return query_plan(connection, statement, parameters)


def assert_index_lookup(connection, lines):
    """No table of the search is scanned; the text index answers the terms."""
    text = "\n".join(lines)
    if connection.dialect.name == "postgresql":
        assert "ix_search_entries_terms" in text, text
        for table in TABLES:
            assert not re.search(rf"Seq Scan on {table}\b", text), text
        return
    assert re.search(r"SCAN search_fts VIRTUAL TABLE INDEX \d+:M", text), text
    for line in lines:
        scanned = re.match(r"SCAN (\w+)", line)  # derived tables (anon_1 …) are fine
        assert not scanned or scanned.group(1) not in TABLES or ":M" in line, text
        if "search_entries" in line:
            assert "PRIMARY KEY" in line, text  # never every entry of a record type


@pytest.fixture
def data(dbsession, org):
    """Two thousand customers with a contact each, of two representatives, indexed.

    Enough rows for PostgreSQL's statistics to look like a real table; written
    with Core inserts, then indexed by the rebuild ``guanxi reindex`` runs.
    """
    owners = [org["rep"], org["other_rep"]]
    customers = [
        {
            "code": f"T{n:06d}",
            "name": f"张三{n}贸易有限公司" if n % 500 == 0 else f"客户{n}有限公司",
            "kind": "company",
            "level": "normal",
            "status": "active",
            "phone": f"+86139{n:08d}",
            "owner_id": owners[n % 2].id,
            "team_id": owners[n % 2].team_id,
            "notes": "",
            "custom": {},
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "version": 1,
        }
        for n in range(ROWS)
    ]
    dbsession.execute(insert(Customer), customers)
    ids = dbsession.scalars(select(Customer.id).order_by(Customer.id)).all()
    contacts = [
        {
            "customer_id": customer_id,
            "name": "李四" if n % 500 == 0 else f"联系人{n}",
            "gender": "unspecified",
            "is_primary": True,
            "notes": "",
            "custom": {},
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "version": 1,
        }
        for n, customer_id in enumerate(ids)
    ]
    dbsession.execute(insert(Contact), contacts)
    for rebuild in REBUILDERS.values():
        rebuild(dbsession)
    dbsession.flush()


def test_list_api_and_global_search_use_the_index(
    data, org, login_as, client, dbsession, db_connection, captured
):
    permissions = ["customers.customer.view", "customers.contact.view"]
    for person in (org["rep"], org["manager"]):
        web = login_as(person)
        token = create_token(dbsession, person, "t", permissions)[1]
        headers = {"Authorization": f"Bearer {token}"}
        for query in ("zs", "张三", "0500", "139 0000 050", "李四"):
            captured.clear()
            assert web.get("/customers", params={"q": query}).status_code == 200
            web.get("/search", params={"q": query})
            client.get("/api/v1/customers", params={"q": query}, headers=headers)
            client.get("/api/v1/contacts", params={"q": query}, headers=headers)
            assert len(captured) >= 5  # list, global search (customers, contacts), two APIs
            for statement, parameters in list(captured):
                lines = plan(db_connection, statement, parameters)
                assert_index_lookup(db_connection, lines)
