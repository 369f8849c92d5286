"""Customers from spreadsheets: the columns people send and how each row is checked.

The same rules as the customer form (codes, phones in E.164, credit codes with
their check character, dictionary entries, owners the user may choose, the
data scope), applied to thousands of rows a second: names are looked up in
memory (``tabular_lookups``), phones of mainland mobiles skip phonenumbers,
and records are written in bulk, then indexed for search (pinyin included).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select

from core.contributions import TabularField
from core.customfields.service import REQUIRED
from core.db import utcnow
from core.i18n import user_timezone
from core.security.scopes import values_in_scope
from core.tabular.custom import custom_tabular_fields, custom_values
from core.tabular.importer import Checked, Importer
from core.tabular.values import (
    CellError,
    choice_reader,
    clean_text,
    parse_text,
    parse_whole,
)
from plugins.customers import _
from plugins.customers.dictionaries import choices as dictionary_choices
from plugins.customers.dictionaries import default_level
from plugins.customers.forms import CODE_PATTERN, EMAIL_PATTERN, INDIVIDUAL_ONLY
from plugins.customers.models import KINDS, STATUSES, Customer, customer_tags
from plugins.customers.search_index import CUSTOMER_FIELDS, INDEX, customer_terms, reindex_customers
from plugins.customers.service import (
    OUT_OF_SCOPE,
    RECORD_TYPE,
    company_today,
    live_customers,
    next_codes,
    normalise_phone,
    scoped,
)
from plugins.customers.tabular_lookups import Lookups, chunks
from plugins.customers.validators import (
    normalise_bank_account,
    normalise_credit_code,
    normalise_id_number,
    normalise_website,
)

IMPORT = "customers.customer.import"
KIND_ALIASES = {
    "company": ("公司", "企业", "单位", "機構", "Business", "Organisation", "Organization"),
    "individual": ("个人", "個人", "Person", "Personal"),
}
STATUS_ALIASES = {
    "potential": ("潜在", "潜在客户", "意向客户"),
    "active": ("活跃", "成交", "合作中", "正式客户"),
    "at_risk": ("有风险", "流失风险", "预警"),
    "churned": ("流失", "已流失"),
}
#: Columns a customer's place is given in (one cell, or a cell per level).
PLACE_FIELDS = ("region", "province", "city", "district")
RATING_RANGE = range(1, 6)
#: What a new customer's search entry is computed from, where a row leaves it out.
INDEXED = dict.fromkeys(CUSTOMER_FIELDS)

BAD_CODE = _("Use letters, digits, - and _ only.")
BAD_EMAIL = _("Enter an e-mail address like name@example.com.")
BAD_PHONE = _("Enter a phone number such as 138 1234 5678.")
BAD_RATING = _("Give a whole number from 1 to 5.")
_CODE = re.compile(CODE_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def customer_fields(request: Any) -> list[TabularField]:
    """The columns of a customer import, with the headers offices use in Chinese and English."""
    translate = request.translate

    def offered(kind: str) -> tuple[str, ...]:
        return tuple(label for _code, label in dictionary_choices(request, kind))

    return [
        TabularField(
            "code",
            _("Customer code"),
            ("客户编号", "客户编码", "客户代码", "编号", "编码", "Code", "Customer No", "No"),
            help=_("Leave blank to number it automatically."),
            example="C2026000001",
            unique=True,
        ),
        TabularField(
            "name",
            _("Name"),
            (
                "客户名称",
                "公司名称",
                "单位名称",
                "企业名称",
                "客户名",
                "名称",
                "客户",
                "公司",
                "Company",
                "Company name",
                "Customer",
                "Customer name",
                "Account",
                "Account name",
            ),
            required=True,
            example=_("Shanghai Huadong Machinery Co., Ltd."),
        ),
        TabularField(
            "short_name", _("Short name"), ("简称", "客户简称", "公司简称", "Abbreviation")
        ),
        TabularField(
            "kind",
            _("Kind"),
            ("客户类型", "类型", "性质", "Type", "Customer type"),
            choices=tuple(translate(label) for label in KINDS.values()),
            example=_("Company"),
        ),
        TabularField(
            "level",
            _("Level"),
            ("客户级别", "级别", "等级", "客户等级", "Grade", "Tier"),
            choices=offered("level"),
        ),
        TabularField(
            "status",
            _("Status"),
            ("客户状态", "状态", "Stage"),
            choices=tuple(translate(label) for label in STATUSES.values()),
        ),
        TabularField(
            "owner",
            _("Owner"),
            (
                "负责人",
                "客户经理",
                "销售",
                "销售员",
                "业务员",
                "归属人",
                "所有者",
                "Sales rep",
                "Salesperson",
                "Account manager",
            ),
            help=_("Username or name; blank means you."),
        ),
        TabularField(
            "region",
            _("Region"),
            ("地区", "所在地区", "区域", "省市区", "所在地", "Location", "Area"),
            help=_("Province, city and district in one cell, such as 广东省深圳市南山区."),
            example="广东省深圳市南山区",
        ),
        TabularField("province", _("Province"), ("省份", "省", "所在省份", "State")),
        TabularField("city", _("City"), ("城市", "市", "所在城市")),
        TabularField("district", _("District"), ("区县", "区", "县", "County")),
        TabularField(
            "phone",
            _("Phone"),
            (
                "电话",
                "手机",
                "手机号",
                "手机号码",
                "联系电话",
                "电话号码",
                "联系方式",
                "Mobile",
                "Tel",
                "Telephone",
            ),
            example="138 1234 5678",
        ),
        TabularField(
            "email", _("E-mail"), ("邮箱", "电子邮箱", "电子邮件", "邮件", "Email", "Mail")
        ),
        TabularField("address", _("Address"), ("地址", "详细地址", "公司地址", "通讯地址")),
        TabularField(
            "website", _("Website"), ("网站", "网址", "官网", "主页", "Web", "URL", "Homepage")
        ),
        TabularField(
            "industry", _("Industry"), ("行业", "所属行业", "Sector"), choices=offered("industry")
        ),
        TabularField(
            "size",
            _("Company size"),
            ("规模", "公司规模", "人员规模", "Size", "Employees"),
            choices=offered("size"),
        ),
        TabularField(
            "source",
            _("Source"),
            ("来源", "客户来源", "渠道", "Lead source", "Channel"),
            choices=offered("source"),
        ),
        TabularField(
            "credit_code",
            _("Unified social credit code"),
            (
                "统一社会信用代码",
                "信用代码",
                "社会信用代码",
                "税号",
                "纳税人识别号",
                "Credit code",
                "USCC",
                "Tax ID",
            ),
        ),
        TabularField(
            "credit_rating",
            _("Credit rating"),
            ("信用等级", "信用评级"),
            kind="number",
            help=_("From 1 (poor) to 5 (excellent)."),
        ),
        TabularField(
            "satisfaction",
            _("Satisfaction"),
            ("满意度",),
            kind="number",
            help=_("From 1 (unhappy) to 5 (delighted)."),
        ),
        TabularField(
            "notes",
            _("Notes"),
            ("备注", "说明", "描述", "Remark", "Remarks", "Comment", "Description"),
        ),
        TabularField(
            "tags", _("Tags"), ("标签", "Labels"), help=_("Existing tags, separated by commas.")
        ),
        TabularField(
            "id_number",
            _("ID number"),
            ("身份证号", "身份证", "身份证号码", "ID card"),
            help=_("Individual customers only; 18 characters."),
        ),
        TabularField("bank_name", _("Bank"), ("开户行", "开户银行", "银行")),
        TabularField(
            "bank_account", _("Bank account"), ("银行账号", "账号", "银行卡号", "Account number")
        ),
        *custom_tabular_fields(request.custom_fields(RECORD_TYPE), request.locale_name),
    ]


def _pattern_text(pattern: re.Pattern[str], message: Any, max_length: int) -> Callable:
    def read(value: Any) -> str:
        text = parse_text(value, max_length)
        if not pattern.match(text):
            raise CellError(message)
        return text

    return read


def _normalised(normalise: Callable[[str], str]) -> Callable[[Any], str]:
    """A validator's ``ValueError(message)`` as a cell error."""

    def read(value: Any) -> str:
        try:
            return normalise(clean_text(value))
        except ValueError as exc:
            raise CellError(exc.args[0]) from None

    return read


