"""Contacts in imports and exports: a row per person, naming the customer they work for.

A contact repeats another when it has the same mobile or e-mail at the same
customer.  The first contact of a customer becomes its primary contact, and
so does one marked primary while its customer has none; a customer's existing
primary contact stays primary (change it on the customer's page).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, select, tuple_

from core.api.listing import filtered
from core.contributions import TabularField
from core.customfields.serialize import ExportColumn, export_columns
from core.tabular.custom import custom_tabular_fields, custom_values
from core.tabular.exporter import Exporter, ExportPlan
from core.tabular.importer import Checked
from core.tabular.values import (
    CellError,
    choice_reader,
    clean_text,
    parse_bool,
    parse_date,
    parse_text,
)
from core.validation import EMAIL_MAX, INVALID_EMAIL, is_email
from plugins.customers import _
from plugins.customers.child_tabular import (
    ChildImporter,
    customer_columns,
    customer_field,
    local_time,
    read_cells,
)
from plugins.customers.contact_api import CONTACT_SPEC
from plugins.customers.contacts import (
    CONTACT_VIEW,
    RECORD_TYPE,
    contact_customers,
    contact_scope,
    live_contacts,
)
from plugins.customers.customer_import import BAD_PHONE
from plugins.customers.models import CHANNELS, GENDERS, Contact, Customer
from plugins.customers.search_index import (
    INDEX,
    contact_search_filter,
    reindex_contacts,
    search_parameter,
)
from plugins.customers.service import display_phone, normalise_phone
from plugins.customers.tabular_lookups import chunks

CONTACT_IMPORT = "customers.contact.import"
CONTACT_EXPORT = "customers.contact.export"
GENDER_ALIASES = {"female": ("女", "F", "Ms", "Mrs"), "male": ("男", "M", "Mr")}
CHANNEL_ALIASES = {
    "mobile": ("手机",),
    "phone": ("电话", "座机"),
    "email": ("邮件", "邮箱"),
    "wechat": ("微信",),
    "visit": ("拜访", "上门"),
}


def contact_fields(request: Any) -> list[TabularField]:
    """The columns of a contact import."""
    translate = request.translate
    return [
        customer_field(),
        TabularField(
            "name",
            _("Contact name"),
            ("联系人", "联系人姓名", "姓名", "Contact", "Name"),
            required=True,
            example="张三",
        ),
        TabularField(
            "gender",
            _("Gender"),
            ("性别", "Sex"),
            choices=tuple(translate(label) for label in GENDERS.values()),
        ),
        TabularField("title", _("Job title"), ("职务", "职位", "头衔", "Title", "Position")),
        TabularField("department", _("Department"), ("部门", "Dept")),
        TabularField(
            "mobile",
            _("Mobile"),
            ("手机", "手机号", "手机号码", "移动电话", "Cell"),
            example="139 1234 5678",
        ),
        TabularField("phone", _("Phone"), ("电话", "座机", "办公电话", "Tel", "Telephone")),
        TabularField("email", _("E-mail"), ("邮箱", "电子邮箱", "电子邮件", "Email", "Mail")),
        TabularField("wechat_id", _("WeChat ID"), ("微信", "微信号", "WeChat")),
        TabularField("birthday", _("Birthday"), ("生日", "出生日期", "Date of birth"), kind="date"),
        TabularField(
            "preferred_channel",
            _("Preferred channel"),
            ("首选联系方式", "联系方式偏好", "Channel"),
            choices=tuple(translate(label) for label in CHANNELS.values()),
        ),
        TabularField(
            "is_primary",
            _("Primary contact"),
            ("主要联系人", "首要联系人", "Primary"),
            help=_("Yes makes the contact primary when its customer has none yet."),
        ),
        TabularField("notes", _("Notes"), ("备注", "说明", "Remark", "Remarks")),
        *custom_tabular_fields(request.custom_fields(RECORD_TYPE), request.locale_name),
    ]


def _phone(value: Any) -> str:
    try:
        return normalise_phone(clean_text(value))
    except ValueError:
        raise CellError(BAD_PHONE) from None


def _email(value: Any) -> str:
    text = parse_text(value, EMAIL_MAX)
    if not is_email(text):
        raise CellError(INVALID_EMAIL)
    return text


class ContactImporter(ChildImporter):
    """Checks contact rows and writes them in bulk, keeping one primary contact per customer."""

    model = Contact

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        self.definitions = list(request.custom_fields(RECORD_TYPE))
        self.readers = {
            "name": lambda v: parse_text(v, 100),
            "gender": choice_reader(request, GENDERS, GENDER_ALIASES),
            "title": lambda v: parse_text(v, 100),
            "department": lambda v: parse_text(v, 100),
            "mobile": _phone,
            "phone": _phone,
            "email": _email,
            "wechat_id": lambda v: parse_text(v, 64),
            "birthday": parse_date,
            "preferred_channel": choice_reader(request, CHANNELS, CHANNEL_ALIASES),
            "is_primary": parse_bool,
            "notes": lambda v: parse_text(v, 5000),
        }

    def fields(self) -> list[TabularField]:
        return contact_fields(self.request)

    def customers(self) -> Any:
        return contact_customers(self.request, CONTACT_IMPORT)

    def check_row(self, number: int, cells: dict[str, Any], customer_id: int | None) -> Checked:
        row = Checked(number)
        given = read_cells(row, cells, self.readers)
        custom, errors = custom_values(self.session, self.definitions, cells, self.tz, partial=True)
        new_custom, _new_errors = custom_values(
            self.session, self.definitions, cells, self.tz, partial=False
        )
        for key, messages in errors.items():
            row.errors.setdefault(key, []).extend(messages)
        if "name" not in given:
            row.missing.append("name")
        primary = given.pop("is_primary", False)
        row.changes = {**given, **({"custom": custom} if custom else {})}
        row.values = {
            "customer_id": customer_id,
            "gender": "unspecified",
            "notes": "",
            **given,
            "custom": new_custom,
            "_primary": primary,
        }
        row.keys = {key: (customer_id, given[key]) for key in ("mobile", "email") if given.get(key)}
        return row

    def existing(self, key: str, values: Any) -> dict[Any, list[int]]:
        """Live contacts with the same ``(customer, mobile or e-mail)``."""
        wanted = sorted({value for value in values if value and value[0] is not None})
        column = Contact.__table__.c[key]
        found: dict[Any, list[int]] = {}
        for chunk in chunks(wanted):
            query = select(Contact.id, Contact.customer_id, column).where(
                tuple_(Contact.customer_id, column).in_(chunk), live_contacts()
            )
            for record_id, customer_id, value in self.session.execute(query.order_by(Contact.id)):
                found.setdefault((customer_id, value), []).append(record_id)
        return found

    def create(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        rows = [dict(row) for row in rows]
        customers = sorted({row["customer_id"] for row in rows})
        with_primary: set[int] = set()
        for chunk in chunks(customers):
            with_primary.update(
                self.session.scalars(
                    select(Contact.customer_id).where(
                        Contact.customer_id.in_(chunk), Contact.is_primary, live_contacts()
                    )
                )
            )
        chosen = {}
        for index, row in enumerate(rows):
            wanted = row.pop("_primary")
            customer = row["customer_id"]
            if customer not in with_primary and (wanted or customer not in chosen):
                chosen[customer] = index
        chosen_rows = set(chosen.values())
        for index, row in enumerate(rows):
            row["is_primary"] = index in chosen_rows
        return super().create(rows)

    def written(self, created: Sequence[int], updated: Sequence[int]) -> None:
        reindex_contacts(self.session, [*created, *updated])

    def removed(self, ids: Sequence[int]) -> None:
        INDEX.delete_many(self.session, RECORD_TYPE, list(ids))


class ContactExporter(Exporter):
    """Every column of the contacts the API list returns (there is no contact list page)."""

    def api(self, params: Any) -> ExportPlan:
        request = self.request
        translate = request.translate
        base = select(Contact).where(
            live_contacts(),
            contact_scope(request, CONTACT_VIEW),
            contact_scope(request, CONTACT_EXPORT),
        )
        search = search_parameter(request.dbsession, contact_search_filter)
        base = filtered(SimpleNamespace(GET=params), base, CONTACT_SPEC, {"q": search})
        query = (
            base.with_only_columns(
                *Contact.__table__.c, *customer_columns(), maintain_column_froms=False
            )
            .select_from(Contact)
            .join(Customer, and_(Customer.id == Contact.customer_id))
        )
        genders = {key: translate(label) for key, label in GENDERS.items()}
        channels = {key: translate(label) for key, label in CHANNELS.items()}
        yes, no = translate(_("Yes")), translate(_("No"))
        local = local_time(request)
        cells = {
            "customer_code": (_("Customer code"), lambda row: row.customer_code),
            "customer_name": (_("Customer"), lambda row: row.customer_name),
            "name": (_("Contact name"), lambda row: row.name),
            "gender": (_("Gender"), lambda row: genders.get(row.gender)),
            "title": (_("Job title"), lambda row: row.title),
            "department": (_("Department"), lambda row: row.department),
            "mobile": (_("Mobile"), lambda row: display_phone(row.mobile) or None),
            "phone": (_("Phone"), lambda row: display_phone(row.phone) or None),
            "email": (_("E-mail"), lambda row: row.email),
            "wechat_id": (_("WeChat ID"), lambda row: row.wechat_id),
            "birthday": (_("Birthday"), lambda row: row.birthday),
            "preferred_channel": (
                _("Preferred channel"),
                lambda row: channels.get(row.preferred_channel),
            ),
            "is_primary": (_("Primary contact"), lambda row: yes if row.is_primary else no),
            "notes": (_("Notes"), lambda row: row.notes or None),
        }
        columns = [
            ExportColumn(key, translate(label), read) for key, (label, read) in cells.items()
        ]
        columns += export_columns(request, request.custom_fields(RECORD_TYPE))
        columns.append(
            ExportColumn("created", translate(_("Created")), lambda row: local(row.created_at))
        )
        return ExportPlan(query, columns, translate(_("Contacts")), dict(params.items()))
