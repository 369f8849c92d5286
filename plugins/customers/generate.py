"""Benchmark data of the customers module (the ``guanxi_generate_data`` hook).

Per million customers: about two million contacts, five million follow-ups,
half a million orders with a million and a half lines, a few tags each and
two custom field values, spread over the generated sales teams' provinces with
a realistic mix of surnames, levels and statuses.  Customers are created over
five years (ids grow with ``created_at``); about 1 % sit in the recycle bin.

Rows are built in chunks of :data:`CHUNK` customers in worker processes (search
terms and pinyin included, the costly part) and written in order by the main
process through :mod:`core.bulk`, one commit per chunk.  Ids are explicit: a
customer's contacts and orders take slots ``id * 3 + n`` so that every chunk
knows its ids without asking the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bulk import analyze, next_id, prepare_for_loading, reset_sequence, write_rows
from core.customfields.models import CustomFieldDefinition
from core.customfields.service import create_definition
from core.generate import PROVINCES, DataPlan, chunks, parallel_map, person_name, weighted
from core.security.models import Region
from plugins.customers import demo_names as names
from plugins.customers.contacts import RECORD_TYPE as CONTACT
from plugins.customers.followup_models import FollowUp
from plugins.customers.models import Contact, Customer, DictionaryEntry, Tag, customer_tags
from plugins.customers.order_models import Order, OrderLine
from plugins.customers.search_index import INDEX, contact_terms, customer_terms
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.tags import CHURN_WARNING, KEY_FOLLOW_UP, NEW_CUSTOMER, VIP

CHUNK = 5000
#: Customers came over these five years (ids grow with ``created_at``).
SPAN = dt.timedelta(days=5 * 365)
BEIJING = dt.timedelta(hours=8)
#: Slots per customer for the ids of its contacts and of its orders.
SLOTS = 3
STATUSES = {"potential": 25, "active": 62, "at_risk": 8, "churned": 5}
LEVELS = {"normal": 55, "key_prospect": 15, "major": 15, "partner": 10, "strategic": 5}
#: Done follow-ups a customer has, by level (weights of 0 … n); five per customer overall.
FOLLOW_UPS = {
    "normal": (3.4, 1, 6),
    "key_prospect": (5.6, 2, 9),
    "major": (9, 4, 13),
    "partner": (7.8, 3, 12),
    "strategic": (13.4, 6, 20),
}
CONTACT_COUNTS = {1: 25, 2: 35, 3: 40}
ORDER_COUNTS = {0: 66, 1: 22, 2: 9, 3: 3}
INDIVIDUALS = 0.15
DELETED = 0.01
PLANNED = 0.2
#: Landline area code of each province's capital (companies' phones).
AREA_CODES = {
    "44": "20", "32": "25", "33": "571", "31": "21", "11": "10", "37": "531", "51": "28",
    "42": "27", "41": "371", "35": "591", "43": "731", "34": "551", "13": "311", "50": "23",
    "12": "22", "61": "29", "21": "24", "53": "871", "36": "791", "45": "771",
}  # fmt: skip
CHANNELS = {
    "direct": ("直销", "Direct"),
    "reseller": ("代理商", "Reseller"),
    "online": ("线上", "Online"),
}
LEGAL_FORMS = {pair[0]: weight for pair, weight in names.LEGAL_FORMS}
EXTRA_TAGS = [
    *(pair[0] for pair in names.INDUSTRY_TAGS.values()),
    *(pair[0] for pair in names.CHANNEL_TAGS),
]

CUSTOMER_COLUMNS = (
    "id", "code", "name", "short_name", "kind", "level", "status", "industry", "size", "source",
    "credit_rating", "satisfaction", "owner_id", "team_id", "province_code", "city_code",
    "district_code", "phone", "email", "address", "website", "notes", "custom",
    "last_contact_at", "last_order_at", "deleted_at", "created_at", "updated_at", "version",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "customer_id", "name", "gender", "title", "department", "mobile", "email",
    "preferred_channel", "notes", "is_primary", "custom", "created_at", "updated_at", "version",
)  # fmt: skip
FOLLOW_UP_COLUMNS = (
    "customer_id", "contact_id", "user_id", "state", "method", "subject", "content", "result",
    "happened_at", "due_at", "next_at", "created_at", "updated_at", "version",
)  # fmt: skip
ORDER_COLUMNS = (
    "id", "number", "customer_id", "ordered_on", "amount", "currency", "state", "notes",
    "custom", "created_at", "updated_at", "version",
)  # fmt: skip
LINE_COLUMNS = (
    "order_id", "position", "product_code", "product_name", "quantity", "unit_price",
    "created_at", "updated_at", "version",
)  # fmt: skip
TAG_COLUMNS = ("customer_id", "tag_id")


@dataclass(frozen=True)
class Setting:
    """What every chunk draws from, fixed before the workers start."""

    plan: DataPlan
    dialect: str
    customer_base: int
    contact_base: int
    order_base: int
    start: dt.datetime
    #: province → (owner id, team id) of the representatives and managers there
    owners: dict[str, list[tuple[int, int | None]]]
    #: (owner id, team id) of everybody, for customers in provinces without a team
    everyone: list[tuple[int, int | None]]
    province_weights: dict[str, int]
    #: province → [(city code, city name, [district codes])]
    cities: dict[str, list[tuple[str, str, list[str]]]]
    dictionary: dict[str, list[str]]
    tags: dict[str, int]
    year_starts: dict[int, int]


@dataclass
class ChunkRows:
    """The rows of one chunk of customers, table by table, and their search terms."""

    customers: list[tuple[Any, ...]]
    contacts: list[tuple[Any, ...]]
    follow_ups: list[tuple[Any, ...]]
    orders: list[tuple[Any, ...]]
    lines: list[tuple[Any, ...]]
    tags: list[tuple[int, int]]
    #: search entries in the database's storage form (``SearchIndex.stored_terms``)
    customer_terms: list[tuple[int, Any]]
    contact_terms: list[tuple[int, Any]]


_SETTING: Setting | None = None


# -- preparation (main process) --------------------------------------------------------


def _ensure_tags(session: Session) -> dict[str, int]:
    wanted = [VIP, KEY_FOLLOW_UP, NEW_CUSTOMER, CHURN_WARNING, *EXTRA_TAGS]
    existing = {tag.name: tag for tag in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
    for name in wanted:
        if name not in existing:
            group = name.split("-", 1)[0] if "-" in name else None
            existing[name] = Tag(name=name, group=group, color="blue")
            session.add(existing[name])
    session.flush()
    return {name: tag.id for name, tag in existing.items()}


def _ensure_custom_fields(session: Session, plan: DataPlan) -> None:
    """The two custom fields every generated customer has a value for."""
    record_type = plan.record_types[CUSTOMER]
    keys = set(
        session.scalars(
            select(CustomFieldDefinition.key).where(CustomFieldDefinition.record_type == CUSTOMER)
        )
    )
    if "employees" not in keys:
        create_definition(
            session, record_type, key="employees", field_type="integer",
            labels={"en": "Employees", "zh_Hans": "员工人数", "zh_Hant": "員工人數"},
        )  # fmt: skip
    if "channel" not in keys:
        choices = [
            {"value": value, "labels": {"en": en, "zh_Hans": zh, "zh_Hant": zh}}
            for value, (zh, en) in CHANNELS.items()
        ]
        create_definition(
            session, record_type, key="channel", field_type="choice", choices=choices,
            labels={"en": "Purchase channel", "zh_Hans": "采购渠道", "zh_Hant": "採購渠道"},
            show_in_list=True, filterable=True,
        )  # fmt: skip


def _cities(session: Session, provinces: list[str]) -> dict[str, list[tuple[str, str, list[str]]]]:
    regions = list(session.scalars(select(Region).where(Region.level.in_((2, 3)))))
    districts: dict[str, list[str]] = {}
    for region in regions:
        if region.level == 3 and region.parent_code:
            districts.setdefault(region.parent_code, []).append(region.code)
    found: dict[str, list[tuple[str, str, list[str]]]] = {code: [] for code in provinces}
    for region in sorted(regions, key=lambda region: region.code):
        if region.level == 2 and region.parent_code in found:
            name = region.name.removesuffix("市")
            found[region.parent_code].append(
                (region.code, name, sorted(districts.get(region.code, [])))
            )
    return found


def _offset(position: float, total: int) -> int:
    """Seconds after the start at which customer number ``position`` (0 … total) came."""
    return int(SPAN.total_seconds() * position / total)


def _year_starts(start: dt.datetime, total: int) -> dict[int, int]:
    """The index of the first customer created in each (Beijing) year: codes count per year.

    Customer ``i`` comes at ``_offset(i + r)`` (``0 <= r < 1``), never before ``_offset(i)``.
    """
    first_year = (start + BEIJING).year
    found = {first_year: 0}
    for year in range(first_year + 1, (start + SPAN + BEIJING).year + 1):
        moment = int((dt.datetime(year, 1, 1, tzinfo=dt.UTC) - BEIJING - start).total_seconds())
        first = max(0, math.ceil(moment * total / SPAN.total_seconds()))
        while first < total and _offset(first, total) < moment:
            first += 1
        while first > 0 and _offset(first - 1, total) >= moment:
            first -= 1
        found[year] = first
    return found


def _setting(session: Session, plan: DataPlan) -> Setting:
    owners: dict[str, list[tuple[int, int | None]]] = {}
    everyone = []
    for user in plan.with_role("sales_rep", "sales_manager"):
        weight = 1 if user.role == "sales_manager" else 4  # managers keep a few accounts
        everyone += [(user.id, user.team_id)] * weight
        for code in user.region_codes:
            owners.setdefault(code, []).extend([(user.id, user.team_id)] * weight)
    if not everyone:
        raise ValueError("no sales representatives or managers to own the customers")
    provinces = {
        code for code, _level in session.execute(select(Region.code, Region.level)) if _level == 1
    }
    connection = session.connection()
    start = plan.now.replace(microsecond=0) - SPAN
    return Setting(
        plan=plan,
        dialect=connection.dialect.name,
        customer_base=next_id(connection, Customer.__table__),
        contact_base=next_id(connection, Contact.__table__),
        order_base=next_id(connection, Order.__table__),
        start=start,
        owners=owners,
        everyone=everyone,
        province_weights={code: w for code, w in PROVINCES.items() if code in provinces},
        cities=_cities(session, sorted(provinces)),
        dictionary={
            kind: list(
                session.scalars(
                    select(DictionaryEntry.code)
                    .where(DictionaryEntry.kind == kind, DictionaryEntry.active)
                    .order_by(DictionaryEntry.position)
                )
            )
            for kind in ("industry", "size", "source", "level")
        },
        tags=_ensure_tags(session),
        year_starts=_year_starts(start, plan.customers),
    )


# -- one chunk (worker processes) ------------------------------------------------------


class _Chunk:
    """Builds the rows of customers ``start`` to ``stop`` from the setting and a seeded rng."""

    def __init__(self, setting: Setting, start: int, stop: int) -> None:
        self.s = setting
        self.rng = setting.plan.rng("customers", start)
        self.rows = ChunkRows([], [], [], [], [], [], [], [])
        self.range = range(start, stop)
        self.now = setting.plan.now
        levels = [code for code in LEVELS if code in setting.dictionary["level"]]
        self.levels = {code: LEVELS[code] for code in levels} or {"normal": 1}

    def build(self) -> ChunkRows:
        for index in self.range:
            self.customer(index)
        return self.rows

    def moment(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A working-hours time between ``start`` and ``end`` (Beijing 9:00–18:00)."""
        if end <= start:
            return start
        moment = start + (end - start) * self.rng.random()
        beijing_hour = (moment.hour + 8) % 24
        if not 9 <= beijing_hour < 18:
            moment -= dt.timedelta(hours=self.rng.randint(0, 9))
        return max(start, min(moment, end)).replace(microsecond=0)

    def stored(self, terms: str) -> Any:
        return INDEX.stored_terms(self.s.dialect, terms)

    def mobile(self) -> str:
        return f"+86{self.rng.choice(names.MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def code(self, index: int, created: dt.datetime) -> str:
        year = (created + BEIJING).year
        first = self.s.year_starts.get(year, 0)
        return f"C{year}{index - first + 1:06d}"

    def customer(self, index: int) -> None:
        rng, s = self.rng, self.s
        customer_id = s.customer_base + index
        offset = _offset(index + rng.random(), s.plan.customers)
        created = s.start + dt.timedelta(seconds=offset)
        province = weighted(rng, s.province_weights)
        city_code, city_name, districts = self.city(province)
        owner_id, team_id = rng.choice(s.owners.get(province) or s.everyone)
        status = weighted(rng, STATUSES)
        level = (
            "normal" if status == "potential" and rng.random() < 0.7 else weighted(rng, self.levels)
        )
        individual = rng.random() < INDIVIDUALS
        dictionary = s.dictionary
        industry = (
            None if individual or not dictionary["industry"] else rng.choice(dictionary["industry"])
        )
        if individual:
            name, short_name, phone, email, website = (
                person_name(rng),
                None,
                self.mobile(),
                None,
                None,
            )
        else:
            brand = rng.choice(names.BRANDS_ZH)
            trades = names.INDUSTRIES.get(
                industry or "", (0, names.INDUSTRIES["manufacturing"][1])
            )[1]
            trade = rng.choice(trades)[0]
            legal = weighted(rng, LEGAL_FORMS)
            place = city_name if rng.random() < 0.75 else ""
            name, short_name = f"{place}{brand}{trade}{legal}", brand + trade[:2]
            area = AREA_CODES.get(province, "10")
            phone = f"+86{area}{rng.randint(2, 8)}{rng.randrange(10**7):07d}"
            domain = f"c{customer_id}"
            email, website = f"info@{domain}.com.cn", f"www.{domain}.com.cn"
        deleted = (
            self.now - dt.timedelta(days=rng.randint(1, 60)) if rng.random() < DELETED else None
        )
        contacts = self.contacts(customer_id, name if individual else None, phone, created)
        last_contact = self.follow_ups(customer_id, contacts, owner_id, level, status, created)
        last_order = self.orders(customer_id, status, level, created)
        self.tag(customer_id, level, status, industry, created)
        row = SimpleNamespace(
            kind="individual" if individual else "company", name=name, short_name=short_name,
            code=self.code(index, created), credit_code=None, phone=phone, email=email,
        )  # fmt: skip
        self.rows.customer_terms.append((customer_id, self.stored(customer_terms(row))))
        custom = {
            "employees": rng.choice((8, 20, 45, 120, 300, 800, 2500)),
            "channel": weighted(rng, {"direct": 50, "reseller": 35, "online": 15}),
        }
        updated = max(created, last_contact or created)
        self.rows.customers.append(
            (
                customer_id, row.code, name, short_name, row.kind, level, status, industry,
                rng.choice(dictionary["size"]) if dictionary["size"] and not individual else None,
                rng.choice(dictionary["source"]) if dictionary["source"] else None,
                rng.choice((2, 3, 3, 4, 4, 5)),
                None if status == "potential" else rng.randint(1, 5),
                owner_id, team_id, province, city_code,
                rng.choice(districts) if districts else None,
                phone, email,
                f"{rng.choice(names.STREETS)[0]}{rng.randint(1, 999)}号" if districts else None,
                website,
                rng.choice(names.CUSTOMER_NOTES)[0] if rng.random() < 0.1 else "",
                custom, last_contact, last_order, deleted, created, updated, 1,
            )
        )  # fmt: skip

    def city(self, province: str) -> tuple[str | None, str, list[str]]:
        cities = self.s.cities.get(province) or []
        if not cities:
            return None, "", []
        # The first (capital) city gets a third of the province's customers.
        if self.rng.random() < 0.35:
            return cities[0]
        return self.rng.choice(cities)

    def contacts(
        self, customer_id: int, individual: str | None, phone: str, created: dt.datetime
    ) -> list[int]:
        rng = self.rng
        count = 1 if individual else weighted(rng, CONTACT_COUNTS)
        ids = []
        for number in range(count):
            contact_id = self.s.contact_base + (customer_id - self.s.customer_base) * SLOTS + number
            role = None if individual else rng.choice(names.ROLES)
            name = individual or person_name(rng)
            mobile = phone if individual else self.mobile()
            channel = role[2] if role else "mobile"
            email = f"p{contact_id}@example.com.cn" if channel == "email" else None
            self.rows.contacts.append(
                (
                    contact_id, customer_id, name, rng.choice(("female", "male", "unspecified")),
                    role[0][0] if role else None, role[1][0] if role else None, mobile, email,
                    channel, "", number == 0, {}, created, created, 1,
                )
            )  # fmt: skip
            terms = contact_terms(
                SimpleNamespace(name=name, mobile=mobile, phone=None, email=email)
            )
            self.rows.contact_terms.append((contact_id, self.stored(terms)))
            ids.append(contact_id)
        return ids

    def follow_ups(
        self,
        customer_id: int,
        contacts: list[int],
        user_id: int,
        level: str,
        status: str,
        created: dt.datetime,
    ) -> dt.datetime | None:
        """Done follow-ups since the customer came (two years at most), maybe a planned one."""
        rng = self.rng
        mean, low, high = FOLLOW_UPS[level]
        count = max(low, min(high, round(rng.gauss(mean, mean / 3))))
        if status == "potential":
            count = min(count, 3)
        start = max(created, self.now - dt.timedelta(days=730))
        end = self.now - dt.timedelta(days=120 if status in ("at_risk", "churned") else 1)
        times = sorted(self.moment(start, end) for _n in range(count))
        for happened in times:
            method, subject, content, result = rng.choice(names.FOLLOW_UPS)
            self.rows.follow_ups.append(
                (
                    customer_id, rng.choice(contacts), user_id, "done", method, subject[0],
                    content[0], result[0], happened, None, None, happened, happened, 1,
                )
            )  # fmt: skip
        if status in ("potential", "active") and rng.random() < PLANNED:
            due = self.moment(self.now - dt.timedelta(days=5), self.now + dt.timedelta(days=21))
            method, subject, _content, _result = rng.choice(names.FOLLOW_UPS)
            made = times[-1] if times else created
            self.rows.follow_ups.append(
                (
                    customer_id, contacts[0], user_id, "planned", method, subject[0], "", "",
                    None, due, None, made, made, 1,
                )
            )  # fmt: skip
        return times[-1] if times else None

    def orders(
        self, customer_id: int, status: str, level: str, created: dt.datetime
    ) -> dt.datetime | None:
        rng = self.rng
        if status == "potential":
            return None
        count = weighted(rng, ORDER_COUNTS) + (1 if level in ("major", "strategic") else 0)
        latest = None
        for number in range(min(count, SLOTS)):
            order_id = self.s.order_base + (customer_id - self.s.customer_base) * SLOTS + number
            ordered = self.moment(created, self.now - dt.timedelta(days=1))
            day = (ordered + dt.timedelta(hours=8)).date()
            amount = Decimal(0)
            for position, (code, product, price) in enumerate(
                rng.sample(names.PRODUCTS, rng.randint(1, 5)), start=1
            ):
                quantity = Decimal(rng.randint(1, 50))
                amount += quantity * Decimal(price)
                self.rows.lines.append(
                    (
                        order_id,
                        position,
                        code,
                        product[0],
                        quantity,
                        Decimal(price),
                        ordered,
                        ordered,
                        1,
                    )
                )
            state = "cancelled" if rng.random() < 0.05 else "completed"
            self.rows.orders.append(
                (
                    order_id, f"SO{day.year}{order_id:08d}", customer_id, day, amount, "CNY",
                    state, "", {}, ordered, ordered, 1,
                )
            )  # fmt: skip
            if state != "cancelled":
                moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
                latest = moment if latest is None else max(latest, moment)
        return latest

    def tag(
        self, customer_id: int, level: str, status: str, industry: str | None, created: dt.datetime
    ) -> None:
        rng, tags = self.rng, self.s.tags
        chosen = {
            VIP: level == "strategic" or (level == "major" and rng.random() < 0.4),
            KEY_FOLLOW_UP: level == "key_prospect" and rng.random() < 0.5,
            NEW_CUSTOMER: created >= self.now - dt.timedelta(days=90),
            CHURN_WARNING: status == "at_risk",
            names.INDUSTRY_TAGS.get(industry or "", ("",))[0]: rng.random() < 0.6,
            rng.choice(names.CHANNEL_TAGS)[0]: rng.random() < 0.4,
        }
        self.rows.tags += [
            (customer_id, tags[name]) for name, on in chosen.items() if on and name in tags
        ]


