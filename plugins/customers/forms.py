"""The customer form, used by the pages and (with JSON turned into form data) by the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from core.db import utcnow
from core.forms import Form
from core.security.models import Region, User
from core.security.regions import region_label
from plugins.customers import _
from plugins.customers.dictionaries import choices
from plugins.customers.models import KINDS, STATUSES, Customer
from plugins.customers.service import normalise_phone
from plugins.customers.tag_forms import tag_choices, tag_id
from plugins.customers.validators import (
    normalise_bank_account,
    normalise_credit_code,
    normalise_id_number,
    normalise_website,
)

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
    "industry",
    "size",
    "source",
    "credit_rating",
    "satisfaction",
    "address",
    "website",
    "credit_code",
    "id_number",
    "bank_name",
    "bank_account",
)
#: Columns whose choices are the customer dictionaries of the same name.
DICTIONARY_FIELDS = ("industry", "size", "level", "source")
#: Encrypted columns: shown masked, never pre-filled in the form.
SENSITIVE = ("id_number", "bank_account")
#: Columns only individual customers have; a company's are cleared.
INDIVIDUAL_ONLY = ("id_number", "bank_name", "bank_account")
RATINGS = tuple(str(rating) for rating in range(1, 6))


def strip(value: Any) -> Any:
    """Trim text input; blank becomes ``None``."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def optional_int(value: Any) -> int | None:
    """A select's value as a number; blank becomes ``None``."""
    return None if value is None or value == "" else int(value)


def optional_text(value: Any) -> str | None:
    """A select's value as text; blank becomes ``None`` (the "not set" choice)."""
    return None if value is None or value == "" else str(value)


def normalised(normalise: Any, value: str) -> str:
    """``normalise(value)``, its ``ValueError`` message turned into a form error."""
    try:
        return normalise(value)
    except ValueError as exc:
        raise ValidationError(exc.args[0]) from None


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
    industry = SelectField(_("Industry"), coerce=optional_text)
    size = SelectField(_("Company size"), coerce=optional_text)
    source = SelectField(_("Source"), coerce=optional_text)
    credit_rating = SelectField(
        _("Credit rating"), coerce=optional_int, description=_("From 1 (poor) to 5 (excellent).")
    )
    satisfaction = SelectField(
        _("Satisfaction"), coerce=optional_int, description=_("From 1 (unhappy) to 5 (delighted).")
    )
    address = StringField(_("Address"), [Optional(), Length(max=300)], filters=[strip])
    website = StringField(
        _("Website"), [Optional()], filters=[strip], render_kw={"inputmode": "url"}
    )
    credit_code = StringField(
        _("Unified social credit code"),
        [Optional()],
        filters=[strip],
        render_kw={"autocapitalize": "characters", "spellcheck": "false"},
    )
    id_number = StringField(
        _("ID number"),
        [Optional()],
        filters=[strip],
        description=_("Individual customers only; 18 characters."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    bank_name = StringField(
        _("Bank"),
        [Optional(), Length(max=100)],
        filters=[strip],
        description=_("Individual customers only."),
    )
    bank_account = StringField(
        _("Bank account"),
        [Optional()],
        filters=[strip],
        description=_("Individual customers only."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    #: Saved apart from the columns (see plugins.customers.tag_forms.save_form_tags).
    tags = SelectMultipleField(_("Tags"), coerce=tag_id, render_kw={"size": 6})
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(
        self, request: Any, formdata: Any = None, *, owners: list[User], **kwargs: Any
    ) -> None:
        super().__init__(request, formdata, **kwargs)
        translate = request.translate
        self.kind.choices = [(key, translate(label)) for key, label in KINDS.items()]
        self.status.choices = [(key, translate(label)) for key, label in STATUSES.items()]
        self.owner_id.choices = [(user.id, user.name) for user in owners]
        session = request.dbsession
        blank = [("", translate(_("— not set —")))]
        stored = kwargs.get("obj")
        for name in DICTIONARY_FIELDS:
            offered = choices(request, name, getattr(stored, name, None))
            self[name].choices = offered if name == "level" else blank + offered
        self.credit_rating.choices = blank + [(rating, rating) for rating in RATINGS]
        self.satisfaction.choices = blank + [(rating, rating) for rating in RATINGS]
        self.province_code.choices = blank + province_choices(session)
        self.city_code.choices = blank + region_choices(session, self.province_code.data)
        self.district_code.choices = blank + region_choices(session, self.city_code.data)
        self.tags.choices = tag_choices(session)

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

    def validate_website(self, field: Any) -> None:
        """An http(s) address; ``www.example.com`` is stored as ``https://www.example.com``."""
        if field.data:
            field.data = normalised(normalise_website, field.data)

    def validate_credit_code(self, field: Any) -> None:
        """18 characters whose last one is the GB 32100-2015 check character."""
        if field.data:
            field.data = normalised(normalise_credit_code, field.data)

    def validate_id_number(self, field: Any) -> None:
        """A resident ID number with a possible region, birth date and check digit."""
        if field.data and self.individual:
            today = utcnow().date()
            field.data = normalised(lambda raw: normalise_id_number(raw, today), field.data)

    def validate_bank_account(self, field: Any) -> None:
        """8 to 34 digits (spaces and hyphens are dropped)."""
        if field.data and self.individual:
            field.data = normalised(normalise_bank_account, field.data)

    @property
    def individual(self) -> bool:
        """Whether the form describes an individual (only they have ID and bank details)."""
        return self.kind.data == "individual"

    def values(self) -> dict[str, Any]:
        """The submitted values of the customer's columns (a company has no bank details)."""
        values = {name: self[name].data for name in COLUMNS}
        for name in ("province_code", "city_code", "district_code"):
            values[name] = values[name] or None
        values["notes"] = values["notes"] or ""
        if not self.individual:
            values.update(dict.fromkeys(INDIVIDUAL_ONLY))
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
