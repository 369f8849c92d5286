"""The customer list: allowed sorts and filters shared by the list page and the API.

Both go through ``core.api.listing`` (keyset pagination, no exact count); the page
hands it only the parameters it has already checked, so a hand-edited address
shows a calm message instead of a JSON problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.orm import Session
from webob.multidict import MultiDict

from core.api.listing import Filter, ListSpec, list_response
from plugins.customers.models import Customer

SPEC = ListSpec(
    sorts={
        "name": Customer.name,
        "code": Customer.code,
        "created_at": Customer.created_at,
        "updated_at": Customer.updated_at,
    },
    filters={
        "code": Filter(Customer.code),
        "status": Filter(Customer.status, str, ("eq", "in")),
        "level": Filter(Customer.level, str, ("eq", "in")),
        "kind": Filter(Customer.kind),
        "owner_id": Filter(Customer.owner_id, int, ("eq", "in")),
        "team_id": Filter(Customer.team_id, int, ("eq", "in")),
        "province_code": Filter(Customer.province_code, str, ("eq", "in")),
        "city_code": Filter(Customer.city_code, str, ("eq", "in")),
        "district_code": Filter(Customer.district_code, str, ("eq", "in")),
        "created_at": Filter(Customer.created_at, dt.datetime, ("gte", "lt")),
        "updated_at": Filter(Customer.updated_at, dt.datetime, ("gte", "lt")),
    },
    default_sort="-id",
)
#: Sorts offered by the list page's column headers.
PAGE_SORTS = ("name", "code", "created_at", "updated_at")


@dataclass
class CheckedParams:
    """The part of a request ``core.api.listing`` reads, with only checked parameters."""

    GET: MultiDict
    path_url: str
    dbsession: Session


def page_of(request: Any, query: Any, params: dict[str, str]) -> tuple[list[Customer], str | None]:
    """One page of ``query`` for the list page: the customers and the next page's cursor.

    Raises ``core.api.problems.ProblemError`` for a sort or cursor it cannot use.
    """
    checked = CheckedParams(MultiDict(params), request.path_url, request.dbsession)
    page = list_response(checked, query, SPEC, lambda customer: customer)
    if page["next"] is None:
        return page["items"], None
    return page["items"], parse_qs(urlsplit(page["next"]).query)["cursor"][0]
