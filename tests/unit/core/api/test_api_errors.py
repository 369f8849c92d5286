"""core.api exception views: 4xx answers raised by Pyramid become problem documents."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPBadRequest, HTTPConflict, HTTPMethodNotAllowed
from pyramid.testing import DummyRequest

from core.api import api_client_error


def request() -> DummyRequest:
    req = DummyRequest(path="/api/v1/things")
    req.translate = lambda message, **mapping: str(message)
    return req


def test_known_client_errors_keep_their_status_with_a_problem_body():
    response = api_client_error(HTTPMethodNotAllowed(), request())
    assert response.status_code == 405
    assert response.content_type == "application/problem+json"
    assert response.json_body["title"] == "Method not allowed"


def test_bad_request_and_unlisted_statuses():
    response = api_client_error(HTTPBadRequest(), request())
    assert (response.status_code, response.json_body["title"]) == (400, "Bad request")
    response = api_client_error(HTTPConflict(), request())
    assert (response.status_code, response.json_body["title"]) == (
        409,
        "The request was not accepted",
    )
