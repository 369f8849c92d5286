"""The follow-up and plan forms, used by the pages and (JSON as form data) by the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from wtforms import (
    DateField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput

from core.db import utcnow
from core.forms import Form
from core.i18n import user_timezone
from core.security.models import User
from plugins.customers import _
from plugins.customers.followup_models import METHODS, PLAN_UNITS
from plugins.customers.forms import strip
from plugins.customers.models import Contact

#: The form fields of a follow-up that map one-to-one onto its columns.
FOLLOWUP_COLUMNS = (
    "method",
    "contact_id",
    "subject",
    "content",
    "result",
    "happened_at",
    "due_at",
    "next_at",
)
PLAN_COLUMNS = ("user_id", "subject", "method", "every", "unit", "next_due_on")
BAD_TIME = _("Enter a date and time such as 2026-11-22 14:30.")


class ZonedDateTimeField(Field):
    """A date and time typed in the user's time zone (or ISO 8601 with an offset), kept in UTC."""

    widget = DateTimeLocalInput()

    def _zone(self) -> Any:
        return user_timezone(self.meta.request)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, dt.datetime):
            return self.data.astimezone(self._zone()).strftime("%Y-%m-%dT%H:%M")
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            self.data = None
            return
        try:
            value = dt.datetime.fromisoformat(raw.replace(" ", "T", 1))
        except ValueError:
            self.data = None
            raise ValueError(self.gettext(BAD_TIME)) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self._zone())
        self.data = value.astimezone(dt.UTC)


def contact_choices(request: Any, contacts: list[Contact]) -> list[tuple[str, str]]:
    """The contact select's choices: none, then the customer's contacts."""
    return [("", request.translate(_("— no contact —")))] + [
        (str(contact.id), contact.name) for contact in contacts
    ]


def method_choices(request: Any) -> list[tuple[str, str]]:
    """The method select's choices in the user's language."""
    return [(key, request.translate(label)) for key, label in METHODS.items()]


def optional_id(value: Any) -> int | None:
    """A select's id value as an int (blank → None)."""
    return int(value) if value not in (None, "", "None") else None


class FollowUpForm(Form):
    """A follow-up: how, with whom, what, when, and when to follow up next."""

    method = SelectField(_("Method"), default="phone")
    contact_id = SelectField(_("Contact"), default="", coerce=str)
    subject = StringField(_("Subject"), [InputRequired(), Length(max=200)], filters=[strip])
    content = TextAreaField(_("What was discussed"), [Optional(), Length(max=10000)])
    result = TextAreaField(_("Result"), [Optional(), Length(max=5000)])
    happened_at = ZonedDateTimeField(_("When"), [Optional()])
    due_at = ZonedDateTimeField(_("Due"), [InputRequired()])
    next_at = ZonedDateTimeField(
        _("Next follow-up"),
        [Optional()],
        description=_("Plans the next follow-up for you, with a reminder before it."),
    )
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(
        self,
        request: Any,
        formdata: Any = None,
        *,
        contacts: list[Contact],
        planned: bool = False,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(request, formdata, **kwargs)
        self.method.choices = method_choices(request)
        self.contact_id.choices = contact_choices(request, contacts)
        if self.contact_id.data in (None, "None"):
            self.contact_id.data = ""
        # A planned follow-up is edited by its due time; a done one by when it happened.
        for name in ("happened_at", "next_at", "result") if planned else ("due_at",):
            delattr(self, name)
        if editing and not planned:
            delattr(self, "next_at")

    def values(self) -> dict[str, Any]:
        """The submitted values of the follow-up's columns."""
        values = {name: self[name].data for name in FOLLOWUP_COLUMNS if name in self}
        values["contact_id"] = optional_id(values["contact_id"])
        if values.get("happened_at", True) is None:
            del values["happened_at"]  # logging: now; editing: unchanged
        for text in ("content", "result"):
            if text in values:
                values[text] = (values[text] or "").strip()
        return values


class PlanForm(Form):
    """A recurring follow-up rule of a customer."""

    subject = StringField(_("Subject"), [InputRequired(), Length(max=200)], filters=[strip])
    method = SelectField(_("Method"), default="phone")
    user_id = SelectField(_("Who follows up"), coerce=str)
    every = IntegerField(_("Every"), [InputRequired(), NumberRange(min=1, max=365)], default=1)
    unit = SelectField(_("Unit"), default="weeks")
    next_due_on = DateField(_("Next due on"), [InputRequired()])
    version = HiddenField()

    def __init__(
        self, request: Any, formdata: Any = None, *, people: list[User], **kwargs: Any
    ) -> None:
        super().__init__(request, formdata, **kwargs)
        self.method.choices = method_choices(request)
        self.unit.choices = [(key, request.translate(label)) for key, label in PLAN_UNITS.items()]
        self.user_id.choices = [(str(user.id), user.name) for user in people]
        if self.user_id.data in (None, "None"):
            self.user_id.data = str(request.identity.user_id)

    def validate_next_due_on(self, field: Any) -> None:
        """Not in the past (in the user's time zone)."""
        if field.data and field.data < utcnow().astimezone(user_timezone(self.request)).date():
            raise ValidationError(_("Choose today or a later date."))

    def values(self) -> dict[str, Any]:
        """The submitted values of the plan's columns."""
        values = {name: self[name].data for name in PLAN_COLUMNS}
        values["user_id"] = int(values["user_id"])
        return values
