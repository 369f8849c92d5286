"""The churn pages: the rules, the at-risk list, a customer's churn history and actions.

The owner's actions (pause, confirm, reactivate) need ``customers.customer.edit_status``
on the customer; everything else reads with ``customers.customer.view``.  Every
customer is loaded through the scope predicate, so other people's customers are 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import and_, or_, select

from core.contributions import TimelineEntry
from core.db import utcnow
from core.i18n import format_date, user_timezone
from core.security.scopes import RecordContext, record_factory
from core.validation import parse_id
from core.web.form_feedback import save_form
from plugins.customers import _
from plugins.customers.churn import (
    CONFIGURE,
    confirm_churn,
    days_since,
    history,
    latest_events,
    load_rules,
    pause_churn,
    reactivate,
    reason_text,
    save_rules,
)
from plugins.customers.churn_forms import ChurnRulesForm, ConfirmForm, PauseForm, ReactivateForm
from plugins.customers.churn_models import CHURN_ACTIONS, ChurnEvent
from plugins.customers.models import Customer
from plugins.customers.service import EDIT_STATUS, RECORD_TYPE, VIEW, live_customers, scoped
from plugins.customers.views import back_to_customer, customer_form_page, display_helpers, may

TEMPLATES = "plugins.customers:templates/customers/"
PAGE_SIZE = 50
ACTION_ICONS = {
    "flagged": "alert-triangle",
    "paused": "player-pause",
    "confirmed": "user-x",
    "reactivated": "user-check",
}
#: The list's filter: which customers each state shows.
STATES = {
    "at_risk": _("At risk"),
    "paused": _("Churn paused"),
    "churned": _("Churned"),
}


def today(request: Any) -> dt.date:
    """Today in the user's time zone."""
    return utcnow().astimezone(user_timezone(request)).date()


def event_view(request: Any, event: ChurnEvent) -> dict[str, Any]:
    """What the pages show of one event."""
    return {
        "id": event.id,
        "action": event.action,
        "label": request.translate(CHURN_ACTIONS.get(event.action, event.action)),
        "icon": ACTION_ICONS.get(event.action, "circle"),
        "at": event.created_at,
        "user": event.user.name if event.user else request.translate(_("Churn check")),
        "text": reason_text(request.translate, event),
        "measure": event.measure,
        "check_on": event.check_on,
    }


# -- Settings → Churn -------------------------------------------------------------------


@view_config(
    route_name="settings_churn", renderer=TEMPLATES + "churn_settings.jinja2", permission=CONFIGURE
)
def churn_settings(request: Any) -> Any:
    """The churn rules an administrator sets; the daily check applies them."""
    rules = load_rules(request.dbsession)
    post = request.POST if request.method == "POST" else None
    form = ChurnRulesForm(request, post, obj=rules, statuses=list(rules.statuses))
    if post is not None and form.validate():
        save_rules(request.dbsession, form.rules())
        request.flash(_("The churn rules are saved."))
        return HTTPSeeOther(request.route_path("settings_churn"))
    return {
        "form": form,
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Churn rules")), None),
        ],
    }


# -- the churn list ---------------------------------------------------------------------


def state_clause(state: str | None, day: dt.date) -> Any:
    """Customers in ``state`` (all churn states when ``None``)."""
    paused = and_(Customer.status == "at_risk", Customer.churn_check_on > day)
    clauses = {
        "at_risk": and_(
            Customer.status == "at_risk",
            or_(Customer.churn_check_on.is_(None), Customer.churn_check_on <= day),
        ),
        "paused": paused,
        "churned": Customer.status == "churned",
    }
    if state is None:
        return Customer.status.in_(("at_risk", "churned"))
    return clauses[state]


@view_config(
    route_name="customers_churn", renderer=TEMPLATES + "churn_list.jinja2", permission=VIEW
)
def churn_list(request: Any) -> dict[str, Any]:
    """At-risk, paused and churned customers in scope, newest id first, 50 a page (keyset)."""
    state = request.GET.get("state")
    state = state if state in STATES else None
    day = today(request)
    query = select(Customer).where(
        scoped(request, VIEW), live_customers(), state_clause(state, day)
    )
    after = parse_id(request.GET.get("before"))
    if after is not None:
        query = query.where(Customer.id < after)
    customers = list(
        request.dbsession.scalars(query.order_by(Customer.id.desc()).limit(PAGE_SIZE + 1))
    )
    more = len(customers) > PAGE_SIZE
    customers = customers[:PAGE_SIZE]
    latest = latest_events(request.dbsession, [customer.id for customer in customers])
    now = utcnow()
    rows = [
        {
            "customer": customer,
            "event": event_view(request, latest[customer.id]) if customer.id in latest else None,
            "paused": customer.status == "at_risk"
            and customer.churn_check_on is not None
            and customer.churn_check_on > day,
            "order_days": days_since(customer.last_order_at, now),
            "contact_days": days_since(customer.last_contact_at, now),
        }
        for customer in customers
    ]
    keep = {"state": state} if state else {}
    return {
        "rows": rows,
        "state": state,
        "states": {key: request.translate(label) for key, label in STATES.items()},
        "next_url": request.route_path(
            "customers_churn", _query={**keep, "before": customers[-1].id}
        )
        if more
        else None,
        "first_url": request.route_path("customers_churn", _query=keep) if after else None,
        "breadcrumbs": [
            (request.translate(_("Customers")), request.route_path("customers")),
            (request.translate(_("Churn")), None),
        ],
        **display_helpers(request),
    }


