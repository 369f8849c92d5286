"""A record's timeline: every module's entries merged by time, paged, scoped, redacted."""

from __future__ import annotations

import datetime as dt
import re
import types

import pytest
from sqlalchemy import delete

from core.audit import AuditEvent
from core.contributions import TimelineEntry
from core.modules import Manifest, Module, ModuleState, hookimpl
from plugins.customers.models import Customer
from plugins.customers.service import assign_owner, next_code

FAKE = "timeline_fake"
T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


class FakePlugin:
    """A module answering the hook from a fixed list, as the hook's contract says."""

    def __init__(self, entries: list[TimelineEntry]) -> None:
        self.entries = sorted(entries, key=lambda entry: entry.at, reverse=True)

    @hookimpl
    def guanxi_timeline_entries(self, request, record_type, record, before, limit):
        if record_type != "customer":
            return []
        return [e for e in self.entries if before is None or e.at < before][:limit]


@pytest.fixture
def install(app, dbsession, monkeypatch):
    """``install(entries)`` enables a fake module answering with ``entries``."""
    registry = app.registry["modules"]
    monkeypatch.setattr(registry, "_relays", {})
    installed = []

    def install(entries: list[TimelineEntry]) -> None:
        plugin = FakePlugin(entries)
        manifest = Manifest(FAKE, FAKE, "", "1.0")
        monkeypatch.setitem(
            registry.modules, FAKE, Module(manifest, types.ModuleType(FAKE), plugin)
        )
        registry.pm.register(plugin, name=FAKE)
        installed.append(plugin)
        dbsession.add(ModuleState(name=FAKE, enabled=True))
        dbsession.flush()

    yield install
    for plugin in installed:
        registry.pm.unregister(plugin)


@pytest.fixture
def customer_of(dbsession):
    def make(owner, name="上海测试有限公司", **columns):
        customer = Customer(
            code=next_code(dbsession, dt.date(2026, 11, 22)), name=name, custom={}, **columns
        )
        assign_owner(customer, owner)
        dbsession.add(customer)
        dbsession.flush()
        return customer

    return make


def titles(page) -> list[str]:
    return re.findall(r'<div class="fw-semibold">(?:<a [^>]*>)?([^<]*)', page.text)


def more_link(page) -> str | None:
    match = re.search(r'hx-get="([^"]*timeline\?before=[^"]*)"', page.text)
    return match.group(1).replace("&amp;", "&") if match else None


def test_entries_of_modules_are_merged_newest_first(login_as, factory, customer_of, install, clock):
    rep = factory.user("rep", role="sales_rep")
    customer = customer_of(rep)  # created on the clock's day: the newest entry
    install(
        [
            TimelineEntry(T0, "visit", "Visited the factory", "谈了新订单", icon="building"),
            TimelineEntry(T0 + dt.timedelta(days=2), "call", "Called the buyer", actor="李强"),
        ]
    )
    page = login_as(rep).get(f"/records/customer/{customer.id}/timeline")
    assert titles(page) == ["Created", "Called the buyer", "Visited the factory"]
    assert "谈了新订单" in page.text and "李强" in page.text
    assert 'data-kind="visit"' in page.text and 'data-kind="change"' in page.text
    # Shown in the user's time zone (Asia/Shanghai by default): 08:00 UTC is 4:00 PM there.
    assert "4:00:00\u202fPM" in page.text or "4:00:00 PM" in page.text


def test_load_more_pages_across_entries_of_the_same_instant(
    login_as, factory, customer_of, install
):
    rep = factory.user("rep", role="sales_rep")
    customer = customer_of(rep)
    # 40 entries at one instant (more than a page, and more than a module is first asked for).
    same = [TimelineEntry(T0, "call", f"Call {number:02d}") for number in range(40)]
    install([*same, TimelineEntry(T0 - dt.timedelta(hours=1), "call", "Earlier call")])
    web = login_as(rep)
    page = web.get(f"/records/customer/{customer.id}/timeline")
    seen = titles(page)
    pages = 1
    while (url := more_link(page)) is not None:
        page = web.get(url, headers={"HX-Request": "true"})
        assert "<section" not in page.text  # only the next entries, for the list
        seen += titles(page)
        pages += 1
    assert pages == 2
    assert seen[0] == "Created" and seen[-1] == "Earlier call"
    assert sorted(seen[1:-1]) == [f"Call {number:02d}" for number in range(40)]


def test_the_timeline_is_scoped_to_the_record(login_as, factory, customer_of, client):
    rep = factory.user("rep", role="sales_rep")
    theirs = customer_of(factory.user("other", role="sales_rep"))
    web = login_as(rep)
    web.get(f"/records/customer/{theirs.id}/timeline", status=404)
    web.get("/records/customer/999999/timeline", status=404)
    web.get(f"/records/nosuchtype/{theirs.id}/timeline", status=404)
    web.get(f"/records/customer/{theirs.id}/timeline?before=garbage", status=404)
    login_as(factory.user("nobody", role=None)).get(
        f"/records/customer/{theirs.id}/timeline", status=404
    )
    url = f"/records/customer/{theirs.id}/timeline"
    assert "/login" in client.get(url, status=303).location


def test_changes_show_fields_and_hide_sensitive_values(login_as, factory, customer_of, dbsession):
    rep = factory.user("rep", role="sales_rep")
    customer = customer_of(rep, name="旧名字")
    customer.name = "新名字"
    customer.id_number = "11010519491231002X"
    dbsession.flush()
    page = login_as(rep).get(f"/records/customer/{customer.id}/timeline")
    assert "Name: 旧名字 → 新名字" in page.text
    assert "ID number: hidden → hidden" in page.text or "ID number: — → hidden" in page.text
    assert "11010519491231002X" not in page.text and "002X" not in page.text


def test_an_empty_timeline_says_so(login_as, factory, customer_of, dbsession):
    rep = factory.user("rep", role="sales_rep")
    customer = customer_of(rep)
    dbsession.execute(delete(AuditEvent).where(AuditEvent.record_id == str(customer.id)))
    page = login_as(rep).get(f"/records/customer/{customer.id}/timeline")
    assert "Nothing has happened yet" in page.text and titles(page) == []


def test_the_customer_page_opens_on_the_overview(login_as, factory, customer_of):
    rep = factory.user("rep", role="sales_rep")
    customer = customer_of(rep)
    page = login_as(rep).get(f"/customers/{customer.id}")
    tabs = re.findall(r'data-tab="([^"]+)"', page.text)
    assert tabs[0] == "customers.overview"
    assert f'hx-get="/records/customer/{customer.id}/timeline"' in page.text
