"""Follow-ups in imports and exports: the history of calls and visits kept in spreadsheets.

Every row is a new follow-up (done, at its time; or planned, due at its time)
of a customer the user may log follow-ups for; the customers' last contact
times are recomputed once per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select, update

from core.api.listing import filtered
from core.contributions import TabularField
from core.customfields.serialize import ExportColumn
from core.db import utcnow
from core.security.models import User
from core.tabular.exporter import Exporter, ExportPlan
from core.tabular.importer import Checked
from core.tabular.values import choice_reader, clean_text, parse_datetime, parse_text
from plugins.customers import _
from plugins.customers.child_tabular import (
    ChildImporter,
    customer_columns,
    customer_field,
    local_time,
    read_cells,
)
from plugins.customers.followup_api import SPEC
from plugins.customers.followup_models import FOLLOW_UP_STATES, METHODS, FollowUp
from plugins.customers.followups import (
    FUTURE,
    FUTURE_SLACK,
    VIEW,
    followup_customers,
    followup_scope,
    live_followups,
)
from plugins.customers.models import Customer
from plugins.customers.tabular_lookups import Lookups, chunks

FOLLOWUP_IMPORT = "customers.follow_up.import"
FOLLOWUP_EXPORT = "customers.follow_up.export"
STATE_ALIASES = {"done": ("已完成", "完成", "已跟进"), "planned": ("计划", "计划中", "待跟进")}
METHOD_ALIASES = {
    "phone": ("电话", "打电话", "致电", "Phone", "Call"),
    "visit": ("拜访", "上门", "上门拜访"),
    "email": ("邮件", "电子邮件", "Email"),
    "wechat": ("微信",),
    "meeting": ("会议", "开会", "会面"),
    "other": ("其他", "其它"),
}
DUE_NEEDED = _("A planned follow-up needs the time it is due.")


def followup_fields(request: Any) -> list[TabularField]:
    """The columns of a follow-up import."""
    translate = request.translate
    return [
        customer_field(),
        TabularField(
            "subject",
            _("Subject"),
            ("主题", "标题", "事项", "Title", "Topic"),
            required=True,
            example=_("Quarterly review call"),
        ),
        TabularField(
            "method",
            _("Method"),
            ("方式", "跟进方式", "联系方式", "Type", "Channel"),
            choices=tuple(translate(label) for label in METHODS.values()),
        ),
        TabularField(
            "state",
            _("Status"),
            ("状态", "跟进状态", "State"),
            choices=tuple(translate(label) for label in FOLLOW_UP_STATES.values() if label),
            help=_("Done (the default) or planned."),
        ),
        TabularField(
            "happened_at",
            _("When"),
            ("跟进时间", "时间", "日期", "跟进日期", "Date", "Time"),
            kind="datetime",
            example="2026-11-20 14:30",
        ),
        TabularField(
            "due_at",
            _("Due"),
            ("计划时间", "到期时间", "下次跟进时间", "Due date"),
            kind="datetime",
        ),
        TabularField(
            "content",
            _("What was discussed"),
            ("内容", "跟进内容", "沟通内容", "Content", "Notes"),
        ),
        TabularField("result", _("Result"), ("结果", "跟进结果", "Outcome")),
        TabularField(
            "user",
            _("Who follows up"),
            ("跟进人", "负责人", "销售", "业务员", "User", "Owner"),
            help=_("Username or name; blank means you."),
        ),
    ]


class FollowUpImporter(ChildImporter):
    """Checks follow-up rows; each is created (there is nothing to match a follow-up by)."""

    model = FollowUp

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        states = {key: FOLLOW_UP_STATES[key] for key in ("done", "planned")}
        self.lookups = Lookups(request, FOLLOWUP_IMPORT)
        self.readers = {
            "subject": lambda v: parse_text(v, 200),
            "method": choice_reader(request, METHODS, METHOD_ALIASES),
            "state": choice_reader(request, states, STATE_ALIASES),
            "happened_at": lambda v: parse_datetime(v, self.tz),
            "due_at": lambda v: parse_datetime(v, self.tz),
            "content": lambda v: parse_text(v, 10000),
            "result": lambda v: parse_text(v, 5000),
            "user": lambda v: self.lookups.owner(clean_text(v)),
        }

    def fields(self) -> list[TabularField]:
        return followup_fields(self.request)

    def customers(self) -> Any:
        return followup_customers(self.request, FOLLOWUP_IMPORT)

    def check_row(self, number: int, cells: dict[str, Any], customer_id: int | None) -> Checked:
        row = Checked(number)
        given = read_cells(row, cells, self.readers)
        if "subject" not in given:
            row.missing.append("subject")
        state = given.get("state", "done")
        happened = given.get("happened_at")
        if state == "done" and happened is not None and happened > utcnow() + FUTURE_SLACK:
            row.fail("happened_at", FUTURE)
        if state == "planned" and "due_at" not in given:
            row.fail("due_at", DUE_NEEDED)
        values = {
            "customer_id": customer_id,
            "user_id": given.pop("user", self.request.identity.user_id),
            "state": state,
            "method": "phone",
            "content": "",
            "result": "",
            **given,
        }
        if state == "done":
            values.setdefault("happened_at", utcnow())
            values["due_at"] = None
        else:
            values["happened_at"] = None
        row.values = row.changes = values
        return row

    def _refresh(self, customer_ids: set[int]) -> None:
        """Set the customers' last contact time to their latest live done follow-up."""
        latest = (
            select(func.max(FollowUp.happened_at))
            .where(FollowUp.customer_id == Customer.id, FollowUp.state == "done", live_followups())
            .scalar_subquery()
        )
        for chunk in chunks(sorted(customer_ids)):
            self.session.execute(
                update(Customer)
                .where(Customer.id.in_(chunk))
                .values(last_contact_at=latest)
                .execution_options(synchronize_session=False)
            )

    def written(self, created: Sequence[int], updated: Sequence[int]) -> None:
        self._refresh(self.customers_of([*created, *updated]))

    def delete(self, ids: Sequence[int]) -> None:
        customers = self.customers_of(ids)
        super().delete(ids)
        self._refresh(customers)


