"""Demo data: a believable year of a sales company's customers, the same on every run.

About 200 customers (companies and individuals) across provinces, with their
contacts (one primary), a year of follow-ups (done ones in the past, some planned
in the coming weeks, a few overdue), recurring plans, orders with lines, contracts,
tags, and a few customers at risk or churned with their churn history.  Names are
Chinese, or English with the ``en`` locale.  A seeded random generator makes every
run identical.  Rows are written through the ORM, so the automatic audit trail,
the search index and ``last_order_at`` follow as for any other write.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.demo import EAST
from core.security.models import Region, User
from core.security.regions import MUNICIPAL_CITY
from plugins.customers import demo_names as names
from plugins.customers.churn import load_rules
from plugins.customers.churn_models import ChurnEvent
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.models import Contact, Customer, DictionaryEntry, Tag, customer_tags
from plugins.customers.order_models import Contract, Order, OrderLine
from plugins.customers.service import assign_owner, company_today, next_code, normalise_phone
from plugins.customers.tags import CHURN_WARNING, KEY_FOLLOW_UP, NEW_CUSTOMER, VIP
from plugins.customers.validators import CREDIT_CODE_CHARS, credit_code_check

SEED = 20261125
CUSTOMERS = 200
#: Customers entered a second time by someone else (the duplicates page finds them).
LOOKALIKES = 3
ZONE = ZoneInfo("Asia/Shanghai")
STATUSES = {"potential": 25, "active": 65, "at_risk": 6, "churned": 4}
SATISFACTION = {"active": (3, 5), "at_risk": (2, 3), "churned": (1, 3)}
LEVELS = {
    "potential": {"normal": 70, "key_prospect": 30},
    "active": {"normal": 40, "key_prospect": 12, "major": 22, "partner": 14, "strategic": 12},
    "at_risk": {"normal": 60, "major": 25, "partner": 15},
    "churned": {"normal": 80, "major": 20},
}
SOURCES = {"website": 20, "trade_show": 20, "referral": 25, "telemarketing": 15, "partner": 10}
SIZES = {"1-20": 15, "21-100": 35, "101-500": 30, "501-1000": 12, "1000-plus": 8}
#: follow-ups in the past year by level (at least, at most)
FOLLOW_UP_COUNTS = {
    "normal": (2, 5),
    "key_prospect": (4, 8),
    "partner": (6, 10),
    "major": (8, 12),
    "strategic": (10, 16),
}
ORDER_COUNTS = {
    "normal": (1, 3),
    "key_prospect": (1, 4),
    "partner": (3, 6),
    "major": (4, 8),
    "strategic": (6, 10),
}
#: days before today when the last follow-up / order of an at-risk or churned customer was
#: how much longer than the churn rules an at-risk (or churned) customer has been quiet
QUIET_DAYS = {"at_risk": (5, 40), "churned": (60, 120)}
#: an active customer's last follow-up and last order are at most this old
RECENT = dt.timedelta(days=60)
CENT = Decimal("0.01")
T = TypeVar("T")


def load_demo_customers(session: Session, users: dict[str, Any], locale: str = "zh_Hans") -> int:
    """Add the demo customers and their history for the demo users; return how many.

    Nothing is added when customers exist already or no sales representative does.
    """
    if session.scalar(select(Customer.id).limit(1)) is not None:
        return 0
    reps = sorted(
        (user for user in users.values() if _has_role(user, "sales_rep")),
        key=lambda user: user.username,
    )
    if not reps:
        return 0
    demo = _Demo(session, users, reps, english=locale == "en")
    customers = demo.customers()
    lookalikes = demo.lookalikes(customers)
    for customer in customers + lookalikes:
        demo.contacts(customer)
    session.flush()
    for customer in customers:
        demo.history(customer)
    demo.number_records()
    session.flush()
    demo.tag(customers)
    return len(customers) + len(lookalikes)


def _has_role(user: User, key: str) -> bool:
    return any(role.key == key for role in user.roles)


class _Demo:
    """The generator: one seeded random source, the regions and people it draws from."""

    def __init__(
        self, session: Session, users: dict[str, Any], reps: list[User], english: bool
    ) -> None:
        self.session = session
        self.rng = random.Random(SEED)
        self.english = english
        self.now = utcnow()
        self.today = company_today({})
        self.reps = reps
        self.rules = load_rules(session)
        self.managers = sorted(
            (user for user in users.values() if _has_role(user, "sales_manager")),
            key=lambda user: user.username,
        )
        codes = [city for city, *_rest in names.CITIES]
        wanted = [*codes, *(code[:2] for code in codes)]
        regions = session.scalars(
            select(Region).where(Region.code.in_(wanted) | Region.parent_code.in_(codes))
        )
        self.regions = {region.code: region for region in regions}
        self.districts: dict[str, list[Region]] = {}
        for region in self.regions.values():
            if region.parent_code in codes:
                self.districts.setdefault(region.parent_code, []).append(region)
        for children in self.districts.values():
            children.sort(key=lambda region: region.code)
        self.dictionary = {
            kind: {
                code
                for (code,) in session.execute(
                    select(DictionaryEntry.code).where(
                        DictionaryEntry.kind == kind, DictionaryEntry.active
                    )
                )
            }
            for kind in ("industry", "size", "source")
        }
        self.brands = list(names.BRANDS_EN if english else names.BRANDS_ZH)
        self.polyphonic = list(names.POLYPHONIC_SURNAMES)
        self.names: set[str] = set()
        self.people = 0
        self.mobiles: set[str] = set()
        self.contacts_of: dict[int, list[Contact]] = {}
        self.orders: list[Order] = []
        self.contracts: list[Contract] = []

    # -- choices -----------------------------------------------------------------------

    def text(self, pair: tuple[str, str]) -> str:
        """The English or the Chinese side of a ``(Chinese, English)`` pair."""
        return pair[1] if self.english else pair[0]

    def weighted(self, weights: dict[T, int]) -> T:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def known(self, kind: str, weights: dict[str, int]) -> str | None:
        """A weighted choice among the dictionary's active codes (None when none is left)."""
        offered = {code: w for code, w in weights.items() if code in self.dictionary[kind]}
        return self.weighted(offered) if offered else None

    def moment(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A working-hours time (Beijing time, Monday to Friday) between ``start`` and ``end``.

        It always draws three random numbers, so that the names drawn afterwards do
        not depend on the day the demo is loaded.
        """
        local = (start + (end - start) * self.rng.random()).astimezone(ZONE)
        hour, minute = self.rng.randint(9, 17), self.rng.choice((0, 15, 30, 45))
        local -= dt.timedelta(days=max(local.weekday() - 4, 0))  # a weekend → its Friday
        local = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return min(max(local.astimezone(dt.UTC), start), end)

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(names.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.mobiles:
                self.mobiles.add(number)
                return normalise_phone(number)

    def person(self) -> tuple[str, str]:
        """A person's name and gender; every polyphonic surname turns up among the first ones."""
        self.people += 1
        if self.english:
            first, gender = self.rng.choice(names.FIRST_NAMES_EN)
            return f"{first} {self.rng.choice(names.LAST_NAMES_EN)}", gender
        given, gender = self.rng.choice(names.GIVEN_NAMES)
        if self.polyphonic and self.people % 11 == 3:
            return self.polyphonic.pop(0) + given, gender
        surnames = dict(names.SURNAMES)
        return self.weighted(surnames) + given, gender

    # -- customers ---------------------------------------------------------------------

    def customers(self) -> list[Customer]:
        cities = {city: weight for city, weight, *_rest in names.CITIES}
        details = {city: rest for city, _w, *rest in names.CITIES}
        made = []
        for _number in range(CUSTOMERS):
            city_code = self.weighted(cities)
            area, english_city = details[city_code]
            made.append(self.customer(self.regions[city_code], area, english_city))
        return made

    def customer(self, city: Region, area: str, english_city: str) -> Customer:
        rng = self.rng
        status = self.weighted(STATUSES)
        level = self.weighted(LEVELS[status])
        individual = rng.random() < 0.15
        days = rng.randint(20, 120) if status == "potential" else rng.randint(380, 1100)
        created = self.moment(
            self.now - dt.timedelta(days=days), self.now - dt.timedelta(days=days - 1)
        )
        district = rng.choice(self.districts[city.code]) if self.districts.get(city.code) else None
        province = self.regions[city.parent_code]
        customer = Customer(
            code=next_code(self.session, self.today),
            kind="individual" if individual else "company",
            level=level,
            status=status,
            source=self.known("source", SOURCES),
            credit_rating=rng.choices((2, 3, 4, 5), weights=(10, 35, 40, 15))[0],
            satisfaction=None if status == "potential" else rng.randint(*SATISFACTION[status]),
            province_code=city.parent_code,
            city_code=city.code,
            district_code=district.code if district else None,
            address=self.address(district),
            notes=self.text(rng.choice(names.CUSTOMER_NOTES)) if rng.random() < 0.2 else "",
            created_at=created,
            updated_at=created,
            custom={},
        )
        if individual:
            customer.name = self.person()[0]
            customer.phone = self.mobile()
        else:
            self.company(customer, city, province, area, english_city)
        owner = self.owner(city.parent_code, level)
        assign_owner(customer, owner)
        self.session.add(customer)
        self.session.flush()
        return customer

    def company(
        self, customer: Customer, city: Region, province: Region, area: str, english_city: str
    ) -> None:
        """Name, industry, size and contact details of a company."""
        rng = self.rng
        industry = self.weighted({code: weight for code, (weight, _t) in names.INDUSTRIES.items()})
        trade = rng.choice(names.INDUSTRIES[industry][1])
        legal = self.text(self.weighted(dict(names.LEGAL_FORMS)))
        place = province.name if city.name == MUNICIPAL_CITY else city.name
        while customer.name is None or customer.name in self.names:
            brand = rng.choice(self.brands)
            if self.english:
                prefix = f"{english_city} " if rng.random() < 0.75 else ""
                customer.name = f"{prefix}{brand} {trade[1]} {legal}"
                customer.short_name = f"{brand} {trade[1].split()[0]}"
                domain = brand.lower().replace(" ", "")
            else:
                prefix = place.removesuffix("市") if rng.random() < 0.75 else ""
                customer.name = f"{prefix}{brand}{trade[0]}{legal}"
                customer.short_name = brand + trade[0][:2]
                from pypinyin import lazy_pinyin  # ~55 MB: loaded only when demo data is made

                domain = "".join(lazy_pinyin(brand))
        self.names.add(customer.name)
        customer.industry = industry if industry in self.dictionary["industry"] else None
        customer.size = self.known("size", SIZES)
        customer.phone = normalise_phone(f"{area}{rng.randint(2, 8)}{rng.randrange(10**7):07d}")
        customer.email = f"info@{domain}.com.cn"
        customer.website = f"www.{domain}.com.cn"
        body = "91" + (customer.district_code or city.code + "00")[:6]
        body += "".join(rng.choice(CREDIT_CODE_CHARS) for _i in range(9))
        customer.credit_code = body + credit_code_check(body)

    def address(self, district: Region | None) -> str | None:
        if district is None:
            return None
        street, number = self.rng.choice(names.STREETS), self.rng.randint(1, 999)
        if self.english:
            return f"No. {number} {street[1]}"
        return f"{district.name}{street[0]}{number}号"

    def lookalikes(self, customers: list[Customer]) -> list[Customer]:
        """Companies entered twice by different people (by their short name, with the same
        phone and e-mail, just now and with no history yet), for the duplicates page to find
        and an administrator to merge."""
        companies = [c for c in customers if c.kind == "company" and c.short_name and c.email]
        made = []
        for original in self.rng.sample(companies, LOOKALIKES):
            copy = Customer(
                code=next_code(self.session, self.today),
                name=original.short_name,
                kind="company",
                level="normal",
                status="potential",
                phone=original.phone,
                email=original.email,
                province_code=original.province_code,
                city_code=original.city_code,
                created_at=self.now - dt.timedelta(days=self.rng.randint(3, 15)),
                custom={},
            )
            copy.updated_at = copy.created_at
            others = [rep for rep in self.reps if rep.id != original.owner_id]
            assign_owner(copy, self.rng.choice(others or self.reps))
            self.session.add(copy)
            made.append(copy)
        self.session.flush()
        return made

    def owner(self, province: str, level: str) -> User:
        """A representative looking after ``province``; managers keep some big accounts."""
        if self.managers and level in ("major", "strategic") and self.rng.random() < 0.25:
            return self.rng.choice(self.managers)
        near = [rep for rep in self.reps if province in {r.code for r in rep.regions}]
        return self.rng.choice(near or self.reps)

    # -- contacts ----------------------------------------------------------------------

    def contacts(self, customer: Customer) -> None:
        """One to three contacts (the first primary); an individual is their own contact."""
        rng = self.rng
        if customer.kind == "individual":
            people = [((customer.name, "unspecified"), None)]
        else:
            count = rng.choices((1, 2, 3), weights=(40, 40, 20))[0]
            people = [(self.person(), role) for role in rng.sample(names.ROLES, count)]
        made = []
        for number, ((name, gender), role) in enumerate(people):
            channel = role[2] if role else "mobile"
            contact = Contact(
                customer_id=customer.id,
                name=name,
                gender=gender,
                title=self.text(role[0]) if role else None,
                department=self.text(role[1]) if role else None,
                mobile=customer.phone if role is None else self.mobile(),
                email=f"contact{self.people}@{customer.email.split('@')[1]}"
                if role and channel == "email"
                else None,
                wechat_id=f"wx_{rng.randrange(10**6, 10**7)}" if channel == "wechat" else None,
                birthday=dt.date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))
                if rng.random() < 0.3
                else None,
                preferred_channel=channel,
                is_primary=number == 0,
                created_at=customer.created_at,
                updated_at=customer.created_at,
                custom={},
            )
            self.session.add(contact)
            made.append(contact)
        self.contacts_of[customer.id] = made

    # -- history -----------------------------------------------------------------------

    def history(self, customer: Customer) -> None:
        """Follow-ups, a plan, orders, a contract and churn events of one customer.

        At-risk and churned customers have had no follow-up and no order for longer
        than the churn rules allow, so the rules hold for them as the job would find.
        """
        start = max(customer.created_at, self.now - dt.timedelta(days=365))
        contact_end = order_end = self.now - dt.timedelta(days=1)
        quiet = QUIET_DAYS.get(customer.status)
        if quiet:
            contact_end = self.now - dt.timedelta(
                days=self.rules.contact_days + self.rng.randint(*quiet)
            )
            order_end = self.now - dt.timedelta(
                days=self.rules.order_days + self.rng.randint(*quiet)
            )
        self.follow_ups(customer, start, max(contact_end, start))
        if customer.status != "potential":
            self.buy(customer, start, max(order_end, start))
        self.churn(customer)

    def follow_ups(self, customer: Customer, start: dt.datetime, end: dt.datetime) -> None:
        rng = self.rng
        low, high = FOLLOW_UP_COUNTS[customer.level]
        count = rng.randint(1, 3) if customer.status == "potential" else rng.randint(low, high)
        times = sorted(self.moment(start, end) for _i in range(count))
        if customer.status == "active":  # in touch lately: the churn rules do not hold
            times[-1] = self.moment(max(start, self.now - RECENT), end)
            times.sort()
        contacts = self.contacts_of[customer.id]
        planned_at = None
        if customer.status in ("potential", "active") and rng.random() < 0.45:
            days = -rng.randint(1, 5) if rng.random() < 0.15 else rng.randint(1, 21)
            planned_at = self.moment(
                self.now + dt.timedelta(days=days), self.now + dt.timedelta(days=days, hours=8)
            )
        for index, happened in enumerate(times):
            method, subject, content, result = rng.choice(names.FOLLOW_UPS)
            # the last one planned the open follow-up; earlier ones sometimes the next one
            last = index + 1 == len(times)
            following = planned_at if last else times[index + 1] if rng.random() < 0.6 else None
            self.session.add(
                FollowUp(
                    customer_id=customer.id,
                    contact_id=rng.choice(contacts).id,
                    user_id=customer.owner_id,
                    state="done",
                    method=method,
                    subject=self.text(subject),
                    content=self.text(content),
                    result=self.text(result),
                    happened_at=happened,
                    next_at=following,
                    created_at=happened,
                    updated_at=happened,
                )
            )
        customer.last_contact_at = times[-1] if times else None
        if planned_at is not None:
            method, subject, _content, _result = rng.choice(names.FOLLOW_UPS)
            self.session.add(
                FollowUp(
                    customer_id=customer.id,
                    contact_id=contacts[0].id,
                    user_id=customer.owner_id,
                    state="planned",
                    method=method,
                    subject=self.text(subject),
                    due_at=planned_at,
                    reminded_at=planned_at - dt.timedelta(hours=1)
                    if planned_at < self.now
                    else None,
                    created_at=times[-1] if times else customer.created_at,
                )
            )
        if customer.status == "active" and customer.level in ("major", "strategic"):
            self.session.add(
                FollowUpPlan(
                    customer_id=customer.id,
                    user_id=customer.owner_id,
                    subject=self.text(("定期回访", "Regular check-in")),
                    method="phone",
                    every=rng.choice((2, 4)),
                    unit="weeks",
                    next_due_on=self.today + dt.timedelta(days=rng.randint(1, 14)),
                    created_at=customer.created_at,
                )
            )

    def buy(self, customer: Customer, start: dt.datetime, end: dt.datetime) -> None:
        """Orders with lines (numbered later, in date order) and, for big accounts, a contract."""
        rng = self.rng
        count = rng.randint(*ORDER_COUNTS[customer.level])
        moments = [self.moment(start, end) for _i in range(count)]
        if customer.status == "active":
            moments[-1] = self.moment(max(start, self.now - RECENT), end)
        dates = sorted(moment.astimezone(ZONE).date() for moment in moments)
        orders = []
        for ordered_on in dates:
            age = (self.today - ordered_on).days
            if age > 60:
                state = "cancelled" if rng.random() < 0.08 else "completed"
            else:
                state = rng.choice(
                    ("confirmed", "shipped") if age < 15 else ("shipped", "completed")
                )
            order = Order(
                customer_id=customer.id,
                ordered_on=ordered_on,
                state=state,
                created_at=dt.datetime.combine(ordered_on, dt.time(10), ZONE),
                custom={},
            )
            for position, (code, product, price) in enumerate(
                rng.sample(names.PRODUCTS, rng.randint(1, 4)), start=1
            ):
                quantity = Decimal(1 if code in ("GX-SW", "GX-SV", "GX-MT") else rng.randint(1, 50))
                order.lines.append(
                    OrderLine(
                        position=position,
                        product_code=code,
                        product_name=self.text(product),
                        quantity=quantity,
                        unit_price=Decimal(price),
                    )
                )
            order.amount = sum(
                (line.quantity * line.unit_price for line in order.lines), Decimal(0)
            ).quantize(CENT)
            order.updated_at = order.created_at
            self.session.add(order)
            orders.append(order)
        self.orders += orders
        live = [order for order in orders if order.state != "cancelled"]
        if live:
            latest = max(order.ordered_on for order in live)
            customer.last_order_at = dt.datetime.combine(latest, dt.time(), tzinfo=dt.UTC)
        if live and customer.level in ("major", "strategic", "partner"):
            self.contract(customer, live)

    def contract(self, customer: Customer, orders: Sequence[Order]) -> None:
        signed = orders[0].ordered_on - dt.timedelta(days=self.rng.randint(3, 20))
        ends = signed + dt.timedelta(days=365)
        contract = Contract(
            customer_id=customer.id,
            title=self.text(self.rng.choice(names.CONTRACT_TITLES)),
            signed_on=signed,
            starts_on=signed,
            ends_on=ends,
            amount=sum((order.amount for order in orders), Decimal(0)),
            state="active" if ends >= self.today else "expired",
            orders=list(orders),
            created_at=dt.datetime.combine(signed, dt.time(15), ZONE),
            custom={},
        )
        contract.updated_at = contract.created_at
        self.session.add(contract)
        self.contracts.append(contract)

    def churn(self, customer: Customer) -> None:
        """Flagged at-risk customers (some paused), churned ones confirmed by their owner.

        The flag is dated the day after both rules came to hold, as the daily job would.
        """
        if customer.status not in ("at_risk", "churned"):
            return
        rng = self.rng
        rules = self.rules
        held_since = max(
            (customer.last_contact_at or customer.created_at)
            + dt.timedelta(days=rules.contact_days),
            (customer.last_order_at or customer.created_at) + dt.timedelta(days=rules.order_days),
        )
        flagged = min(held_since + dt.timedelta(days=1), self.now)
        reason = rules.reason(["no_order", "no_contact"])
        events = [ChurnEvent(action="flagged", reason=reason, created_at=flagged)]
        if customer.status == "churned":
            confirmed = min(flagged + dt.timedelta(days=rng.randint(10, 30)), self.now)
            reason = self.text(rng.choice(names.CHURN_REASONS))
            events.append(ChurnEvent(action="confirmed", reason=reason, created_at=confirmed))
        elif rng.random() < 0.5:
            check_on = self.today + dt.timedelta(days=rng.randint(7, 30))
            measure = self.text(rng.choice(names.CHURN_MEASURES))
            paused = min(flagged + dt.timedelta(days=rng.randint(1, 5)), self.now)
            events.append(
                ChurnEvent(action="paused", measure=measure, check_on=check_on, created_at=paused)
            )
            customer.churn_check_on = check_on
        for event in events:
            event.customer_id = customer.id
            event.user_id = None if event.action == "flagged" else customer.owner_id
            event.updated_at = event.created_at
            self.session.add(event)

    def number_records(self) -> None:
        """Order (``SO2026000001``) and contract (``HT202600001``) numbers in date order."""
        for prefix, width, records, day in (
            ("SO", 6, self.orders, lambda order: order.ordered_on),
            ("HT", 5, self.contracts, lambda contract: contract.signed_on),
        ):
            counters: dict[int, int] = {}
            for record in sorted(records, key=day):
                year = day(record).year
                counters[year] = counters.get(year, 0) + 1
                record.number = f"{prefix}{year}{counters[year]:0{width}d}"

    # -- tags --------------------------------------------------------------------------

    def tag(self, customers: list[Customer]) -> None:
        """System tags by the customers' state, and custom industry, region and channel groups."""
        rng = self.rng
        wanted = {
            *(self.text(pair) for pair in names.INDUSTRY_TAGS.values()),
            *(self.text(pair) for pair in names.TEAM_TAGS.values()),
            *(self.text(pair) for pair in names.CHANNEL_TAGS),
        }
        tags = {tag.name: tag for tag in self.session.scalars(select(Tag))}
        colors = {"行业": "blue", "Industry": "blue", "区域": "teal", "Region": "teal"}
        for name in sorted(wanted - set(tags)):
            group = name.split("-", 1)[0]
            tags[name] = Tag(name=name, group=group, color=colors.get(group, "purple"))
            self.session.add(tags[name])
        self.session.flush()
        recent = self.now - dt.timedelta(days=90)
        rows = []
        for customer in customers:
            chosen = {
                VIP: customer.level == "strategic"
                or (customer.level == "major" and rng.random() < 0.5),
                KEY_FOLLOW_UP: customer.level == "key_prospect" and rng.random() < 0.6,
                NEW_CUSTOMER: customer.created_at >= recent,
                CHURN_WARNING: customer.status == "at_risk",
                self.text(names.INDUSTRY_TAGS.get(customer.industry or "", ("", ""))): (
                    rng.random() < 0.8
                ),
                self.text(names.TEAM_TAGS["east" if customer.province_code in EAST else "south"]): (
                    rng.random() < 0.5
                ),
                self.text(rng.choice(names.CHANNEL_TAGS)): rng.random() < 0.4,
            }
            rows += [
                {"customer_id": customer.id, "tag_id": tags[name].id}
                for name, on in chosen.items()
                if on and name in tags
            ]
        if rows:
            self.session.execute(insert(customer_tags), rows)
