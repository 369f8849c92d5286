"""Importing through the pages, the API and the command line: template, error file, bad files."""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import io
import json
import re
import types
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from core.audit import Actor
from core.cli import CommandError
from core.commands.tabular import export_file, import_file
from core.db import session_scope
from core.security.tokens import create_token
from core.tabular.models import DataImport
from plugins.customers.models import Customer

from .conftest import sheet_bytes

HEADER = ["客户名称", "手机", "省份", "城市"]


def count(dbsession) -> int:  # type: ignore[no-untyped-def]
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(Customer)) or 0


def upload(web, data: bytes, name: str = "客户.csv", kind: str = "customers", status: int = 303):  # type: ignore[no-untyped-def]
    return web.post(
        "/imports",
        {"type": kind, "csrf_token": web.csrf_token()},
        upload_files=[("file", name, data)],
        status=status,
    )


def run(web, import_path: str, **options: str):  # type: ignore[no-untyped-def]
    """Confirm the matched columns, then run with ``options``; the result page."""
    answer = web.post_form(import_path + "/columns", _mapping(web.get(import_path + "/columns")))
    preview = web.get(answer.location)
    run_url = re.search(r'action="([^"]+/run)"', preview.text).group(1)
    return web.get(web.post_form(run_url, {"dry_run": "0", **options}).location)


