"""The customer form, used by the pages and (with JSON turned into form data) by the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from core.forms import Form
from core.security.models import Region, User
from core.security.regions import region_label
from plugins.customers import _
from plugins.customers.models import KINDS, LEVELS, STATUSES, Customer
from plugins.customers.service import normalise_phone

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
#: The form fields that map one-to-one onto customer columns.
COLUMNS = (
    "code",
    "name",
    "short_name",
    "kind",
    "level",
    "status",
    "owner_id",
    "province_code",
    "city_code",
    "district_code",
    "phone",
    "email",
    "notes",
)


def strip(value: Any) -> Any:
    """Trim text input; blank becomes ``None``."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class CustomerForm(Form):
    """Basic information, ownership and location of a customer."""

    code = StringField(
        _("Customer code"),
        [
            Optional(),
            Length(max=32),
            Regexp(CODE_PATTERN, message=_("Use letters, digits, - and _ only.")),
        ],
        filters=[strip],
        description=_("Leave blank to number it automatically."),
    )
    name = StringField(_("Name"), [InputRequired(), Length(max=200)], filters=[strip])
    short_name = StringField(_("Short name"), [Optional(), Length(max=100)], filters=[strip])
    kind = SelectField(_("Kind"), default="company")
    level = SelectField(_("Level"), default="normal")
    status = SelectField(_("Status"), default="potential")
    owner_id = SelectField(_("Owner"), coerce=int, validators=[InputRequired()])
    province_code = SelectField(_("Province"), default="")
    city_code = SelectField(_("City"), default="")
    district_code = SelectField(_("District"), default="")
    phone = StringField(_("Phone"), [Optional(), Length(max=32)], filters=[strip])
    email = StringField(
        _("E-mail"),
        [
            Optional(),
            Length(max=254),
            Regexp(EMAIL_PATTERN, message=_("Enter an e-mail address like name@example.com.")),
        ],
        filters=[strip],
    )
    notes = TextAreaField(_("Notes"), [Optional(), Length(max=5000)], filters=[strip])
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(
        self, request: Any, formdata: Any = None, *, owners: list[User], **kwargs: Any
    ) -> None:
        super().__init__(request, formdata, **kwargs)
        translate = request.translate
        self.kind.choices = [(key, translate(label)) for key, label in KINDS.items()]
        self.level.choices = [(key, translate(label)) for key, label in LEVELS.items()]
        self.status.choices = [(key, translate(label)) for key, label in STATUSES.items()]
        self.owner_id.choices = [(user.id, user.name) for user in owners]
        session = request.dbsession
        blank = [("", translate(_("— not set —")))]
        self.province_code.choices = blank + province_choices(session)
        self.city_code.choices = blank + region_choices(session, self.province_code.data)
        self.district_code.choices = blank + region_choices(session, self.city_code.data)

    def validate_phone(self, field: Any) -> None:
        """A phone number that exists somewhere (mainland numbers may omit +86)."""
        if field.data:
            try:
                field.data = normalise_phone(field.data)
            except ValueError:
                raise ValidationError(_("Enter a phone number such as 138 1234 5678.")) from None

    def validate_code(self, field: Any) -> None:
        """Codes are kept in capitals so that searching them ignores case."""
        if field.data:
            field.data = field.data.upper()

    def values(self) -> dict[str, Any]:
        """The submitted values of the customer's columns."""
        values = {name: self[name].data for name in COLUMNS}
        for name in ("province_code", "city_code", "district_code"):
            values[name] = values[name] or None
        values["notes"] = values["notes"] or ""
        return values


def region_choices(session: Any, parent_code: str | None) -> list[tuple[str, str]]:
    """The divisions directly under ``parent_code`` as select choices (none without a parent)."""
    parent = session.get(Region, parent_code) if parent_code else None
    if parent is None:
        return []
    query = select(Region).where(Region.parent_code == parent.code).order_by(Region.code)
    return [(region.code, region_label(region, parent)) for region in session.scalars(query)]


def province_choices(session: Any) -> list[tuple[str, str]]:
    """Every top-level division (province, municipality, region) as select choices."""
    query = select(Region).where(Region.parent_code.is_(None)).order_by(Region.code)
    return [(region.code, region.name) for region in session.scalars(query)]


def form_data(customer: Customer) -> dict[str, Any]:
    """A customer's current values keyed like the form's fields."""
    return {name: getattr(customer, name) for name in COLUMNS}
