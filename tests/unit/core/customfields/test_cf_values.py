"""Validation of each custom field type: what is accepted, how it is stored, what is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from core.customfields.models import CustomFieldDefinition
from core.customfields.service import validate_value

TIERS = [
    {"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌", "zh_Hant": "金牌"}},
    {"value": "silver", "labels": {"en": "Silver", "zh_Hans": "银牌"}},
    {"value": "bronze", "labels": {}},
]


def definition(field_type: str, **fields) -> CustomFieldDefinition:
    return CustomFieldDefinition(
        key="f", field_type=field_type, choices=TIERS if "choice" in field_type else [], **fields
    )


GOOD = [
    ("text", "  Hello  ", "Hello"),
    ("text", 42, "42"),
    ("text", "张" * 500, "张" * 500),
    ("long_text", "line one\nline two", "line one\nline two"),
    ("long_text", "x" * 10_000, "x" * 10_000),
    ("integer", "42", 42),
    ("integer", " -7 ", -7),
    ("integer", "１２３", 123),
    ("integer", 5, 5),
    ("integer", 5.0, 5),
    ("integer", "999999999999999", 999_999_999_999_999),
    ("decimal", "12.5", "12.5"),
    ("decimal", "12.500", "12.5"),
    ("decimal", "0.123456", "0.123456"),
    ("decimal", 3, "3"),
    ("decimal", 0.1, "0.1"),
    ("decimal", "-0", "0"),
    ("money", "1234.5", "1234.50"),
    ("money", "99", "99.00"),
    ("money", Decimal("0.10"), "0.10"),
    ("date", "2026-11-22", "2026-11-22"),
    ("date", dt.date(2026, 2, 28), "2026-02-28"),
    ("date", dt.datetime(2026, 2, 28, 9, 30), "2026-02-28"),
    ("datetime", "2026-11-22T10:30:00+08:00", "2026-11-22T02:30:00+00:00"),
    ("datetime", "2026-11-22T02:30Z", "2026-11-22T02:30:00+00:00"),
    ("datetime", "2026-11-22 10:30", "2026-11-22T10:30:00+00:00"),
    ("boolean", True, True),
    ("boolean", False, False),
    ("boolean", "yes", True),
    ("boolean", "否", False),
    ("boolean", "0", False),
    ("boolean", 1, True),
    ("choice", "gold", "gold"),
    ("choice", "Silver", "silver"),
    ("choice", "金牌", "gold"),
    ("multi_choice", ["silver", "gold"], ["gold", "silver"]),
    ("multi_choice", "银牌、bronze, gold", ["gold", "silver", "bronze"]),
    ("multi_choice", ["gold", "gold"], ["gold"]),
    ("email", " li.lei@example.com.cn ", "li.lei@example.com.cn"),
    ("email", "name＠example.com", "name@example.com"),
    ("phone", "139 1234 5678", "+8613912345678"),
    ("phone", "010-6552 9988", "+861065529988"),
    ("phone", "+852 2123 4567", "+85221234567"),
    ("phone", 13912345678, "+8613912345678"),
    ("url", "https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("url", "HTTP://例子.中国", "HTTP://例子.中国"),
]


@pytest.mark.parametrize(("field_type", "raw", "stored"), GOOD)
def test_valid_values_are_stored_in_canonical_form(field_type, raw, stored):
    assert validate_value(definition(field_type), raw) == (stored, None)


BAD = [
    ("text", "x" * 501, "Enter at most ${max} characters."),
    ("text", ["a"], "Enter text."),
    ("text", True, "Enter text."),
    ("long_text", "x" * 10_001, "Enter at most ${max} characters."),
    ("integer", "4.5", "Enter a whole number, for example 42."),
    ("integer", "abc", "Enter a whole number, for example 42."),
    ("integer", 4.5, "Enter a whole number, for example 42."),
    ("integer", True, "Enter a whole number, for example 42."),
    ("integer", float("inf"), "Enter a whole number, for example 42."),
    ("integer", "1000000000000000", "Enter a number with at most 15 digits."),
    ("decimal", "1.2.3", "Enter a number, for example ${example}."),
    ("decimal", "1e5", "Enter a number, for example ${example}."),
    ("decimal", "NaN", "Enter a number, for example ${example}."),
    ("decimal", "0.1234567", "Enter at most ${places} decimal places."),
    ("money", "12.345", "Enter at most ${places} decimal places."),
    ("money", "¥12", "Enter a number, for example ${example}."),
    ("money", "1000000000000000", "Enter a number with at most 15 digits."),
    ("date", "2026-02-30", "Enter a date as YYYY-MM-DD, for example 2026-11-22."),
    ("date", "22/11/2026", "Enter a date as YYYY-MM-DD, for example 2026-11-22."),
    ("date", "20261122", "Enter a date as YYYY-MM-DD, for example 2026-11-22."),
    ("date", 20261122, "Enter a date as YYYY-MM-DD, for example 2026-11-22."),
    ("datetime", "tomorrow", "Enter a date and time as YYYY-MM-DD HH:MM."),
    ("datetime", "2026-11-22T25:00", "Enter a date and time as YYYY-MM-DD HH:MM."),
    ("boolean", "maybe", "Choose yes or no."),
    ("boolean", 2, "Choose yes or no."),
    ("choice", "platinum", "Choose one of the listed options."),
    ("choice", ["gold"], "Choose one of the listed options."),
    ("multi_choice", ["gold", "platinum"], "“${value}” is not one of the listed options."),
    ("multi_choice", {"gold": 1}, "Choose one or more of the listed options."),
    ("email", "not-an-email", "Enter a valid e-mail address, for example name@example.com."),
    ("email", "a@b", "Enter a valid e-mail address, for example name@example.com."),
    ("email", "a b@example.com", "Enter a valid e-mail address, for example name@example.com."),
    ("phone", "12345", "Enter a valid phone number, for example 139 1234 5678."),
    ("phone", "call me", "Enter a valid phone number, for example 139 1234 5678."),
    ("url", "ftp://example.com", "Enter a web address starting with http:// or https://."),
    ("url", "javascript:alert(1)", "Enter a web address starting with http:// or https://."),
    ("url", "https://", "Enter a web address starting with http:// or https://."),
    ("url", "https://exa mple.com", "Enter a web address starting with http:// or https://."),
    ("url", "https://x.cn/" + "a" * 2000, "Enter a web address starting with http:// or https://."),
]


@pytest.mark.parametrize(("field_type", "raw", "message"), BAD)
def test_invalid_values_are_refused_with_a_message(field_type, raw, message):
    value, error = validate_value(definition(field_type), raw)
    assert value is None
    assert error == message


def test_limits_and_examples_are_filled_into_messages():
    _value, error = validate_value(definition("money"), "1.234")
    assert error.interpolate() == "Enter at most 2 decimal places."
    _value, error = validate_value(definition("text"), "x" * 501)
    assert error.interpolate() == "Enter at most 500 characters."


@pytest.mark.parametrize("blank", [None, "", "   ", [], [""]])
def test_blank_is_no_value_unless_required(blank):
    assert validate_value(definition("text"), blank) == (None, None)
    assert validate_value(definition("multi_choice"), blank) == (None, None)
    value, error = validate_value(definition("text", required=True), blank)
    assert (value, error) == (None, "This field is required.")


def test_required_yes_no_accepts_no():
    assert validate_value(definition("boolean", required=True), False) == (False, None)


def test_naive_datetime_is_read_in_the_given_time_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    value, error = validate_value(definition("datetime"), "2026-11-22T10:30", tz=shanghai)
    assert (value, error) == ("2026-11-22T02:30:00+00:00", None)


def test_user_fields_need_a_session():
    with pytest.raises(TypeError):
        validate_value(definition("user"), "3")
