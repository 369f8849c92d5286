"""Customer exports: what the list shows, nothing more, formula-safe, streamed or as a job."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re

import openpyxl
from sqlalchemy import select

from core.audit import AuditEvent
from core.background import BackgroundJob
from core.notifications import Notification
from core.security.models import Role, RoleGrant
from core.security.tokens import create_token
from plugins.customers.models import Customer


def rows_of(body: bytes) -> list[list[str]]:
    """A CSV export as rows (it starts with a BOM, so that Excel reads it as UTF-8)."""
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def page_names(page_text: str) -> list[str]:
    return re.findall(r'class="fw-semibold" href="/customers/\d+">([^<]+)</a>', page_text)


def test_the_export_holds_the_lists_rows_columns_and_order(org, make_customer, login_as):  # type: ignore[no-untyped-def]
    for name, status in (("乙公司", "active"), ("甲公司", "active"), ("丙公司", "potential")):
        make_customer(org["manager"], name, status=status, phone="+8613812345678")
    web = login_as(org["manager"])
    query = {"status": "active", "sort": "name", "cols": ["name", "code", "phone"]}
    page = web.get("/customers", query)
    body = web.post_form("/exports", {"type": "customers", "format": "csv", **query}).body
    rows = rows_of(body)
    assert rows[0] == ["Name", "Code", "Phone"]
    assert [row[0] for row in rows[1:]] == page_names(page.text) == ["乙公司", "甲公司"]
    assert {row[2] for row in rows[1:]} == {"138 1234 5678"}


def test_headers_are_in_the_users_language(org, make_customer, login_as, dbsession):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "甲公司")
    org["manager"].language = "zh_Hans"
    dbsession.flush()
    web = login_as(org["manager"])
    rows = rows_of(
        web.post_form(
            "/exports", {"type": "customers", "format": "csv", "cols": ["name", "code"]}
        ).body
    )
    assert rows[0] == ["客户名称", "编号"]


def test_an_export_never_shows_what_the_page_would_not(org, make_customer, login_as, dbsession):  # type: ignore[no-untyped-def]
    mine = make_customer(org["rep"], "我的客户", kind="individual", id_number="11010519491231002X")
    make_customer(org["other_rep"], "同事的客户")
    make_customer(org["rep"], "已删除", deleted_at=mine.created_at)
    # Sees every customer but may export only their own.
    role = Role(name="Auditor")
    role.grants = [
        RoleGrant(permission="customers.customer.view", scope="all"),
        RoleGrant(permission="customers.customer.export", scope="own"),
    ]
    auditor = org["other_rep"]
    auditor.roles = [role]
    dbsession.flush()
    rows = rows_of(
        login_as(auditor).post_form("/exports", {"type": "customers", "format": "csv"}).body
    )
    assert [row[0] for row in rows[1:]] == ["同事的客户"]
    manager = login_as(org["manager"])
    body = manager.post_json(
        "/api/v1/exports", {"type": "customers"}, headers={"X-CSRF-Token": manager.csrf_token()}
    ).body
    names = [row[0] for row in rows_of(body)[1:]]
    assert sorted(names) == ["同事的客户", "我的客户"]
    assert b"11010519491231002X" not in body and b"002X" not in body


def test_representatives_may_not_export_by_default(org, make_customer, login_as):  # type: ignore[no-untyped-def]
    make_customer(org["rep"], "我的客户")
    web = login_as(org["rep"])
    assert "data-export-menu" not in web.get("/customers").text
    web.post_form("/exports", {"type": "customers", "format": "csv"}, status=403)


def test_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_kept(
    org, make_customer, login_as
):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], '=HYPERLINK("http://evil.example","点我")', notes="-12.50")
    make_customer(org["manager"], "@SUM(A1)", notes="+cmd|' /C calc'!A0")
    web = login_as(org["manager"])
    token = {"X-CSRF-Token": web.csrf_token()}
    rows = rows_of(web.post_json("/api/v1/exports", {"type": "customers"}, headers=token).body)
    notes = rows[0].index("Notes")
    cells = {row[0]: row[notes] for row in rows[1:]}
    assert cells == {
        '\'=HYPERLINK("http://evil.example","点我")': "-12.50",
        "'@SUM(A1)": "'+cmd|' /C calc'!A0",
    }
    body = web.post_json(
        "/api/v1/exports", {"type": "customers", "format": "xlsx"}, headers=token
    ).body
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ['\'=HYPERLINK("http://evil.example","点我")', "'@SUM(A1)"]


def test_characters_outside_the_basic_plane_survive_the_round_trip(
    org, import_rows, login_as, dbsession
):  # type: ignore[no-untyped-def]
    import_rows(org["manager"], [["客户名称", "备注"], ["𠮷野家 🎉", "开业 🎂"]])
    web = login_as(org["manager"])
    rows = rows_of(
        web.post_json(
            "/api/v1/exports", {"type": "customers"}, headers={"X-CSRF-Token": web.csrf_token()}
        ).body
    )
    assert rows[1][0] == "𠮷野家 🎉" and "开业 🎂" in rows[1]


def test_exports_are_audited_with_what_was_asked(org, make_customer, login_as, dbsession):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "甲公司", status="active")
    login_as(org["manager"]).post_form(
        "/exports", {"type": "customers", "format": "xlsx", "status": "active"}
    )
    event = dbsession.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.record_type == "customers"
    assert event.changes["format"] == "xlsx" and event.changes["filters"] == {"status": "active"}
    assert event.actor_user_id == org["manager"].id


def test_a_large_export_runs_as_a_job_with_a_link_that_expires(
    org, make_customer, login_as, dbsession, app, monkeypatch, clock
):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.registry.settings, "guanxi.export_direct_rows", "2")
    for number in range(3):
        make_customer(org["manager"], f"客户{number}")
    web = login_as(org["manager"])
    answer = web.post_form("/exports", {"type": "customers", "format": "csv"}, status=303)
    page = web.get(answer.location)
    assert "data-download" in page.text
    download = web.get(answer.location + "/download")
    assert len(rows_of(download.body)) == 4
    note = dbsession.scalars(
        select(Notification).where(Notification.user_id == org["manager"].id)
    ).one()
    assert note.url == answer.location.removeprefix("http://localhost")
    login_as(org["rep"]).get(answer.location, status=404)  # nobody else's
    job = dbsession.get(BackgroundJob, int(answer.location.rsplit("/", 1)[1]))
    dbsession.refresh(job)
    job.result = {**job.result, "expires_at": (clock.now - dt.timedelta(minutes=1)).isoformat()}
    dbsession.flush()
    web.get(answer.location + "/download", status=410)
    assert "expired" in web.get(answer.location).text


def test_the_api_exports_with_the_lists_filters(org, make_customer, client, dbsession):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], "甲公司", status="active")
    make_customer(org["manager"], "乙公司", status="potential")
    token = create_token(
        dbsession,
        org["manager"],
        "export",
        ["customers.customer.view", "customers.customer.export"],
    )[1]
    bearer = {"Authorization": f"Bearer {token}"}
    body = client.post_json(
        "/api/v1/exports",
        {"type": "customers", "filters": {"status": "active"}, "sort": "name"},
        headers=bearer,
    ).body
    assert [row[0] for row in rows_of(body)[1:]] == ["甲公司"]
    problem = client.post_json(
        "/api/v1/exports",
        {"type": "customers", "filters": {"colour": "red"}},
        headers=bearer,
        status=400,
    )
    assert problem.json["parameter"] == "colour"
    client.post_json("/api/v1/exports", {"type": "nothing"}, headers=bearer, status=422)
    client.post_json(
        "/api/v1/exports", {"type": "customers", "format": "pdf"}, headers=bearer, status=422
    )
    narrow = create_token(dbsession, org["manager"], "view only", ["customers.customer.view"])[1]
    client.post_json(
        "/api/v1/exports",
        {"type": "customers"},
        headers={"Authorization": f"Bearer {narrow}"},
        status=403,
    )


def test_a_large_api_export_is_a_job_to_follow(
    org, make_customer, client, dbsession, app, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.registry.settings, "guanxi.export_direct_rows", "1")
    make_customer(org["manager"], "甲公司")
    make_customer(org["manager"], "乙公司")
    token = create_token(
        dbsession,
        org["manager"],
        "export",
        ["customers.customer.view", "customers.customer.export"],
    )[1]
    bearer = {"Authorization": f"Bearer {token}"}
    answer = client.post_json(
        "/api/v1/exports", {"type": "customers", "format": "xlsx"}, headers=bearer, status=202
    )
    job = client.get(answer.headers["Location"], headers=bearer).json
    assert (job["state"], job["rows"]) == ("done", 2)
    book = client.get(job["file_url"], headers=bearer).body
    assert openpyxl.load_workbook(io.BytesIO(book)).active.max_row == 3


def test_the_order_list_exports_what_it_shows(org, make_customer, login_as, dbsession):  # type: ignore[no-untyped-def]
    from plugins.customers.order_models import Order

    customer = make_customer(org["manager"], "甲公司")
    for number, state in (("SO-1", "confirmed"), ("SO-2", "cancelled")):
        dbsession.add(
            Order(
                customer_id=customer.id, number=number, ordered_on=dt.date(2026, 3, 1), state=state
            )
        )
    dbsession.flush()
    web = login_as(org["manager"])
    assert "data-export-menu" in web.get("/orders").text
    rows = rows_of(
        web.post_form("/exports", {"type": "orders", "format": "csv", "state": "confirmed"}).body
    )
    assert [(row[0], row[2]) for row in rows[1:]] == [("SO-1", "甲公司")]


def test_customers_export_to_a_file_reimports_as_the_same_customers(
    org, make_customer, login_as, import_rows, dbsession, tmp_path
):  # type: ignore[no-untyped-def]
    make_customer(
        org["manager"],
        "甲公司",
        phone="+8613812345678",
        email="a@example.com",
        province_code="44",
        city_code="4403",
    )
    web = login_as(org["manager"])
    body = web.post_json(
        "/api/v1/exports", {"type": "customers"}, headers={"X-CSRF-Token": web.csrf_token()}
    ).body
    rows = rows_of(body)
    counts, data_import = import_rows(org["manager"], rows)
    assert (counts.skipped, counts.created, counts.failed) == (1, 0, 0)
    assert "" not in [key for key in data_import.mapping if key][:1]
    assert dbsession.scalars(select(Customer.name)).all() == ["甲公司"]
