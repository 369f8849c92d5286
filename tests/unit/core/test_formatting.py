"""Dates, numbers and money in the user's language and time zone."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from core import i18n


def fake_request(locale: str, timezone: str | None = None):
    return SimpleNamespace(
        locale_name=locale,
        user=SimpleNamespace(timezone=timezone),
        registry=SimpleNamespace(settings={"guanxi.default_timezone": "Asia/Shanghai"}),
    )


def test_chinese_date_and_shanghai_time():
    moment = dt.datetime(2026, 11, 21, 17, 30, tzinfo=dt.UTC)
    request = fake_request("zh_Hans")
    assert i18n.format_date(request, moment) == "2026年11月22日"
    assert "01:30" in i18n.format_datetime(request, moment)


def test_user_time_zone_wins():
    moment = dt.datetime(2026, 11, 21, 17, 30, tzinfo=dt.UTC)
    assert "12:30" in i18n.format_datetime(fake_request("en", "America/New_York"), moment)


def test_money_in_wan_for_chinese_and_plain_in_english():
    assert i18n.format_money(fake_request("zh_Hans"), 1_250_000, compact=True) == "¥125万"
    assert i18n.format_money(fake_request("en"), 1234.5) == "CN¥1,234.50"
    assert i18n.format_money(fake_request("zh_Hant"), 1_250_000, compact=True).endswith("萬")


def test_unknown_time_zone_falls_back_to_shanghai():
    assert i18n.user_timezone(fake_request("en", "Mars/Olympus")).key == "Asia/Shanghai"
