"""Locale negotiation and safe redirects."""

from __future__ import annotations

import pytest

from core.i18n import match_accept_language, normalise_locale
from core.web.views import safe_next


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-HK,en;q=0.5", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR,de;q=0.8", None),
        ("fr;q=1, zh-Hans;q=0.5", "zh_Hans"),
        ("en;q=0, zh;q=0.1", "zh_Hans"),
        ("", None),
    ],
)
def test_accept_language(header, expected):
    assert match_accept_language(header) == expected


def test_normalise_locale():
    assert normalise_locale("zh-cn") == "zh_Hans"
    assert normalise_locale("zh_Hant") == "zh_Hant"
    assert normalise_locale("xx") is None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "/\\evil.com",
        "https:evil.com",
        "javascript:alert(1)",
        "http://evil.com/",
        "evil.com",
        "/\tevil",
        "",
        None,
        "/%0d%0aLocation:x\r\n",
    ],
)
def test_safe_next_rejects_foreign_targets(target):
    assert safe_next(target) == "/"


def test_safe_next_percent_encodes_what_a_location_header_cannot_carry():
    assert safe_next("/customers?name=批量&page=2") == "/customers?name=%E6%89%B9%E9%87%8F&page=2"
    assert safe_next("/customers?q=a%20b") == "/customers?q=a%20b"


def test_safe_next_keeps_local_paths():
    assert safe_next("/customers?page=2") == "/customers?page=2"
