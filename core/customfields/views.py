"""Settings → Custom fields: add, edit, order, archive and restore fields per record type."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select

from core.contributions import RecordType
from core.customfields.forms import DefinitionForm, parse_choices
from core.customfields.models import FIELD_TYPES, CustomFieldDefinition
from core.customfields.service import (
    DefinitionError,
    archive_definition,
    create_definition,
    definitions_for,
    has_values,
    move_definition,
    restore_definition,
    update_definition,
)
from core.i18n import _, format_datetime, user_timezone
from core.security.models import User
from core.validation import parse_id

PERMISSION = "core.customfields.manage"
#: Where a service error on a definition attribute is shown in the form.
ERROR_FIELDS = {"labels": "label_en", "help": "help_en"}
MOVES = {"up": -1, "down": 1}


def extensible_record_types(request: Any) -> list[RecordType]:
    """Record types of the enabled modules that take custom fields, by label."""
    types = [rt for rt in request.record_types.values() if rt.extensible]
    return sorted(types, key=lambda rt: request.translate(rt.label))


def record_type_from(request: Any) -> RecordType:
    """The extensible record type named in the URL, else 404."""
    record_type = request.record_types.get(request.matchdict["record_type"])
    if record_type is None or not record_type.extensible:
        raise HTTPNotFound()
    return record_type


def definition_from(request: Any, record_type: RecordType) -> CustomFieldDefinition:
    """The field named in the URL, which must belong to ``record_type``, else 404."""
    definition_id = parse_id(request.matchdict["id"])
    definition = request.dbsession.get(CustomFieldDefinition, definition_id or 0)
    if definition is None or definition.record_type != record_type.name:
        raise HTTPNotFound()
    return definition


def fields_url(request: Any, record_type: RecordType) -> str:
    return request.route_path("settings_custom_fields_type", record_type=record_type.name)


def crumbs(request: Any, record_type: RecordType | None = None, *more: Any) -> list[Any]:
    items = [
        (request.translate(_("Settings")), None),
        (
            request.translate(_("Custom fields")),
            request.route_path("settings_custom_fields") if record_type else None,
        ),
    ]
    if record_type is not None:
        url = fields_url(request, record_type) if more else None
        items.append((request.translate(record_type.label), url))
    return items + list(more)


@view_config(
    route_name="settings_custom_fields",
    renderer="core:templates/customfields/index.jinja2",
    permission=PERMISSION,
)
def index(request: Any) -> dict[str, Any]:
    """The record types that take custom fields, with how many each has."""
    counts = dict(
        request.dbsession.execute(
            select(CustomFieldDefinition.record_type, func.count())
            .where(CustomFieldDefinition.archived_at.is_(None))
            .group_by(CustomFieldDefinition.record_type)
        ).all()
    )
    return {
        "record_types": extensible_record_types(request),
        "counts": counts,
        "breadcrumbs": crumbs(request),
    }


@view_config(
    route_name="settings_custom_fields_type",
    renderer="core:templates/customfields/fields.jinja2",
    permission=PERMISSION,
)
def fields(request: Any) -> dict[str, Any]:
    """The fields of one record type: active ones in order, then archived ones."""
    record_type = record_type_from(request)
    definitions = definitions_for(request.dbsession, record_type.name, include_archived=True)
    return {
        "record_type": record_type,
        "active": [d for d in definitions if not d.archived],
        "archived": [d for d in definitions if d.archived],
        "field_types": FIELD_TYPES,
        "breadcrumbs": crumbs(request, record_type),
    }


def _form_page(
    request: Any,
    form: DefinitionForm,
    record_type: RecordType,
    definition: CustomFieldDefinition | None,
    title: str,
) -> dict[str, Any]:
    """What the add/edit page template needs."""
    return {
        "form": form,
        "record_type": record_type,
        "definition": definition,
        "title": title,
        "breadcrumbs": crumbs(request, record_type, (title, None)),
    }


def _save_errors(form: DefinitionForm, error: DefinitionError) -> None:
    form[ERROR_FIELDS.get(error.field, error.field)].errors.append(error.message)


def _choices(form: DefinitionForm) -> list[dict[str, Any]] | None:
    try:
        return parse_choices(form.choices.data)
    except ValueError as exc:
        form.choices.errors.append(exc.args[0])
        return None


def _values(form: DefinitionForm, request: Any, choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "field_type": form.field_type.data,
        "labels": form.texts("label"),
        "help": form.texts("help"),
        "required": form.required.data,
        "default": form.default.data,
        "choices": choices,
        "show_in_list": form.show_in_list.data,
        "filterable": form.filterable.data,
        "tz": user_timezone(request),
    }


@view_config(
    route_name="settings_custom_field_new",
    renderer="core:templates/customfields/edit.jinja2",
    permission=PERMISSION,
)
def new_field(request: Any) -> Any:
    """Add a field to a record type."""
    record_type = record_type_from(request)
    form = DefinitionForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        choices = _choices(form)
        if choices is not None:
            try:
                definition = create_definition(
                    request.dbsession,
                    record_type,
                    key=form.key.data,
                    **_values(form, request, choices),
                )
            except DefinitionError as error:
                _save_errors(form, error)
            else:
                request.flash(
                    _("The field ${label} is added."),
                    label=definition.label_for(request.locale_name),
                )
                return HTTPSeeOther(location=fields_url(request, record_type))
    return _form_page(request, form, record_type, None, request.translate(_("New field")))


def _stale_message(request: Any, definition: CustomFieldDefinition) -> str:
    editor = request.dbsession.get(User, definition.updated_by_id or 0)
    return request.translate(
        _("${user} changed this field at ${time}. Review the form and save again."),
        user=editor.name if editor else request.translate(_("Someone")),
        time=format_datetime(request, definition.updated_at),
    )


@view_config(
    route_name="settings_custom_field_edit",
    renderer="core:templates/customfields/edit.jinja2",
    permission=PERMISSION,
)
def edit_field(request: Any) -> Any:
    """Change a field; its key never changes, its type only while no record has a value."""
    record_type = record_type_from(request)
    definition = definition_from(request, record_type)
    if definition.archived:
        raise HTTPNotFound()
    if request.method == "POST":
        form = DefinitionForm(request, request.POST)
    else:
        form = DefinitionForm(request, None, **DefinitionForm.initial(definition))
    del form.key
    type_locked = has_values(request.dbsession, record_type, definition.key)
    if type_locked:
        form.field_type.data = definition.field_type
        form.field_type.render_kw = {"disabled": True}
        form.field_type.description = _(
            "The type cannot change because records have values for this field."
        )
    if request.method == "POST" and form.validate():
        choices = _choices(form)
        if form.version.data != str(definition.version):
            form.form_errors.append(_stale_message(request, definition))
            form.version.data = str(definition.version)
        elif choices is not None:
            try:
                update_definition(
                    request.dbsession, record_type, definition, **_values(form, request, choices)
                )
            except DefinitionError as error:
                _save_errors(form, error)
            else:
                request.flash(
                    _("The field ${label} is saved."),
                    label=definition.label_for(request.locale_name),
                )
                return HTTPSeeOther(location=fields_url(request, record_type))
    title = request.translate(
        _("Edit the field ${field}"), field=definition.label_for(request.locale_name)
    )
    return _form_page(request, form, record_type, definition, title)


@view_config(
    route_name="settings_custom_field_archive", request_method="POST", permission=PERMISSION
)
def archive_field(request: Any) -> Any:
    """Hide a field; the records keep its values."""
    record_type = record_type_from(request)
    definition = definition_from(request, record_type)
    if not definition.archived:
        archive_definition(request.dbsession, record_type, definition)
        request.flash(
            _("The field ${label} is archived. Its values are kept; restore it to show them."),
            label=definition.label_for(request.locale_name),
        )
    return HTTPSeeOther(location=fields_url(request, record_type))


@view_config(
    route_name="settings_custom_field_restore", request_method="POST", permission=PERMISSION
)
def restore_field(request: Any) -> Any:
    """Show an archived field again, with its values."""
    record_type = record_type_from(request)
    definition = definition_from(request, record_type)
    if definition.archived:
        restore_definition(request.dbsession, record_type, definition)
        request.flash(
            _("The field ${label} is restored."),
            label=definition.label_for(request.locale_name),
        )
    return HTTPSeeOther(location=fields_url(request, record_type))


@view_config(route_name="settings_custom_field_move", request_method="POST", permission=PERMISSION)
def move_field(request: Any) -> Any:
    """Move a field one place up or down."""
    record_type = record_type_from(request)
    definition = definition_from(request, record_type)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None or definition.archived:
        raise HTTPNotFound()
    move_definition(request.dbsession, definition, offset)
    anchor = f"#field-{definition.id}"
    return HTTPSeeOther(location=fields_url(request, record_type) + anchor)


def includeme(config: Any) -> None:
    """Routes of the custom field settings."""
    base = "/settings/custom-fields"
    config.add_route("settings_custom_fields", base)
    config.add_route("settings_custom_field_new", base + "/{record_type}/new")
    config.add_route("settings_custom_field_edit", base + r"/{record_type}/{id:\d+}")
    config.add_route("settings_custom_field_archive", base + r"/{record_type}/{id:\d+}/archive")
    config.add_route("settings_custom_field_restore", base + r"/{record_type}/{id:\d+}/restore")
    config.add_route("settings_custom_field_move", base + r"/{record_type}/{id:\d+}/move")
    config.add_route("settings_custom_fields_type", base + "/{record_type}")
    config.scan("core.customfields.views")
