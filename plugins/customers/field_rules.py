"""Who may change which fields of a customer (the core's field groups, applied to customers).

Two groups: the basic information (every editable field but the status, custom
field values included; the owner and location keep their own scope check in
:func:`plugins.customers.service.write`) under ``customers.customer.edit``, and
the status under ``customers.customer.edit_status``.  A group is writable when
its permission reaches the customer.

The edit page and ``PATCH /api/v1/customers/{id}`` load a customer that the
permission of *some* group reaches, and answer 404 otherwise, exactly like any
record out of scope.  A change to a field of a group the user may not write is
refused and nothing is saved; sending a read-only field's stored value is no
change, and on the page a read-only field is disabled, so the browser does not
send it and its stored value stands.

The ID number and bank account are shown masked (:func:`masked`): holders of
``customers.customer.view_sensitive`` see a few characters and may reveal the
value (audited), everybody else sees only ``*``.  The edit form never shows
them; a blank field keeps the stored value (:func:`keep_hidden`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from webob.multidict import MultiDict

from core.crypto import mask
from core.customfields.forms import PREFIX, custom_values, field_name
from core.security.fields import FieldGroup, record_in_scope, reject_unwritable, writable_fields
from core.security.scopes import RecordContext, record_factory
from plugins.customers import _
from plugins.customers.forms import COLUMNS, SENSITIVE, form_data
from plugins.customers.models import Customer
from plugins.customers.service import EDIT, EDIT_STATUS, RECORD_TYPE
from plugins.customers.service import PREFIX as CUSTOMER_PREFIX

#: In a group, stands for every custom field value; a changed value is named ``custom.<key>``.
CUSTOM = "custom"
BASIC = FieldGroup(
    "basic",
    _("Basic information"),
    (*(name for name in COLUMNS if name != "status"), CUSTOM),
    EDIT,
)
STATUS = FieldGroup("status", _("Status"), ("status",), EDIT_STATUS)
GROUPS = (BASIC, STATUS)
#: The hint under a read-only field, and the error of each refused field in the API.
LOCKED = _("You may not change this field.")
REFUSED = _("You may not change ${fields}. Nothing was saved.")
#: Reveals the ID number and bank account (audited); everybody else sees them masked.
VIEW_SENSITIVE = f"{CUSTOMER_PREFIX}.view_sensitive"
KEEP_HIDDEN = _("The stored value is hidden. Leave this blank to keep it, or type a new value.")

_FACTORIES = tuple(
    record_factory(RECORD_TYPE, group.permission.rsplit(".", 1)[1]) for group in GROUPS
)


def editable_factory(request: Any) -> RecordContext:
    """Route context of a live customer that some group's permission reaches, else 404."""
    for factory in _FACTORIES:
        try:
            return factory(request)
        except HTTPNotFound:
            continue
    raise HTTPNotFound()


def writable(request: Any, customer: Customer) -> set[str]:
    """The fields of ``customer`` the user may change (``custom``: the custom field values)."""
    return writable_fields(request.identity, GROUPS, request.record_types[RECORD_TYPE], customer)


def save_permission(fields: set[str]) -> str:
    """The permission whose scope the saved customer must stay within.

    Owner and location are basic information; without it only the status can
    change, which moves the customer out of nobody's scope.
    """
    return BASIC.permission if set(BASIC.fields) <= fields else STATUS.permission


