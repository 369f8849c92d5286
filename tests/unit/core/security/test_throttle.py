"""Tests for core.security.throttle: when an account or an IP address is locked."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import Actor, AuditEvent
from core.security import throttle

ACTOR = Actor(kind="user", ip="10.0.0.1")
IP = "10.0.0.1"


@pytest.fixture
def fail(dbsession):
    def fail(account: str = "alice", ip: str = IP, times: int = 1, **kw) -> dt.datetime | None:
        until = None
        for _ in range(times):
            until = throttle.record_failure(dbsession, account, ip, ACTOR, **kw)
        dbsession.flush()
        return until

    return fail


def test_tenth_failure_locks_the_account_for_fifteen_minutes(dbsession, clock, fail):
    assert fail(times=9) is None
    assert throttle.locked_until(dbsession, "alice", IP) is None
    until = fail()
    assert until == clock.now + dt.timedelta(minutes=15)
    assert throttle.locked_until(dbsession, "alice", "10.9.9.9") == until
    assert throttle.locked_until(dbsession, "bob", "10.9.9.9") is None
    actions = dbsession.scalars(select(AuditEvent.action).where(AuditEvent.ip == IP)).all()
    assert actions.count("login_failed") == 10
    assert actions.count("login_locked") == 1


def test_lock_ends_after_fifteen_minutes(dbsession, clock, fail):
    fail(times=10)
    clock.travel(minutes=14, seconds=59)
    assert throttle.locked_until(dbsession, "alice", IP) is not None
    clock.travel(seconds=1)
    assert throttle.locked_until(dbsession, "alice", IP) is None


def test_failures_older_than_the_window_do_not_count(dbsession, clock, fail):
    fail(times=9)
    clock.travel(minutes=16)
    assert fail() is None


def test_a_success_starts_the_count_again(dbsession, clock, fail):
    fail(times=9)
    throttle.record_success(dbsession, "alice", IP)
    assert fail(times=9) is None
    assert fail() is not None


def test_refused_attempts_do_not_count_towards_the_next_lock(dbsession, clock, fail):
    fail(times=10)
    for _ in range(20):
        throttle.record_refusal(dbsession, "alice", "10.0.0.2", ACTOR)
    clock.travel(minutes=15)
    assert throttle.locked_until(dbsession, "alice", "10.0.0.2") is None
    assert fail(ip="10.0.0.2") is None


def test_one_hundred_failures_from_one_address_lock_it_for_every_account(dbsession, clock, fail):
    for number in range(99):
        fail(account=f"user{number}")
    assert throttle.locked_until(dbsession, "someone", IP) is None
    until = fail(account="user99")
    assert until == clock.now + dt.timedelta(minutes=15)
    assert throttle.locked_until(dbsession, "someone", IP) == until
    assert throttle.locked_until(dbsession, "someone", "10.0.0.2") is None


def test_code_attempts_have_their_own_lower_limit(dbsession, clock, fail):
    account = throttle.code_account("Alice")
    assert account != throttle.account_name("alice")
    assert fail(account=account, times=4, limit=throttle.CODE_LIMIT) is None
    assert fail(account=account, limit=throttle.CODE_LIMIT) is not None
    assert throttle.locked_until(dbsession, "alice", "10.0.0.2") is None


def test_account_name_prefers_the_username(dbsession):
    assert throttle.account_name(" Alice@Example.com ", "Alice") == "alice"
    assert throttle.account_name(" Nobody ") == "nobody"