def _mapping(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What the mapping page's selects hold (the matched fields)."""
    chosen = {}
    for select_html in re.findall(r'<select[^>]*name="(column-\d+)".*?</select>', page.text, re.S):
        chosen[select_html] = ""
    for name, key in re.findall(
        r'name="(column-\d+)"[^>]*>.*?<option value="([^"]*)" selected', page.text, re.S
    ):
        chosen[name] = key
    return chosen


def test_the_whole_flow_on_the_pages(org, login_as, dbsession):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    data = sheet_bytes(
        [HEADER, ["甲公司", "13812345678", "广东", "深圳"], ["乙公司", "123", "", ""]],
        encoding="gbk",
    )
    columns = upload(web, data).location
    page = web.get(columns)
    assert "甲公司" in page.text and "gb18030" in page.text
    preview = web.get(web.post_form(columns, {**_mapping(page), "remember": "1"}).location)
    assert preview.text.count('data-outcome="error"') == 1
    assert 'data-outcome="new"' in preview.text
    result = run(web, columns.removesuffix("/columns"))
    assert 'data-import-state="not_applied"' in result.text and count(dbsession) == 0
    valid = web.post_form(
        re.search(r'action="([^"]+/run)"', result.text).group(1),
        {"valid_rows_only": "1", "dry_run": "0"},
    ).location
    result = web.get(valid)
    assert 'data-import-state="done"' in result.text
    assert re.search(r'data-count="created">1<', result.text)
    errors = web.get(re.search(r'href="([^"]+/errors)"', result.text).group(1))
    assert errors.headers["Content-Disposition"].startswith("attachment;")
    assert list(csv.reader(io.StringIO(errors.body.decode("utf-8-sig"))))[1][:2] == [
        "乙公司",
        "123",
    ]
    undo = re.search(r'action="([^"]+/undo)"', result.text).group(1)
    web.post_form(undo)
    assert 'data-import-state="undone"' in web.get(valid).text and count(dbsession) == 0


def test_the_preview_marks_only_rows_that_match_a_record(org, login_as, make_customer):  # type: ignore[no-untyped-def]
    make_customer(org["manager"], name="已有公司", email="sales@example.cn")
    web = login_as(org["manager"])
    data = sheet_bytes(
        [
            ["客户名称", "邮箱"],
            ["新公司", "tea@example.cn"],
            ["已有公司二", "Sales@Example.cn"],
        ],
        encoding="gbk",
    )
    columns = upload(web, data).location
    page = web.get(columns)
    preview = web.get(web.post_form(columns, _mapping(page)).location)
    assert re.findall(r'data-outcome="(\w+)"', preview.text) == ["new", "existing"]


def test_the_error_file_fixed_and_imported_again_completes_the_import(org, login_as, dbsession):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    rows = [
        ["客户名称", "手机", "签约日期"],
        ["甲公司", "13812345678", None],
        ["乙公司", "12", None],
    ]
    data = sheet_bytes(rows, "xlsx")
    result = run(
        web, upload(web, data, "客户.xlsx").location.removesuffix("/columns"), valid_rows_only="1"
    )
    errors = web.get(re.search(r'href="([^"]+/errors)"', result.text).group(1)).body
    book = openpyxl.load_workbook(io.BytesIO(errors))
    sheet = book.active
    assert [cell.value for cell in sheet[1]] == ["客户名称", "手机", "签约日期", "Errors"]
    assert sheet["A2"].value == "乙公司" and "Phone" in sheet["D2"].value
    sheet["B2"] = "13900001111"  # the fix
    fixed = io.BytesIO()
    book.save(fixed)
    result = run(web, upload(web, fixed.getvalue(), "fixed.xlsx").location.removesuffix("/columns"))
    assert 'data-import-state="done"' in result.text
    assert sorted(dbsession.scalars(select(Customer.name)).all()) == ["乙公司", "甲公司"]


def test_a_template_with_100_customers_imports(org, login_as, dbsession):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    template = web.get("/imports/templates/customers")
    assert template.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(template.body))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Customer code", "Name *", "Short name"]
    assert sheet.data_validations.dataValidation  # drop-downs for levels, industries …
    assert book.worksheets[2].sheet_state == "visible" and len(list(book.worksheets[2].rows)) > 10
    column = {name.removesuffix(" *"): index + 1 for index, name in enumerate(header)}
    places = [("广东省", "深圳市"), ("上海", "上海"), ("浙江", "杭州市"), ("北京市", None)]
    for number in range(100):
        row = number + 3  # below the example row, which stays
        province, city = places[number % 4]
        sheet.cell(row, column["Name"], f"测试客户{number}有限公司")
        sheet.cell(
            row,
            column["Phone"],
            (13812340000 + number) if number % 2 else f"+86 138-1235-{number:04}",
        )
        sheet.cell(row, column["Province"], province)
        sheet.cell(row, column["City"], city)
        sheet.cell(row, column["Level"], ["Regular customer", "大客户", "Partner", ""][number % 4])
        sheet.cell(row, column["E-mail"], f"c{number}@example.com" if number % 3 else None)
        sheet.cell(row, column["Credit rating"], (number % 5) + 1)
    filled = io.BytesIO()
    book.save(filled)
    result = run(web, upload(web, filled.getvalue(), "模板.xlsx").location.removesuffix("/columns"))
    assert 'data-import-state="done"' in result.text, result.text
    assert re.search(r'data-count="created">100<', result.text)
    assert count(dbsession) == 100  # the example row was left out


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "photo.csv", "This is not a text file."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096, "secret.xlsx", "damaged"),
        (b"PK\x03\x04truncated", "cut.xlsx", "damaged or incomplete"),
    ],
)
def test_bad_files_get_a_clear_message_and_change_nothing(
    data, name, message, org, login_as, dbsession
):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    page = upload(web, data, name, status=400)
    assert message in page.text and "data-import-error" in page.text
    assert dbsession.scalar(select(func.count()).select_from(DataImport)) == 0


def test_the_size_and_row_limits_are_the_settings(org, login_as, app, monkeypatch, dbsession):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    monkeypatch.setitem(app.registry.settings, "guanxi.import_max_mb", "0.001")
    assert (
        "larger than the limit of 1 KB"
        in upload(web, sheet_bytes([HEADER] + [["甲", "1", "", ""]] * 500), status=400).text
    )
    monkeypatch.setitem(app.registry.settings, "guanxi.import_max_mb", "50")
    monkeypatch.setitem(app.registry.settings, "guanxi.import_max_rows", "3")
    data = sheet_bytes([HEADER] + [[f"客户{i}", f"1381234000{i}", "", ""] for i in range(5)])
    columns = upload(web, data).location
    preview = web.post_form(columns, _mapping(web.get(columns))).location
    assert "more than 3 rows" in web.get(preview, status=400).text
    assert count(dbsession) == 0


def test_a_wrong_encoding_can_be_chosen_and_sheets_too(org, login_as):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    text = "客戶名稱,電話\n台北信義科技股份有限公司,0223456789\n"
    columns = upload(web, text.encode("big5")).location
    assert "台北信義科技股份有限公司" in web.get(columns).text
    page = web.post_form(columns, {"encoding": "utf-16"}, status=400)
    assert "cannot be read" in page.text or "encoding" in page.text


