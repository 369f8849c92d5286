"""Patterns of automatic customer codes: what they render and which are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.customers.numbering import (
    BAD_TEXT,
    DEFAULT_CODE_PATTERN,
    SEQ_NEEDED,
    TOO_LONG,
    UNKNOWN_PART,
    parse_pattern,
)

DAY = dt.date(2026, 3, 9)


@pytest.mark.parametrize(
    "text, stored, code",
    [
        (DEFAULT_CODE_PATTERN, "C{yyyy}{seq:06}", "C2026000042"),
        ("kh-{yy}{mm}-{seq:04}", "KH-{yy}{mm}-{seq:04}", "KH-2603-0042"),
        ("{seq:05}-{yyyy}x", "{seq:05}-{yyyy}X", "00042-2026X"),
        ("  GX_{yy}{seq:010}  ", "GX_{yy}{seq:010}", "GX_260000000042"),
    ],
)
def test_patterns_render_the_date_and_the_number(text, stored, code):
    pattern = parse_pattern(text)
    assert pattern.text == stored
    assert pattern.example(DAY, 42) == code
    assert parse_pattern(pattern.text) == pattern


def test_the_prefix_changes_with_the_date_parts_before_the_number():
    pattern = parse_pattern("C{yyyy}{mm}{seq:04}")
    assert pattern.render(DAY) == ("C202603", "")
    assert pattern.render(dt.date(2027, 1, 1)) == ("C202701", "")


@pytest.mark.parametrize(
    "text, message",
    [
        ("C{yyyy}", SEQ_NEEDED),
        ("C{seq:06}{seq:06}", SEQ_NEEDED),
        ("C{seq:02}", SEQ_NEEDED),  # too few digits
        ("C{seq:011}", SEQ_NEEDED),  # too many
        ("C{seq:6}", UNKNOWN_PART),  # needs the leading zero
        ("C{dd}{seq:06}", UNKNOWN_PART),
        ("C {seq:06}", BAD_TEXT),
        ("客户{seq:06}", BAD_TEXT),
        ("C{seq:06}}", BAD_TEXT),
        ("CDE{yyyy}{yyyy}{yyyy}{yyyy}{yyyy}{seq:010}", TOO_LONG),  # 33 characters,
    ],
)
def test_patterns_that_cannot_number_customers_are_refused(text, message):
    with pytest.raises(ValueError) as caught:
        parse_pattern(text)
    assert str(caught.value.args[0]) == str(message)


def test_a_refused_part_is_named():
    with pytest.raises(ValueError) as caught:
        parse_pattern("C{dd}{seq:06}")
    assert caught.value.args[0].mapping == {"part": "dd"}


def test_the_longest_pattern_allowed_renders_32_characters():
    pattern = parse_pattern("ABCDEFGH{yyyy}{yyyy}{yyyy}{yy}{seq:010}")
    assert len(pattern.example(DAY)) == 32