# -- one customer -----------------------------------------------------------------------


@view_config(
    route_name="customer_churn_history",
    renderer=TEMPLATES + "churn_history.jinja2",
    permission=VIEW,
)
def churn_history(context: RecordContext, request: Any) -> dict[str, Any]:
    """The customer's churn events, newest first (the record tab and the list's rows)."""
    customer = context.record
    return {
        "customer": customer,
        "events": [event_view(request, event) for event in history(request.dbsession, customer.id)],
    }


@view_config(
    route_name="customer_churn_actions",
    renderer=TEMPLATES + "churn_actions.jinja2",
    permission=VIEW,
)
def churn_actions(context: RecordContext, request: Any) -> dict[str, Any]:
    """The quick actions of the customer page's header, for those who may change its status."""
    customer = context.record
    return {"customer": customer, "allowed": may(request, customer, EDIT_STATUS)}


def action_page(
    request: Any,
    customer: Customer,
    form: Any,
    apply: Callable[[], None],
    title: Any,
    done: Any,
) -> Any:
    """Show an action's form, or apply it and go back to the customer with ``done`` flashed."""
    if form.version.data is None:
        form.version.data = str(customer.version)
    if save_form(request, form, apply, customer, versioned=True) is not None:
        request.flash(done, name=customer.name)
        return back_to_customer(request, customer.id)
    return customer_form_page(request, form, customer, title, action_url=request.path)


def bound(request: Any, form_class: type) -> Any:
    """The action's form bound to the posted data."""
    return form_class(request, request.POST if request.method == "POST" else None)


@view_config(
    route_name="customer_churn_pause",
    renderer=TEMPLATES + "churn_action.jinja2",
    permission=EDIT_STATUS,
)
def churn_pause(context: RecordContext, request: Any) -> Any:
    """Pause churn (暂缓流失): the measure taken and the date to check again."""
    customer, form = context.record, bound(request, PauseForm)

    def apply() -> None:
        user = request.identity.user_id
        pause_churn(request.dbsession, customer, user, form.measure.data, form.check_on.data)

    done = _("Churn of ${name} is paused.")
    return action_page(request, customer, form, apply, _("Pause churn"), done)


@view_config(
    route_name="customer_churn_confirm",
    renderer=TEMPLATES + "churn_action.jinja2",
    permission=EDIT_STATUS,
)
def churn_confirm(context: RecordContext, request: Any) -> Any:
    """Confirm churn (确认流失) with the reason: the customer becomes churned."""
    customer, form = context.record, bound(request, ConfirmForm)

    def apply() -> None:
        confirm_churn(request.dbsession, customer, request.identity.user_id, form.reason.data)

    done = _("${name} is marked as churned.")
    return action_page(request, customer, form, apply, _("Confirm churn"), done)


@view_config(
    route_name="customer_churn_reactivate",
    renderer=TEMPLATES + "churn_action.jinja2",
    permission=EDIT_STATUS,
)
def churn_reactivate(context: RecordContext, request: Any) -> Any:
    """Reactivate an at-risk or churned customer: it becomes active again."""
    customer, form = context.record, bound(request, ReactivateForm)

    def apply() -> None:
        reactivate(request.dbsession, customer, request.identity.user_id, form.note.data or "")

    done = _("${name} is active again.")
    return action_page(request, customer, form, apply, _("Reactivate"), done)


# -- the customer's timeline ------------------------------------------------------------


def timeline_entries(
    request: Any, customer: Customer, before: dt.datetime | None, limit: int
) -> list[TimelineEntry]:
    """The customer's churn events as timeline entries, newest first."""
    query = select(ChurnEvent).where(ChurnEvent.customer_id == customer.id)
    if before is not None:
        query = query.where(ChurnEvent.created_at < before)
    events = request.dbsession.scalars(
        query.order_by(ChurnEvent.created_at.desc(), ChurnEvent.id.desc()).limit(limit)
    )
    entries = []
    for event in events:
        shown = event_view(request, event)
        detail = [shown["text"], shown["measure"]]
        if event.check_on:
            date = format_date(request, event.check_on)
            detail.append(request.translate(_("Check again on ${date}"), date=date))
        entries.append(
            TimelineEntry(
                at=event.created_at,
                kind="churn",
                title=shown["label"],
                detail="\n".join(filter(None, detail)),
                icon=shown["icon"],
                actor=shown["user"],
            )
        )
    return entries


def includeme(config: Any) -> None:
    """Routes of the churn pages; customer routes load the customer within the scope."""
    one = r"/customers/{id:\d+}/churn"
    view, status = record_factory(RECORD_TYPE, "view"), record_factory(RECORD_TYPE, "edit_status")
    config.add_route("settings_churn", "/settings/churn")
    config.add_route("customers_churn", "/churn")
    config.add_route("customer_churn_history", one, factory=view)
    config.add_route("customer_churn_actions", one + "/actions", factory=view)
    config.add_route("customer_churn_pause", one + "/pause", factory=status)
    config.add_route("customer_churn_confirm", one + "/confirm", factory=status)
    config.add_route("customer_churn_reactivate", one + "/reactivate", factory=status)
    config.scan("plugins.customers.churn_views")
