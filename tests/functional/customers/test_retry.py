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
