"""How the History tab, the audit trail and the timeline name this module's fields and values.

Field labels come from the forms that edit the records, so a change reads
"Level: 普通客户 → 大客户" rather than "level: normal → vip".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.forms import field_labels
from core.security.models import Region, Team, User
from plugins.customers import _
from plugins.customers.contact_forms import ContactForm
from plugins.customers.dictionaries import labels as dictionary_labels
from plugins.customers.forms import CustomerForm
from plugins.customers.models import CHANNELS, DICTIONARY_KINDS, GENDERS, KINDS, STATUSES
from plugins.customers.order_forms import ContractForm, OrderForm
from plugins.customers.order_models import CONTRACT_STATES, ORDER_STATES

#: Columns no form edits, kept up to date by the module itself.
BOOKKEEPING_LABELS = {
    "team_id": _("Team"),
    "custom": _("More information"),
    "churn_check_on": _("Check again on"),
    "merged_into_id": _("Merged into"),
    "deleted_at": _("Deleted"),
    "customer_id": _("Customer"),
}
CUSTOMER_LABELS = {**BOOKKEEPING_LABELS, **field_labels(CustomerForm)}
CONTACT_LABELS = {**BOOKKEEPING_LABELS, **field_labels(ContactForm), "is_primary": _("Primary")}
ORDER_LABELS = {**BOOKKEEPING_LABELS, **field_labels(OrderForm)}
CONTRACT_LABELS = {**BOOKKEEPING_LABELS, **field_labels(ContractForm)}


def _user(request: Any, value: Any) -> str | None:
    user = request.dbsession.get(User, value) if isinstance(value, int) else None
    return user.name if user is not None else None


def _team(request: Any, value: Any) -> str | None:
    team = request.dbsession.get(Team, value) if isinstance(value, int) else None
    return team.name if team is not None else None


def _region(request: Any, value: Any) -> str | None:
    region = request.dbsession.get(Region, value) if isinstance(value, str) else None
    return region.name if region is not None else None


def _choices(choices: Mapping[str, Any]) -> Callable[[Any, Any], str | None]:
    def label(request: Any, value: Any) -> str | None:
        found = choices.get(value) if isinstance(value, str) else None
        return request.translate(found) if found is not None else None

    return label


def _dictionary(kind: str) -> Callable[[Any, Any], str | None]:
    def label(request: Any, value: Any) -> str | None:
        return dictionary_labels(request, kind).get(value) if isinstance(value, str) else None

    return label


DESCRIBERS: dict[str, Callable[[Any, Any], str | None]] = {
    "owner_id": _user,
    "user_id": _user,
    "team_id": _team,
    "province_code": _region,
    "city_code": _region,
    "district_code": _region,
    "kind": _choices(KINDS),
    "status": _choices(STATUSES),
    "gender": _choices(GENDERS),
    "preferred_channel": _choices(CHANNELS),
    **{kind: _dictionary(kind) for kind in DICTIONARY_KINDS},
}
ORDER_DESCRIBERS = {**DESCRIBERS, "state": _choices(ORDER_STATES)}
CONTRACT_DESCRIBERS = {**DESCRIBERS, "state": _choices(CONTRACT_STATES)}


def describer(
    describers: Mapping[str, Callable[[Any, Any], str | None]],
) -> Callable[[Any, str, Any], str | None]:
    """A record type's ``describe``: names users, teams and regions, labels choices."""

    def describe(request: Any, field: str, value: Any) -> str | None:
        found = describers.get(field)
        return found(request, value) if found is not None else None

    return describe
