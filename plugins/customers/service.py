"""Customer rules shared by the pages, the API and the hooks.

Numbering, phone normalisation, who may own a customer, prefix search, and
saving inside a savepoint so that a refused save changes nothing (``Refused``
for bad input, ``ConflictError`` when somebody saved the customer meanwhile).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.customfields.service import set_custom_values
from core.db import utcnow
from core.security.identity import Identity
from core.security.models import User
from core.security.scopes import RecordContext, in_scope, scope_filter
from core.security.service_errors import Refused, savepoint
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.numbering import code_pattern

RECORD_TYPE = "customer"
PREFIX = "customers.customer"
VIEW, CREATE, EDIT, EDIT_STATUS, DELETE = (
    f"{PREFIX}.{action}" for action in ("view", "create", "edit", "edit_status", "delete")
)
#: Attempts at a fresh automatic code (or order number) when a concurrent save took it:
#: each round at least one of the saves racing for the same number wins, so this many
#: can race (a server's threads all creating customers at once).
NUMBER_ATTEMPTS = 16

CODE_TAKEN = _("Another customer already has this code.")
CODES_USED_UP = _(
    "Every automatic code of the current pattern is taken. Enter a code, or ask an "
    "administrator to change the pattern."
)
OUT_OF_SCOPE = _(
    "After this change the customer would be outside your responsibility. "
    "Choose an owner or region you look after."
)


def company_today(settings: dict[str, Any]) -> dt.date:
    """Today in the company's time zone (automatic codes are numbered by it)."""
    zone = ZoneInfo(settings.get("guanxi.default_timezone") or "Asia/Shanghai")
    return utcnow().astimezone(zone).date()


def company_year(settings: dict[str, Any]) -> int:
    """The current year in the company's time zone."""
    return company_today(settings).year


def next_code(session: Session, today: dt.date) -> str:
    """The next free automatic code on ``today`` from the code pattern (an admin setting).

    The sequence counts per rendered prefix: with ``C{yyyy}{seq:06}``,
    ``C2026000042`` follows ``C2026000041`` and 2027 starts at ``C2027000001``.
    Refused when every number of the prefix is taken.
    """
    return next_codes(session, today, 1)[0]


def next_codes(session: Session, today: dt.date, count: int) -> list[str]:
    """The next ``count`` automatic codes on ``today`` (see :func:`next_code`), for bulk imports."""
    pattern = code_pattern(session)
    before, after = pattern.render(today)
    width = pattern.width
    shape = escape_like(before) + "_" * width + escape_like(after)
    codes = session.scalars(
        select(Customer.code)
        .where(
            Customer.code >= before + "0" * width + after,
            Customer.code <= before + "9" * width + after,
            Customer.code.like(shape, escape="\\"),
        )
        .order_by(Customer.code.desc())
        .limit(50)
    )
    tails = (code[len(before) : len(before) + width] for code in codes)
    number = next((int(tail) + 1 for tail in tails if tail.isdigit()), 1)
    if number + count - 1 >= 10**width:
        raise Refused({"code": [CODES_USED_UP]})
    return [pattern.example(today, number + offset) for offset in range(count)]


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern escaped with a backslash."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def code_in_use(session: Session, code: str, customer_id: int | None = None) -> bool:
    """Whether another customer (deleted ones included) has ``code``."""
    query = select(Customer.id).where(Customer.code == code)
    if customer_id is not None:
        query = query.where(Customer.id != customer_id)
    return session.execute(query.limit(1)).first() is not None


# -- phones -----------------------------------------------------------------------


#: A mainland mobile number as typed (prefix and separators optional): the common case,
#: answered without phonenumbers (which costs ~60 µs a number) with the same result.
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9]\d{9})")
_SEPARATORS = re.compile(r"[\s\-().]")
#: A stored (E.164) mainland mobile number.
STORED_MOBILE = re.compile(r"\+861[3-9]\d{9}")


def normalise_phone(raw: str) -> str:
    """``raw`` in E.164 (``+8613812345678``); Chinese numbers may omit ``+86``.

    Raises ``ValueError`` for something that cannot be a phone number.
    """
    mobile = _MOBILE.fullmatch(_SEPARATORS.sub("", raw))
    if mobile is not None:
        return "+86" + mobile.group(1)
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(raw) from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """A stored phone as people write it: national format in China, international abroad."""
    if not value:
        return ""
    if STORED_MOBILE.fullmatch(value):  # the common case, without phonenumbers
        return f"{value[3:6]} {value[6:10]} {value[10:]}"
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def phone_prefix(query: str) -> str | None:
    """The E.164 prefix a phone-like query stands for (``138`` → ``+86138``), else None."""
    compact = "".join(ch for ch in query if ch not in " -()")
    digits = compact.removeprefix("+")
    if len(digits) < 3 or not digits.isdigit():
        return None
    if compact.startswith("+"):
        return compact
    return "+86" + digits.removeprefix("0")


# -- queries ----------------------------------------------------------------------


def live_customers() -> ColumnElement[bool]:
    """Customers that are not deleted."""
    return Customer.deleted_at.is_(None)


def scoped(request: Any, permission: str) -> ColumnElement[bool]:
    """The scope predicate of ``permission`` on customers for the request's user."""
    return scope_filter(request.identity, request.record_types[RECORD_TYPE], permission)


