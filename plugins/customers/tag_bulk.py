"""The customer list's bulk actions "Add tags" and "Remove tags" (see plugins.customers.bulk).

Both need ``customers.customer.edit``: the list runs them on the selected
customers that this permission reaches, with one set-based statement each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import Select, select

from core.validation import parse_id
from plugins.customers import _
from plugins.customers.bulk import BulkAction, BulkRefused, register
from plugins.customers.models import Tag
from plugins.customers.service import EDIT
from plugins.customers.tags import add_tags, all_tags, remove_tags

TEMPLATE = "plugins.customers:templates/customers/tag_bulk.jinja2"


def chosen_tags(request: Any, params: Any) -> list[int]:
    """Ids of the existing tags chosen in the action's field; refused when there are none."""
    wanted = {parse_id(raw) for raw in params.getall("tag_id")} - {None}
    found = list(request.dbsession.scalars(select(Tag.id).where(Tag.id.in_(sorted(wanted)))))
    if not found:
        raise BulkRefused(_("Choose at least one tag."))
    return found


def tag_context(request: Any) -> dict[str, Any]:
    """The tags to choose from."""
    return {"tags": all_tags(request.dbsession)}


def tag_action(
    key: str, label: TranslationString, change: Callable[[Any, Select, list[int]], int], order: int
) -> BulkAction:
    """An action that ``change``s (adds or removes) the chosen tags; how many customers changed."""

    def apply(request: Any, ids: Select, params: Any) -> int:
        return change(request.dbsession, ids, chosen_tags(request, params))

    return BulkAction(
        key=key,
        label=label,
        permission=EDIT,
        apply=apply,
        template=TEMPLATE,
        context=tag_context,
        order=order,
    )


ACTIONS = (
    tag_action("add_tags", _("Add tags"), add_tags, 50),
    tag_action("remove_tags", _("Remove tags"), remove_tags, 51),
)


def includeme(config: Any) -> None:
    """Offer the tag actions on the customer list."""
    for action in ACTIONS:
        register(action)
