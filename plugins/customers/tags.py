"""Tags on customers: the rules shared by the settings pages, the customer page, the API and jobs.

A tag's name is trimmed, NFKC-normalised (full-width letters and punctuation become
half-width) and unique regardless of case; its group is the part before the first
``-`` or ``:`` (``行业-制造业`` → ``行业``), full-width ``－`` and ``：`` included.
System tags are used by the application (the churn job sets ``流失预警``): they can be
recoloured, but not renamed or deleted.  ``customers.tag.manage`` creates, changes
and deletes tags; putting tags on a customer needs ``customers.customer.edit`` on it.

Tags are put on customers through the association table directly (one
INSERT … SELECT or DELETE for any number of customers), which the automatic audit
capture does not see: each customer whose tags changed gets one ``update`` event
with its tag names before and after (read by its history like any other change),
and its version moves on, so that a form opened before the change is refused as stale.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.api.listing import Filter, ListSpec
from core.audit import AuditEvent, current_actor, record_event
from core.db import utcnow
from core.security.service_errors import Refused, savepoint
from plugins.customers import _
from plugins.customers.models import Customer, Tag, customer_tags

MANAGE = "customers.tag.manage"
NAME_MAX = 50
#: Colours a tag may have (each is a ``gx-tag-<colour>`` badge class in app.css).
PALETTE = {
    "blue": _("Blue"),
    "indigo": _("Indigo"),
    "purple": _("Purple"),
    "pink": _("Pink"),
    "red": _("Red"),
    "orange": _("Orange"),
    "yellow": _("Yellow"),
    "green": _("Green"),
    "teal": _("Teal"),
    "cyan": _("Cyan"),
    "gray": _("Grey"),
}
DEFAULT_COLOR = "blue"
#: What separates a group from the rest of a name (NFKC turns ``－`` and ``：`` into these).
GROUP_SEPARATORS = ("-", ":", "－", "：")
#: System tags seeded by the migration (their names are data: they stay Chinese).
VIP, CHURN_WARNING, KEY_FOLLOW_UP, NEW_CUSTOMER = "VIP", "流失预警", "重点跟进", "新客户"
#: Customers whose versions move on in one UPDATE (IN lists stay well under driver limits).
CHUNK = 500

CustomerIds = Collection[int] | Select[Any]
"""Which customers to change: ids, or a query selecting ``Customer.id`` (e.g. a scoped list)."""

NAME_REQUIRED = _("Enter a name for the tag.")
NAME_TOO_LONG = _("A tag name has at most 50 characters.")
NAME_UNPRINTABLE = _("A tag name cannot contain control or invisible characters.")
NAME_TAKEN = _("A tag called ${name} already exists.")
BAD_COLOR = _("Choose one of the colours.")
SYSTEM_RENAME = _("${name} is a system tag: it cannot be renamed, only recoloured.")
SYSTEM_DELETE = _("${name} is a system tag: it cannot be deleted.")


# -- names --------------------------------------------------------------------------


def clean_name(raw: str) -> str:
    """A name as stored: NFKC-normalised, trimmed, inner runs of spaces as one space."""
    return " ".join(unicodedata.normalize("NFKC", raw).split())


def group_of(name: str) -> str | None:
    """The group of a tag name: the part before its first separator (``None`` without one).

    Both sides must be non-empty: ``-VIP`` and ``行业-`` have no group.
    """
    cuts = [name.find(separator) for separator in GROUP_SEPARATORS if separator in name]
    if not cuts:
        return None
    cut = min(cuts)
    group, rest = name[:cut].strip(), name[cut + 1 :].strip()
    return group if group and rest else None


def find_tag(session: Session, name: str) -> Tag | None:
    """The tag called ``name`` (cleaned, case ignored), if any."""
    wanted = clean_name(name)
    if not wanted:
        return None
    query = select(Tag).where(func.lower(Tag.name) == func.lower(literal(wanted)))
    return session.scalars(query.order_by(Tag.id)).first()


def checked_name(session: Session, raw: str, tag: Tag | None = None) -> str:
    """``raw`` cleaned, or ``Refused`` when it is blank, too long, unprintable or taken.

    ``tag`` is the tag being renamed (it does not clash with itself).
    """
    name = clean_name(raw or "")
    if not name:
        raise Refused({"name": [NAME_REQUIRED]})
    if len(name) > NAME_MAX:
        raise Refused({"name": [NAME_TOO_LONG]})
    if not name.isprintable():
        raise Refused({"name": [NAME_UNPRINTABLE]})
    other = find_tag(session, name)
    if other is not None and other is not tag:
        raise Refused({"name": [_(NAME_TAKEN, mapping={"name": other.name})]})
    return name


# -- tags ---------------------------------------------------------------------------


#: Sorts and filters of ``GET /api/v1/tags``.
TAG_SPEC = ListSpec(
    sorts={"name": Tag.name, "group": Tag.group, "created_at": Tag.created_at},
    filters={
        "name": Filter(Tag.name, str, ("eq", "contains")),
        "group": Filter(Tag.group, str, ("eq", "isnull")),
        "color": Filter(Tag.color, str, ("eq", "in")),
        "is_system": Filter(Tag.is_system, bool),
    },
    default_sort="name",
)


def all_tags(session: Session) -> list[Tag]:
    """Every tag, by group (ungrouped last) then name."""
    query = select(Tag).order_by(Tag.group.is_(None), Tag.group, Tag.name, Tag.id)
    return list(session.scalars(query))


def _save(session: Session, tag: Tag, name: str) -> None:
    """Flush ``tag`` in a savepoint: a name taken meanwhile or a stale version changes nothing."""
    try:
        with savepoint(session, tag):
            session.add(tag)
    except IntegrityError as exc:
        raise Refused({"name": [_(NAME_TAKEN, mapping={"name": name})]}) from exc


def _checked(session: Session, tag: Tag | None, name: str, color: str) -> str:
    """The clean name, or ``Refused`` with every problem of the name and the colour.

    ``tag`` is the tag being changed (``None`` for a new one); a system tag keeps its name.
    """
    errors: dict[str, list[Any]] = {}
    clean = clean_name(name or "")
    if tag is not None and tag.is_system and clean != tag.name:
        errors["name"] = [_(SYSTEM_RENAME, mapping={"name": tag.name})]
    else:
        try:
            clean = checked_name(session, name, tag)
        except Refused as refused:
            errors.update(refused.errors)
    if color not in PALETTE:
        errors["color"] = [BAD_COLOR]
    if errors:
        raise Refused(errors)
    return clean


def create_tag(session: Session, name: str, color: str = DEFAULT_COLOR) -> Tag:
    """Create a custom tag; ``Refused`` for a bad or taken name or an unknown colour."""
    clean = _checked(session, None, name, color)
    tag = Tag(name=clean, color=color, group=group_of(clean), is_system=False)
    _save(session, tag, clean)
    return tag


def update_tag(session: Session, tag: Tag, name: str, color: str) -> None:
    """Rename and recolour ``tag``; renaming a system tag is refused."""
    clean = _checked(session, tag, name, color)
    tag.name, tag.group, tag.color = clean, group_of(clean), color
    _save(session, tag, clean)


def carriers(session: Session, tag_id: int, cap: int | None = None) -> int:
    """How many live customers carry the tag (counting stops after ``cap``)."""
    query = (
        select(customer_tags.c.customer_id)
        .join(Customer, Customer.id == customer_tags.c.customer_id)
        .where(customer_tags.c.tag_id == tag_id, Customer.deleted_at.is_(None))
    )
    if cap is not None:
        query = query.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def delete_tag(session: Session, tag: Tag) -> int:
    """Delete a custom tag, taking it off every customer first; how many carried it.

    ``Refused`` for a system tag.
    """
    if tag.is_system:
        raise Refused({"": [_(SYSTEM_DELETE, mapping={"name": tag.name})]})
    carrying = select(customer_tags.c.customer_id).where(customer_tags.c.tag_id == tag.id)
    changed = remove_tags(session, carrying, [tag.id])
    session.delete(tag)
    session.flush()
    return changed


# -- tags on customers --------------------------------------------------------------


def tag_names(session: Session, customer_id: int) -> list[str]:
    """The names of a customer's tags, sorted."""
    query = (
        select(Tag.name)
        .join(customer_tags, customer_tags.c.tag_id == Tag.id)
        .where(customer_tags.c.customer_id == customer_id)
        .order_by(Tag.name)
    )
    return list(session.scalars(query))


