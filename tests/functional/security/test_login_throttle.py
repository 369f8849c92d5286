"""Login throttling through the login page: lockout, refusal with the right password, unlock."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import Actor, AuditEvent
from core.security import throttle
from core.security.models import LoginAttempt
from core.security.sessions import COOKIE_NAME

LOCKED = "Too many failed attempts"
WRONG = "The username or password is not correct."


def earlier_failures(dbsession, account: str, times: int, ip: str = "127.0.0.1") -> None:
    """Failures recorded as the login page records them (without hashing each password)."""
    for _ in range(times):
        throttle.record_failure(dbsession, account, ip, Actor(kind="user", ip=ip))
    dbsession.flush()


def test_tenth_failure_locks_then_right_password_is_refused_until_fifteen_minutes(
    client, factory, dbsession, clock
):
    factory.user("alice")
    earlier_failures(dbsession, "alice", 9)
    page = client.login("Alice", "wrong password!!", status=200)
    assert LOCKED in page.text
    refused = client.login("alice", status=200)
    assert LOCKED in refused.text
    assert COOKIE_NAME not in client.cookies
    clock.travel(minutes=15)
    client.login("alice", status=303)
    assert client.get("/").status_int == 200


def test_failures_and_locks_are_recorded(client, factory, dbsession, clock):
    factory.user("alice", email="alice@example.com")
    earlier_failures(dbsession, "alice", 9)
    client.login("ALICE@example.com", "wrong password!!", status=200)
    client.login("alice", status=200)
    attempts = dbsession.scalars(
        select(LoginAttempt).where(LoginAttempt.username == "alice").order_by(LoginAttempt.id)
    ).all()
    assert len(attempts) == 11
    assert not any(attempt.success for attempt in attempts)
    actions = dbsession.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["login_failed", "login_locked", "login_refused"]


def test_successful_login_resets_the_account_count(client, factory, dbsession, clock):
    factory.user("alice")
    earlier_failures(dbsession, "alice", 9)
    client.login("alice", status=303)
    client.post_form("/logout", status=303)
    earlier_failures(dbsession, "alice", 8)
    page = client.login("alice", "wrong password!!", status=200)
    assert WRONG in page.text
    client.login("alice", status=303)


def test_unknown_names_are_locked_like_real_ones(client, dbsession, clock):
    earlier_failures(dbsession, "ghost", 9)
    page = client.login("ghost", "wrong password!!", status=200)
    assert LOCKED in page.text


def test_one_hundred_failures_from_one_address_lock_it(client, factory, dbsession, clock):
    factory.user("bob")
    dbsession.add_all(
        LoginAttempt(username=f"guess{number}", ip="127.0.0.1", success=False)
        for number in range(99)
    )
    dbsession.flush()
    page = client.login("guess99", "wrong password!!", status=200)
    assert LOCKED in page.text
    assert LOCKED in client.login("bob", status=200).text
    elsewhere = client.login("bob", status=303, extra_environ={"REMOTE_ADDR": "10.1.1.1"})
    assert elsewhere.location.endswith("/")