def _blank(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def same(sent: Any, stored: Any) -> bool:
    """Whether a sent value is the stored one (``None``, blank, unchecked, no choice are one)."""
    return sent == stored or (_blank(sent) and _blank(stored))


def changes(
    customer: Customer, columns: Mapping[str, Any], custom: Mapping[str, Any]
) -> dict[str, Any]:
    """Name → sent value of each sent column and custom value that differs from the stored one.

    Custom values are named ``custom.<key>``.  A blank code means "keep the code",
    so it changes nothing.
    """
    stored = form_data(customer)
    found = {
        name: value
        for name, value in columns.items()
        if not same(value, stored[name]) and not (name == "code" and _blank(value))
    }
    stored_custom = customer.custom or {}
    found.update(
        (f"{CUSTOM}.{key}", value)
        for key, value in custom.items()
        if not same(value, stored_custom.get(key))
    )
    return found


def refused_changes(sent: Mapping[str, Any], fields: set[str]) -> list[str]:
    """The names (sorted) of the changes ``sent`` that ``fields`` (see :func:`writable`) refuse."""
    allowed = set(fields)
    if CUSTOM in fields:
        allowed.update(name for name in sent if name.startswith(f"{CUSTOM}."))
    return reject_unwritable(sent, allowed)


def kept(customer: Customer, columns: Mapping[str, Any], fields: set[str]) -> dict[str, Any]:
    """``columns`` with the stored value of each column the user may not change."""
    stored = form_data(customer)
    return {name: value if name in fields else stored[name] for name, value in columns.items()}


# -- sensitive fields ---------------------------------------------------------------


def may_reveal(request: Any, customer: Customer) -> bool:
    """Whether the user may see the clear ID number and bank account of ``customer``."""
    identity = request.identity
    if identity is None or not identity.can(VIEW_SENSITIVE):
        return False
    if "all" in identity.scopes(VIEW_SENSITIVE):
        return True
    return record_in_scope(identity, request.record_types[RECORD_TYPE], customer, VIEW_SENSITIVE)


def masked(request: Any, customer: Customer) -> dict[str, str]:
    """Sensitive field → its value as shown: a few characters kept for users who may
    reveal it (``110105********002X``), only ``*`` for everybody else; ``""`` when empty."""
    keep = may_reveal(request, customer)
    shown = {}
    for name in SENSITIVE:
        value = getattr(customer, name) or ""
        shown[name] = mask(value) if keep else "*" * len(value)
    return shown


def keep_hidden(post: Any, customer: Customer) -> MultiDict:
    """``post`` where a blank sensitive field of an individual keeps the stored value.

    The edit form never shows those values, so leaving one blank means "unchanged".
    """
    merged = MultiDict(post)
    if merged.get("kind", customer.kind) != "individual":
        return merged
    for name in SENSITIVE:
        stored = getattr(customer, name)
        if stored and not (merged.get(name) or "").strip():
            merged[name] = stored
    return merged


def hide_sensitive(request: Any, form: Any, customer: Customer) -> None:
    """Render the stored sensitive values as empty fields with the masked value as a hint."""
    shown = masked(request, customer)
    for name in SENSITIVE:
        field = form[name]
        stored = getattr(customer, name)
        if not stored or field.data != stored:
            continue
        field.render_kw = {**(field.render_kw or {}), "value": "", "placeholder": shown[name]}
        field.description = KEEP_HIDDEN


# -- the edit page ------------------------------------------------------------------


def form_field(name: str) -> str:
    """The form field of a field name (``custom.tier`` → ``cf_tier``)."""
    prefix = f"{CUSTOM}."
    return PREFIX + name.removeprefix(prefix) if name.startswith(prefix) else name


def locked_form_fields(definitions: Iterable[Any], fields: set[str]) -> list[str]:
    """The names of the customer form's fields (``cf_*`` included) outside ``fields``."""
    names = [name for name in COLUMNS if name not in fields]
    if CUSTOM not in fields:
        names.extend(field_name(definition) for definition in definitions)
    return names


def raw_values(field: Any) -> list[str]:
    """What a browser sends for ``field`` showing its current data."""
    data = field.data
    if field.type == "BooleanField":
        return ["y"] if data else []
    if isinstance(data, list | tuple):
        return [str(value) for value in data]
    return [] if data is None else [str(data)]


def with_stored(post: Any, stored: Any, names: Iterable[str], *, replace: bool) -> MultiDict:
    """``post`` where each of ``names`` holds its value in the ``stored`` form.

    Only where it was not sent (a disabled field is not), or always with ``replace``.
    """
    merged = MultiDict(post)
    for name in names:
        if name in merged and not replace:
            continue
        if name in merged:
            del merged[name]
        for value in raw_values(stored[name]):
            merged.add(name, value)
    return merged


def lock(form: Any, names: Iterable[str]) -> None:
    """Render the fields ``names`` disabled, with a hint that the user may not change them."""
    for name in names:
        field = form[name]
        field.render_kw = {**(field.render_kw or {}), "disabled": True}
        field.description = LOCKED


def validate_sent(form: Any, locked: Iterable[str], post: Any) -> bool:
    """Validate ``form``, ignoring errors of read-only fields that were not sent.

    Those keep their stored value, even one a rule added since would refuse.
    """
    form.validate()
    for name in locked:
        if name not in post:
            form[name].errors = []
    return not any(field.errors for field in form)


def form_changes(
    form: Any, definitions: Iterable[Any], post: Any, customer: Customer
) -> dict[str, Any]:
    """The changes a validated customer form makes with the fields sent in ``post``."""
    values = form.values()
    columns = {name: values[name] for name in COLUMNS if name in post}
    custom = {
        key: value
        for key, value in custom_values(form, list(definitions)).items()
        if PREFIX + key in post
    }
    return changes(customer, columns, custom)


def refusal_message(request: Any, form: Any, names: Iterable[str]) -> str:
    """ "You may not change Name, Notes. Nothing was saved." with the fields' labels."""
    labels = (request.translate(form[form_field(name)].label.text) for name in names)
    return request.translate(REFUSED, fields=", ".join(labels))
