"""Attachments of follow-ups: accepted kinds, limits, scope-checked downloads, deletion."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import select

from plugins.customers.followup_models import Attachment, FollowUp

PDF = b"%PDF-1.7\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 50


def log_with(web, customer, files, status=303, **fields):
    """Log a follow-up with ``files`` (``[(name, bytes)]``) attached; the response."""
    return web.post(
        f"/customers/{customer.id}/follow-ups/new",
        {
            "method": "visit",
            "contact_id": "",
            "subject": "送样",
            "csrf_token": web.csrf_token(),
            **fields,
        },
        upload_files=[("attachments", name, content) for name, content in files],
        status=status,
    )


def stored(dbsession):
    dbsession.expire_all()
    return list(dbsession.scalars(select(Attachment).order_by(Attachment.id)))


def test_files_are_stored_under_random_names_and_downloaded_safely(
    app, login_as, org, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    log_with(web, customer, [("报价单 2026.pdf", PDF), ("photo.PNG", PNG)])
    pdf, png = stored(dbsession)
    assert (pdf.filename, pdf.size, pdf.content_type) == (
        "报价单 2026.pdf",
        len(PDF),
        "application/pdf",
    )
    assert pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    assert pdf.storage_name != png.storage_name and "pdf" not in pdf.storage_name
    var_dir = Path(app.registry.settings["guanxi.var_dir"])
    assert (var_dir / "attachments" / pdf.storage_name).read_bytes() == PDF
    response = web.get(f"/attachments/{pdf.id}")
    assert response.body == PDF
    assert response.content_type == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%202026.pdf" in disposition
    assert f"/attachments/{png.id}" in web.get(f"/customers/{customer.id}/follow-ups").text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 50, "cannot be attached"),
        ("page.html", b"<html><script>alert(1)</script>", "cannot be attached"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "cannot be attached"),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 50, "does not match its extension"),
        ("notes.txt", b"<!DOCTYPE html><html></html>", "does not match its extension"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_dangerous_or_mislabelled_files_are_refused(
    login_as, org, make_customer, dbsession, clock, name, content, message
):
    customer = make_customer(org["rep"])
    page = log_with(login_as(org["rep"]), customer, [(name, content)], status=200)
    assert message in page.text
    assert stored(dbsession) == []
    assert dbsession.scalars(select(FollowUp)).first() is None  # nothing was logged either


def test_size_and_count_limits_come_from_the_settings(
    app, login_as, org, make_customer, dbsession, clock, monkeypatch
):
    monkeypatch.setitem(app.registry.settings, "guanxi.attachments_max_mb", "1")
    monkeypatch.setitem(app.registry.settings, "guanxi.attachments_max_files", "2")
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    big = b"%PDF-" + b"0" * (1024 * 1024)
    page = log_with(web, customer, [("big.pdf", big)], status=200)
    assert "big.pdf is larger than 1 MB" in page.text
    three = [(f"{n}.txt", b"hello") for n in range(3)]
    assert "at most 2 attachments" in log_with(web, customer, three, status=200).text
    assert stored(dbsession) == []
    log_with(web, customer, [("a.txt", b"hello"), ("b.txt", "你好".encode())])
    assert [a.filename for a in stored(dbsession)] == ["a.txt", "b.txt"]


def test_downloads_are_404_outside_the_scope_and_after_deletion(
    login_as, org, factory, make_customer, dbsession, clock
):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    log_with(web, customer, [("a.txt", b"hello")])
    (attachment,) = stored(dbsession)
    login_as(org["other_rep"]).get(f"/attachments/{attachment.id}", status=404)
    login_as(factory.user("nobody", role=None)).get(f"/attachments/{attachment.id}", status=403)
    assert login_as(org["manager"]).get(f"/attachments/{attachment.id}").body == b"hello"
    login_as(org["agent"]).post_form(f"/attachments/{attachment.id}/delete", status=403)
    web.post_form(f"/attachments/{attachment.id}/delete", status=303)
    web.get(f"/attachments/{attachment.id}", status=404)
    assert stored(dbsession)[0].deleted_at is not None


def test_files_can_be_added_when_editing(login_as, org, make_customer, dbsession, clock):
    customer = make_customer(org["rep"])
    web = login_as(org["rep"])
    log_with(web, customer, [])
    followup = dbsession.scalars(select(FollowUp)).one()
    web.post(
        f"/follow-ups/{followup.id}/edit",
        {
            "method": "visit",
            "contact_id": "",
            "subject": "送样",
            "version": str(followup.version),
            "csrf_token": web.csrf_token(),
        },
        upload_files=[("attachments", "a.txt", b"hello")],
        status=303,
    )
    assert [a.filename for a in stored(dbsession)] == ["a.txt"]
    assert "a.txt" in web.get(f"/follow-ups/{followup.id}/edit").text
