"""The bell's unread count and the notifications page."""

from __future__ import annotations

from core.notifications import Notification, notify


def test_bell_counts_unread_and_list_marks_read(login_as, factory, dbsession):
    user = factory.user("nina")
    other = factory.user("oscar")
    notify(dbsession, user.id, "Follow up with 华为", url="/")
    notify(dbsession, user.id, "Second")
    notify(dbsession, other.id, "Not yours")
    dbsession.flush()
    web = login_as(user)
    assert ">2<" in web.get("/notifications/badge").text.replace(" ", "")
    page = web.get("/notifications")
    assert "Follow up with 华为" in page.text
    assert "Not yours" not in page.text
    web.post_form("/notifications/read", {}, status=303)
    assert web.get("/notifications/badge").text.strip() == ""
    assert dbsession.query(Notification).filter_by(user_id=other.id, read_at=None).count() == 1


def test_marking_someone_elses_notification_changes_nothing(login_as, factory, dbsession):
    user = factory.user("pia")
    other = factory.user("quinn")
    theirs = notify(dbsession, other.id, "Theirs")
    dbsession.flush()
    login_as(user).post_form("/notifications/read", {"id": str(theirs.id)}, status=303)
    dbsession.refresh(theirs)
    assert theirs.read_at is None


def test_notifications_need_login(client):
    client.get("/notifications", status=303)
    client.get("/notifications/badge", status=303)


def test_empty_state(login_as, factory):
    page = login_as(factory.user("rita")).get("/notifications")
    assert "No notifications" in page.text
