"""Custom fields in WTForms: dynamic record form fields and the admin's definition form.

``with_custom_fields(RecordForm, definitions, request)`` adds one field named
``cf_<key>`` per definition; every one of them is validated by
:func:`core.customfields.service.validate_value`, so forms, API and import
accept exactly the same values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, StopValidation
from wtforms.widgets import (
    DateInput,
    DateTimeLocalInput,
    EmailInput,
    NumberInput,
    TelInput,
    URLInput,
)

from core.customfields.models import FIELD_TYPES, CustomFieldDefinition
from core.customfields.service import validate_value
from core.customfields.values import LONG_TEXT_MAX, TEXT_MAX, URL_MAX
from core.forms import Form
from core.i18n import LOCALES, _, user_timezone
from core.security.models import User
from core.validation import parse_id

PREFIX = "cf_"
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
#: Widgets of the field types entered in a plain ``StringField``.
STRING_WIDGETS: dict[str, Any] = {
    "text": None,
    "integer": NumberInput(step="1"),
    "decimal": NumberInput(step="any"),
    "money": NumberInput(step="0.01"),
    "date": DateInput(),
    "datetime": DateTimeLocalInput(),
    "email": EmailInput(),
    "phone": TelInput(),
    "url": URLInput(),
}
INPUT_LIMITS = {"text": TEXT_MAX, "url": URL_MAX, "email": 254, "phone": 32}
BLANK_CHOICE = SelectChoice("", "—")


def field_name(definition: CustomFieldDefinition) -> str:
    """The form field name of a definition: ``cf_<key>``."""
    return PREFIX + definition.key


class CustomFieldValidator:
    """Runs :func:`validate_value` and keeps the clean value on the field."""

    def __init__(self, definition: CustomFieldDefinition) -> None:
        self.definition = definition
        required = definition.required and definition.field_type != "boolean"
        self.field_flags = {"required": True} if required else {}

    def __call__(self, form: Any, field: Field) -> None:
        request = form.request
        value, error = validate_value(
            self.definition, field.data, session=request.dbsession, tz=user_timezone(request)
        )
        field.clean_value = value  # type: ignore[attr-defined]
        if error is not None:
            raise StopValidation(request.translate(error))


def active_user_choices(session: Any) -> list[SelectChoice]:
    """A choice (id, name) per active user, by name."""
    rows = session.execute(
        select(User.id, User.display_name, User.username)
        .where(User.is_active.is_(True))
        .order_by(User.display_name, User.username)
    )
    return [SelectChoice(str(user_id), name or username) for user_id, name, username in rows]


def make_field(definition: CustomFieldDefinition, request: Any) -> Any:
    """The unbound WTForms field of one definition, labelled in the user's language."""
    locale = request.locale_name
    options: dict[str, Any] = {
        "label": definition.label_for(locale),
        "description": definition.help_for(locale),
        "validators": [CustomFieldValidator(definition)],
    }
    field_type = definition.field_type
    if field_type == "boolean":
        return BooleanField(**options)
    if field_type == "long_text":
        return TextAreaField(render_kw={"maxlength": LONG_TEXT_MAX, "rows": 4}, **options)
    if field_type in ("choice", "multi_choice"):
        choices = [
            SelectChoice(choice["value"], definition.choice_label(choice["value"], locale))
            for choice in definition.choices
        ]
        if field_type == "multi_choice":
            return SelectMultipleField(choices=choices, validate_choice=False, **options)
        return SelectField(choices=[BLANK_CHOICE, *choices], validate_choice=False, **options)
    if field_type == "user":
        choices = [BLANK_CHOICE, *active_user_choices(request.dbsession)]
        return SelectField(choices=choices, validate_choice=False, **options)
    render_kw = {"maxlength": INPUT_LIMITS[field_type]} if field_type in INPUT_LIMITS else {}
    if field_type in ("integer", "decimal", "money"):
        render_kw["inputmode"] = "numeric" if field_type == "integer" else "decimal"
    return StringField(widget=STRING_WIDGETS[field_type], render_kw=render_kw, **options)


def form_value(definition: CustomFieldDefinition, value: Any, tz: dt.tzinfo) -> Any:
    """A stored value as its form field expects it."""
    field_type = definition.field_type
    if field_type == "boolean":
        return bool(value)
    if value is None:
        return [] if field_type == "multi_choice" else None
    if field_type == "datetime":
        moment = dt.datetime.fromisoformat(value).astimezone(tz)
        return moment.strftime(DATETIME_INPUT_FORMAT)
    if field_type == "multi_choice":
        return list(value)
    return str(value)


class CustomFieldsMixin:
    """Fills the ``cf_*`` fields from ``obj.custom`` (or the defaults for a new record)."""

    custom_definitions: tuple[CustomFieldDefinition, ...] = ()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        tz = user_timezone(request)
        obj = kwargs.get("obj")
        stored = (getattr(obj, "custom", None) or {}) if obj is not None else None
        for definition in self.custom_definitions:
            name = field_name(definition)
            if name not in kwargs:
                value = definition.default if stored is None else stored.get(definition.key)
                kwargs[name] = form_value(definition, value, tz)
        super().__init__(request, formdata, **kwargs)  # type: ignore[call-arg]
        self._keep_current_users(request)

    def _keep_current_users(self, request: Any) -> None:
        """List a deactivated user who is the current value, so it is not lost silently."""
        for definition in self.custom_definitions:
            field = self[field_name(definition)]  # type: ignore[index]
            if definition.field_type != "user" or not field.data:
                continue
            if field.data not in {choice.value for choice in field.choices}:
                user_id = parse_id(field.data)
                user = request.dbsession.get(User, user_id) if user_id else None
                field.choices.append(SelectChoice(field.data, user.name if user else field.data))