def add_tags(session: Session, customers: CustomerIds, tag_ids: Iterable[int]) -> int:
    """Put the tags on the customers (those carrying them already are left alone).

    Returns how many customers changed; each of them gets one audit event.
    """
    return _change(session, customers, add=set(tag_ids), remove=set())


def remove_tags(session: Session, customers: CustomerIds, tag_ids: Iterable[int]) -> int:
    """Take the tags off the customers; how many customers changed (each audited)."""
    return _change(session, customers, add=set(), remove=set(tag_ids))


def set_tags(session: Session, customer: Customer, tag_ids: Iterable[int]) -> bool:
    """Give ``customer`` exactly the tags ``tag_ids``; whether anything changed."""
    wanted = set(tag_ids)
    current = set(
        session.scalars(
            select(customer_tags.c.tag_id).where(customer_tags.c.customer_id == customer.id)
        )
    )
    return _change(session, [customer.id], add=wanted - current, remove=current - wanted) > 0


def set_system_tag(session: Session, customer: Customer, name: str, present: bool) -> bool:
    """Put the system tag ``name`` on ``customer`` or take it off; whether anything changed.

    For the application's own rules (the churn job and ``流失预警``); raises
    ``LookupError`` when no system tag has that name.
    """
    tag_id = session.scalar(select(Tag.id).where(Tag.name == name, Tag.is_system))
    if tag_id is None:
        raise LookupError(f"no system tag {name!r}")
    change = add_tags if present else remove_tags
    return change(session, [customer.id], [tag_id]) > 0


