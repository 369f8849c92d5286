"""Fixtures of the custom field tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyramid.request import Request, apply_request_extensions

from core.contributions import RecordType
from tests.unit.core.customfields.cf_support import registered_gadgets

ACCEPT_LANGUAGE = {"en": "en-US", "zh_Hans": "zh-CN", "zh_Hant": "zh-TW"}


@pytest.fixture
def gadgets(app: Any, db_connection: Any) -> Iterator[RecordType]:
    """The extensible ``cf_gadget`` record type with its table."""
    with registered_gadgets(app, db_connection) as record_type:
        yield record_type


@pytest.fixture
def make_request(app: Any, dbsession: Any) -> Callable[..., Any]:
    """``make_request(locale)``: an anonymous request in ``locale`` using the test session."""

    def make(locale: str = "en") -> Any:
        request = Request.blank("/", headers={"Accept-Language": ACCEPT_LANGUAGE[locale]})
        request.registry = app.registry
        apply_request_extensions(request)
        request.dbsession = dbsession
        return request

    return make
