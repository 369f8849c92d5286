"""A request that lost SQLite's write lock to another process is retried, not answered 500."""

from __future__ import annotations

import pytest

from core.db import DatabaseLocked
from plugins.customers import views


@pytest.fixture
def locked_once(monkeypatch):
    """The customer list's count fails once the way a lost SQLite lock does.

    A failed write rolls the session back, which expires what it loaded (the
    user of the request's identity among them).
    """
    calls = []
    real = views.capped_count

    def capped_count(session, *args, **kw):
        calls.append(1)
        if len(calls) == 1:
            session.expire_all()
            raise DatabaseLocked("database is locked")
        return real(session, *args, **kw)

    monkeypatch.setattr(views, "capped_count", capped_count)
    return calls


def test_a_request_that_lost_the_lock_is_answered_by_its_retry(
    org, make_customer, login_as, locked_once
):
    make_customer(org["rep"], name="重试测试有限公司")
    page = login_as(org["rep"]).get("/customers", status=200)
    assert "重试测试有限公司" in page.text
    assert len(locked_once) == 2  # the first attempt failed, the second answered


def test_a_session_touch_that_cannot_write_is_left_for_the_next_request(
    org, login_as, clock, dbsession, monkeypatch
):
    from core.security import sessions
    from core.security.models import AuthSession

    web = login_as(org["rep"])
    record = dbsession.query(AuthSession).filter_by(user_id=org["rep"].id).one()
    seen = record.last_seen_at
    clock.travel(minutes=5)

    real_flush = sessions.Session.flush

    def locked_flush(session, *args, **kw):
        if any(isinstance(obj, AuthSession) for obj in session.dirty):
            raise DatabaseLocked("database is locked")  # another process writes
        return real_flush(session, *args, **kw)

    with monkeypatch.context() as patch:
        patch.setattr(sessions.Session, "flush", locked_flush)
        web.get("/customers", status=200)  # answered, not touched
    dbsession.expire_all()
    assert record.last_seen_at == seen
    web.get("/customers", status=200)
    dbsession.expire_all()
    assert record.last_seen_at > seen