def _build(bounds: tuple[int, int]) -> ChunkRows:
    assert _SETTING is not None
    return _Chunk(_SETTING, *bounds).build()


# -- writing (main process) ------------------------------------------------------------


def _write(session: Session, rows: ChunkRows) -> None:
    connection = session.connection()
    write_rows(connection, Customer.__table__, CUSTOMER_COLUMNS, rows.customers)
    write_rows(connection, Contact.__table__, CONTACT_COLUMNS, rows.contacts)
    write_rows(connection, FollowUp.__table__, FOLLOW_UP_COLUMNS, rows.follow_ups)
    write_rows(connection, Order.__table__, ORDER_COLUMNS, rows.orders)
    write_rows(connection, OrderLine.__table__, LINE_COLUMNS, rows.lines)
    write_rows(connection, customer_tags, TAG_COLUMNS, rows.tags)
    INDEX.add_many(connection, CUSTOMER, rows.customer_terms, stored=True)
    INDEX.add_many(connection, CONTACT, rows.contact_terms, stored=True)


def generate_customers(session: Session, plan: DataPlan) -> int:
    """Add ``plan.customers`` customers with their contacts, history, tags and search entries.

    Commits after every chunk; returns how many customers were written.
    """
    global _SETTING
    prepare_for_loading(session.connection())
    _ensure_custom_fields(session, plan)
    _SETTING = _setting(session, plan)
    session.commit()
    done = 0
    try:
        for rows in parallel_map(_build, chunks(plan.customers, CHUNK), plan.workers):
            _write(session, rows)
            session.commit()
            done += len(rows.customers)
            plan.progress("customers", done)
    finally:
        _SETTING = None
    connection = session.connection()
    for table in (Customer, Contact, Order, FollowUp, OrderLine):
        reset_sequence(connection, table.__table__)
    analyze(connection)
    session.commit()
    return done