def test_remembered_columns_map_the_next_file(org, login_as):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    data = sheet_bytes([["单位", "联系手机"], ["甲公司", "13812345678"]])
    columns = upload(web, data).location
    assert _mapping(web.get(columns)) == {"column-0": "", "column-1": ""}
    web.post_form(columns, {"column-0": "name", "column-1": "phone", "remember": "1"})
    again = upload(web, data).location
    assert _mapping(web.get(again)) == {"column-0": "name", "column-1": "phone"}


def test_other_peoples_imports_are_not_found(org, login_as):  # type: ignore[no-untyped-def]
    columns = upload(login_as(org["manager"]), sheet_bytes([HEADER, ["甲", "", "", ""]])).location
    other = login_as(org["rep"])
    other.get(columns, status=404)
    other.get(columns.removesuffix("/columns"), status=404)


def test_the_api_imports_a_file_and_reports_progress(org, client, dbsession):  # type: ignore[no-untyped-def]
    token = create_token(dbsession, org["manager"], "import", ["customers.customer.import"])[1]
    bearer = {"Authorization": f"Bearer {token}"}
    data = sheet_bytes([["公司", "手机"], ["甲公司", "13812345678"], ["乙公司", "12"]])
    answer = client.post(
        "/api/v1/imports",
        {
            "type": "customers",
            "mapping": json.dumps({"公司": "name", "手机": "phone"}),
            "valid_rows_only": "true",
        },
        upload_files=[("file", "c.csv", data)],
        headers=bearer,
        status=202,
    )
    state = client.get(answer.headers["Location"], headers=bearer).json
    assert (
        state["state"] == "done"
        and state["counts"]["created"] == 1
        and state["counts"]["failed"] == 1
    )
    assert state["job"]["state"] == "done" and state["mapping"] == {"公司": "name", "手机": "phone"}
    errors = client.get(state["errors_url"], headers=bearer).body.decode("utf-8-sig")
    assert "乙公司" in errors and "甲公司" not in errors
    client.post(answer.headers["Location"] + "/undo", headers=bearer, status=202)
    assert client.get(answer.headers["Location"], headers=bearer).json["state"] == "undone"


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"type": "nothing"}, 422),
        ({"type": "customers", "on_duplicate": "merge"}, 422),
        ({"type": "customers", "mapping": "[1, 2"}, 422),
        ({"type": "customers", "mapping": json.dumps({"不存在": "name"})}, 422),
        ({"type": "contacts"}, 403),
    ],
)
def test_the_api_refuses_bad_import_requests(fields, status, org, client, dbsession):  # type: ignore[no-untyped-def]
    token = create_token(dbsession, org["manager"], "import", ["customers.customer.import"])[1]
    client.post(
        "/api/v1/imports",
        fields,
        upload_files=[("file", "c.csv", sheet_bytes([HEADER, ["甲", "", "", ""]]))],
        headers={"Authorization": f"Bearer {token}"},
        status=status,
    )


def test_the_api_says_why_a_file_cannot_be_imported(org, client, dbsession):  # type: ignore[no-untyped-def]
    token = create_token(dbsession, org["manager"], "import", ["customers.customer.import"])[1]
    problem = client.post(
        "/api/v1/imports",
        {"type": "customers"},
        upload_files=[("file", "x.csv", b"")],
        headers={"Authorization": f"Bearer {token}"},
        status=422,
    ).json
    assert problem["detail"] == "The file is empty."


def command_env(app):  # type: ignore[no-untyped-def]
    factory = app.registry["dbsession_factory"]
    return types.SimpleNamespace(
        registry=app.registry, session=lambda: session_scope(factory, Actor(kind="cli"))
    )


def import_args(path, **options) -> argparse.Namespace:  # type: ignore[no-untyped-def]
    defaults = {
        "type": "customers",
        "file": path,
        "user": None,
        "mapping": None,
        "on_duplicate": "skip",
        "match": None,
        "valid_rows_only": False,
        "dry_run": False,
        "errors": None,
        "stats": False,
        "encoding": None,
        "sheet": None,
    }
    return argparse.Namespace(**{**defaults, **options})


