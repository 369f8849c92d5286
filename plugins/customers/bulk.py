"""Bulk actions on selected customers: a small registry, and the built-in actions.

An action is registered once, at import time, with :func:`register`::

    register(BulkAction(
        key="add_tags",
        label=_("Add tags"),
        permission="customers.customer.edit",
        apply=add_tags,               # (request, targets, params) -> count or BulkResult
        template="plugins.customers:templates/customers/bulk_tags.jinja2",
        context=tag_choices,          # (request) -> variables of the template
    ))

``targets`` is a ``select(Customer.id)`` that already holds only live
customers of the selection *within the scope of the action's permission*:
the selection (posted ids, or "all matching" a list's filters) is never
trusted, :func:`targets` intersects it with ``scope_filter`` again at
execution.  ``params`` are the posted values of the action's fields (a
MultiDict): the template names them ``{{ prefix }}<field>`` (the prefix is
``<key>.``) and ``params`` holds them without the prefix, so that two
actions' fields never mix.  An action that cannot use them raises
:class:`BulkRefused` before changing anything.  :func:`batches` loads the
targets as ORM objects, 500 at a time, so that every change is audited.

The action's ``template`` (optional) renders its fields inside the bulk form;
it receives ``action``, ``prefix`` and whatever ``context(request)`` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import Select, select

from core.db import utcnow
from plugins.customers import _
from plugins.customers.dictionaries import choices as dictionary_choices
from plugins.customers.models import STATUSES, Customer
from plugins.customers.service import (
    DELETE,
    EDIT,
    EDIT_STATUS,
    assign_owner,
    live_customers,
    people_in_scope,
    scoped,
)

#: Customers loaded (and flushed) at a time while an action runs.
BATCH_SIZE = 500
TEMPLATES = "plugins.customers:templates/customers/"


@dataclass(frozen=True)
class BulkResult:
    """What an action did, when it has more to say than a count."""

    count: int
    #: Query parameters added to the list address shown afterwards (an undo offer …).
    follow_up: dict[str, str] = field(default_factory=dict)


Apply = Callable[[Any, Select, Any], "int | BulkResult"]


class BulkRefused(ValueError):
    """The action cannot run with these parameters; ``message`` (translatable) says why."""

    def __init__(self, message: TranslationString) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BulkAction:
    """One bulk action offered on the customer list to users holding ``permission``."""

    key: str
    label: TranslationString
    permission: str
    apply: Apply
    template: str | None = None
    context: Callable[[Any], dict[str, Any]] | None = None
    #: Ask before running, with the count and this explanation (destructive actions).
    confirm: TranslationString | None = None
    #: Bootstrap colour of the button (``danger`` for destructive actions).
    style: str = "primary"
    order: int = 100


_ACTIONS: dict[str, BulkAction] = {}


def register(action: BulkAction) -> None:
    """Offer ``action`` on the customer list (registering a key again replaces it)."""
    _ACTIONS[action.key] = action


def actions_for(request: Any) -> list[BulkAction]:
    """The actions the user holds the permission of, in display order."""
    identity = request.identity
    return sorted(
        (action for action in _ACTIONS.values() if identity and identity.can(action.permission)),
        key=lambda action: (action.order, action.key),
    )


def known_action(key: str) -> BulkAction | None:
    """The registered action ``key``, whoever may run it."""
    return _ACTIONS.get(key)


def find_action(request: Any, key: str) -> BulkAction | None:
    """The action ``key`` if the user may run it."""
    action = _ACTIONS.get(key)
    if action is None or not request.identity or not request.identity.can(action.permission):
        return None
    return action


def targets(request: Any, selection: Select, permission: str) -> Select:
    """The ids of live customers in ``selection`` that ``permission`` reaches for the user.

    ``selection`` is a query of ``Customer.id`` (posted ids or a list's filters).
    """
    return (
        select(Customer.id)
        .where(Customer.id.in_(selection.scalar_subquery()), live_customers())
        .where(scoped(request, permission))
    )


def batches(request: Any, ids: Select, size: int = BATCH_SIZE) -> Iterator[list[Customer]]:
    """The customers of ``ids`` as ORM objects, ``size`` at a time, in id order.

    Changes made to a batch are flushed (and audited) before the next one loads.
    Walks by id, so a change that drops customers out of ``ids`` skips none.
    """
    session = request.dbsession
    last = 0
    while True:
        batch = list(
            session.scalars(
                select(Customer)
                .where(Customer.id.in_(ids.scalar_subquery()), Customer.id > last)
                .order_by(Customer.id)
                .limit(size)
            )
        )
        if not batch:
            return
        yield batch
        session.flush()
        last = batch[-1].id


# -- set a field ----------------------------------------------------------------------


def _labelled(request: Any, labels: dict[str, TranslationString]) -> list[tuple[str, str]]:
    return [(key, request.translate(label)) for key, label in labels.items()]


def set_value(request: Any, ids: Select, name: str, value: Any) -> int:
    """Set column ``name`` of every customer of ``ids``; the number actually changed."""
    changed = 0
    for batch in batches(request, ids):
        for customer in batch:
            if getattr(customer, name) != value:
                setattr(customer, name, value)
                changed += 1
    return changed


def _chosen(params: Any, choices: list[tuple[str, str]]) -> str:
    value = params.get("value", "")
    if value not in dict(choices):
        raise BulkRefused(_("Choose a value from the list."))
    return value


def _field_action(
    key: str, label: TranslationString, permission: str, choices: Callable[[Any], list], order: int
) -> BulkAction:
    """A "set <field>" action choosing the new value among ``choices(request)``."""
    name = key.removeprefix("set_")

    def apply(request: Any, ids: Select, params: Any) -> int:
        return set_value(request, ids, name, _chosen(params, choices(request)))

    return BulkAction(
        key=key,
        label=label,
        permission=permission,
        apply=apply,
        template=TEMPLATES + "bulk_value.jinja2",
        context=lambda request: {"choices": choices(request)},
        order=order,
    )


def owner_choices(request: Any) -> list[tuple[str, str]]:
    """Active users the user may give customers to (within the edit scope)."""
    people = people_in_scope(request.dbsession, request.identity, EDIT)
    return [(str(user.id), user.name) for user in people]


def set_owner(request: Any, ids: Select, params: Any) -> int:
    """Give every customer of ``ids`` to the chosen owner (who must be within the edit scope)."""
    owner_id = _chosen(params, owner_choices(request))
    people = people_in_scope(request.dbsession, request.identity, EDIT)
    owner = next(user for user in people if str(user.id) == owner_id)
    changed = 0
    for batch in batches(request, ids):
        for customer in batch:
            if customer.owner_id != owner.id or customer.team_id != owner.team_id:
                assign_owner(customer, owner)
                changed += 1
    return changed


# -- delete ---------------------------------------------------------------------------


#: The list parameter offering to undo the bulk delete done at its value.
UNDO_PARAM = "undo_bulk"


def delete(request: Any, ids: Select, params: Any) -> BulkResult:
    """Soft-delete every customer of ``ids``, all stamped with the same time (see :func:`undo`)."""
    at = utcnow()
    return BulkResult(set_value(request, ids, "deleted_at", at), {UNDO_PARAM: at.isoformat()})


def deleted_together(request: Any, at: Any) -> Select:
    """The customers the user deleted in one bulk delete at ``at``, within the delete scope."""
    return select(Customer.id).where(
        Customer.deleted_at == at,
        Customer.merged_into_id.is_(None),
        Customer.updated_by_id == request.identity.user_id,
        scoped(request, DELETE),
    )


def undo(request: Any, at: Any) -> int:
    """Restore the customers of the bulk delete at ``at``; the number restored."""
    return set_value(request, deleted_together(request, at), "deleted_at", None)


for _action in (
    _field_action(
        "set_level", _("Set level"), EDIT, lambda request: dictionary_choices(request, "level"), 10
    ),
    _field_action(
        "set_status", _("Set status"), EDIT_STATUS, lambda request: _labelled(request, STATUSES), 20
    ),
    _field_action(
        "set_industry",
        _("Set industry"),
        EDIT,
        lambda request: dictionary_choices(request, "industry"),
        30,
    ),
    BulkAction(
        key="set_owner",
        label=_("Set owner"),
        permission=EDIT,
        apply=set_owner,
        template=TEMPLATES + "bulk_value.jinja2",
        context=lambda request: {"choices": owner_choices(request)},
        order=40,
    ),
    BulkAction(
        key="delete",
        label=_("Delete"),
        permission=DELETE,
        apply=delete,
        confirm=_("Deleted customers go to the recycle bin, from where they can be restored."),
        style="danger",
        order=900,
    ),
):
    register(_action)