def _phone(value: Any) -> str:
    try:
        return normalise_phone(clean_text(value))
    except ValueError:
        raise CellError(BAD_PHONE) from None


def _rating(value: Any) -> int:
    try:
        rating = parse_whole(value)
    except CellError:
        raise CellError(BAD_RATING) from None
    if rating not in RATING_RANGE:
        raise CellError(BAD_RATING)
    return rating


class CustomerImporter(Importer):
    """Checks customer rows and writes them in bulk (codes numbered, tags attached, indexed)."""

    model = Customer

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        self.lookups = Lookups(request, IMPORT)
        kind = choice_reader(request, KINDS, KIND_ALIASES)
        status = choice_reader(request, STATUSES, STATUS_ALIASES)
        self.tz = user_timezone(request)
        self.today = utcnow().date()
        self.readers: dict[str, Callable[[Any], dict[str, Any]]] = {
            "code": lambda v: {"code": _pattern_text(_CODE, BAD_CODE, 32)(v).upper()},
            "name": lambda v: {"name": parse_text(v, 200) or None},
            "short_name": lambda v: {"short_name": parse_text(v, 100)},
            "kind": lambda v: {"kind": kind(v)},
            "level": lambda v: {"level": self.lookups.dictionary("level", v)},
            "status": lambda v: {"status": status(v)},
            "owner": self._owner,
            "phone": lambda v: {"phone": _phone(v)},
            "email": lambda v: {"email": _pattern_text(_EMAIL, BAD_EMAIL, 254)(v)},
            "address": lambda v: {"address": parse_text(v, 300)},
            "website": lambda v: {"website": _normalised(normalise_website)(v)},
            "industry": lambda v: {"industry": self.lookups.dictionary("industry", v)},
            "size": lambda v: {"size": self.lookups.dictionary("size", v)},
            "source": lambda v: {"source": self.lookups.dictionary("source", v)},
            "credit_code": lambda v: {"credit_code": _normalised(normalise_credit_code)(v)},
            "credit_rating": lambda v: {"credit_rating": _rating(v)},
            "satisfaction": lambda v: {"satisfaction": _rating(v)},
            "notes": lambda v: {"notes": parse_text(v, 5000)},
            "tags": lambda v: {"_tags": self.lookups.tag_ids(v)},
            "id_number": lambda v: {
                "id_number": _normalised(lambda raw: normalise_id_number(raw, self.today))(v)
            },
            "bank_name": lambda v: {"bank_name": parse_text(v, 100)},
            "bank_account": lambda v: {"bank_account": _normalised(normalise_bank_account)(v)},
        }

    @cached_property
    def definitions(self) -> list[Any]:
        return list(self.request.custom_fields(RECORD_TYPE))

    @cached_property
    def defaults(self) -> dict[str, Any]:
        """The columns of a new customer the row does not give."""
        me = self.request.identity.user_id
        return {
            "code": None,
            "kind": "company",
            "level": default_level(self.request),
            "status": "potential",
            "owner_id": me,
            "team_id": self.lookups.teams.get(me),
            "province_code": None,
            "city_code": None,
            "district_code": None,
            "notes": "",
        }

    def fields(self) -> list[TabularField]:
        return customer_fields(self.request)

    def _owner(self, value: Any) -> dict[str, Any]:
        owner = self.lookups.owner(clean_text(value))
        return {"owner_id": owner, "team_id": self.lookups.teams.get(owner)}

    def _place(self, cells: dict[str, Any]) -> dict[str, Any]:
        places = self.lookups.places
        if "region" in cells:
            codes = places.split(clean_text(cells["region"]))
        else:
            codes = places.place(*(clean_text(cells.get(key, "")) for key in PLACE_FIELDS[1:]))
        codes = [*codes, None, None, None][:3]
        return dict(zip(("province_code", "city_code", "district_code"), codes, strict=True))

    def check(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[Checked]:
        return [self._check(number, cells) for number, cells in rows]

    def _check(self, number: int, cells: dict[str, Any]) -> Checked:
        row = Checked(number)
        given: dict[str, Any] = {}
        for key, value in cells.items():
            reader = self.readers.get(key)
            if reader is None:
                continue
            try:
                given.update(reader(value))
            except CellError as error:
                row.fail(key, error.message)
        if any(key in cells for key in PLACE_FIELDS):
            try:
                given.update(self._place(cells))
            except CellError as error:
                row.fail(next(key for key in PLACE_FIELDS if key in cells), error.message)
        custom, errors = custom_values(self.session, self.definitions, cells, self.tz, partial=True)
        for key, messages in errors.items():
            for message in messages:
                row.fail(key, message)
        if "name" not in given:
            row.missing.append("name")
        individual = given.get("kind") == "individual"
        if not individual:
            for name in INDIVIDUAL_ONLY:
                given.pop(name, None)
        row.changes = {**given, **({"custom": custom} if custom else {})}
        new_custom, new_errors = custom_values(
            self.session, self.definitions, cells, self.tz, partial=False
        )
        for key, messages in new_errors.items():
            if key not in row.errors and messages == [REQUIRED]:
                row.missing.append(key)
        row.values = {**self.defaults, **given, "custom": new_custom}
        if row.ok and not values_in_scope(
            self.request.identity, self.request.record_types[RECORD_TYPE], IMPORT, row.values
        ):
            row.fail("", OUT_OF_SCOPE)
        row.keys = {
            key: given[key] for key in ("code", "credit_code", "phone", "email") if given.get(key)
        }
        return row

    # -- finding and writing ------------------------------------------------------------

    def existing(self, key: str, values: Any) -> dict[Any, list[int]]:
        """Customers with one of ``values``; e-mail addresses also in lower case."""
        if key != "email":
            return super().existing(key, values)
        wanted = {value for value in values if value}
        variants = wanted | {value.lower() for value in wanted}
        by_lower: dict[str, list[int]] = {}
        for value, ids in super().existing(key, variants).items():
            by_lower.setdefault(value.lower(), []).extend(ids)
        return {
            value: sorted(set(by_lower[value.lower()]))
            for value in wanted
            if value.lower() in by_lower
        }

    def reachable(self, ids: Sequence[int]) -> set[int]:
        found: set[int] = set()
        for chunk in chunks(list(ids)):
            query = select(Customer.id).where(
                Customer.id.in_(chunk), live_customers(), scoped(self.request, IMPORT)
            )
            found.update(self.session.scalars(query))
        return found

    def create(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        rows = [dict(row) for row in rows]
        tags = [row.pop("_tags", None) for row in rows]
        unnumbered = [row for row in rows if not row.get("code")]
        if unnumbered:
            today = company_today(self.request.registry.settings)
            for row, code in zip(
                unnumbered, next_codes(self.session, today, len(unnumbered)), strict=True
            ):
                row["code"] = code
        ids = super().create(rows)
        self._tag(zip(ids, tags, strict=True))
        INDEX.upsert_many(
            self.session,
            RECORD_TYPE,
            [
                (record_id, customer_terms(SimpleNamespace(**{**INDEXED, **row})))
                for record_id, row in zip(ids, rows, strict=True)
            ],
        )
        return ids

    def update(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict, int]]:
        plain = []
        tags = []
        for record_id, values in changes:
            values = dict(values)
            tags.append((record_id, values.pop("_tags", None)))
            plain.append((record_id, values))
        done = super().update(plain)
        self._tag(tags)
        return done

    def _tag(self, pairs: Any) -> None:
        """Attach tags (those already attached stay as they are)."""
        wanted = [(record_id, tag_id) for record_id, ids in pairs for tag_id in ids or ()]
        if not wanted:
            return
        present = set()
        for chunk in chunks(sorted({record_id for record_id, _tag in wanted})):
            rows = self.session.execute(
                select(customer_tags.c.customer_id, customer_tags.c.tag_id).where(
                    customer_tags.c.customer_id.in_(chunk)
                )
            )
            present.update((customer_id, tag_id) for customer_id, tag_id in rows)
        new = [
            {"customer_id": record_id, "tag_id": tag_id}
            for record_id, tag_id in dict.fromkeys(wanted)
            if (record_id, tag_id) not in present
        ]
        if new:
            self.session.connection().execute(insert(customer_tags), new)

    def written(self, created: Sequence[int], updated: Sequence[int]) -> None:
        """Index updated customers again (new ones were indexed from their values)."""
        reindex_customers(self.session, list(updated))

    def removed(self, ids: Sequence[int]) -> None:
        INDEX.delete_many(self.session, RECORD_TYPE, list(ids))