def _insert_pairs(session: Session) -> Any:
    """INSERT into the association table that skips pairs already there (or added meanwhile)."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[session.get_bind().dialect.name]
    return dialect.insert(customer_tags).on_conflict_do_nothing()


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _change(session: Session, customers: CustomerIds, add: set[int], remove: set[int]) -> int:
    """Add and remove tags on customers with set-based statements; audit each changed one."""
    remove -= add
    if not add and not remove:
        return 0
    session.flush()
    names = dict(session.execute(select(Tag.id, Tag.name).where(Tag.id.in_(add | remove))).all())
    add, remove = add & names.keys(), remove & names.keys()
    chosen = Customer.id.in_(customers)
    before: dict[int, tuple[str, set[str]]] = {}
    rows = session.execute(
        select(Customer.id, Customer.name, Tag.name)
        .outerjoin(customer_tags, customer_tags.c.customer_id == Customer.id)
        .outerjoin(Tag, Tag.id == customer_tags.c.tag_id)
        .where(chosen)
    )
    for customer_id, customer_name, tag_name in rows:
        entry = before.setdefault(customer_id, (customer_name, set()))
        if tag_name is not None:
            entry[1].add(tag_name)
    if add:
        pairs = select(Customer.id, Tag.id).join(Tag, Tag.id.in_(sorted(add))).where(chosen)
        session.execute(_insert_pairs(session).from_select(["customer_id", "tag_id"], pairs))
    if remove:
        session.execute(
            delete(customer_tags).where(
                customer_tags.c.customer_id.in_(customers),
                customer_tags.c.tag_id.in_(sorted(remove)),
            )
        )
    added, removed = {names[i] for i in add}, {names[i] for i in remove}
    events = {}
    for customer_id, (customer_name, tags) in before.items():
        after = (tags | added) - removed
        if after != tags:
            events[customer_id] = (customer_name, [sorted(tags), sorted(after)])
    _record_events(session, events)
    _move_versions(session, list(events))
    return len(events)


def _record_events(session: Session, events: dict[int, tuple[str, list[list[str]]]]) -> None:
    """One ``update`` event per customer (``id → (name, [before, after])``), in one INSERT.

    Each row is made by :func:`core.audit.record_event` (its actor and columns),
    then inserted with the others instead of one at a time by the flush.
    """
    table = AuditEvent.__table__
    rows = []
    for customer_id, (name, change) in events.items():
        entry = record_event(
            session,
            "update",
            record_type=Customer.__tablename__,
            record_id=customer_id,
            summary=name,
            changes={"tags": change},
        )
        session.expunge(entry)
        row = {column.key: getattr(entry, column.key) for column in table.columns}
        del row["id"]
        row["at"] = row["at"] or utcnow()
        rows.append(row)
    if rows:
        session.execute(insert(table), rows)


def _move_versions(session: Session, customer_ids: list[int]) -> None:
    """New versions (and updated time and author) for customers whose tags changed.

    Customers loaded in the session follow (their ``tags`` reload on next access).
    """
    user_id = current_actor(session).user_id
    for chunk in _chunks(sorted(customer_ids)):
        session.execute(
            update(Customer)
            .where(Customer.id.in_(chunk))
            .values(version=Customer.version + 1, updated_at=utcnow(), updated_by_id=user_id)
            .execution_options(synchronize_session="evaluate")
        )
    loaded = set(customer_ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in loaded:
            session.expire(obj, ["tags"])


# -- the list filter ----------------------------------------------------------------


def tag_filter(tag_ids: Sequence[int], mode: Literal["all", "any"]) -> ColumnElement[bool]:
    """Customers carrying all (``mode="all"``) or any (``"any"``) of the tags.

    Each condition is ``Customer.id IN (customers carrying tag …)``, read from the
    ``(tag_id, customer_id)`` index.  No tags means no condition.
    """
    ids = sorted(set(tag_ids))
    if not ids:
        return true()

    def carrying(*wanted: int) -> ColumnElement[bool]:
        return Customer.id.in_(
            select(customer_tags.c.customer_id).where(customer_tags.c.tag_id.in_(wanted))
        )

    if mode == "any":
        return carrying(*ids)
    if mode == "all":
        return and_(*(carrying(tag_id) for tag_id in ids))
    raise ValueError(f"unknown tag filter mode {mode!r}")
