"""Attachment checks that need no database: kinds, names and the download header."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from core.security.service_errors import Refused
from core.web.downloads import disposition
from plugins.customers.attachments import (
    Limits,
    Upload,
    clean_name,
    kind_of,
    store,
)
from plugins.customers.followup_models import FollowUp


@pytest.mark.parametrize(
    ("name", "head", "content_type"),
    [
        ("scan.PDF", b"%PDF-1.4", "application/pdf"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0", "image/jpeg"),
        ("photo.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (
            "offer.docx",
            b"PK\x03\x04",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/vnd.ms-excel"),
        ("notes.txt", "会议纪要：价格确认".encode(), "text/plain; charset=utf-8"),
        ("bundle.zip", b"PK\x05\x06", "application/zip"),
    ],
)
def test_allowed_kinds_are_recognised_by_extension_and_content(name, head, content_type):
    assert kind_of(name, head) == content_type


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("run.exe", b"MZ"),
        ("run.sh", b"#!/bin/sh"),
        ("page.htm", b"<html>"),
        ("icon.svg", b"<svg/>"),
        ("noextension", b"%PDF-"),
        ("fake.png", b"GIF89a"),
        ("fake.webp", b"RIFF\x00\x00\x00\x00AVI "),
        ("fake.docx", b"MZ\x90\x00"),
        ("binary.txt", b"abc\x00def"),
        ("page.txt", b"  <SCRIPT>alert(1)</SCRIPT>"),
    ],
)
def test_other_or_mislabelled_files_are_refused(name, head):
    with pytest.raises(Refused):
        kind_of(name, head)


def test_names_lose_their_folders_and_control_characters():
    assert clean_name("C:\\Users\\张三\\报价.pdf") == "报价.pdf"
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("a\x00b\r\n.txt") == "ab.txt"
    assert clean_name("") == "file"


def test_the_download_header_names_the_file_in_ascii_and_utf8():
    header = disposition('报价 "final";.pdf')
    assert header.startswith('attachment; filename="')
    fallback = header.split('"')[1]
    assert fallback.isascii() and '"' not in fallback and ";" not in fallback
    assert header.endswith("filename*=UTF-8''%E6%8A%A5%E4%BB%B7%20%22final%22%3B.pdf")


def test_an_oversized_upload_leaves_no_file(tmp_path: Path):
    rules = Limits(directory=tmp_path, max_bytes=1024 * 1024, max_files=5)
    upload = Upload("big.txt", io.BytesIO(b"a" * (1024 * 1024 + 1)))
    with pytest.raises(Refused):
        store(None, FollowUp(), [upload], rules)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
