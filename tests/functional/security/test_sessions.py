"""Server-side sessions: cookie flags, a new id at login, idle and absolute timeouts."""

from __future__ import annotations

from urllib.parse import urlencode

from core.security.sessions import COOKIE_NAME
from core.testing import TEST_PASSWORD


def session_cookie(response) -> str:
    headers = [h for h in response.headers.getall("Set-Cookie") if h.startswith(COOKIE_NAME + "=")]
    assert headers, "no session cookie set"
    return headers[-1]


def test_login_cookie_is_httponly_lax_and_not_secure_over_http(client, factory):
    factory.user("hana")
    cookie = session_cookie(client.login("hana", status=303)).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie


def test_cookie_is_secure_when_the_base_url_is_https(client, factory, app, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "guanxi.base_url", "https://crm.example.com")
    factory.user("ivan")
    assert "secure" in session_cookie(client.login("ivan", status=303)).lower()


def test_each_login_gets_a_new_session_id_and_ends_the_old_one(client, factory):
    factory.user("jack")
    first = session_cookie(client.login("jack", status=303)).split(";")[0]
    client.post_form("/logout", {}, status=303)
    second = session_cookie(client.login("jack", status=303)).split(";")[0]
    assert first != second
    client.set_cookie(COOKIE_NAME, first.split("=", 1)[1])
    client.get("/", status=303)


def test_idle_session_expires_after_30_minutes(clock, login_as, factory):
    web = login_as(factory.user("kim"))
    clock.travel(minutes=29)
    web.get("/", status=200)
    clock.travel(minutes=29)
    web.get("/", status=200)
    clock.travel(minutes=31)
    assert "/login" in web.get("/", status=303).location


def test_active_session_still_ends_after_12_hours(clock, login_as, factory):
    web = login_as(factory.user("lena"))
    for _ in range(24):
        clock.travel(minutes=29)
        web.get("/", status=200)
    clock.travel(minutes=29)
    assert "/login" in web.get("/", status=303).location


def test_login_returns_to_a_page_whose_address_has_chinese_in_it(client, factory):
    factory.user("mona")
    login = "/login?" + urlencode({"next": "/customers?name=批量"})
    response = client.post_form(login, {"login": "mona", "password": TEST_PASSWORD}, status=303)
    assert response.location.endswith("/customers?name=%E6%89%B9%E9%87%8F")
