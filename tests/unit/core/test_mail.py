"""Tests for core.mail: the outbox keeps every message until an SMTP server accepts it."""

from __future__ import annotations

import datetime as dt

import pytest

from core.mail import OutboxMessage, default_sender, queue_mail, send_pending

SMTP_URL = "smtp://mailer%40example.com:p%40ss@mail.example.com:587"
SENDER = "Guanxi CRM <noreply@crm.example.com>"


@pytest.fixture
def message(dbsession, clock) -> OutboxMessage:
    queued = queue_mail(dbsession, " wang@example.com ", "你好", "正文 with a link\n")
    dbsession.flush()
    return queued


def test_without_smtp_url_messages_stay_queued(dbsession, message, mailbox):
    assert send_pending(dbsession, "", SENDER) == 0
    assert mailbox.connections == []
    assert message.status == "queued"


def test_sends_over_starttls_with_decoded_credentials(dbsession, message, mailbox, clock):
    assert send_pending(dbsession, SMTP_URL, SENDER) == 1
    [connection] = mailbox.connections
    assert connection["host"] == "mail.example.com" and connection["port"] == 587
    assert connection["starttls"] is True
    assert connection["login"] == ("mailer@example.com", "p@ss")
    [sent] = mailbox.sent
    assert sent["To"] == "wang@example.com"
    assert sent["From"] == SENDER
    assert sent["Subject"] == "你好"
    assert sent.get_content() == "正文 with a link\n"
    assert message.status == "sent" and message.sent_at == clock.now
    assert send_pending(dbsession, SMTP_URL, SENDER) == 0


def test_smtps_uses_an_ssl_connection(dbsession, message, mailbox):
    send_pending(dbsession, "smtps://mail.example.com", SENDER)
    assert mailbox.connections == [
        {"host": "mail.example.com", "port": 465, "ssl": True, "starttls": False}
    ]


def test_server_down_keeps_the_message_and_retries_later(dbsession, message, mailbox, clock):
    mailbox.down = True
    assert send_pending(dbsession, SMTP_URL, SENDER) == 0
    assert message.status == "failed"
    assert message.attempts == 1
    assert "Connection refused" in message.last_error
    mailbox.down = False
    assert send_pending(dbsession, SMTP_URL, SENDER) == 0  # not due yet
    clock.travel(minutes=1)
    assert send_pending(dbsession, SMTP_URL, SENDER) == 1
    assert message.status == "sent" and message.last_error is None


def test_retry_delay_grows_but_stays_within_an_hour(dbsession, message, mailbox, clock):
    mailbox.down = True
    delays = []
    for _ in range(9):
        send_pending(dbsession, SMTP_URL, SENDER)
        delays.append(message.next_attempt_at - clock.now)
        clock.travel(hours=2)
    assert delays[:3] == [dt.timedelta(minutes=m) for m in (1, 2, 4)]
    assert max(delays) == dt.timedelta(hours=1)
    assert message.sent_at is None and message.attempts == 9


def test_a_refused_recipient_does_not_stop_the_others(dbsession, message, mailbox):
    other = queue_mail(dbsession, "li@example.com", "Hi", "Body")
    dbsession.flush()
    mailbox.refused.add("wang@example.com")
    assert send_pending(dbsession, SMTP_URL, SENDER) == 1
    assert message.status == "failed" and "SMTPRecipientsRefused" in message.last_error
    assert other.status == "sent"


def test_a_bad_smtp_url_is_recorded_on_the_messages(dbsession, message, mailbox):
    send_pending(dbsession, "http://mail.example.com", SENDER)
    assert message.status == "failed"
    assert "smtp://" in message.last_error


def test_default_sender_uses_the_base_url_host():
    assert default_sender({"guanxi.base_url": "https://crm.example.com/"}) == SENDER
    assert default_sender({"guanxi.mail_from": "CRM <crm@example.com>"}) == "CRM <crm@example.com>"
