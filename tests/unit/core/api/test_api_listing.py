"""core.api.listing against a small table: every value type, NULL sort values, cursors."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Numeric, String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from webob.multidict import MultiDict

from core.api.listing import (
    Filter,
    FilterError,
    ListSpec,
    list_response,
    parse_value,
    split_param,
)
from core.api.problems import ProblemError
from core.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class Deal(Base):
    __tablename__ = "deals"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    amount: Mapped[decimal.Decimal | None] = mapped_column(Numeric(12, 2))
    due: Mapped[dt.date | None]
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    won: Mapped[bool] = mapped_column(default=False)
    stage: Mapped[int] = mapped_column(default=1)


SPEC = ListSpec(
    sorts={
        "title": Deal.title,
        "amount": Deal.amount,
        "due": Deal.due,
        "closed_at": Deal.closed_at,
        "won": Deal.won,
    },
    filters={
        "title": Filter(Deal.title, str, ("eq", "ne", "contains", "in")),
        "amount": Filter(Deal.amount, decimal.Decimal, ("gte", "lt", "isnull")),
        "due": Filter(Deal.due, dt.date, ("lte", "gt")),
        "closed_at": Filter(Deal.closed_at, dt.datetime, ("gte",)),
        "won": Filter(Deal.won, bool),
        "stage": Filter(Deal.stage, int, ("eq", "in", "ne")),
    },
)
T0 = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)


class FakeRequest:
    """Just what list_response reads from a request."""

    path_url = "http://localhost/api/v1/deals"

    def __init__(self, session: Session, query: str) -> None:
        self.dbsession = session
        pairs = [part.partition("=")[::2] for part in query.split("&") if part]
        self.GET = MultiDict(pairs)


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            Deal(
                title=f"Deal {n}",
                amount=None if n % 3 == 0 else decimal.Decimal(n * 100) / 4,
                due=None if n % 4 == 0 else dt.date(2026, 12, 1) + dt.timedelta(days=n % 5),
                closed_at=None if n % 2 else T0 + dt.timedelta(hours=n % 3),
                won=n % 2 == 0,
                stage=n % 3,
            )
            for n in range(1, 13)
        )
        session.flush()
        yield session


def page(session: Session, query: str, **kw: Any) -> dict[str, Any]:
    from sqlalchemy import select

    return list_response(FakeRequest(session, query), select(Deal), SPEC, lambda d: d.id, **kw)


def walk(session: Session, query: str) -> list[int]:
    ids: list[int] = []
    body = page(session, query)
    while True:
        ids += body["items"]
        if body["next"] is None:
            return ids
        body = page(session, body["next"].split("?", 1)[1])


def expected_order(session: Session, name: str, descending: bool) -> list[int]:
    deals = session.query(Deal).all()
    present = sorted(
        (d for d in deals if getattr(d, name) is not None),
        key=lambda d: (getattr(d, name), d.id),
        reverse=descending,
    )
    nulls = sorted((d for d in deals if getattr(d, name) is None), key=lambda d: d.id)
    return [d.id for d in present] + [d.id for d in (reversed(nulls) if descending else nulls)]


@pytest.mark.parametrize("name", ["title", "amount", "due", "closed_at", "won", "id"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("limit", [1, 5])
def test_every_sort_pages_through_all_rows_once_with_nulls_last(session, name, descending, limit):
    sort = f"-{name}" if descending else name
    assert walk(session, f"sort={sort}&limit={limit}") == expected_order(session, name, descending)


def test_default_sort_is_newest_id_first_and_default_limit_is_50(session):
    body = page(session, "")
    assert body["items"] == list(range(12, 0, -1)) and body["next"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title=Deal 3", [3]),
        ("title__ne=Deal 3&stage=0", [12, 9, 6]),
        ("title__in=Deal 1,Deal 2,Deal 99", [2, 1]),
        ("title__contains=deal 1", [12, 11, 10, 1]),
        ("amount__gte=250&amount__lt=275", [10]),
        ("amount__gte=250.00&amount__lt=275.01", [11, 10]),
        ("amount__isnull=true", [12, 9, 6, 3]),
        ("due__lte=2026-12-01&due__gt=2026-11-30", [10, 5]),
        ("closed_at__gte=2026-11-22T11:00:00%2B08:00", [10, 8, 4, 2]),
        ("closed_at__gte=2026-11-22T03:00:00", [10, 8, 4, 2]),
        ("won=yes&stage__in=1,2", [10, 8, 4, 2]),
    ],
)
def test_filters_by_declared_type(session, query, expected):
    assert page(session, query.replace("%2B", "+"))["items"] == expected


def test_extra_filter_family_gets_name_op_and_raw_value(session):
    seen = []

    def custom(name: str, op: str, raw: str) -> Any:
        seen.append((name, op, raw))
        if name != "lucky":
            raise FilterError("no such custom field")
        return Deal.stage == int(raw)

    assert page(session, "cf_lucky=2", extra_filters={"cf_": custom})["items"] == [11, 8, 5, 2]
    with pytest.raises(ProblemError) as raised:
        page(session, "cf_colour__in=red", extra_filters={"cf_": custom})
    assert raised.value.extra == {"parameter": "cf_colour__in"}
    assert seen == [("lucky", "eq", "2"), ("colour", "in", "red")]


@pytest.mark.parametrize(
    "query",
    [
        "sort=stage",
        "stage__gt=1",
        "won=2",
        "due__lte=2026-13-01",
        "closed_at__gte=yesterday",
        "amount__gte=NaN",
        "amount__gte=1e999999",
        "stage=１",
        "title=a%00b",
        "cursor=eyJzIjoiLWlkIiwidiI6bnVsbCwiaSI6dHJ1ZX0",
    ],
)
def test_invalid_queries_raise_a_400_problem(session, query):
    with pytest.raises(ProblemError) as raised:
        page(session, query.replace("%00", "\x00"))
    assert raised.value.status == 400


def test_cursor_sort_value_must_match_the_column_type(session):
    import base64
    import json

    for value in ("not a date", 5, None):
        payload = {"s": "due", "v": value, "i": 1}
        cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
        if value is None:  # due is nullable: a NULL position is valid
            page(session, f"sort=due&cursor={cursor}")
            continue
        with pytest.raises(ProblemError):
            page(session, f"sort=due&cursor={cursor}")
    payload = {"s": "title", "v": None, "i": 1}  # title is NOT NULL
    cursor = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(ProblemError):
        page(session, f"sort=title&cursor={cursor}")


@given(st.text(max_size=300))
def test_any_cursor_text_is_a_page_or_a_400_never_a_crash(text):
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        request = FakeRequest(session, "")
        request.GET = MultiDict([("cursor", text), ("sort", "closed_at")])
        from sqlalchemy import select

        try:
            list_response(request, select(Deal), SPEC, lambda d: d.id)
        except ProblemError as exc:
            assert exc.status == 400


def test_split_param():
    assert split_param("name") == ("name", "eq")
    assert split_param("name__contains") == ("name", "contains")
    assert split_param("__in") == ("__in", "eq")


def test_parse_value_types():
    assert parse_value(int, " -42 ", "p") == -42
    assert parse_value(decimal.Decimal, "1.50", "p") == decimal.Decimal("1.50")
    assert parse_value(dt.datetime, "2026-11-22T10:00:00Z", "p") == T0 + dt.timedelta(hours=8)
    assert parse_value(bool, "FALSE", "p") is False
    with pytest.raises(FilterError):
        parse_value(int, "1" * 19, "p")


def test_specs_are_checked_when_declared():
    with pytest.raises(ValueError, match="contains"):
        Filter(Deal.stage, int, ("contains",))
    with pytest.raises(ValueError, match="operators"):
        Filter(Deal.title, str, ("like",))
    with pytest.raises(ValueError, match="type"):
        Filter(Deal.title, float)
    with pytest.raises(ValueError, match="default sort"):
        ListSpec(sorts={"title": Deal.title}, default_sort="-amount")
