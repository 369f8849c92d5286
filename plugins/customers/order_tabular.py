"""Orders and contracts in imports and exports: transaction history moved over from other systems.

An order row holds one product line (product, quantity, unit price), or only
the order's total (then one line "Order total" carries it); a blank number is
numbered from the yearly sequence.  An update changes an order's date, state,
currency and notes, never its lines.  A contract row is one contract.  The
order list page exports what it shows; both API lists export every column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select

from core.api.listing import filtered
from core.contributions import TabularField
from core.customfields.serialize import ExportColumn
from core.db import utcnow
from core.tabular.exporter import Exporter, ExportPlan
from core.tabular.importer import Checked
from core.tabular.values import (
    CellError,
    choice_reader,
    clean_text,
    parse_date,
    parse_decimal,
    parse_text,
)
from plugins.customers import _
from plugins.customers.child_tabular import (
    ChildImporter,
    customer_columns,
    customer_field,
    read_cells,
)
from plugins.customers.contracts import CONTRACT_NUMBERS
from plugins.customers.models import Customer
from plugins.customers.order_api import CONTRACT_SPEC, ORDER_SPEC
from plugins.customers.order_forms import NUMBER_PATTERN
from plugins.customers.order_listing import list_query
from plugins.customers.order_models import (
    CONTRACT_STATES,
    ORDER_STATES,
    Contract,
    Order,
    OrderLine,
)
from plugins.customers.orders import (
    CENT,
    CURRENCIES,
    DEFAULT_CURRENCY,
    MAX_AMOUNT,
    ORDER_NUMBERS,
    ORDER_VIEW,
    Numbering,
    next_numbers,
    order_customers,
    reachable,
    refresh_last_order_at,
)
from plugins.customers.service import company_year

ORDER_IMPORT = "customers.order.import"
ORDER_EXPORT = "customers.order.export"
_NUMBER = re.compile(NUMBER_PATTERN)
BAD_NUMBER = _("Use letters, digits, - and _ only.")
BAD_CURRENCY = _("Give a currency code such as CNY or USD.")
TOO_LARGE = _("The amount is too large.")
NOT_POSITIVE = _("Enter a number greater than 0.")
MISMATCH = _("The amount is not quantity × unit price (${expected}).")
NO_AMOUNT = _("Give the unit price or the order's amount.")
ORDER_TOTAL = _("Order total")
CURRENCY_ALIASES = {"CNY": ("人民币", "RMB", "元", "¥", "￥")}
STATE_ALIASES = {
    "draft": ("草稿", "草拟"),
    "confirmed": ("已确认", "确认", "已下单"),
    "shipped": ("已发货", "发货", "已发出"),
    "completed": ("已完成", "完成", "已交付"),
    "cancelled": ("已取消", "取消", "作废"),
    "signed": ("已签订", "已签约", "签订", "签约"),
    "active": ("生效", "已生效", "履行中", "执行中"),
    "expired": ("到期", "已到期", "过期"),
    "terminated": ("终止", "已终止", "解除"),
}


def _number(value: Any) -> str:
    text = parse_text(value, 32).upper()
    if not _NUMBER.match(text):
        raise CellError(BAD_NUMBER)
    return text


def _money(value: Any) -> Decimal:
    amount = parse_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(amount) > MAX_AMOUNT:
        raise CellError(TOO_LARGE)
    return amount


def _positive(value: Any) -> Decimal:
    number = parse_decimal(value)
    if number <= 0:
        raise CellError(NOT_POSITIVE)
    return number


CURRENCY_INDEX = {
    **{code.lower(): code for code in CURRENCIES},
    **{alias.lower(): code for code, aliases in CURRENCY_ALIASES.items() for alias in aliases},
}


def _currency(value: Any) -> str:
    code = CURRENCY_INDEX.get(clean_text(value).casefold().replace(" ", ""))
    if code is None:
        raise CellError(BAD_CURRENCY)
    return code


def _common_fields(
    number_label: Any, aliases: tuple[str, ...], numbering_example: str
) -> list[TabularField]:
    return [
        TabularField(
            "number",
            number_label,
            aliases,
            help=_("Leave blank to number it automatically."),
            example=numbering_example,
            unique=True,
        ),
        customer_field(),
    ]


def _states(request: Any, states: dict[str, Any]) -> tuple[str, ...]:
    return tuple(request.translate(label) for label in states.values())


def order_fields(request: Any) -> list[TabularField]:
    """The columns of an order import."""
    return [
        *_common_fields(
            _("Order number"), ("订单号", "订单编号", "单号", "Order No", "No"), "SO2026000001"
        ),
        TabularField(
            "ordered_on",
            _("Order date"),
            ("下单日期", "订单日期", "日期", "Date", "Order date"),
            required=True,
            kind="date",
            example="2026-11-20",
        ),
        TabularField(
            "state",
            _("State"),
            ("状态", "订单状态", "Status"),
            choices=_states(request, ORDER_STATES),
        ),
        TabularField(
            "currency", _("Currency"), ("币种", "货币"), choices=CURRENCIES, example="CNY"
        ),
        TabularField(
            "product_code", _("Product code"), ("产品编码", "商品编码", "物料编码", "SKU")
        ),
        TabularField(
            "product_name",
            _("Product"),
            ("产品", "产品名称", "商品", "商品名称", "品名", "Product name"),
            example=_("Hydraulic pump"),
        ),
        TabularField("quantity", _("Quantity"), ("数量", "Qty"), kind="number", example="2"),
        TabularField(
            "unit_price",
            _("Unit price"),
            ("单价", "价格", "Price"),
            kind="number",
            example="1250.00",
        ),
        TabularField(
            "amount",
            _("Amount"),
            ("金额", "总金额", "订单金额", "合计", "Total"),
            kind="number",
            help=_("Optional when quantity and unit price are given."),
        ),
        TabularField("notes", _("Notes"), ("备注", "说明", "Remark", "Remarks")),
    ]


def contract_fields(request: Any) -> list[TabularField]:
    """The columns of a contract import."""
    return [
        *_common_fields(
            _("Contract number"), ("合同号", "合同编号", "Contract No", "No"), "HT2026000001"
        ),
        TabularField(
            "title",
            _("Title"),
            ("合同名称", "标题", "名称", "Contract title", "Name"),
            required=True,
            example=_("Annual maintenance 2026"),
        ),
        TabularField(
            "signed_on", _("Signing date"), ("签订日期", "签约日期", "Signed"), kind="date"
        ),
        TabularField(
            "starts_on", _("Start date"), ("开始日期", "生效日期", "起始日期", "Start"), kind="date"
        ),
        TabularField(
            "ends_on", _("End date"), ("结束日期", "到期日期", "截止日期", "End"), kind="date"
        ),
        TabularField("amount", _("Amount"), ("金额", "合同金额", "总金额", "Total"), kind="number"),
        TabularField("currency", _("Currency"), ("币种", "货币"), choices=CURRENCIES),
        TabularField(
            "state",
            _("State"),
            ("状态", "合同状态", "Status"),
            choices=_states(request, CONTRACT_STATES),
        ),
        TabularField("notes", _("Notes"), ("备注", "说明", "Remark", "Remarks")),
    ]


class NumberedImporter(ChildImporter):
    """Orders or contracts: numbered from a yearly sequence when the row has no number."""

    numbering: Numbering
    states: dict[str, Any] = {}
    default_state = ""

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        self.readers = {
            "number": _number,
            "state": choice_reader(request, self.states, STATE_ALIASES),
            "currency": _currency,
            "notes": lambda v: parse_text(v, 5000),
        }

    def customers(self) -> Any:
        return order_customers(self.request, ORDER_IMPORT)

    def numbered(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Copies of ``rows`` with automatic numbers where they have none."""
        rows = [dict(row) for row in rows]
        blank = [row for row in rows if not row.get("number")]
        if blank:
            year = company_year(self.request.registry.settings)
            numbers = next_numbers(self.session, self.numbering, year, len(blank))
            for row, number in zip(blank, numbers, strict=True):
                row["number"] = number
        return rows

    def base(self, row: Checked, given: dict[str, Any], customer_id: int | None) -> None:
        """Fill the row's values (defaults, then what it gives), changes and key."""
        row.values = {
            "customer_id": customer_id,
            "number": None,
            "state": self.default_state,
            "currency": DEFAULT_CURRENCY,
            "notes": "",
            "custom": {},
            **given,
        }
        row.changes = dict(given)
        if given.get("number"):
            row.keys = {"number": given["number"]}


