"""Settings → Customer choice lists: levels, industries, sizes, sources, and the code pattern."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.settings_store import get_setting
from plugins.customers.dictionaries import entries
from plugins.customers.models import Customer
from plugins.customers.service import next_code

PAGE = "/settings/customer-lists"
LABELS = {"label_en": "Mining", "label_zh_Hans": "采矿业", "label_zh_Hant": "採礦業"}


def codes(session, kind):
    return [entry.code for entry in entries(session, kind)]


def entry(session, kind, code):
    return next(item for item in entries(session, kind) if item.code == code)


def offered(page, name):
    """The values the customer form offers in the select ``name``."""
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page.text, re.S)
    return re.findall(r'value="([^"]*)"', select_html.group(1))


# -- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales_manager", "sales_rep", "service_agent", "analyst"])
def test_only_administrators_open_the_settings(login_as, factory, dbsession, role):
    web = login_as(factory.user("someone", role=role))
    level = entry(dbsession, "level", "normal")
    web.get(PAGE, status=403)
    web.get(f"{PAGE}/new?kind=industry", status=403)
    web.get(f"{PAGE}/{level.id}", status=403)
    for action in ("move", "retire", "reactivate"):
        web.post_form(f"{PAGE}/{level.id}/{action}", {"direction": "down"}, status=403)
    web.post_form(f"{PAGE}/code-pattern", {"pattern": "X{seq:06}"}, status=403)
    assert level.active and get_setting(dbsession, "customers.code_pattern") is None


def test_unknown_entries_are_404_and_unknown_lists_refused(login_as, admin):
    web = login_as(admin)
    web.get(f"{PAGE}/999999", status=404)
    page = web.get(f"{PAGE}/new?kind=colour")
    assert '<option selected value="industry">' in page.text
    refused = web.post_form(f"{PAGE}/new", {"kind": "colour", "code": "red", **LABELS})
    assert re.search(r'id="kind-errors"[^>]*><div>Not a valid choice', refused.text)
    web.post_form(f"{PAGE}/999999/retire", status=404)


def test_the_page_lists_the_seeded_entries_in_order(login_as, admin, dbsession, clock):
    page = login_as(admin).get(PAGE, headers={"Accept-Language": "zh-CN"})
    assert codes(dbsession, "level") == ["normal", "key_prospect", "major", "partner", "strategic"]
    for label in (
        "普通客户",
        "重点开发客户",
        "大客户",
        "战略合作伙伴",
        "制造业",
        "转介绍",
        "1–20 人",
    ):
        assert label in page.text
    assert "C{yyyy}{seq:06}" in page.text
    assert "C2026000001" in page.text


# -- entries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({"code": "finance", **LABELS}, "code", "already has an entry with this code"),
        ({"code": "Mining Co", **LABELS}, "code", "lower-case letters"),
        ({"code": "", **LABELS}, "code", "This field is required"),
        ({"code": "mining", **LABELS, "label_zh_Hant": ""}, "label_zh_Hant", "required"),
        ({"code": "mining", **LABELS, "label_en": "   "}, "label_en", "in every language"),
    ],
)
def test_adding_an_entry_is_validated(login_as, admin, dbsession, values, field, message):
    before = codes(dbsession, "industry")
    page = login_as(admin).post_form(f"{PAGE}/new?kind=industry", values, status=200)
    assert re.search(rf'id="{field}-errors"[^>]*><div>[^<]*{message}', page.text)
    assert codes(dbsession, "industry") == before


def test_an_added_entry_is_offered_last_and_audited(login_as, admin, org, dbsession):
    web = login_as(admin)
    assert '<option selected value="size">' in web.get(f"{PAGE}/new?kind=size").text
    response = web.post_form(
        f"{PAGE}/new", {"kind": "industry", "code": "mining", **LABELS}, status=303
    )
    assert response.location.endswith("#list-industry")
    assert codes(dbsession, "industry")[-1] == "mining"
    added = entry(dbsession, "industry", "mining")
    event = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "customer_dictionary", AuditEvent.record_id == str(added.id)
        )
    ).one()
    assert (event.action, event.actor_user_id) == ("create", admin.id)
    form = login_as(org["rep"]).get("/customers/new", headers={"Accept-Language": "zh-TW"})
    assert offered(form, "industry")[-1] == "mining"
    assert "採礦業" in form.text


def test_renaming_changes_every_label_but_not_the_code(login_as, admin, dbsession):
    level = entry(dbsession, "level", "major")
    web = login_as(admin)
    assert "data-code>major</span>" in web.get(f"{PAGE}/{level.id}").text
    web.post_form(
        f"{PAGE}/{level.id}",
        {
            "label_en": "Key account",
            "label_zh_Hans": "重要客户",
            "label_zh_Hant": "重要客戶",
            "version": level.version,
            "code": "hacked",
        },
        status=303,
    )
    dbsession.refresh(level)
    assert (level.code, level.labels["zh_Hans"], level.version) == ("major", "重要客户", 2)
    stale = web.post_form(
        f"{PAGE}/{level.id}",
        {"label_en": "Late", "label_zh_Hans": "迟", "label_zh_Hant": "遲", "version": 1},
        status=200,
    )
    assert "Somebody changed this entry meanwhile" in stale.text
    assert 'value="重要客户"' in stale.text
    dbsession.refresh(level)
    assert level.labels["en"] == "Key account"


def test_moving_an_entry_reorders_the_form(login_as, admin, org, dbsession):
    web = login_as(admin)
    strategic = entry(dbsession, "level", "strategic")
    web.post_form(f"{PAGE}/{strategic.id}/move", {"direction": "up"}, status=303)
    normal = entry(dbsession, "level", "normal")
    web.post_form(f"{PAGE}/{normal.id}/move", {"direction": "up"}, status=303)  # already first
    web.post_form(f"{PAGE}/{normal.id}/move", {"direction": "sideways"}, status=404)
    expected = ["normal", "key_prospect", "major", "strategic", "partner"]
    assert codes(dbsession, "level") == expected
    assert offered(login_as(org["rep"]).get("/customers/new"), "level") == expected


def test_a_retired_entry_keeps_its_label_where_customers_use_it(
    login_as, admin, org, dbsession, make_customer
):
    customer = make_customer(org["rep"], level="partner")
    partner = entry(dbsession, "level", "partner")
    web = login_as(admin)
    web.post_form(f"{PAGE}/{partner.id}/retire", status=303)
    dbsession.refresh(partner)
    assert partner.active is False
    assert "Retired" in web.get(PAGE).text
    rep = login_as(org["rep"])
    assert "partner" not in offered(rep.get("/customers/new"), "level")
    assert 'data-fact="level">Partner</li>' in rep.get(f"/customers/{customer.id}").text
    listed = rep.get("/customers", params={"level": "partner"})
    assert f'data-customer="{customer.id}"' in listed.text
    web.post_form(f"{PAGE}/{partner.id}/reactivate", status=303)
    assert "partner" in offered(rep.get("/customers/new"), "level")


def test_the_last_offered_level_cannot_be_retired(login_as, admin, dbsession):
    web = login_as(admin)
    levels = entries(dbsession, "level")
    for level in levels[1:]:
        web.post_form(f"{PAGE}/{level.id}/retire", status=303)
    page = web.post_form(f"{PAGE}/{levels[0].id}/retire", status=303).follow()
    assert "keep at least one level offered" in page.text
    dbsession.refresh(levels[0])
    assert levels[0].active


# -- the code pattern -----------------------------------------------------------------------


def test_a_new_pattern_numbers_new_customers_and_is_audited(login_as, admin, org, dbsession, clock):
    web = login_as(admin)
    response = web.post_form(f"{PAGE}/code-pattern", {"pattern": "kh-{yy}{mm}-{seq:04}"})
    assert response.status_int == 303
    assert "KH-2611-0001" in response.follow().text
    assert get_setting(dbsession, "customers.code_pattern") == "KH-{yy}{mm}-{seq:04}"
    event = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "settings_changed")
    ).one()
    assert event.changes == {"customers.code_pattern": ["C{yyyy}{seq:06}", "KH-{yy}{mm}-{seq:04}"]}
    rep = login_as(org["rep"])
    form = {
        "name": "新客户",
        "kind": "company",
        "level": "normal",
        "status": "potential",
        "owner_id": org["rep"].id,
    }
    for name in ("甲公司", "乙公司"):
        rep.post_form("/customers/new", {**form, "name": name}, status=303)
    clock.travel(days=40)
    login_as(org["rep"]).post_form("/customers/new", {**form, "name": "丙公司"}, status=303)
    assert dbsession.scalars(select(Customer.code).order_by(Customer.id)).all() == [
        "KH-2611-0001",
        "KH-2611-0002",
        "KH-2701-0001",
    ]


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("C{yyyy}", "exactly one sequence number"),
        ("C{dd}{seq:06}", "{dd} is not a part of code patterns"),
        ("客户{seq:06}", "letters, digits, - and _ only"),
        ("ABCDEFGHIJKLMNOPQRSTUVW{seq:010}", "longer than 32 characters"),
        ("", "This field is required"),
    ],
)
def test_a_pattern_that_cannot_number_customers_is_refused(
    login_as, admin, dbsession, pattern, message
):
    page = login_as(admin).post_form(f"{PAGE}/code-pattern", {"pattern": pattern}, status=200)
    assert re.search(r'id="pattern-errors"[^>]*><div>[^<]*' + re.escape(message), page.text)
    assert get_setting(dbsession, "customers.code_pattern") is None


def test_numbers_continue_after_codes_typed_by_hand(dbsession, org, make_customer):
    make_customer(org["rep"], code="C2026000041")
    make_customer(org["rep"], code="C2026ABC")
    make_customer(org["rep"], code="C20260000410")
    assert next_code(dbsession, dt.date(2026, 5, 1)) == "C2026000042"
    assert next_code(dbsession, dt.date(2027, 1, 1)) == "C2027000001"