def with_custom_fields(
    form_class: type[Form], definitions: list[CustomFieldDefinition], request: Any
) -> type[Form]:
    """A subclass of ``form_class`` with a ``cf_<key>`` field per definition.

    Bind it like the base form, ``Form(request, formdata, obj=record)``; render
    the fields with the ``field()`` macro (or ``custom_form_fields(form)`` from
    ``core:templates/customfields/macros.jinja2``); after ``validate()`` read
    the clean values with :func:`custom_values`.
    """
    attrs: dict[str, Any] = {
        field_name(definition): make_field(definition, request) for definition in definitions
    }
    attrs["custom_definitions"] = tuple(definitions)
    return type(form_class)(form_class.__name__, (CustomFieldsMixin, form_class), attrs)


def custom_values(form: Any, definitions: list[CustomFieldDefinition]) -> dict[str, Any]:
    """The clean values by key of a validated form (``None`` for an empty field)."""
    values = {}
    for definition in definitions:
        field = form[field_name(definition)]
        if not hasattr(field, "clean_value"):
            raise RuntimeError("custom_values() needs a validated form")
        values[definition.key] = field.clean_value
    return values


# -- the administrator's definition form -----------------------------------------


class DefinitionForm(Form):
    """Create or edit a custom field definition."""

    key = StringField(
        _("Key"),
        [InputRequired(), Length(max=40)],
        description=_(
            "Used by the API, imports and exports: lowercase letters, digits and "
            "underscores, starting with a letter. It cannot be changed later."
        ),
        render_kw={"maxlength": 40, "autocomplete": "off", "spellcheck": "false"},
    )
    field_type = SelectField(_("Type"))
    label_en = StringField(_("Label in English"), [Length(max=100)])
    label_zh_Hans = StringField(_("Label in Simplified Chinese"), [Length(max=100)])
    label_zh_Hant = StringField(_("Label in Traditional Chinese"), [Length(max=100)])
    help_en = StringField(_("Help text in English"), [Length(max=300)])
    help_zh_Hans = StringField(_("Help text in Simplified Chinese"), [Length(max=300)])
    help_zh_Hant = StringField(_("Help text in Traditional Chinese"), [Length(max=300)])
    choices = TextAreaField(
        _("Choices"),
        description=_(
            "For single and multiple choice fields, one choice per line: "
            "value | English | 简体中文 | 繁體中文. Only the value is needed."
        ),
        render_kw={"rows": 6, "spellcheck": "false"},
    )
    default = StringField(
        _("Default value"),
        [Length(max=TEXT_MAX)],
        description=_(
            "Filled in for new records. Yes/no fields take yes or no; several choices "
            "are separated by commas."
        ),
    )
    required = BooleanField(_("Required"))
    show_in_list = BooleanField(_("Show as a column in lists"))
    filterable = BooleanField(
        _("Use as a filter in lists"),
        description=_("Adds a database index. Long text fields cannot be filters."),
    )
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        self.field_type.choices = [
            SelectChoice(name, request.translate(title)) for name, title in FIELD_TYPES.items()
        ]

    @classmethod
    def initial(cls, definition: CustomFieldDefinition) -> dict[str, Any]:
        """Keyword arguments that fill the form from an existing definition."""
        data: dict[str, Any] = {
            "key": definition.key,
            "field_type": definition.field_type,
            "choices": format_choices(definition.choices),
            "default": format_default(definition),
            "required": definition.required,
            "show_in_list": definition.show_in_list,
            "filterable": definition.filterable,
            "version": str(definition.version),
        }
        for locale in LOCALES:
            data[f"label_{locale}"] = (definition.labels or {}).get(locale, "")
            data[f"help_{locale}"] = (definition.help or {}).get(locale, "")
        return data

    def texts(self, prefix: str) -> dict[str, str]:
        """``{"en": …, "zh_Hans": …, "zh_Hant": …}`` of the label or help inputs."""
        return {locale: self[f"{prefix}_{locale}"].data or "" for locale in LOCALES}


def parse_choices(text: str) -> list[dict[str, Any]]:
    """Choices from the admin's textarea: ``value | English | 简体 | 繁體`` per line.

    Raises ``ValueError`` with a translatable message for a malformed line.
    """
    choices = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 1 + len(LOCALES):
            raise ValueError(
                _(
                    "Line ${line}: write at most value | English | 简体中文 | 繁體中文.",
                    mapping={"line": number},
                )
            )
        if not parts[0]:
            raise ValueError(
                _("Line ${line}: start with the choice's value.", mapping={"line": number})
            )
        labels = {locale: part for locale, part in zip(LOCALES, parts[1:], strict=False) if part}
        choices.append({"value": parts[0], "labels": labels})
    return choices


def format_choices(choices: list[dict[str, Any]]) -> str:
    """The textarea text of stored choices (the inverse of :func:`parse_choices`)."""
    lines = []
    for choice in choices or ():
        labels = choice.get("labels") or {}
        parts = [choice["value"], *(labels.get(locale, "") for locale in LOCALES)]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def format_default(definition: CustomFieldDefinition) -> str:
    """A stored default as the admin form shows it."""
    value = definition.default
    if value is None:
        return ""
    if definition.field_type == "boolean":
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)
