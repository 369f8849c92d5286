"""Columns find their fields by header: in Chinese, English, by alias, with notes and marks."""

from __future__ import annotations

import pytest

from core.contributions import TabularField
from core.i18n import _
from core.tabular.mapping import auto_map, checked_mapping, mapping_from_names, normalise_header

FIELDS = [
    TabularField("name", _("Name"), ("客户名称", "公司名称", "Company")),
    TabularField("phone", _("Phone"), ("手机", "手机号码", "联系电话", "Mobile")),
    TabularField("email", _("E-mail"), ("邮箱", "Email")),
]


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        (" 客户名称（必填）*", "客户名称"),
        ("Company Name", "companyname"),
        ("E-mail", "email"),
        ("手机 [11位]", "手机"),
        ("ＥＭＡＩＬ", "email"),
    ],
)
def test_headers_are_compared_without_case_marks_and_notes(header: str, normal: str) -> None:
    assert normalise_header(header) == normal


def test_chinese_english_and_alias_headers_are_matched(app) -> None:  # type: ignore[no-untyped-def]
    header = ["公司名称", "手机号码（必填）", "Email", "备注"]
    assert auto_map(app.registry, header, FIELDS) == ["name", "phone", "email", ""]


def test_a_field_takes_the_first_column_naming_it(app) -> None:  # type: ignore[no-untyped-def]
    assert auto_map(app.registry, ["手机", "Mobile", "Name"], FIELDS) == ["phone", "", "name"]


def test_the_error_files_column_is_never_matched(app) -> None:  # type: ignore[no-untyped-def]
    fields = [*FIELDS, TabularField("errors", _("Notes"), ("Errors",))]
    assert auto_map(app.registry, ["Name", "Errors"], fields) == ["name", ""]


def test_a_mapping_keeps_known_fields_once() -> None:
    assert checked_mapping(["name", "name", "nope", ""], {"name"}) == ["name", "", "", ""]


def test_a_mapping_from_header_names_reports_missing_columns() -> None:
    mapping, unknown = mapping_from_names(
        ["客户名称", "手机"], {"客户名称": "name", "邮箱": "email"}, {"name", "email"}
    )
    assert (mapping, unknown) == (["name", ""], ["邮箱"])
