"""What customers and contacts are found by, kept in the core's search index on every write.

A customer's entry holds its name (pinyin and initials too: a company's whole
name, and read as a person's name with surname readings for an individual),
short name, code, credit code, phone and e-mail; a contact's entry its name,
mobile, phone and e-mail.  Phones are also stored the way people type them:
the national number with its trunk 0, the local number without the area code,
and their leading digits, so ``021-6450`` and ``138 1234`` find a number.

Every ORM write (pages, API, bulk actions, merge, import) reaches the index
through the ``after_flush`` listener below.  Statements that bypass the ORM's
unit of work (Core or ORM-enabled bulk ``UPDATE``/``INSERT``/``DELETE``) must
call :func:`reindex_customers` or :func:`reindex_contacts` with the ids they
touched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, event, false, inspect, select, true
from sqlalchemy.orm import Session

from core.api.listing import FilterError, parse_value
from core.search import SearchIndex, index_terms, normalise, pinyin_of_name
from plugins.customers import _
from plugins.customers.contacts import RECORD_TYPE as CONTACT
from plugins.customers.models import Contact, Customer
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.service import STORED_MOBILE

INDEX = SearchIndex()
#: The columns a customer's and a contact's entry are computed from.
CUSTOMER_FIELDS = ("name", "short_name", "kind", "code", "credit_code", "phone", "email")
CONTACT_FIELDS = ("name", "mobile", "phone", "email")
#: Shortest leading part of a phone number that finds it.
PHONE_PREFIX = 3
#: Matches a search reads at most, the most recently indexed first.  A lone common
#: surname (张) matches some 50 000 customers and contacts at a million customers;
#: reading them all cost seconds, while the list shows 50 and counts to "1,000+".
MAX_HITS = 2000
#: Records (re)indexed per batch by :func:`rebuild`.
BATCH_SIZE = 1000
#: A leading place in a company name (广东省深圳市华为… → 华为…), stripped for its pinyin.
_PLACE_RE = re.compile(r"^.{2,7}?(?:省|市|自治区|特别行政区)")
#: A query made only of what people write in phone numbers.
_PHONE_QUERY_RE = re.compile(r"\+?[\d\s()\-.]+")


# -- terms ------------------------------------------------------------------------


def phone_forms(stored: str | None) -> list[str]:
    """What people type for a stored (E.164) phone besides the number and its last digits.

    The national number (``02164502211``, ``13812345678``) and, for a landline,
    the local number (``64502211``), each with its leading digits from three on.
    """
    if not stored:
        return []
    if STORED_MOBILE.fullmatch(stored):  # no area code: the national number is all its forms
        return [stored[3 : 3 + n] for n in range(PHONE_PREFIX, len(stored) - 2)]
    try:
        number = phonenumbers.parse(stored, "CN")
    except phonenumbers.NumberParseException:
        return []
    national = re.sub(
        r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    )
    forms = [national]
    area = phonenumbers.length_of_geographical_area_code(number)
    if area:
        forms.append(phonenumbers.national_significant_number(number)[area:])
    return [form[:n] for form in forms for n in range(PHONE_PREFIX, len(form) + 1)]


def company_pinyin(name: str) -> list[str]:
    """Pinyin and initials of a company name, also without its leading place names.

    ``深圳市华为技术有限公司`` gives ``shenzhenshihuaweijishuyouxiangongsi``,
    ``szshwjsyxgs``, ``huaweijishuyouxiangongsi`` and ``hwjsyxgs``.
    """
    readings: list[str] = []
    name = normalise(name).strip()
    for _step in range(3):
        readings += pinyin_of_name(name, is_person=False)
        stripped = _PLACE_RE.sub("", name, count=1)
        if stripped == name or not stripped:
            break
        name = stripped
    return [reading for reading in readings if reading]


def customer_terms(customer: Any) -> str:
    """The search terms of a customer (an ORM object or a row with the same names)."""
    if customer.kind == "individual":
        texts, people = [customer.short_name or ""], [customer.name]
    else:
        texts, people = [customer.name, customer.short_name or ""], []
        texts += [reading for name in texts for reading in company_pinyin(name)]
    return index_terms(
        *texts,
        customer.code or "",
        customer.credit_code or "",
        *phone_forms(customer.phone),
        person_names=people,
        phones=[customer.phone] if customer.phone else [],
        emails=[customer.email] if customer.email else [],
    )


def contact_terms(contact: Any) -> str:
    """The search terms of a contact (an ORM object or a row with the same names)."""
    phones = [phone for phone in (contact.mobile, contact.phone) if phone]
    return index_terms(
        *(form for phone in phones for form in phone_forms(phone)),
        person_names=[contact.name],
        phones=phones,
        emails=[contact.email] if contact.email else [],
    )


# -- queries ----------------------------------------------------------------------


def search_text(query: str) -> str:
    """``query`` as the index reads it: a phone number written in parts becomes one number.

    ``+86 138-1234-5678`` → ``13812345678``; ``(021) 6450 2211`` → ``02164502211``.
    A query with control characters, or U+FFFD standing for bytes that were not
    text (the pages turn a NUL into it), is nobody's text: it finds nothing.
    """
    query = " ".join(normalise(query).split())
    if not query.isprintable() or "\ufffd" in query:
        return ""
    digits = re.sub(r"\D", "", query)
    if not _PHONE_QUERY_RE.fullmatch(query) or len(digits) < PHONE_PREFIX:
        return query
    international = query.startswith("+") or digits.startswith("00")
    digits = digits.removeprefix("00") if international else digits
    if international and digits.startswith("86"):
        national = digits[2:]
        return national if national.startswith("1") else "0" + national
    return digits


def matching_customers(session: Session, query: str) -> Any:
    """A SELECT of the ids of customers whose own entry matches ``query`` (None: no terms).

    At most the :data:`MAX_HITS` most recently indexed matches count.
    """
    return INDEX.matching(session, CUSTOMER, search_text(query), newest=MAX_HITS)


def matching_contacts(session: Session, query: str) -> Any:
    """A SELECT of the ids of contacts whose entry matches ``query`` (None: no terms).

    At most the :data:`MAX_HITS` most recently indexed matches count.
    """
    return INDEX.matching(session, CONTACT, search_text(query), newest=MAX_HITS)


def own_filter(session: Session, query: str) -> ColumnElement[bool]:
    """Customers whose own entry matches ``query`` (a ``Customer.id IN (…)`` predicate)."""
    customers = matching_customers(session, query)
    return false() if customers is None else Customer.id.in_(customers)


def search_filter(session: Session, query: str) -> ColumnElement[bool]:
    """Customers found by ``query``: by their own entry or one of their live contacts'.

    A ``Customer.id IN (…)`` predicate answered from the index; combine it with
    the scope and the other filters in the same statement.
    """
    customers = matching_customers(session, query)
    if customers is None:
        return false()
    through_contacts = select(Contact.customer_id).where(
        Contact.id.in_(matching_contacts(session, query)), Contact.deleted_at.is_(None)
    )
    return Customer.id.in_(customers.union(through_contacts))


def contact_search_filter(session: Session, query: str) -> ColumnElement[bool]:
    """Contacts found by ``query`` (a ``Contact.id IN (…)`` predicate)."""
    contacts = matching_contacts(session, query)
    return false() if contacts is None else Contact.id.in_(contacts)


def search_parameter(
    session: Session, predicate: Callable[[Session, str], ColumnElement[bool]]
) -> Callable[[str, str, str], ColumnElement[bool]]:
    """The API's ``q`` parameter as a ``core.api.listing`` extra filter (registered as ``q``).

    ``predicate`` is :func:`search_filter` or :func:`contact_search_filter`; a blank
    ``q`` filters nothing, and ``q`` takes no operator.
    """

    def build(rest: str, op: str, raw: str) -> ColumnElement[bool]:
        if rest or op != "eq":
            param = f"q{rest}__{op}"
            raise FilterError(_("Unknown filter: ${param}.", mapping={"param": param}))
        text = parse_value(str, raw, "q")
        return predicate(session, text) if text.strip() else true()

    return build


# -- writing ----------------------------------------------------------------------

#: record type → (model, the columns its entry is computed from, term function)
_KINDS: dict[str, tuple[Any, tuple[str, ...], Callable[[Any], str]]] = {
    CUSTOMER: (Customer, CUSTOMER_FIELDS, customer_terms),
    CONTACT: (Contact, CONTACT_FIELDS, contact_terms),
}


def _reindex(session: Session, record_type: str, ids: Iterable[int]) -> int:
    """Rewrite the entries of ``ids`` from the stored rows; ids without a row leave the index."""
    model, fields, terms = _KINDS[record_type]
    wanted = set(ids)
    columns = [model.id, *(getattr(model, name) for name in fields)]
    rows = session.execute(select(*columns).where(model.id.in_(sorted(wanted)))).all()
    INDEX.upsert_many(session, record_type, [(row.id, terms(row)) for row in rows])
    INDEX.delete_many(session, record_type, sorted(wanted - {row.id for row in rows}))
    return len(wanted)


def reindex_customers(session: Session, ids: Iterable[int]) -> int:
    """Recompute the entries of customers ``ids`` (after writes that bypass the ORM).

    Customers that no longer exist (purged) are removed from the index.
    """
    return _reindex(session, CUSTOMER, ids)


def reindex_contacts(session: Session, ids: Iterable[int]) -> int:
    """Recompute the entries of contacts ``ids``; contacts that no longer exist are removed."""
    return _reindex(session, CONTACT, ids)


def rebuild(
    record_type: str, session: Session, progress: Callable[[int], None] | None = None
) -> int:
    """Reindex every customer or contact in batches of ids; ``progress(done)`` after each."""
    model = _KINDS[record_type][0]
    done, last = 0, 0
    while True:
        ids = list(
            session.scalars(
                select(model.id).where(model.id > last).order_by(model.id).limit(BATCH_SIZE)
            )
        )
        if not ids:
            return done
        done += _reindex(session, record_type, ids)
        last = ids[-1]
        if progress is not None:
            progress(done)


#: What ``guanxi reindex`` offers (through the ``guanxi_search_rebuilders`` hook).
REBUILDERS = {"customers": partial(rebuild, CUSTOMER), "contacts": partial(rebuild, CONTACT)}


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in fields)


@event.listens_for(Session, "after_flush")
def _keep_index_current(session: Session, flush_context: Any) -> None:
    """Index created customers and contacts, re-index changed ones, drop removed ones."""
    for record_type, (model, fields, terms) in _KINDS.items():
        for obj in session.new:
            if isinstance(obj, model):
                INDEX.upsert(session, record_type, obj.id, terms(obj))
        for obj in session.dirty:
            if isinstance(obj, model) and _changed(obj, fields):
                INDEX.upsert(session, record_type, obj.id, terms(obj))
        for obj in session.deleted:
            if isinstance(obj, model):
                INDEX.delete(session, record_type, obj.id)