class FollowUpExporter(Exporter):
    """Every column of the follow-ups the API list returns."""

    def api(self, params: Any) -> ExportPlan:
        request = self.request
        translate = request.translate
        base = select(FollowUp).where(
            live_followups(),
            followup_scope(request, VIEW),
            followup_scope(request, FOLLOWUP_EXPORT),
        )
        base = filtered(SimpleNamespace(GET=params), base, SPEC)
        query = (
            base.with_only_columns(
                *FollowUp.__table__.c,
                *customer_columns(),
                User.username.label("user_username"),
                User.display_name.label("user_display_name"),
                maintain_column_froms=False,
            )
            .select_from(FollowUp)
            .join(Customer, Customer.id == FollowUp.customer_id)
            .join(User, User.id == FollowUp.user_id)
        )
        methods = {key: translate(label) for key, label in METHODS.items()}
        states = {key: translate(label) for key, label in FOLLOW_UP_STATES.items()}
        local = local_time(request)
        cells = {
            "customer_code": (_("Customer code"), lambda row: row.customer_code),
            "customer_name": (_("Customer"), lambda row: row.customer_name),
            "subject": (_("Subject"), lambda row: row.subject),
            "method": (_("Method"), lambda row: methods.get(row.method, row.method)),
            "state": (_("Status"), lambda row: states.get(row.state, row.state)),
            "happened_at": (_("When"), lambda row: local(row.happened_at)),
            "due_at": (_("Due"), lambda row: local(row.due_at)),
            "content": (_("What was discussed"), lambda row: row.content or None),
            "result": (_("Result"), lambda row: row.result or None),
            "user": (
                _("Who follows up"),
                lambda row: row.user_display_name or row.user_username,
            ),
        }
        columns = [
            ExportColumn(key, translate(label), read) for key, (label, read) in cells.items()
        ]
        return ExportPlan(query, columns, translate(_("Follow-ups")), dict(params.items()))