def route_record_type(request: Any, name: str, permission: str | None = None) -> Any:
    """The record type ``name`` for a route context factory: 404 when its module is disabled.

    Without a login, or without ``permission`` in any scope, it raises 403 (the login
    page, or a 401), not a misleading 404; out of the scope is the caller's 404.
    """
    record_type = request.record_types.get(name)
    if record_type is None:
        raise HTTPNotFound()
    if request.identity is None or (
        permission is not None and not request.identity.can(permission)
    ):
        raise HTTPForbidden()
    return record_type


def route_factory(
    record_type_name: str,
    find: Callable[[Any, Any, str], Any],
    permission: str,
    *,
    granted: bool = True,
) -> Callable[[Any], RecordContext]:
    """A route context factory: what ``find(request, {id}, permission)`` returns, else 404.

    Before that, :func:`route_record_type` answers 404 when the module of
    ``record_type_name`` is disabled and 403 without a login or, when ``granted``
    is required, without ``permission`` in any scope.
    """

    def factory(request: Any) -> RecordContext:
        record_type = route_record_type(request, record_type_name, permission if granted else None)
        record = find(request, request.matchdict.get("id"), permission)
        if record is None:
            raise HTTPNotFound()
        return RecordContext(record, record_type)

    return factory


def prefix_match(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, written as an index range plus an exact LIKE."""
    exact = column.startswith(prefix, autoescape=True)
    if ord(prefix[-1]) >= sys.maxunicode:
        return exact
    return and_(column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1), exact)


def text_match(query: str) -> ColumnElement[bool]:
    """Customers whose name, code or phone starts with ``query`` (control characters dropped)."""
    query = "".join(ch for ch in query if ch.isprintable())
    if not query:
        return false()
    clauses = [prefix_match(Customer.name, query), prefix_match(Customer.code, query.upper())]
    phone = phone_prefix(query)
    if phone:
        clauses.append(prefix_match(Customer.phone, phone))
    return or_(*clauses)


# -- people -----------------------------------------------------------------------


def people_in_scope(
    session: Session, identity: Identity, permission: str, *, region_reaches_all: bool = False
) -> list[User]:
    """Active users whose customers ``permission`` reaches: the user, their teams, or all.

    With ``region_reaches_all`` a region grant counts as everybody (anyone may own a
    customer in my regions); otherwise it counts as the user alone.
    """
    scopes = identity.scopes(permission)
    if not scopes:
        return []
    key: tuple[Any, ...] = ("all",)
    query = select(User).where(User.is_active).order_by(User.display_name, User.id)
    if not ("all" in scopes or (region_reaches_all and "region" in scopes)):
        teams = sorted(identity.team_ids) if "team" in scopes else []
        key = (identity.user_id, *teams)
        clauses = [User.id == identity.user_id]
        if teams:
            clauses.append(User.team_id.in_(teams))
        query = query.where(or_(*clauses))
    # One page asks several times (owner filter, bulk bar, transfer): load each set once.
    found = session.info.setdefault("people_in_scope", {})
    if key not in found:
        found[key] = list(session.scalars(query))
    return list(found[key])


def assign_owner(customer: Customer, owner: User) -> None:
    """Give ``customer`` to ``owner``; the owner's team goes with it (team scopes read it)."""
    customer.owner = owner
    customer.team_id = owner.team_id


# -- saving -----------------------------------------------------------------------


def write(
    request: Any,
    customer: Customer,
    values: dict[str, Any],
    permission: str,
    custom: dict[str, Any] | None = None,
) -> None:
    """Apply validated ``values`` (and clean ``custom`` field values) and save ``customer``.

    Everything happens in a savepoint: when the save is refused nothing changes
    and ``Refused`` (field → messages) or ``ConflictError`` (somebody saved the
    customer meanwhile) is raised.  Refused when the code is taken, or when the
    result would fall outside the scope of ``permission`` (nobody gives a
    customer away to people or regions they do not look after).  A blank code
    means "number it automatically" for a new customer and "keep it" otherwise;
    an automatic code that a concurrent save took is replaced by the next one.
    """
    session = request.dbsession
    values = dict(values)
    wanted_code = values.pop("code") or customer.code
    if wanted_code and code_in_use(session, wanted_code, customer.id):
        raise Refused({"code": [CODE_TAKEN]})
    owner = session.get(User, values.pop("owner_id"))
    if owner is None:
        raise Refused({"owner_id": [_("Choose an owner.")]})
    record_type = request.record_types[RECORD_TYPE]

    def save() -> None:
        for name, value in values.items():
            setattr(customer, name, value)
        if custom:
            set_custom_values(customer, custom)
        customer.code = wanted_code or next_code(session, company_today(request.registry.settings))
        assign_owner(customer, owner)
        session.add(customer)
        session.flush()
        if not in_scope(session, request.identity, record_type, customer.id, permission):
            raise Refused({"": [OUT_OF_SCOPE]})

    retry_numbering(session, customer, save, not wanted_code, {"code": [CODE_TAKEN]})


def retry_numbering(
    session: Session,
    record: Any,
    save: Callable[[], None],
    automatic: bool,
    taken: Mapping[str, list[Any]],
) -> None:
    """Run ``save`` in a savepoint; refused with ``taken`` when the number it gives is taken.

    An ``automatic`` number that a concurrent save took is replaced: ``save`` runs
    again (it takes the next free one), ``NUMBER_ATTEMPTS`` times at most.  A stale
    version of ``record`` is a ``ConflictError``.
    """
    for attempt in range(1, NUMBER_ATTEMPTS + 1):
        try:
            with savepoint(session, record):
                save()
            return
        except IntegrityError as exc:
            if not automatic or attempt == NUMBER_ATTEMPTS:
                raise Refused(taken) from exc
