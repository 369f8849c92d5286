"""The contact form, used by the pages and (with JSON turned into form data) by the API."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from core.forms import Form
from core.validation import EMAIL_MAX, EmailAddress
from plugins.customers import _
from plugins.customers.forms import strip
from plugins.customers.models import CHANNELS, GENDERS, Contact
from plugins.customers.service import normalise_phone

#: The form fields that map one-to-one onto contact columns.
CONTACT_COLUMNS = (
    "name",
    "gender",
    "title",
    "department",
    "mobile",
    "phone",
    "email",
    "wechat_id",
    "birthday",
    "preferred_channel",
    "notes",
    "is_primary",
)
BAD_PHONE = _("Enter a phone number such as 138 1234 5678.")


def normalised(field: Any) -> None:
    """Store a phone field's number in E.164 (mainland numbers may omit +86)."""
    if field.data:
        try:
            field.data = normalise_phone(field.data)
        except ValueError:
            raise ValidationError(BAD_PHONE) from None


class ContactForm(Form):
    """A contact person of a customer."""

    name = StringField(_("Contact name"), [InputRequired(), Length(max=100)], filters=[strip])
    gender = SelectField(_("Gender"), default="unspecified")
    title = StringField(_("Job title"), [Optional(), Length(max=100)], filters=[strip])
    department = StringField(_("Department"), [Optional(), Length(max=100)], filters=[strip])
    mobile = StringField(_("Mobile"), [Optional(), Length(max=32)], filters=[strip])
    phone = StringField(_("Phone"), [Optional(), Length(max=32)], filters=[strip])
    email = StringField(
        _("E-mail"), [Optional(), Length(max=EMAIL_MAX), EmailAddress()], filters=[strip]
    )
    wechat_id = StringField(_("WeChat ID"), [Optional(), Length(max=64)], filters=[strip])
    birthday = DateField(_("Birthday"), [Optional()])
    preferred_channel = SelectField(_("Preferred channel"), default="")
    notes = TextAreaField(_("Notes"), [Optional(), Length(max=5000)], filters=[strip])
    is_primary = BooleanField(_("Primary contact"))
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        translate = request.translate
        if self.preferred_channel.data is None:  # not set: the blank choice
            self.preferred_channel.data = ""
        self.gender.choices = [(key, translate(label)) for key, label in GENDERS.items()]
        self.preferred_channel.choices = [("", translate(_("— not set —")))] + [
            (key, translate(label)) for key, label in CHANNELS.items()
        ]

    def validate_mobile(self, field: Any) -> None:
        """A phone number that exists somewhere, stored in E.164."""
        normalised(field)

    def validate_phone(self, field: Any) -> None:
        """A phone number that exists somewhere, stored in E.164."""
        normalised(field)

    def values(self) -> dict[str, Any]:
        """The submitted values of the contact's columns."""
        values = {name: self[name].data for name in CONTACT_COLUMNS}
        values["preferred_channel"] = values["preferred_channel"] or None
        values["notes"] = values["notes"] or ""
        values["is_primary"] = bool(values["is_primary"])
        return values


def contact_data(contact: Contact) -> dict[str, Any]:
    """A contact's current values keyed like the form's fields."""
    return {name: getattr(contact, name) for name in CONTACT_COLUMNS}
