"""A new user's first day in Chromium: customers from Excel in, failed rows fixed, the list out.

A manager uploads a GBK CSV file as Excel on Chinese Windows saves it, checks
the matched columns and the preview, imports the valid rows while the job
runs, downloads the failed rows, fixes them in a workbook and imports that,
then exports the list as CSV and XLSX and reads both back.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from core.testing import Factory
from tests.browser.conftest import PHONE, unique

pytestmark = pytest.mark.browser

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def manager_with_team(live_server, people):  # type: ignore[no-untyped-def]
    """A sales manager heading a team of their own (their imports land in it)."""
    name = unique("导入组")
    with live_server.session() as session:
        Factory(session).team(name)
    return people("sales_manager", team=name)


def upload(page, name: str, data: bytes, mime: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/imports")
    page.get_by_label("Customers").check()
    page.set_input_files("#import-file", {"name": name, "mimeType": mime, "buffer": data})
    page.get_by_role("button", name="Upload and match the columns").click()
    expect(page.get_by_role("heading", name="Match the columns")).to_be_visible()


def test_import_fix_and_export_customers_like_a_new_user(people, sign_in, live_server):  # type: ignore[no-untyped-def]
    manager = manager_with_team(live_server, people)
    prefix = unique("浙江")
    rows = [
        ["客户名称", "手机", "省份", "城市", "级别"],
        [f"{prefix}甲机械有限公司", "138 1234 5678", "浙江", "杭州", "大客户"],
        [f"{prefix}乙电子有限公司", "13900001111", "广东省", "深圳市", ""],
        [f"{prefix}丙贸易有限公司", "12", "上海", "上海", ""],
    ]
    gbk = "\r\n".join(",".join(row) for row in rows).encode("gbk") + b"\r\n"
    page = sign_in(manager.username, "/customers")
    upload(page, "客户名单.csv", gbk, CSV_TYPE)

    expect(page.locator("#encoding")).to_have_value("gb18030")
    expect(page.locator("select[data-column='客户名称']")).to_have_value("name")
    expect(page.locator("select[data-column='手机']")).to_have_value("phone")
    page.get_by_role("button", name="Next: check the rows").click()

    preview = page.locator("table[data-preview]")
    expect(preview.locator("tr[data-outcome='error']")).to_have_count(1)
    expect(preview.locator("td[data-problem]")).to_contain_text("Enter a phone number")
    page.get_by_label("Import the valid rows even if some fail").check()
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("[data-import-state='done']")).to_be_visible(timeout=20000)
    expect(page.locator("[data-count='created']")).to_have_text("2")
    expect(page.locator("[data-count='failed']")).to_have_text("1")
    with page.expect_download() as download_info:
        page.locator("[data-error-file]").click()
    errors = download_info.value.path().read_bytes().decode("utf-8-sig")
    failed = list(csv.reader(io.StringIO(errors)))
    assert failed[0] == [*rows[0], "Errors"]
    assert failed[1][:2] == [f"{prefix}丙贸易有限公司", "12"]

    book = openpyxl.Workbook()
    for row in failed:
        book.active.append(row)
    book.active["B2"] = "13700002222"  # the fix
    fixed = io.BytesIO()
    book.save(fixed)
    upload(page, "修改后.xlsx", fixed.getvalue(), XLSX_TYPE)
    page.get_by_role("button", name="Next: check the rows").click()
    expect(page.locator("tr[data-outcome='new']")).to_have_count(1)
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("[data-import-state='done']")).to_be_visible(timeout=20000)
    expect(page.locator("[data-count='created']")).to_have_text("1")

    page.goto(f"/customers?name={prefix}&sort=name&cols=name&cols=phone&cols=region")
    expect(page.locator("tr[data-customer]")).to_have_count(3)
    for file_format in ("csv", "xlsx"):
        page.locator("[data-export-menu] .dropdown-toggle").click()
        with page.expect_download() as download_info:
            page.locator(f"[data-export='{file_format}']").click()
        exported = download_info.value.path().read_bytes()
        if file_format == "csv":
            table = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(exported)).active
            table = [["" if v is None else str(v) for v in row] for row in sheet.values]
        assert table[0] == ["Name", "Region", "Phone"]  # the page's order
        assert sorted(row[0] for row in table[1:]) == sorted(row[0] for row in rows[1:])
        assert ["上海市", "137 0000 2222"] in [row[1:] for row in table[1:]]


def test_the_import_pages_work_on_a_phone(people, sign_in, live_server):  # type: ignore[no-untyped-def]
    manager = manager_with_team(live_server, people)
    page = sign_in(manager.username, "/imports", viewport=PHONE)
    expect(page.get_by_label("Customers")).to_be_checked()
    data = f"客户名称,手机\r\n{unique('手机')},13812345678\r\n".encode()
    page.set_input_files("#import-file", {"name": "c.csv", "mimeType": CSV_TYPE, "buffer": data})
    page.get_by_role("button", name="Upload and match the columns").click()
    page.get_by_role("button", name="Next: check the rows").click()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("[data-import-state='done']")).to_be_visible(timeout=20000)
