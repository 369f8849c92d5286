"""Settings → Outbox: administrators see every e-mail and whether it was sent."""

from __future__ import annotations

from core.mail import PAGE_SIZE, queue_mail


def test_outbox_lists_messages_newest_first_with_their_status(login_as, admin, dbsession, clock):
    queue_mail(dbsession, "queued@example.com", "Queued one", "body")
    sent = queue_mail(dbsession, "sent@example.com", "Sent one", "secret link")
    failed = queue_mail(dbsession, "failed@example.com", "Failed one", "body")
    sent.sent_at = clock.now
    failed.attempts, failed.last_error = 2, "ConnectionRefusedError: refused"
    dbsession.flush()
    page = login_as(admin).get("/settings/outbox")
    text = page.text
    assert text.index("Failed one") < text.index("Sent one") < text.index("Queued one")
    assert "Failed, will retry" in text and "ConnectionRefusedError: refused" in text
    assert "Queued" in text and "Sent" in text
    assert "secret link" not in text
    assert "Outgoing mail is not configured" in text
    assert 'data-menu="settings.outbox"' in text


def test_outbox_pages_by_id(login_as, admin, dbsession):
    for number in range(PAGE_SIZE + 2):
        queue_mail(dbsession, f"user{number}@example.com", f"Message {number:03d}", "body")
    dbsession.flush()
    web = login_as(admin)
    first = web.get("/settings/outbox")
    assert f"Message {PAGE_SIZE + 1:03d}" in first.text and "Message 001" not in first.text
    older = first.click(href=r"before=")
    assert "Message 000" in older.text and "Message 001" in older.text
    assert f"Message {PAGE_SIZE + 1:03d}" not in older.text
    assert web.get("/settings/outbox?before=not-a-number").status_int == 200


def test_empty_outbox_says_what_appears_there(login_as, admin):
    page = login_as(admin).get("/settings/outbox")
    assert "No e-mail yet" in page.text


def test_outbox_is_only_for_administrators(login_as, factory, client):
    assert "/login" in client.get("/settings/outbox", status=303).location
    login_as(factory.user("rep")).get("/settings/outbox", status=403)
    manager = login_as(factory.user("boss", role="sales_manager"))
    page = manager.get("/", status=200)
    assert 'data-menu="settings.outbox"' not in page.text
    manager.get("/settings/outbox", status=403)
