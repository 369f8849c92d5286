"""Password reset by e-mail: same answer for everybody, base-URL links, single use, expiry."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.mail import OutboxMessage
from core.security.models import AuthSession, User

NEW_PASSWORD = "Violet kettles hum at dawn 42"
SENT = "If an account with this name or e-mail exists"
INVALID = "This link is not valid any more"


def outbox(dbsession) -> list[OutboxMessage]:
    return dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def reset_path(message: OutboxMessage) -> str:
    match = re.search(r"http://localhost(/password/reset/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def ask(client, login: str, **kw):
    return client.post_form("/password/forgot", {"login": login}, **kw)


@pytest.fixture
def alice(factory):
    return factory.user("alice", email="alice@example.com", language="en")


def test_login_page_links_to_the_forgot_form(client):
    page = client.get("/login")
    assert 'href="/password/forgot"' in page.text
    assert "Forgot password?" in page.text


def test_same_answer_whether_or_not_the_account_exists(client, alice, dbsession):
    known = ask(client, "Alice@Example.com")
    unknown = ask(client, "nobody")
    assert SENT in known.text and SENT in unknown.text
    messages = outbox(dbsession)
    assert [m.to for m in messages] == ["alice@example.com"]
    assert "Reset your Guanxi CRM password" in messages[0].subject
    assert "&amp;" not in messages[0].body


def test_link_uses_the_base_url_even_with_a_forged_host(client, alice, dbsession):
    token = client.csrf_token()
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    client.app.post(
        "/password/forgot",
        {"login": "alice", "csrf_token": token},
        headers={"Host": "evil.example", "Cookie": cookies},
    )
    body = outbox(dbsession)[0].body
    assert "evil.example" not in body
    assert "http://localhost/password/reset/" in body


def test_reset_sets_the_password_and_ends_every_session(client, alice, login_as, dbsession):
    other = login_as(alice)
    ask(client, "alice")
    path = reset_path(outbox(dbsession)[0])
    form = client.get(path)
    assert 'name="new_password"' in form.text
    weak = client.post_form(path, {"new_password": "short", "confirm_password": "short"})
    assert "Use at least 10 characters." in weak.text
    done = client.post_form(
        path, {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}, status=303
    )
    assert done.location.endswith("/login")
    assert not dbsession.scalars(select(AuthSession).where(AuthSession.user_id == alice.id)).all()
    assert other.get("/", status=303).location.endswith("/login?next=%2F")
    client.login("alice", NEW_PASSWORD, status=303)


def test_token_works_once(client, alice, dbsession):
    ask(client, "alice")
    path = reset_path(outbox(dbsession)[0])
    params = {"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    client.post_form(path, params, status=303)
    again = client.get(path, status=404)
    assert INVALID in again.text
    client.post_form(path, params, status=404)


def test_new_request_invalidates_older_links(client, alice, dbsession):
    ask(client, "alice")
    ask(client, "alice")
    first, second = (reset_path(m) for m in outbox(dbsession))
    assert INVALID in client.get(first, status=404).text
    assert 'name="new_password"' in client.get(second).text


def test_link_expires_after_one_hour(client, alice, dbsession, clock):
    ask(client, "alice")
    path = reset_path(outbox(dbsession)[0])
    clock.travel(minutes=59)
    client.get(path, status=200)
    clock.travel(minutes=1)
    assert INVALID in client.get(path, status=404).text


def test_inactive_users_and_users_without_email_get_no_mail(client, factory, dbsession):
    factory.user("gone", email="gone@example.com", is_active=False)
    factory.user("noemail")
    assert SENT in ask(client, "gone").text
    assert SENT in ask(client, "noemail").text
    assert outbox(dbsession) == []


def test_mismatched_passwords_change_nothing(client, alice, dbsession):
    ask(client, "alice")
    path = reset_path(outbox(dbsession)[0])
    before = alice.password_hash
    page = client.post_form(path, {"new_password": NEW_PASSWORD, "confirm_password": "other"})
    assert "The two passwords differ." in page.text
    dbsession.expire_all()
    assert dbsession.get(User, alice.id).password_hash == before
    client.get(path, status=200)