def test_the_import_command_prints_counts_and_fails_on_failed_rows(
    org, app, tmp_path, capsys, dbsession, admin
):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.csv"
    path.write_bytes(
        sheet_bytes(
            [HEADER, ["甲公司", "13812345678", "", ""], ["乙公司", "1", "", ""]], encoding="gbk"
        )
    )
    env = command_env(app)
    assert import_file(import_args(path, user="manager"), env) == 1
    assert capsys.readouterr().out.strip() == "created 0, updated 0, skipped 0, failed 1"
    assert count(dbsession) == 0
    errors = tmp_path / "errors.csv"
    assert (
        import_file(
            import_args(path, user="manager", valid_rows_only=True, errors=errors, stats=True), env
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.strip() == "created 1, updated 0, skipped 0, failed 1"
    assert "rows/s" in captured.err and "peak memory" in captured.err
    assert "乙公司" in errors.read_text("utf-8-sig")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"客户名称": "name"}), "utf-8")
    assert import_file(import_args(path, mapping=mapping, dry_run=True), env) == 0  # as the admin
    assert capsys.readouterr().out.strip() == "created 2, updated 0, skipped 0, failed 0"


def test_the_export_command_writes_what_the_user_may_see(
    org, app, tmp_path, capsys, make_customer, dbsession, admin
):  # type: ignore[no-untyped-def]
    make_customer(
        org["manager"], "甲公司", status="active", created_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    )
    make_customer(org["manager"], "乙公司", status="potential")
    target = tmp_path / "out.xlsx"
    args = argparse.Namespace(
        type="customers",
        output=target,
        format=None,
        user=None,
        filter=["status=active"],
        stats=False,
    )
    assert export_file(args, command_env(app)) == 0
    assert capsys.readouterr().out.strip() == f"exported 1 rows to {target}"
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].value == "甲公司"
    csv_target = tmp_path / "out.csv"
    args = argparse.Namespace(
        type="customers", output=csv_target, format="csv", user="manager", filter=[], stats=False
    )
    export_file(args, command_env(app))
    assert csv_target.read_bytes().startswith(codecs.BOM_UTF8)


def test_the_import_command_takes_an_encoding_and_a_sheet(
    org, app, tmp_path, capsys, dbsession, admin
):  # type: ignore[no-untyped-def]
    env = command_env(app)
    big5 = tmp_path / "big5.csv"
    big5.write_bytes("客戶名稱,電話\n台北信義科技,0223456789\n".encode("big5"))
    assert import_file(import_args(big5, encoding="big5"), env) == 0
    book = openpyxl.Workbook()
    book.active.append(["说明"])
    second = book.create_sheet("客户")
    second.append(["客户名称", "手机"])
    second.append(["第二张表的客户", "13812345678"])
    workbook = tmp_path / "two.xlsx"
    book.save(workbook)
    assert import_file(import_args(workbook, sheet="客户"), env) == 0
    assert sorted(dbsession.scalars(select(Customer.name)).all()) == [
        "台北信義科技",
        "第二张表的客户",
    ]
    with pytest.raises(CommandError, match="no sheet called 没有"):
        import_file(import_args(workbook, sheet="没有"), env)


def test_hostile_uploads_change_nothing_and_stay_in_their_folder(org, login_as, app, dbsession):  # type: ignore[no-untyped-def]
    web = login_as(org["manager"])
    assert "Choose a file" in web.post_form("/imports", {"type": "customers"}, status=400).text
    refused = upload(web, b"a,b\n1,2\n", kind="no-such-type", status=400)
    assert "Choose what to import" in refused.text
    columns = upload(
        web, sheet_bytes([HEADER, ["甲", "", "", ""]]), "../../etc/passwd\x00.csv"
    ).location
    data_import = dbsession.scalars(select(DataImport)).one()
    assert data_import.filename == "passwd.csv"
    stored = list((app.registry.settings["guanxi.var_dir"] / Path("imports")).rglob("*"))
    assert all("passwd" not in str(path) for path in stored)
    web.post_form(columns, {"column-0": "<script>", "column-1": "name", "column-2": "name"})
    dbsession.refresh(data_import)
    assert data_import.mapping == ["", "name", "", ""]
