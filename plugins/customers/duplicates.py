"""Likely duplicates of a customer: same name (normalised), phone, e-mail or credit code.

Nothing extra is stored: every lookup is an indexed query on ``name``, ``phone``,
``email`` or ``credit_code`` among live customers, bounded by a ``LIMIT``.  Names
are compared after :func:`normalise_name` (NFKC, case, spaces, punctuation and
legal-form suffixes such as 有限公司 ignored): the database finds the customers
whose name starts with the name's stem, and the comparison of normalised names
happens on those few rows.

The user sees the duplicates their view scope reaches and only the number of
the others, so that a warning never reveals a customer they may not see.

The duplicates page groups live customers by one column with an indexed
``GROUP BY … HAVING count(*) > 1`` a page at a time; pairs marked "not a
duplicate" are remembered in the settings store (``customers.duplicates.dismissed``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from core.api.problems import ProblemError
from core.settings_store import SystemSetting, get_setting, set_setting
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.service import VIEW, live_customers, prefix_match, scoped

#: Legal-form endings of Chinese names that do not tell two companies apart (longest first).
SUFFIXES = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "集团",
    "公司",
)
#: Legal-form words that end Latin names ("Acme Co., Ltd." is "Acme").
LEGAL_WORDS = frozenset(
    {"co", "company", "corp", "corporation", "group", "inc", "limited", "llc", "ltd", "plc"}
)
#: Candidates read per lookup; more than this many lookalikes is not a warning any more.
LOOKUP_LIMIT = 50
#: The compared fields, in the order reasons are listed.
REASONS = ("name", "phone", "email", "credit_code")


def _words(text: str) -> list[str]:
    """The words of ``text`` after NFKC and case folding (punctuation and spaces dropped)."""
    return re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())


def _compact(text: str) -> str:
    return "".join(_words(text))


def normalise_name(name: str) -> str:
    """The name as duplicates are compared: ``上海 浦江（精密）有限公司`` → ``上海浦江精密``.

    Legal forms are dropped from the end (never the whole name): 有限公司, 集团 …,
    and whole words such as "Co., Ltd." or "Inc." in Latin names.
    """
    words = _words(name)
    while len(words) > 1 and words[-1] in LEGAL_WORDS:
        words.pop()
    stem = "".join(words)
    while True:
        suffix = next((s for s in SUFFIXES if stem.endswith(s) and stem != s), None)
        if suffix is None:
            return stem
        stem = stem[: -len(suffix)]


def name_stem(name: str) -> str:
    """The start every lookalike of ``name`` shares: ``浦江精密 有限公司`` → ``浦江精密``.

    The shortest beginning of ``name`` (as written) whose normalised form is the
    normalised name; the database looks for names that start with it.
    """
    text = name.strip()
    wanted = normalise_name(text)
    return next(
        (text[:end] for end in range(1, len(text) + 1) if _compact(text[:end]) == wanted), text
    )


def email_variants(email: str) -> list[str]:
    """The spellings of ``email`` an exact (indexed) comparison tries: as given, lower case."""
    return sorted({email, email.lower(), email.strip().lower()})


@dataclass
class Found:
    """Likely duplicates: those the user may see (with why) and how many others there are."""

    visible: list[Customer] = field(default_factory=list)
    reasons: dict[int, list[str]] = field(default_factory=dict)
    hidden: int = 0

    def __bool__(self) -> bool:
        return bool(self.visible) or self.hidden > 0

    @property
    def ids(self) -> list[int]:
        """The ids of the visible duplicates, ascending."""
        return sorted(customer.id for customer in self.visible)

    @property
    def signature(self) -> str:
        """What the user confirmed with "save anyway" (the same warning saves the next time)."""
        return ",".join(str(i) for i in self.ids) + f";{self.hidden}"


def live_by_column() -> ColumnElement[bool]:
    """Live customers, written so that SQLite finds rows through the compared column's index.

    As a bare ``deleted_at IS NULL`` SQLite (without statistics) walks every live
    customer through a ``(deleted_at, …)`` index instead; PostgreSQL plans both alike.
    """
    return func.coalesce(Customer.deleted_at, Customer.deleted_at).is_(None)


def _lookups(values: Mapping[str, Any]) -> list[tuple[str, ColumnElement[bool]]]:
    """``(reason, criterion)`` of each indexed lookup the values call for.

    A name is looked up by the start it shares with its lookalikes, as typed and
    in NFKC (each a range of the ``(deleted_at, name)`` index; the name itself is in it).
    """
    found: list[tuple[str, ColumnElement[bool]]] = []
    name = (values.get("name") or "").strip()
    if name:
        for stem in sorted({name_stem(name), name_stem(unicodedata.normalize("NFKC", name))}):
            found.append(("name", and_(prefix_match(Customer.name, stem), live_customers())))
    exact = {
        "phone": Customer.phone == values.get("phone"),
        "email": Customer.email.in_(email_variants(values.get("email") or "")),
        "credit_code": Customer.credit_code == (values.get("credit_code") or "").upper(),
    }
    for reason, criterion in exact.items():
        if values.get(reason):
            found.append((reason, and_(criterion, live_by_column())))
    return found


def _same(reason: str, customer: Customer, values: Mapping[str, Any]) -> bool:
    """Whether a candidate really shares ``reason`` (names compare normalised)."""
    if reason == "name":
        return normalise_name(customer.name) == normalise_name(values["name"])
    if reason == "email":
        return (customer.email or "").lower() == values["email"].strip().lower()
    return True


def find_duplicates(
    request: Any,
    values: Mapping[str, Any],
    exclude_id: int | None = None,
    permission: str = VIEW,
) -> Found:
    """Live customers that look like the one ``values`` describe (``exclude_id``: itself).

    ``values`` holds the form's clean values (phone in E.164).  Returns the ones
    the scope of ``permission`` reaches, and the number of the others.
    """
    session = request.dbsession
    visible_flag = case((scoped(request, permission), 1), else_=0).label("visible")
    hits: dict[int, tuple[Customer, bool]] = {}
    reasons: dict[int, list[str]] = {}
    for reason, criterion in _lookups(values):
        query = select(Customer, visible_flag).where(criterion)
        if exclude_id is not None:
            query = query.where(Customer.id != exclude_id)
        rows = session.execute(query.order_by(Customer.name, Customer.id).limit(LOOKUP_LIMIT))
        for customer, visible in rows:
            if _same(reason, customer, values):
                hits[customer.id] = (customer, bool(visible))
                found = reasons.setdefault(customer.id, [])
                if reason not in found:
                    found.append(reason)
    result = Found()
    for customer_id, (customer, visible) in sorted(hits.items()):
        if visible:
            result.visible.append(customer)
            result.reasons[customer_id] = reasons[customer_id]
        else:
            result.hidden += 1
    return result


def compared_change(customer: Customer, values: Mapping[str, Any]) -> bool:
    """Whether ``values`` change a compared field of ``customer`` (else there is nothing new)."""
    return any(
        name in values and (values[name] or None) != (getattr(customer, name) or None)
        for name in REASONS
    )


# -- the duplicates page ------------------------------------------------------------

#: The columns candidate pairs share, as offered on the duplicates page.
GROUP_COLUMNS = {
    "phone": Customer.phone,
    "email": Customer.email,
    "credit_code": Customer.credit_code,
    "name": Customer.name,
}
#: Customers shown per group (a larger group is a data problem of its own).
GROUP_MEMBERS = 10
#: Where dismissed pairs ("not a duplicate") are kept: a list of ``"<id>-<id>"``.
DISMISSED_KEY = "customers.duplicates.dismissed"
#: Dismissals kept (the oldest are forgotten first).
DISMISSED_MAX = 5000


@dataclass(frozen=True)
class Group:
    """Customers sharing ``key`` in one column, and their pairs not dismissed."""

    key: str
    customers: list[Customer]
    pairs: list[tuple[Customer, Customer]]


def pair_key(first: int, second: int) -> str:
    """The stored form of a pair, the same in either order."""
    low, high = sorted((first, second))
    return f"{low}-{high}"


def dismissed_pairs(session: Session) -> set[str]:
    """The pairs somebody marked "not a duplicate"."""
    return set(get_setting(session, DISMISSED_KEY, []) or [])


def dismiss_pair(session: Session, first: int, second: int) -> None:
    """Remember that customers ``first`` and ``second`` are not duplicates."""
    row = session.get(SystemSetting, DISMISSED_KEY, with_for_update=True)
    stored = list(row.value or []) if row is not None else []
    key = pair_key(first, second)
    if key not in stored:
        set_setting(session, DISMISSED_KEY, [*stored, key][-DISMISSED_MAX:])


def duplicate_groups(
    request: Any, by: str, scope: ColumnElement[bool], after: str | None, limit: int
) -> tuple[list[Group], str | None]:
    """Groups of live customers in ``scope`` sharing column ``by``, ``limit`` keys a page.

    Keys are walked in order (keyset: the page after ``after``) with an indexed
    ``GROUP BY … HAVING count(*) > 1``.  Returns the groups that still have a pair
    nobody dismissed, and the key to continue after (``None`` on the last page).
    """
    session = request.dbsession
    column = GROUP_COLUMNS[by]
    live_clause = live_customers() if by == "name" else live_by_column()
    live = (live_clause, scope, column.is_not(None), column != "")
    query = select(column).where(*live).group_by(column).having(func.count() > 1)
    if after:
        query = query.where(column > after)
    keys = list(session.scalars(query.order_by(column).limit(limit + 1)))
    more = len(keys) > limit
    keys = keys[:limit]
    members: dict[str, list[Customer]] = {key: [] for key in keys}
    if keys:
        rows = session.scalars(
            select(Customer).where(column.in_(keys), *live).order_by(column, Customer.id)
        )
        for customer in rows:
            found = members[getattr(customer, by)]
            if len(found) < GROUP_MEMBERS:
                found.append(customer)
    dismissed = dismissed_pairs(session)
    groups = []
    for key in keys:
        pairs = [
            (first, second)
            for first, second in combinations(members[key], 2)
            if pair_key(first.id, second.id) not in dismissed
        ]
        if pairs:
            groups.append(Group(key, members[key], pairs))
    return groups, (keys[-1] if more else None)


#: The form field that carries the warning the user confirmed with "save anyway".
CONFIRM_FIELD = "confirm_duplicates"


def unconfirmed_duplicates(
    request: Any, values: Mapping[str, Any], customer: Customer | None = None
) -> Found | None:
    """The likely duplicates to warn about before saving ``values``, or None to save.

    Editing ``customer`` warns only when a compared field changes.  Once the user
    confirmed the same warning (:attr:`Found.signature` posted back), it saves.
    """
    if customer is not None and not compared_change(customer, values):
        return None
    found = find_duplicates(request, values, customer.id if customer is not None else None)
    if not found or request.POST.get(CONFIRM_FIELD) == found.signature:
        return None
    return found


#: The API's query parameter that saves despite likely duplicates.
ALLOW_PARAM = "allow_duplicates"


def refuse_duplicates(
    request: Any, values: Mapping[str, Any], customer: Customer | None = None
) -> None:
    """API: a 409 problem listing the likely duplicates, unless ``?allow_duplicates=true``.

    ``duplicates`` holds the ids the caller may see, ``hidden_duplicates`` how many
    others there are.  Editing ``customer`` checks only when a compared field changes.
    """
    if request.GET.get(ALLOW_PARAM) == "true":
        return
    if customer is not None and not compared_change(customer, values):
        return
    found = find_duplicates(request, values, customer.id if customer is not None else None)
    if found:
        raise ProblemError(
            409,
            _("Possible duplicate customer"),
            _(
                "Customers with the same name, phone, e-mail or credit code exist. "
                "Nothing was saved; send the request again with allow_duplicates=true "
                "to save anyway."
            ),
            duplicates=found.ids,
            hidden_duplicates=found.hidden,
        )
