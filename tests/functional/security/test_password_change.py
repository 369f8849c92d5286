"""Changing the password on the account page."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEvent
from core.security.models import AuthSession, User
from core.testing import TEST_PASSWORD

NEW_PASSWORD = "Violet kettles hum at dawn 42"


def change(web, current: str = TEST_PASSWORD, new: str = NEW_PASSWORD, repeat: str | None = None):
    params = {"current_password": current, "new_password": new, "confirm_password": repeat or new}
    return web.post_form("/account/password", params, status="*")


def test_account_page_has_the_password_and_two_factor_sections(login_as, factory):
    page = login_as(factory.user("alice")).get("/account")
    assert 'action="/account/password"' in page.text
    assert 'href="/account/two-factor"' in page.text


def test_change_ends_the_other_sessions_and_keeps_this_one(login_as, factory, dbsession):
    alice = factory.user("alice")
    web, other = login_as(alice), login_as(alice)
    response = change(web)
    assert response.status_int == 303
    assert web.get("/account").status_int == 200
    assert other.get("/", status=303).location.endswith("/login?next=%2F")
    assert len(dbsession.scalars(select(AuthSession).where(AuthSession.user_id == alice.id)).all())
    event = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "password_changed")
    ).one()
    assert event.record_id == str(alice.id)


def test_wrong_current_password_changes_nothing(login_as, factory, dbsession):
    alice = factory.user("alice")
    before = alice.password_hash
    page = change(login_as(alice), current="not my password")
    assert page.status_int == 200
    assert "The current password is not correct." in page.text
    dbsession.expire_all()
    assert dbsession.get(User, alice.id).password_hash == before


def test_policy_and_repetition_are_enforced(login_as, factory):
    web = login_as(factory.user("alice"))
    assert "Use at least 10 characters." in change(web, new="short").text
    assert "The password must not contain the username." in change(web, new="alice-is-here-42").text
    assert "The two passwords differ." in change(web, repeat="something else entirely").text


def test_anonymous_users_are_sent_to_login(client):
    response = client.post_form("/account/password", {"current_password": "x"}, status=303)
    assert "/login" in response.location
