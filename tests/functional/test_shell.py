"""The UI shell: login redirect, home page, language switching, health checks, errors."""

from __future__ import annotations

import os


def test_anonymous_home_redirects_to_login_with_next(client):
    response = client.get("/", status=303)
    assert response.location.endswith("/login?next=%2F")


def test_login_page_is_translated_by_accept_language(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert 'lang="zh-CN"' in page.text


def test_login_then_home(client, factory):
    factory.user("alice", role="sales_rep")
    response = client.login("alice", status=303)
    assert response.location.endswith("/")
    home = client.get("/")
    assert "Alice" in home.text


def test_wrong_password_gives_uniform_message(client, factory):
    factory.user("bob")
    page = client.login("bob", "wrong password!", status=200)
    unknown = client.login("nobody", "wrong password!", status=200)
    assert "The username or password is not correct." in page.text
    assert "The username or password is not correct." in unknown.text


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json == {"status": "ok", "process": os.getpid()}
    assert client.get("/readyz").json == {"status": "ok"}


def test_security_headers(client):
    response = client.get("/login")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_post_without_csrf_is_refused(client, factory):
    factory.user("carol")
    client.post("/login", {"login": "carol", "password": "x"}, status=400)


def test_unknown_page_is_translated_404(login_as, factory):
    web = login_as(factory.user("dave"))
    page = web.get("/no/such/page", status=404, headers={"Accept-Language": "zh-TW"})
    assert 'lang="zh-TW"' in page.text


def test_request_log_line_names_request_id_and_user(login_as, factory, caplog):
    import json
    import logging

    user = factory.user("logan")
    web = login_as(user)
    with caplog.at_level(logging.INFO, logger="guanxi.request"):
        response = web.get("/", headers={"X-Request-ID": "abcdef123456"})
    assert response.headers["X-Request-ID"] == "abcdef123456"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "guanxi.request"]
    assert {"request_id": "abcdef123456", "status": 200, "user": user.id}.items() <= lines[
        -1
    ].items()


def test_core_pages_prefer_core_wording_over_a_modules_translation(login_as, admin):
    # "Name" means the customer's name in the customers catalogue, a person's name in the core.
    page = login_as(admin).get("/settings/users", headers={"Accept-Language": "zh-TW"})
    assert "客戶名稱" not in page.text
