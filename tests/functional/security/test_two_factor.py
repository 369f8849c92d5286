"""Two-factor authentication: enrolment, the login step, recovery codes, the admin requirement."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.db import utcnow
from core.security.models import User
from core.security.totp import generate_recovery_codes, hash_recovery_code, new_secret
from core.settings_store import REQUIRE_ADMIN_TWO_FACTOR, get_setting, set_setting
from core.testing import TEST_PASSWORD

WRONG_CODE = "The code is not correct."
LOCKED = "Too many failed attempts"


def now_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(utcnow())


def page_token(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def post_with_page_token(web, page, url: str, params: dict, **kw):
    return web.app.post(url, {**params, "csrf_token": page_token(page)}, **kw)


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def recovery() -> list[str]:
    return generate_recovery_codes(3)


@pytest.fixture
def tina(factory, secret, recovery):
    return factory.user(
        "tina",
        totp_secret=secret,
        recovery_codes=[hash_recovery_code(code) for code in recovery],
    )


def verify(client, code: str, **kw):
    return client.post_form("/login/verify", {"code": code}, **kw)


# -- enrolment -------------------------------------------------------------------


def test_enrolment_confirms_a_code_and_shows_recovery_codes_once(
    login_as, factory, dbsession, clock
):
    alice = factory.user("alice")
    web = login_as(alice)
    page = web.get("/account/two-factor")
    svg = re.search(r"<svg[^>]*class=\"totp-qr\".*?</svg>", page.text, re.S).group(0)
    assert "style=" not in svg
    key = re.search(r'data-testid="totp-secret">([^<]+)<', page.text).group(1).replace(" ", "")
    wrong = post_with_page_token(web, page, "/account/two-factor/enable", {"code": "000000"})
    assert "The code is not correct." in wrong.text
    dbsession.refresh(alice)
    assert alice.totp_secret is None
    done = post_with_page_token(web, page, "/account/two-factor/enable", {"code": now_code(key)})
    codes = re.findall(r'<li class="col">([a-z2-7]{4}-[a-z2-7]{4})</li>', done.text)
    assert len(codes) == 10
    dbsession.refresh(alice)
    assert alice.totp_secret == key
    assert len(alice.recovery_codes) == 10
    later = web.get("/account/two-factor")
    assert not any(code in later.text for code in codes)
    assert "Turn off two-factor authentication" in later.text


def test_disabling_needs_the_password(login_as, tina, dbsession):
    web = login_as(tina)
    page = web.get("/account/two-factor")
    url = "/account/two-factor/disable"
    wrong = post_with_page_token(web, page, url, {"password": "not my password"})
    assert "The current password is not correct." in wrong.text
    dbsession.refresh(tina)
    assert tina.totp_secret
    post_with_page_token(web, page, url, {"password": TEST_PASSWORD}, status=303)
    dbsession.refresh(tina)
    assert tina.totp_secret is None and tina.recovery_codes is None
    actions = dbsession.scalars(select(AuditEvent.action)).all()
    assert "totp_disabled" in actions


def test_two_factor_pages_need_a_login(client):
    assert "/login" in client.get("/account/two-factor", status=303).location
    for action in ("enable", "disable"):
        response = client.post_form(f"/account/two-factor/{action}", {}, status=303)
        assert "/login" in response.location


# -- the login step ----------------------------------------------------------------


def test_login_asks_for_the_code_before_the_session_is_usable(client, tina, secret, clock):
    response = client.login("tina", status=303)
    assert response.location.endswith("/login/verify")
    assert "/login" in client.get("/", status=303).location
    assert WRONG_CODE in verify(client, "123456", status=200).text
    done = verify(client, now_code(secret), status=303)
    assert done.location.endswith("/")
    assert "Tina" in client.get("/").text


def test_where_the_user_was_going_is_kept(client, tina, secret, clock):
    response = client.post_form(
        "/login", {"login": "tina", "password": TEST_PASSWORD, "next": "/account"}, status=303
    )
    assert response.location.endswith("/login/verify?next=%2Faccount")
    done = client.post_form(
        "/login/verify", {"code": now_code(secret), "next": "/account"}, status=303
    )
    assert done.location.endswith("/account")


def test_a_code_cannot_be_used_twice(client, tina, secret, clock):
    code = now_code(secret)
    client.login("tina", status=303)
    verify(client, code, status=303)
    client.post_form("/logout", status=303)
    client.login("tina", status=303)
    assert WRONG_CODE in verify(client, code, status=200).text
    clock.travel(seconds=30)
    verify(client, now_code(secret), status=303)


def test_recovery_code_works_once(client, tina, recovery, dbsession):
    client.login("tina", status=303)
    verify(client, recovery[0].upper(), status=303)
    assert "2 of them are left" in client.get("/").text
    dbsession.refresh(tina)
    assert len(tina.recovery_codes) == 2
    client.post_form("/logout", status=303)
    client.login("tina", status=303)
    assert WRONG_CODE in verify(client, recovery[0], status=200).text
    assert "recovery_code_used" in dbsession.scalars(select(AuditEvent.action)).all()


def test_five_wrong_codes_end_the_login(client, tina, secret, clock):
    client.login("tina", status=303)
    for _ in range(4):
        assert WRONG_CODE in verify(client, "000000", status=200).text
    ended = verify(client, "000000", status=303)
    assert ended.location.endswith("/login")
    assert LOCKED in client.get("/login").text
    assert client.get("/login/verify", status=303).location.endswith("/login")
    client.login("tina", status=303)
    refused = verify(client, now_code(secret), status=303)
    assert refused.location.endswith("/login")
    clock.travel(minutes=15)
    client.login("tina", status=303)
    verify(client, now_code(secret), status=303)
    assert client.get("/").status_int == 200


def test_verify_without_a_pending_login_goes_to_login(client):
    assert client.get("/login/verify", status=303).location.endswith("/login")


# -- administrators must enrol -------------------------------------------------------


def test_security_settings_are_for_administrators(login_as, factory, client):
    assert "/login" in client.get("/settings/security", status=303).location
    login_as(factory.user("rep")).get("/settings/security", status=403)


def test_admin_turns_the_requirement_on(login_as, factory, dbsession, secret):
    boss = factory.user("boss", role="admin", totp_secret=secret)
    web = login_as(boss)
    page = web.get("/settings/security")
    assert 'data-menu="settings.security"' in page.text
    form = page.forms["security-settings"]
    form["require_admin_two_factor"] = True
    form.submit(status=303)
    assert get_setting(dbsession, REQUIRE_ADMIN_TWO_FACTOR) is True
    again = web.get("/settings/security").forms["security-settings"]
    assert again["require_admin_two_factor"].checked


def test_admin_without_totp_is_sent_to_enrolment_until_enrolled(login_as, factory, dbsession):
    set_setting(dbsession, REQUIRE_ADMIN_TWO_FACTOR, True)
    root = factory.user("root", role="admin")
    web = login_as(root)
    for path in ("/", "/account", "/settings/security"):
        assert web.get(path, status=303).location.endswith("/account/two-factor")
    assert web.get("/", headers={"HX-Request": "true"}, status=204).body == b""
    page = web.get("/account/two-factor")
    assert "requires administrators to use two-factor authentication" in page.text
    key = re.search(r'data-testid="totp-secret">([^<]+)<', page.text).group(1).replace(" ", "")
    post_with_page_token(web, page, "/account/two-factor/enable", {"code": now_code(key)})
    assert web.get("/").status_int == 200
    post_with_page_token(
        web, page, "/account/two-factor/disable", {"password": TEST_PASSWORD}, status=303
    )
    dbsession.expire_all()
    assert dbsession.get(User, root.id).totp_secret == key


def test_requirement_leaves_other_users_alone(login_as, factory, dbsession):
    set_setting(dbsession, REQUIRE_ADMIN_TWO_FACTOR, True)
    assert login_as(factory.user("rep")).get("/").status_int == 200


def test_admin_can_log_out_while_enrolment_is_required(login_as, factory, dbsession):
    set_setting(dbsession, REQUIRE_ADMIN_TWO_FACTOR, True)
    web = login_as(factory.user("root", role="admin"))
    page = web.get("/account/two-factor")
    post_with_page_token(web, page, "/logout", {}, status=303)
    assert "/login" in web.get("/", status=303).location
