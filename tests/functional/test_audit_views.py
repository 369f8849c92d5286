"""Settings → Audit trail, its CSV export and the History of records."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pyramid.scripting import prepare
from sqlalchemy import select

from core import audit_export
from core.audit import Actor, AuditEvent, record_event
from core.security.models import Role, RoleGrant


def log(dbsession, action="login", summary="", actor=None, **kw):
    record_event(dbsession, action, summary=summary, actor=actor, **kw)
    dbsession.flush()


def event_ids(page):
    return [int(value) for value in re.findall(r'data-event="(\d+)"', page.text)]


def summaries(page):
    return re.findall(r'class="text-break">([^<]*)</td>', page.text)


@pytest.fixture
def auditor(admin, login_as):
    return login_as(admin)


# -- access ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    assert "/login" in client.get("/settings/audit", status=303).location


def test_the_trail_is_for_admins_only(factory, login_as):
    web = login_as(factory.user("rep", role="sales_rep"))
    web.get("/settings/audit", status=403)
    web.post_form("/settings/audit/export", {}, status=403)


def test_the_settings_menu_links_the_trail(auditor, factory, login_as):
    assert 'data-menu="settings.audit"' in auditor.get("/").text
    rep = login_as(factory.user("rep", role="sales_rep"))
    assert 'data-menu="settings.audit"' not in rep.get("/").text


# -- the trail page -------------------------------------------------------------


def test_events_are_listed_newest_first_with_labels(auditor, dbsession, factory):
    alice = factory.user("alice", display_name="Alice Wang")
    log(dbsession, "login", "first", Actor(kind="user", user_id=alice.id))
    log(dbsession, "frobnicated", "second")
    page = auditor.get("/settings/audit", params={"q": "first"})
    assert "Alice Wang" in page.text and "Logged in" in page.text
    page = auditor.get("/settings/audit")
    assert summaries(page)[:2] == ["second", "first"]
    assert 'data-action="frobnicated">frobnicated<' in page.text


def test_changes_are_shown_before_and_after(auditor, dbsession, factory):
    team = factory.team("Sales East")
    team.name = "Sales South"
    dbsession.flush()
    page = auditor.get(
        "/settings/audit", params={"record_type": "teams", "record_id": str(team.id)}
    )
    assert "<details" in page.text
    assert "<del" in page.text and "Sales East" in page.text and "Sales South" in page.text
    assert f'href="/history/team/{team.id}"' in page.text


def test_filter_by_actor_action_and_text(auditor, dbsession, factory):
    alice = factory.user("alice")
    bob = factory.user("bob")
    log(dbsession, "login", "alice in", Actor(kind="user", user_id=alice.id))
    log(dbsession, "logout", "alice out", Actor(kind="user", user_id=alice.id))
    log(dbsession, "login", "bob in", Actor(kind="user", user_id=bob.id))
    assert summaries(auditor.get("/settings/audit", params={"actor": "ALICE"})) == [
        "alice out",
        "alice in",
    ]
    assert summaries(auditor.get("/settings/audit", params={"action": "login", "q": "in"})) == [
        "bob in",
        "alice in",
    ]
    assert summaries(auditor.get("/settings/audit", params={"q": "OUT"})) == ["alice out"]


def test_dates_are_days_in_the_users_time_zone(auditor, dbsession, clock):
    clock.travel(hours=-10.5)  # 2026-11-21 15:30 UTC = 23:30 in Shanghai
    log(dbsession, summary="marker late on the 21st")
    clock.travel(hours=1)  # 00:30 on the 22nd in Shanghai, still the 21st in UTC
    log(dbsession, summary="marker early on the 22nd")
    page = auditor.get(
        "/settings/audit",
        params={"q": "marker", "date_from": "2026-11-22", "date_to": "2026-11-22"},
    )
    assert summaries(page) == ["marker early on the 22nd"]
    page = auditor.get("/settings/audit", params={"q": "marker", "date_to": "2026-11-21"})
    assert summaries(page) == ["marker late on the 21st"]


def test_bad_filters_are_explained(auditor):
    page = auditor.get(
        "/settings/audit", params={"date_from": "2026-11-22", "date_to": "2026-11-01"}
    )
    assert "The end date is before the start date." in page.text
    assert event_ids(page) == []
    page = auditor.get("/settings/audit", params={"actor": "nobody-at-all"})
    assert "No user has this username or name." in page.text
    page = auditor.get("/settings/audit", params={"action": "<script>", "date_from": "soon"})
    assert "Not a valid choice" in page.text and "Not a valid date value" in page.text
    assert "<script>" not in page.text


def test_empty_results_say_what_to_do(auditor):
    page = auditor.get("/settings/audit", params={"q": "no such summary anywhere"})
    assert "No events match these filters" in page.text


def test_pages_follow_each_other_without_offset(auditor, dbsession):
    for number in range(55):
        log(dbsession, summary=f"paged {number:02d}")
    first = auditor.get("/settings/audit", params={"q": "paged"})
    assert len(event_ids(first)) == 50
    older = re.search(r'href="([^"]+)" rel="next"', first.text).group(1)
    second = auditor.get(older.replace("&amp;", "&"))
    assert summaries(second) == [f"paged {number:02d}" for number in range(4, -1, -1)]
    assert 'rel="next"' not in second.text
    assert not set(event_ids(first)) & set(event_ids(second))


def test_a_broken_page_link_shows_the_newest(auditor, dbsession):
    log(dbsession, summary="still here")
    page = auditor.get("/settings/audit", params={"before": "yesterday"})
    assert "This page link is not valid any more" in page.text
    assert "still here" in page.text


# -- export ---------------------------------------------------------------------


def read_csv(response):
    assert response.body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))


def test_export_streams_the_filtered_trail_as_safe_csv(auditor, dbsession):
    log(dbsession, "login", '=HYPERLINK("http://evil")')
    log(dbsession, "login", "-12.5")
    log(dbsession, "logout", "not exported")
    response = auditor.post_form("/settings/audit/export", {"action": "login", "q": "e"})
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["Time", "Actor", "Action"]
    cells = [row[5] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "not exported" not in cells
    assert {row[2] for row in rows[1:]} == {"Logged in"}


def test_negative_numbers_are_not_neutralised(auditor, dbsession):
    log(dbsession, "login", "-12.5")
    rows = read_csv(auditor.post_form("/settings/audit/export", {"q": "-12.5"}))
    assert [row[5] for row in rows[1:]] == ["-12.5"]


def test_export_reads_in_batches(auditor, dbsession, monkeypatch):
    monkeypatch.setattr(audit_export, "BATCH_SIZE", 3)
    for number in range(8):
        log(dbsession, summary=f"batch {number}")
    rows = read_csv(auditor.post_form("/settings/audit/export", {"q": "batch"}))
    assert [row[5] for row in rows[1:]] == [f"batch {number}" for number in range(7, -1, -1)]


def test_the_export_is_audited(auditor, dbsession, admin):
    auditor.post_form("/settings/audit/export", {"action": "logout"})
    exported = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert [(row.actor_user_id, row.record_type) for row in exported] == [
        (admin.id, "audit_events")
    ]
    assert exported[0].changes["filters"] == {"action": "logout"}


def test_export_with_bad_filters_goes_back_to_the_page(auditor):
    response = auditor.post_form("/settings/audit/export", {"date_from": "never"}, status=303)
    assert "/settings/audit?date_from=never" in response.location


# -- history of a record --------------------------------------------------------


def test_history_is_a_page_and_an_htmx_fragment(auditor, factory, dbsession):
    team = factory.team("Sales East")
    team.name = "Sales South"
    dbsession.flush()
    page = auditor.get(f"/history/team/{team.id}")
    assert "<html" in page.text and "Sales South" in page.text
    fragment = auditor.get(f"/history/team/{team.id}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.count('data-event="') == len(event_ids(page)) >= 2
    assert "Updated" in fragment.text and "Created" in fragment.text


def test_history_shows_the_values_at_a_moment(auditor, factory, dbsession, clock):
    team = factory.team("Sales East")
    clock.travel(hours=2)
    team.name = "Sales South"
    dbsession.flush()
    url = f"/history/team/{team.id}"
    # 11:00 in Shanghai: an hour after the creation, an hour before the rename.
    page = auditor.get(url, params={"at": "2026-11-22T11:00"}, headers={"HX-Request": "true"})
    state = re.search(r'data-field="name">([^<]*)<', page.text).group(1)
    assert state.strip() == "Sales East"
    assert "changed since" in page.text
    page = auditor.get(url, params={"at": "2026-11-22T01:00:00+00:00"})
    assert "This record did not exist yet" in page.text
    page = auditor.get(url, params={"at": "the day before"})
    assert "Enter a date and time" in page.text


def test_history_needs_the_records_permission_and_scope(factory, dbsession, login_as):
    own_role = Role(name="Self-service")
    own_role.grants.append(RoleGrant(permission="core.users.manage", scope="own"))
    dbsession.add(own_role)
    limited = factory.user("limited", role=None)
    limited.roles.append(own_role)
    other = factory.user("other")
    dbsession.flush()
    web = login_as(limited)
    web.get(f"/history/user/{limited.id}", status=200)
    web.get(f"/history/user/{other.id}", status=404)
    rep = login_as(factory.user("rep", role="sales_rep"))
    rep.get(f"/history/user/{other.id}", status=404)


def test_history_of_unknown_records_is_not_found(auditor):
    auditor.get("/history/user/999999", status=404)
    auditor.get("/history/user/abc", status=404)
    auditor.get("/history/nothing/1", status=404)


def test_history_needs_a_login(client, admin):
    assert "/login" in client.get(f"/history/user/{admin.id}", status=303).location


def test_record_pages_get_a_history_tab(app, admin, db_connection):
    env = prepare(registry=app.registry)
    request = env["request"]
    request.tm.begin()
    try:
        tabs = [
            tab
            for tabs in request.hooks.guanxi_record_tabs(
                request=request, record_type="user", record=admin
            )
            for tab in tabs
        ]
    finally:
        request.tm.abort()
        env["closer"]()
    assert [(tab.key, tab.url, tab.order) for tab in tabs] == [
        ("history", f"/history/user/{admin.id}", 900)
    ]
