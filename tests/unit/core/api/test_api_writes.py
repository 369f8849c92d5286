"""core.api.writes: JSON bodies, versions from the body or If-Match, and the problems."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from webob import Request

from core.api.problems import ProblemError
from core.api.writes import (
    check_version,
    expected_version,
    read_json,
    validation_problem,
)


def request(body: bytes = b"{}", content_type: str = "application/json", **headers) -> Request:
    req = Request.blank("/api/v1/things/1", method="PATCH", body=body, headers=headers)
    req.content_type = content_type
    return req


def status_of(call, *args) -> int:
    with pytest.raises(ProblemError) as raised:
        call(*args)
    return raised.value.status


def test_reads_a_json_object_including_merge_patch_types():
    assert read_json(request(b'{"name": "\xe5\xbc\xa0\xe4\xb8\x89"}')) == {"name": "张三"}
    assert read_json(request(b"{}", "application/merge-patch+json")) == {}


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{}", "text/plain", 415),
        (b"{}", "", 415),
        (b'{"a": NaN}', "application/json", 400),
        (b'{"a": Infinity}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
        (b'"text"', "application/json", 400),
        (b"", "application/json", 400),
    ],
)
def test_refuses_bodies_that_are_not_a_json_object(body, content_type, status):
    assert status_of(read_json, request(body, content_type)) == status


def test_size_is_checked_even_without_a_content_length():
    req = request(b'{"a": "' + b"x" * 50 + b'"}')
    assert status_of(read_json, req, 40) == 413
    streamed = request()
    streamed.body_file = io.BytesIO(b'{"a": "' + b"x" * 50 + b'"}')
    streamed.content_length = None
    assert status_of(read_json, streamed, 40) == 413


@pytest.mark.parametrize(
    ("header", "body", "expected"),
    [
        ('"3"', {}, 3),
        ('W/"3"', {}, 3),
        (None, {"version": 4}, 4),
        ('"4"', {"version": 4}, 4),
    ],
)
def test_version_from_if_match_or_body(header, body, expected):
    headers = {"If-Match": header} if header else {}
    assert expected_version(request(**headers), body) == expected
    assert "version" not in body


@pytest.mark.parametrize(
    ("header", "body", "status"),
    [
        (None, {}, 428),
        ("*", {}, 400),
        ('"3", "4"', {}, 400),
        (None, {"version": 0}, 400),
        (None, {"version": 2.0}, 400),
        ('"3"', {"version": 4}, 400),
    ],
)
def test_missing_bad_or_contradicting_versions(header, body, status):
    headers = {"If-Match": header} if header else {}
    assert status_of(expected_version, request(**headers), body) == status


def test_check_version_reports_the_current_one():
    check_version(SimpleNamespace(version=3), 3)
    with pytest.raises(ProblemError) as raised:
        check_version(SimpleNamespace(version=5), 3)
    assert raised.value.status == 409 and raised.value.extra == {"current_version": 5}


def test_validation_problem_carries_the_field_errors():
    problem = validation_problem({"name": ["Too long."]})
    assert problem.status == 422 and problem.extra == {"errors": {"name": ["Too long."]}}
