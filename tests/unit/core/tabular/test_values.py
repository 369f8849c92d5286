"""Cells as offices type them: dates, amounts, yes/no, choices, and the formula guard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.tabular.cells import neutralise
from core.tabular.values import (
    CellError,
    parse_bool,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_text,
    parse_whole,
    unneutralise,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01",
        "2026/3/1",
        "2026.03.01",
        "2026年3月1日",
        "２０２６年３月１日",
        "20260301",
        " 2026-3-1 ",
        "2026-03-01 10:30",
        dt.date(2026, 3, 1),
        dt.datetime(2026, 3, 1, 18, 0),
        46082,  # Excel's serial number of 2026-03-01
        46082.75,
    ],
)
def test_dates_in_every_shape_offices_use(value: object) -> None:
    assert parse_date(value) == dt.date(2026, 3, 1)


@pytest.mark.parametrize("value", ["2026-02-30", "3/1/2026", "next week", "2026-13-01", True, 0])
def test_what_is_not_a_date_is_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026/3/1 14:30", dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.UTC)),
        ("2026-03-01T14:30:15", dt.datetime(2026, 3, 1, 6, 30, 15, tzinfo=dt.UTC)),
        ("2026年3月1日 14时30分", dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.UTC)),
        ("2026-03-01", dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC)),
        (dt.datetime(2026, 3, 1, 14, 30), dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.UTC)),
    ],
)
def test_times_without_a_zone_are_read_in_the_users_zone(value: object, expected: object) -> None:
    assert parse_datetime(value, SHANGHAI) == expected


def test_a_time_that_cannot_be_is_refused() -> None:
    with pytest.raises(CellError):
        parse_datetime("2026-03-01 25:00", SHANGHAI)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("¥1,234.50", Decimal("1234.50")),
        ("1234.5元", Decimal("1234.5")),
        ("RMB 88", Decimal("88")),
        ("－3", Decimal("-3")),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
    ],
)
def test_amounts_as_people_write_them(value: object, expected: Decimal) -> None:
    assert parse_decimal(value) == expected


@pytest.mark.parametrize("value", ["about 5", "NaN", "Infinity", "1e5e5", True])
def test_what_is_not_an_amount_is_refused(value: object) -> None:
    with pytest.raises(CellError):
        parse_decimal(value)


def test_whole_numbers_accept_integral_decimals_only() -> None:
    assert parse_whole("3.0") == 3
    with pytest.raises(CellError):
        parse_whole("3.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("是", True), ("否", False), ("Yes", True), ("n", False), ("✓", True), (1, True)],
)
def test_yes_and_no(value: object, expected: bool) -> None:
    assert parse_bool(value) is expected


def test_choices_by_code_or_label_and_the_refusal_names_them() -> None:
    index = {"vip": "vip", "重要客户": "vip", "normal": "normal", "普通客户": "normal"}
    labels = {"vip": "重要客户", "normal": "普通客户"}
    assert parse_choice(" 重要 客户 ", index, labels) == "vip"
    assert parse_choice("VIP", index, labels) == "vip"
    with pytest.raises(CellError) as refused:
        parse_choice("金牌", index, labels)
    assert refused.value.message.mapping == {"choices": "重要客户、普通客户"}


def test_text_has_a_length_limit() -> None:
    assert parse_text("  上海  ", 2) == "上海"
    with pytest.raises(CellError):
        parse_text("上海市", 2)


@given(st.text())
def test_the_export_formula_guard_comes_off_on_import(text: str) -> None:
    assert unneutralise(neutralise(text)) == text