class OrderImporter(NumberedImporter):
    """Checks order rows (one line each) and writes orders with their lines."""

    model = Order
    numbering = ORDER_NUMBERS
    states = ORDER_STATES
    default_state = "confirmed"

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        self.readers.update(
            {
                "ordered_on": parse_date,
                "product_code": lambda v: parse_text(v, 64),
                "product_name": lambda v: parse_text(v, 200),
                "quantity": _positive,
                "unit_price": _money,
                "amount": _money,
            }
        )
        self.total_label = request.translate(ORDER_TOTAL)

    def fields(self) -> list[TabularField]:
        return order_fields(self.request)

    def check_row(self, number: int, cells: dict[str, Any], customer_id: int | None) -> Checked:
        row = Checked(number)
        given = read_cells(row, cells, self.readers)
        if "ordered_on" not in given:
            row.missing.append("ordered_on")
        line = {
            key: given.pop(key)
            for key in ("product_code", "product_name", "quantity", "unit_price", "amount")
            if key in given
        }
        self.base(row, given, customer_id)
        row.changes.pop("number", None)
        quantity = line.get("quantity", Decimal(1))
        price = line.get("unit_price")
        if price is None and "amount" in line:
            price = (line["amount"] / quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if price is None:
            if row.ok and not row.missing:
                row.fail("unit_price", NO_AMOUNT)
            return row
        total = (quantity * price).quantize(CENT, rounding=ROUND_HALF_UP)
        if "amount" in line and "unit_price" in line and line["amount"] != total:
            row.fail("amount", _(MISMATCH, mapping={"expected": str(total)}))
        if total > MAX_AMOUNT:
            row.fail("amount", TOO_LARGE)
        row.values["amount"] = total
        row.values["_line"] = {
            "product_code": line.get("product_code"),
            "product_name": line.get("product_name") or self.total_label,
            "quantity": quantity,
            "unit_price": price,
        }
        return row

    def create(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        rows = self.numbered(rows)
        lines = [row.pop("_line") for row in rows]
        ids = super().create(rows)
        if not ids:
            return ids
        now = utcnow()
        self.session.connection().execute(
            insert(OrderLine.__table__),
            [
                self._stamp({**line, "order_id": order_id, "position": 0}, now, new=True)
                for order_id, line in zip(ids, lines, strict=True)
            ],
        )
        return ids

    def written(self, created: Sequence[int], updated: Sequence[int]) -> None:
        refresh_last_order_at(self.session, self.customers_of([*created, *updated]))

    def delete(self, ids: Sequence[int]) -> None:
        customers = self.customers_of(ids)
        super().delete(ids)
        refresh_last_order_at(self.session, customers)


class ContractImporter(NumberedImporter):
    """Checks contract rows and writes contracts."""

    model = Contract
    numbering = CONTRACT_NUMBERS
    states = CONTRACT_STATES
    default_state = "draft"

    def __init__(self, request: Any, tabular_type: Any) -> None:
        super().__init__(request, tabular_type)
        self.readers.update(
            {
                "title": lambda v: parse_text(v, 200),
                "signed_on": parse_date,
                "starts_on": parse_date,
                "ends_on": parse_date,
                "amount": _money,
            }
        )

    def fields(self) -> list[TabularField]:
        return contract_fields(self.request)

    def check_row(self, number: int, cells: dict[str, Any], customer_id: int | None) -> Checked:
        row = Checked(number)
        given = read_cells(row, cells, self.readers)
        if "title" not in given:
            row.missing.append("title")
        self.base(row, given, customer_id)
        row.values.setdefault("amount", Decimal(0))
        row.changes.pop("number", None)
        return row

    def create(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        return super().create(self.numbered(rows))


# -- exports ----------------------------------------------------------------------------


def _cells(request: Any, states: dict[str, Any], extra: dict[str, Any]) -> list[ExportColumn]:
    """Customer, number, the type's own columns, amount, currency, state and notes."""
    translate = request.translate
    labels = {key: translate(label) for key, label in states.items()}
    cells = {
        "number": (_("Number"), lambda row: row.number),
        "customer_code": (_("Customer code"), lambda row: row.customer_code),
        "customer_name": (_("Customer"), lambda row: row.customer_name),
        **extra,
        "amount": (_("Amount"), lambda row: row.amount),
        "currency": (_("Currency"), lambda row: row.currency),
        "state": (_("State"), lambda row: labels.get(row.state, row.state)),
        "notes": (_("Notes"), lambda row: row.notes or None),
    }
    return [ExportColumn(key, translate(label), read) for key, (label, read) in cells.items()]


def _rows(base: Any, model: Any) -> Any:
    return (
        base.with_only_columns(*model.__table__.c, *customer_columns(), maintain_column_froms=False)
        .select_from(model)
        .join(Customer, Customer.id == model.customer_id)
    )


class OrderExporter(Exporter):
    """The order list page's orders, or the API list's, with their customer."""

    def plan(self, base: Any, filters: dict[str, Any]) -> ExportPlan:
        request = self.request
        base = base.where(reachable(request, Order, ORDER_EXPORT))
        extra = {"ordered_on": (_("Order date"), lambda row: row.ordered_on)}
        columns = _cells(request, ORDER_STATES, extra)
        return ExportPlan(_rows(base, Order), columns, request.translate(_("Orders")), filters)

    def page(self, params: Any) -> ExportPlan:
        query, state = list_query(self.request, params)
        return self.plan(query, state)

    def api(self, params: Any) -> ExportPlan:
        base = select(Order).where(reachable(self.request, Order, ORDER_VIEW))
        return self.plan(
            filtered(SimpleNamespace(GET=params), base, ORDER_SPEC), dict(params.items())
        )


class ContractExporter(Exporter):
    """The API list's contracts with their customer."""

    def api(self, params: Any) -> ExportPlan:
        request = self.request
        base = select(Contract).where(
            reachable(request, Contract, ORDER_VIEW), reachable(request, Contract, ORDER_EXPORT)
        )
        base = filtered(SimpleNamespace(GET=params), base, CONTRACT_SPEC)
        extra = {
            "title": (_("Title"), lambda row: row.title),
            "signed_on": (_("Signing date"), lambda row: row.signed_on),
            "starts_on": (_("Start date"), lambda row: row.starts_on),
            "ends_on": (_("End date"), lambda row: row.ends_on),
        }
        columns = _cells(request, CONTRACT_STATES, extra)
        return ExportPlan(
            _rows(base, Contract), columns, request.translate(_("Contracts")), dict(params.items())
        )
