"""The order and contract forms, used by the pages and (with JSON turned into form data) the API."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import wtforms
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from core.forms import Form
from plugins.customers import _
from plugins.customers.forms import strip
from plugins.customers.order_models import CONTRACT_STATES, ORDER_STATES, Contract, Order
from plugins.customers.orders import CURRENCIES, DEFAULT_CURRENCY, MAX_AMOUNT, LineValues

NUMBER_PATTERN = r"^[A-Za-z0-9_-]+$"
#: A plain decimal as people type it: digits, an optional point, no exponent.
DECIMAL_RE = re.compile(r"-?[0-9]{1,15}(\.[0-9]+)?")
#: Most lines one order may have.
MAX_LINES = 200
LINE_FIELDS = ("product_code", "product_name", "quantity", "unit_price")
ORDER_COLUMNS = ("number", "ordered_on", "currency", "state", "notes")
CONTRACT_COLUMNS = (
    "number",
    "title",
    "signed_on",
    "starts_on",
    "ends_on",
    "amount",
    "currency",
    "state",
    "notes",
)
#: Largest quantity the ``Numeric(14, 3)`` column holds.
MAX_QUANTITY = Decimal("99999999999.999")
NO_LINES = _("Add at least one line.")
TOO_MANY_LINES = _("An order has at most 200 lines.")


def parse_decimal(text: Any) -> Decimal | None:
    """``text`` as a Decimal (spaces and thousands commas ignored), or None."""
    compact = re.sub(r"[\s,]", "", str(text or ""))
    return Decimal(compact) if DECIMAL_RE.fullmatch(compact) else None


class DecimalText:
    """A number with at most ``places`` decimals, at least ``minimum`` (above it if ``strict``)
    and at most ``maximum`` (what the database column holds)."""

    def __init__(
        self,
        places: int,
        maximum: Decimal,
        minimum: Decimal = Decimal(0),
        strict: bool = False,
    ) -> None:
        self.places = places
        self.maximum = maximum
        self.minimum = minimum
        self.strict = strict

    def __call__(self, form: Any, field: Any) -> None:
        value = parse_decimal(field.data)
        if value is None:
            raise ValidationError(_("Enter a number such as 12.5."))
        if value.normalize().as_tuple().exponent < -self.places:  # type: ignore[operator]
            raise ValidationError(
                _("Use at most ${places} decimal places.", mapping={"places": self.places})
            )
        if value < self.minimum or (self.strict and value == self.minimum):
            raise ValidationError(
                _("Enter a number above 0.") if self.strict else _("Enter 0 or more.")
            )
        if value > self.maximum:
            raise ValidationError(
                _("Enter at most ${maximum}.", mapping={"maximum": plain(self.maximum)})
            )


def number_field(label: Any) -> StringField:
    """An optional record number; blank means "number it automatically"."""
    return StringField(
        label,
        [
            Optional(),
            Length(max=32),
            Regexp(NUMBER_PATTERN, message=_("Use letters, digits, - and _ only.")),
        ],
        filters=[strip],
        description=_("Leave blank to number it automatically."),
    )


def currency_choices() -> list[tuple[str, str]]:
    """The allowed currencies as select choices (ISO codes: the same in every language)."""
    return [(code, code) for code in CURRENCIES]


class LineForm(wtforms.Form):
    """One line of an order: a product, how many and at what price."""

    product_code = StringField(_("Product code"), [Optional(), Length(max=64)], filters=[strip])
    product_name = StringField(
        _("Product"),
        [InputRequired(message=_("Enter the product.")), Length(max=200)],
        filters=[strip],
    )
    quantity = StringField(
        _("Quantity"),
        [
            InputRequired(message=_("Enter the quantity.")),
            DecimalText(3, MAX_QUANTITY, strict=True),
        ],
        filters=[strip],
    )
    unit_price = StringField(
        _("Unit price"),
        [InputRequired(message=_("Enter the unit price.")), DecimalText(2, MAX_AMOUNT)],
        filters=[strip],
    )

    def is_blank(self) -> bool:
        """Whether the user left every field of the line empty."""
        return not any(self[name].data for name in LINE_FIELDS)

    def line(self) -> LineValues:
        """The validated line."""
        return LineValues(
            product_code=self.product_code.data or None,
            product_name=self.product_name.data,
            quantity=parse_decimal(self.quantity.data),  # type: ignore[arg-type]
            unit_price=parse_decimal(self.unit_price.data),  # type: ignore[arg-type]
        )


class OrderForm(Form):
    """An order: number, date, currency, state and its lines."""

    number = number_field(_("Order number"))
    ordered_on = DateField(_("Order date"), [InputRequired()])
    currency = SelectField(_("Currency"), default=DEFAULT_CURRENCY)
    state = SelectField(_("State"), default="confirmed")
    notes = TextAreaField(_("Notes"), [Optional(), Length(max=5000)], filters=[strip])
    lines = FieldList(FormField(LineForm), min_entries=1)
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        self.currency.choices = currency_choices()
        self.state.choices = [
            (key, request.translate(label)) for key, label in ORDER_STATES.items()
        ]

    def add_line(self) -> None:
        """One more empty line at the end (the "Add line" button)."""
        if len(self.lines.entries) < MAX_LINES:
            self.lines.append_entry()

    def remove_line(self, position: int) -> None:
        """Drop the line at ``position``; an order form always keeps one line to fill in."""
        if 0 <= position < len(self.lines.entries):
            del self.lines.entries[position]
        if not self.lines.entries:
            self.lines.append_entry()

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate, ignoring lines left entirely blank; an order needs one line at least."""
        filled = [entry for entry in self.lines.entries if not entry.form.is_blank()]
        self.lines.entries = filled
        valid = super().validate(extra_validators)
        if not filled:
            self.lines.append_entry()
            self.form_errors.append(NO_LINES)
            return False
        if len(filled) > MAX_LINES:
            self.form_errors.append(TOO_MANY_LINES)
            return False
        return valid

    def values(self) -> dict[str, Any]:
        """The submitted values of the order's own columns."""
        values = {name: self[name].data for name in ORDER_COLUMNS}
        values["notes"] = values["notes"] or ""
        return values

    def line_values(self) -> list[LineValues]:
        """The submitted lines, in order."""
        return [entry.form.line() for entry in self.lines.entries]


