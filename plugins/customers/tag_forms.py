"""The tag form of Settings → Tags, and the tags field of the customer form."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, RadioField, StringField
from wtforms.validators import InputRequired

from core.forms import Form
from plugins.customers import _
from plugins.customers.models import Customer, Tag
from plugins.customers.tags import DEFAULT_COLOR, PALETTE, all_tags, set_tags


class TagForm(Form):
    """A tag's name and colour (the name's rules are checked by the service)."""

    name = StringField(
        _("Tag name"),
        [InputRequired()],
        description=_('Use "group-name" to group tags, such as 行业-制造业.'),
    )
    color = RadioField(_("Colour"), default=DEFAULT_COLOR)
    #: The version the user loaded (edit page); a different stored one means a conflict.
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        self.color.choices = [(key, request.translate(label)) for key, label in PALETTE.items()]


def tag_id(value: Any) -> int:
    """A tag field value as a tag id: a posted id or a customer's ``Tag``."""
    return value.id if isinstance(value, Tag) else int(value)


def tag_choices(session: Any) -> list[tuple[int, str]]:
    """Every tag as a choice of the customer form's tags field."""
    return [(tag.id, tag.name) for tag in all_tags(session)]


def prepare_tags_field(form: Any, customer: Customer | None, editable: bool) -> None:
    """Leave the tags field out (new customer) or read-only (edit) for users who may not tag."""
    if editable:
        return
    if customer is None:
        del form.tags
        return
    form.tags.data = [tag.id for tag in customer.tags]
    form.tags.render_kw = {**(form.tags.render_kw or {}), "disabled": True}


def save_form_tags(request: Any, customer: Customer, form: Any, allowed: bool) -> None:
    """Give ``customer`` the tags chosen in the customer form, when the user may tag it."""
    if allowed and form.tags is not None:
        set_tags(request.dbsession, customer, form.tags.data or [])
