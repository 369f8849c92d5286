"""What imports and exports of a customer's records (contacts, follow-ups, orders, contracts) share.

Each row names its customer by code (or by exact name when that is unique)
among the customers the import permission reaches, looked up once per batch.
Exports read a customer's code and name next to each record, so a file
exported from one company imports into another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement, select

from core.contributions import TabularField
from core.i18n import user_timezone
from core.tabular.importer import Checked, Importer
from core.tabular.values import CellError, clean_text
from plugins.customers import _
from plugins.customers.models import Customer
from plugins.customers.tabular_lookups import chunks

NO_CUSTOMER = _("No customer with the code or name ${name} that you may add this to.")
SEVERAL_CUSTOMERS = _("Several customers are called ${name}; give the customer code instead.")


def customer_field(example: Any = "C2026000001") -> TabularField:
    """The column naming a record's customer."""
    return TabularField(
        "customer",
        _("Customer"),
        (
            "客户",
            "所属客户",
            "客户编号",
            "客户编码",
            "客户名称",
            "公司名称",
            "Customer code",
            "Customer name",
            "Company",
            "Account",
        ),
        required=True,
        help=_("The customer's code, or its name if no other customer has it."),
        example=example,
    )


class ChildImporter(Importer):
    """Rows that belong to a customer the user reaches with the type's import permission."""

    def customers(self) -> ColumnElement[bool]:
        """The customers whose records the import may add or change."""
        raise NotImplementedError

    def check_row(self, number: int, cells: dict[str, Any], customer_id: int | None) -> Checked:
        """Check one row whose customer is ``customer_id`` (None: not found, already failed)."""
        raise NotImplementedError

    @cached_property
    def tz(self) -> dt.tzinfo:
        return user_timezone(self.request)

    def resolve(self, names: Sequence[str]) -> dict[str, int | Any]:
        """Customer text → id, or the message saying why it names no customer."""
        wanted = sorted(set(names))
        found: dict[str, int | Any] = {}
        reach = self.customers()
        for chunk in chunks(wanted):
            for customer_id, code in self.session.execute(
                select(Customer.id, Customer.code).where(
                    Customer.code.in_([name.upper() for name in chunk]), reach
                )
            ):
                found[code.upper()] = customer_id
            by_name: dict[str, list[int]] = {}
            for customer_id, name in self.session.execute(
                select(Customer.id, Customer.name).where(Customer.name.in_(chunk), reach)
            ):
                by_name.setdefault(name, []).append(customer_id)
            for name in chunk:
                if name.upper() in found:
                    found[name] = found[name.upper()]
                elif len(by_name.get(name, [])) == 1:
                    found[name] = by_name[name][0]
                elif by_name.get(name):
                    found[name] = _(SEVERAL_CUSTOMERS, mapping={"name": name})
                else:
                    found[name] = _(NO_CUSTOMER, mapping={"name": name})
        return found

    def check(self, rows: Sequence[tuple[int, dict[str, Any]]]) -> list[Checked]:
        texts = {
            number: clean_text(cells["customer"]) for number, cells in rows if "customer" in cells
        }
        customers = self.resolve(list(texts.values()))
        results = []
        for number, cells in rows:
            text = texts.get(number)
            customer = customers.get(text) if text else None
            customer_id = customer if isinstance(customer, int) else None
            row = self.check_row(number, cells, customer_id)
            if text is None:
                row.missing.append("customer")
            elif customer_id is None:
                row.fail("customer", customer)
            results.append(row)
        return results

    def reachable(self, ids: Sequence[int]) -> set[int]:
        table = self.table
        found: set[int] = set()
        customers = select(Customer.id).where(self.customers())
        for chunk in chunks(list(ids)):
            query = select(table.c.id).where(
                table.c.id.in_(chunk), table.c.customer_id.in_(customers), *self.live()
            )
            found.update(self.session.scalars(query))
        return found

    def customers_of(self, ids: Sequence[int]) -> set[int]:
        """The customers of the records ``ids``."""
        table = self.table
        found: set[int] = set()
        for chunk in chunks(list(ids)):
            found.update(
                self.session.scalars(select(table.c.customer_id).where(table.c.id.in_(chunk)))
            )
        return found


def read_cells(
    row: Checked, cells: dict[str, Any], readers: dict[str, Callable[[Any], Any]]
) -> dict[str, Any]:
    """The values of the row's cells that ``readers`` know, each read or failed on the row."""
    given: dict[str, Any] = {}
    for key, value in cells.items():
        reader = readers.get(key)
        if reader is None:
            continue
        try:
            given[key] = reader(value)
        except CellError as error:
            row.fail(key, error.message)
    return given


def local_time(request: Any) -> Callable[[dt.datetime | None], dt.datetime | None]:
    """A moment as the user's wall-clock time (what a spreadsheet shows and reads back)."""
    tz = user_timezone(request)

    def local(value: dt.datetime | None) -> dt.datetime | None:
        return value.astimezone(tz).replace(tzinfo=None) if value else None

    return local


def customer_columns() -> list[Any]:
    """The customer's code and name, labelled for an export row."""
    return [Customer.code.label("customer_code"), Customer.name.label("customer_name")]