def order_data(order: Order) -> dict[str, Any]:
    """An order's current values keyed like the form's fields (lines as text)."""
    data = {name: getattr(order, name) for name in ORDER_COLUMNS}
    data["lines"] = [
        {
            "product_code": line.product_code or "",
            "product_name": line.product_name,
            "quantity": plain(line.quantity),
            "unit_price": plain(line.unit_price),
        }
        for line in order.lines
    ]
    return data


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros after the point (``2.500`` → ``2.5``)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class ContractForm(Form):
    """A contract: number, title, dates, amount, state and the orders it covers."""

    number = number_field(_("Contract number"))
    title = StringField(_("Title"), [InputRequired(), Length(max=200)], filters=[strip])
    signed_on = DateField(_("Signing date"), [Optional()])
    starts_on = DateField(_("Start date"), [Optional()])
    ends_on = DateField(_("End date"), [Optional()])
    amount = StringField(
        _("Amount"),
        [Optional(), DecimalText(2, MAX_AMOUNT)],
        filters=[strip],
        description=_("Leave blank to use the total of the linked orders."),
    )
    currency = SelectField(_("Currency"), default=DEFAULT_CURRENCY)
    state = SelectField(_("State"), default="draft")
    notes = TextAreaField(_("Notes"), [Optional(), Length(max=5000)], filters=[strip])
    order_ids = SelectMultipleField(_("Orders covered"), coerce=int, validate_choice=False)
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, orders: Any = (), **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        self.currency.choices = currency_choices()
        self.state.choices = [
            (key, request.translate(label)) for key, label in CONTRACT_STATES.items()
        ]
        #: The orders the contract may cover (the check boxes).
        self.orders = list(orders)
        self.order_ids.choices = [(order.id, order.number) for order in self.orders]

    def validate_ends_on(self, field: Any) -> None:
        """A contract does not end before it starts."""
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_("The end date must not be before the start date."))

    def values(self) -> dict[str, Any]:
        """The submitted values of the contract's own columns."""
        values = {name: self[name].data for name in CONTRACT_COLUMNS}
        values["amount"] = parse_decimal(values["amount"]) if values["amount"] else None
        values["notes"] = values["notes"] or ""
        return values


def contract_data(contract: Contract) -> dict[str, Any]:
    """A contract's current values keyed like the form's fields."""
    data = {name: getattr(contract, name) for name in CONTRACT_COLUMNS}
    data["amount"] = plain(contract.amount)
    data["order_ids"] = [order.id for order in contract.orders]
    return data
