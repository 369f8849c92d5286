"""The churn forms: the rules (Settings → Churn) and the owner's three actions."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from core.db import utcnow
from core.forms import Form
from core.i18n import user_timezone
from plugins.customers import _
from plugins.customers.churn import CHECKABLE, COMBINE, ChurnRules
from plugins.customers.forms import strip
from plugins.customers.models import STATUSES

MAX_DAYS = 3650
TEXT_MAX = 2000


class MultiCheckboxField(SelectField):
    """A choice of several values (rendered as check boxes by the template)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)

    def pre_validate(self, form: Any) -> None:
        allowed = {value for value, _label in self.choices or []}
        if not self.data or not set(self.data) <= allowed:
            raise ValidationError(_("Choose at least one status."))


class ChurnRulesForm(Form):
    """When the daily check marks customers at risk."""

    order_days = IntegerField(
        _("Days without an order"), [InputRequired(), NumberRange(min=1, max=MAX_DAYS)]
    )
    contact_days = IntegerField(
        _("Days without a follow-up"), [InputRequired(), NumberRange(min=1, max=MAX_DAYS)]
    )
    combine = SelectField(_("Which must hold"), [InputRequired()])
    statuses = MultiCheckboxField(_("Statuses to check"))

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        translate = request.translate
        self.combine.choices = [(key, translate(label)) for key, label in COMBINE.items()]
        self.statuses.choices = [(key, translate(STATUSES[key])) for key in CHECKABLE]

    def rules(self) -> ChurnRules:
        """The validated rules."""
        return ChurnRules(
            order_days=self.order_days.data,
            contact_days=self.contact_days.data,
            combine=self.combine.data,
            statuses=tuple(key for key in CHECKABLE if key in self.statuses.data),
        )


class VersionedForm(Form):
    """A form acting on a customer as the user saw it (``version``)."""

    version = HiddenField()


class PauseForm(VersionedForm):
    """Pause churn: what was done, and when to check again."""

    measure = TextAreaField(
        _("Measure taken"), [DataRequired(), Length(max=TEXT_MAX)], filters=[strip]
    )
    check_on = DateField(_("Check again on"), [InputRequired()])

    def validate_check_on(self, field: Any) -> None:
        """The check date is in the future (in the user's time zone)."""
        today = utcnow().astimezone(user_timezone(self.request)).date()
        if field.data is not None and field.data <= today:
            raise ValidationError(_("Choose a date after today."))


class ConfirmForm(VersionedForm):
    """Confirm churn: why the customer is lost."""

    reason = TextAreaField(_("Reason"), [DataRequired(), Length(max=TEXT_MAX)], filters=[strip])


class ReactivateForm(VersionedForm):
    """Reactivate: an optional note."""

    note = TextAreaField(_("Note"), [Optional(), Length(max=TEXT_MAX)], filters=[strip])
