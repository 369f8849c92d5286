"""The follow-up pages: the customer's Follow-ups tab, log/edit/cancel/delete, My follow-ups,
plans, and attachment downloads.  Every route checks the customer's scope (else 404)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import Select, select

from core.db import utcnow
from core.i18n import user_timezone
from core.security.models import User
from core.security.scopes import RecordContext
from core.validation import parse_id
from core.web.form_feedback import posted_action, save_form
from core.web.views import safe_next
from plugins.customers import _
from plugins.customers.attachments import (
    delete_attachment,
    download,
    limits,
    live_attachments,
    store,
    uploads_of,
)
from plugins.customers.contacts import contacts_of
from plugins.customers.followup_forms import FollowUpForm, PlanForm
from plugins.customers.followup_models import (
    METHODS,
    PLAN_UNITS,
    Attachment,
    FollowUp,
    FollowUpPlan,
)
from plugins.customers.followups import (
    CREATE,
    DELETE,
    EDIT,
    VIEW,
    cancel_followup,
    customer_factory,
    customers_reached,
    delete_followup,
    edit_followup,
    followup_factory,
    followup_scope,
    followups_of,
    live_followups,
    log_followup,
    may,
    plan_factory,
    save_plan,
    stop_plan,
)
from plugins.customers.models import Customer
from plugins.customers.service import RECORD_TYPE as CUSTOMER
from plugins.customers.service import people_in_scope, route_factory
from plugins.customers.views import FOLLOWUPS_TAB, customer_form_page, customer_page

TEMPLATES = "plugins.customers:templates/customers/"
PAGE_SIZE = 20
#: Pages beyond this one are not offered (an offset that large is a hand-made address).
MAX_PAGE = 1000
UPCOMING_DAYS = 7
#: The most planned follow-ups "My follow-ups" and its home page card read.
MINE_LIMIT = 500


def back_to(request: Any, customer_id: int) -> HTTPSeeOther:
    """Back to the page the user came from (``next``), else the customer's page."""
    default = customer_page(request, customer_id, FOLLOWUPS_TAB)
    return HTTPSeeOther(safe_next(request.params.get("next"), default))


def labels(request: Any) -> dict[str, str]:
    """The methods in the user's language."""
    return {key: request.translate(label) for key, label in METHODS.items()}


# -- the tab ------------------------------------------------------------------


@view_config(
    route_name="customer_followups", renderer=TEMPLATES + "followups.jinja2", permission=VIEW
)
def customer_followups(context: RecordContext, request: Any) -> dict[str, Any]:
    """The Follow-ups tab: planned and done follow-ups, newest first, 20 a page, and plans."""
    customer = context.record
    page = min(max(1, parse_id(request.GET.get("page")) or 1), MAX_PAGE)
    query = followups_of(customer.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    rows = list(request.dbsession.scalars(query))
    plans = request.dbsession.scalars(
        select(FollowUpPlan)
        .where(FollowUpPlan.customer_id == customer.id, FollowUpPlan.active)
        .order_by(FollowUpPlan.next_due_on, FollowUpPlan.id)
    )
    return {
        "customer": customer,
        "followups": rows[:PAGE_SIZE],
        "page": page,
        "more": len(rows) > PAGE_SIZE,
        "plans": list(plans),
        "can_create": may(request, customer.id, "create"),
        "can_edit": may(request, customer.id, "edit"),
        "can_delete": may(request, customer.id, "delete"),
        "methods": labels(request),
        "units": {key: request.translate(label) for key, label in PLAN_UNITS.items()},
        "live_attachments": live_attachments,
        "now": utcnow(),
    }


# -- logging and editing --------------------------------------------------------


def form_page(
    request: Any, form: FollowUpForm, customer: Customer, title: Any, followup: FollowUp | None
) -> dict[str, Any]:
    """The template data of the log and edit pages."""
    rules = limits(request.registry.settings)
    return customer_form_page(
        request,
        form,
        customer,
        title,
        followup=followup,
        attachments=live_attachments(followup) if followup and followup.id else [],
        can_delete_files=followup is not None and may(request, customer.id, "edit"),
        max_files=rules.max_files,
        max_mb=rules.max_bytes // (1024 * 1024),
        next=safe_next(request.params.get("next"), ""),
    )


def save_with_files(
    request: Any,
    form: FollowUpForm,
    save: Callable[[], FollowUp],
    followup: FollowUp | None = None,
) -> FollowUp | None:
    """Save a valid POSTed form (``save`` returns the follow-up) and store the uploaded files,
    all or nothing; the follow-up, or None (the form shows why).

    An existing ``followup`` is saved only at the version the form was loaded at.
    """

    def save_all() -> FollowUp:
        session = request.dbsession
        with session.begin_nested():
            saved = save()
            uploads = uploads_of(request.POST.getall("attachments"))
            if uploads:
                store(session, saved, uploads, limits(request.registry.settings))
                session.flush()
        return saved

    return save_form(request, form, save_all, followup, versioned=True)


def planned_of(request: Any, customer: Customer) -> FollowUp | None:
    """The planned follow-up ``?planned=`` of this customer that the user logs, if any."""
    planned_id = parse_id(request.params.get("planned"))
    if planned_id is None:
        return None
    followup = request.dbsession.scalars(
        select(FollowUp).where(
            FollowUp.id == planned_id,
            FollowUp.customer_id == customer.id,
            FollowUp.state == "planned",
            live_followups(),
        )
    ).first()
    if followup is None:
        raise HTTPNotFound()
    return followup


@view_config(
    route_name="customer_followup_new",
    renderer=TEMPLATES + "followup_form.jinja2",
    permission=CREATE,
)
def followup_new(context: RecordContext, request: Any) -> Any:
    """Log a follow-up with the customer (``?planned=`` logs that planned one: it is done)."""
    customer = context.record
    planned = planned_of(request, customer)
    contacts = contacts_of(request.dbsession, customer)
    post = request.POST if request.method == "POST" else None
    form = FollowUpForm(request, post, obj=planned, contacts=contacts)
    if request.method == "GET":
        form.happened_at.data = utcnow()
        if planned is None and contacts:  # the primary contact, most often the one called
            form.contact_id.data = str(contacts[0].id)

    def save() -> FollowUp:
        user_id = request.identity.user_id
        return log_followup(request.dbsession, customer.id, user_id, form.values(), planned)

    if save_with_files(request, form, save) is not None:
        request.flash(_("The follow-up is logged."))
        return back_to(request, customer.id)
    return form_page(request, form, customer, _("Log a follow-up"), None)


@view_config(
    route_name="followup_edit", renderer=TEMPLATES + "followup_form.jinja2", permission=EDIT
)
def followup_edit(context: RecordContext, request: Any) -> Any:
    """Edit a follow-up; saving over somebody else's newer changes is refused."""
    followup = context.record
    contacts = contacts_of(request.dbsession, followup.customer)
    post = request.POST if request.method == "POST" else None
    form = FollowUpForm(
        request,
        post,
        obj=followup,
        contacts=contacts,
        planned=followup.state == "planned",
        editing=True,
    )

    def save() -> FollowUp:
        edit_followup(request.dbsession, followup, form.values())
        return followup

    if save_with_files(request, form, save, followup) is not None:
        request.flash(_("The follow-up is saved."))
        return back_to(request, followup.customer_id)
    title = _("Edit the follow-up ${subject}", mapping={"subject": followup.subject})
    return form_page(request, form, followup.customer, title, followup)


def act(request: Any, record: Any, action: Any, done: Any) -> HTTPSeeOther:
    """Run a one-button ``action`` on ``record`` after checking the version; flash ``done``."""
    if posted_action(request, record, lambda: action(request.dbsession, record)):
        request.flash(done, "warning")
    return back_to(request, record.customer_id)


@view_config(route_name="followup_cancel", request_method="POST", permission=EDIT)
def followup_cancel(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Cancel a planned follow-up."""
    return act(request, context.record, cancel_followup, _("The planned follow-up is cancelled."))


@view_config(route_name="followup_delete", request_method="POST", permission=DELETE)
def followup_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Delete a follow-up (and its attachments)."""
    return act(request, context.record, delete_followup, _("The follow-up is deleted."))


# -- My follow-ups ------------------------------------------------------------


def day_bounds(request: Any) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Today's start and end and the end of the upcoming week, in the user's time zone, as UTC."""
    zone = user_timezone(request)
    today = utcnow().astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time(), tzinfo=zone)
    end = start + dt.timedelta(days=1)
    return start, end, end + dt.timedelta(days=UPCOMING_DAYS)


def due_followups(request: Any, team: bool, until: dt.datetime, limit: int) -> Select[Any]:
    """Planned follow-ups due before ``until``, soonest first: the user's, or their team's."""
    identity = request.identity
    query = (
        select(FollowUp)
        .where(
            FollowUp.state == "planned",
            live_followups(),
            followup_scope(request, VIEW),
            FollowUp.due_at < until,
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    if team:
        members = select(User.id).where(User.team_id.in_(sorted(identity.team_ids)))
        return query.where(FollowUp.user_id.in_(members))
    return query.where(FollowUp.user_id == identity.user_id)


def due_groups(request: Any, rows: list[FollowUp]) -> list[tuple[str, Any, list[FollowUp]]]:
    """``rows`` split into overdue, due today and due in the next days."""
    start, end, _week_end = day_bounds(request)
    return [
        ("overdue", _("Overdue"), [f for f in rows if f.due_at < start]),
        ("today", _("Due today"), [f for f in rows if start <= f.due_at < end]),
        ("upcoming", _("Next 7 days"), [f for f in rows if end <= f.due_at]),
    ]


@view_config(
    route_name="my_followups", renderer=TEMPLATES + "followup_mine.jinja2", permission=VIEW
)
def my_followups(request: Any) -> dict[str, Any]:
    """Planned follow-ups of the user (or, for managers, their team): overdue, today, upcoming."""
    identity = request.identity
    scopes = identity.scopes(VIEW)
    can_team = bool({"team", "all"} & scopes) and bool(identity.team_ids)
    team = can_team and request.GET.get("who") == "team"
    week_end = day_bounds(request)[2]
    rows = list(request.dbsession.scalars(due_followups(request, team, week_end, MINE_LIMIT)))
    groups = due_groups(request, rows)
    editable = set(
        request.dbsession.scalars(
            select(FollowUp.id).where(
                FollowUp.id.in_([f.id for f in rows]), followup_scope(request, EDIT)
            )
        )
    )
    creatable = set(
        request.dbsession.scalars(
            select(Customer.id).where(
                Customer.id.in_({f.customer_id for f in rows}),
                Customer.id.in_(customers_reached(request, CREATE)),
            )
        )
    )
    title = request.translate(_("My follow-ups"))
    return {
        "groups": groups,
        "team": team,
        "can_team": can_team,
        "editable": editable,
        "creatable": creatable,
        "methods": labels(request),
        "title": title,
        "breadcrumbs": [(title, None)],
    }


@view_config(
    route_name="followups_widget", renderer=TEMPLATES + "followup_widget.jinja2", permission=VIEW
)
def followups_widget(request: Any) -> dict[str, Any]:
    """The home page card: how many of the user's follow-ups are overdue, due today, due soon."""
    week_end = day_bounds(request)[2]
    rows = list(request.dbsession.scalars(due_followups(request, False, week_end, MINE_LIMIT)))
    return {"groups": due_groups(request, rows), "cap": MINE_LIMIT}


# -- plans --------------------------------------------------------------------


def plan_form(request: Any, plan: FollowUpPlan | None) -> PlanForm:
    """The plan form offering the people whose follow-ups the user may plan."""
    people = people_in_scope(request.dbsession, request.identity, EDIT)
    post = request.POST if request.method == "POST" else None
    return PlanForm(request, post, obj=plan, people=people)


def saved_plan(request: Any, form: PlanForm, plan: FollowUpPlan) -> bool:
    """Validate and save ``plan``; whether it was saved (else the form shows why)."""

    def save() -> None:
        save_plan(request.dbsession, plan, form.values())

    return save_form(request, form, save, plan, versioned=True) is not None


@view_config(
    route_name="followup_plan_new",
    renderer=TEMPLATES + "followup_plan_form.jinja2",
    permission=CREATE,
)
def plan_new(context: RecordContext, request: Any) -> Any:
    """Plan recurring follow-ups with the customer."""
    customer = context.record
    form = plan_form(request, None)
    if saved_plan(request, form, FollowUpPlan(customer_id=customer.id, active=True)):
        request.flash(_("The follow-up plan is saved."))
        return back_to(request, customer.id)
    return customer_form_page(request, form, customer, _("Plan recurring follow-ups"))


@view_config(
    route_name="followup_plan_edit",
    renderer=TEMPLATES + "followup_plan_form.jinja2",
    permission=EDIT,
)
def plan_edit(context: RecordContext, request: Any) -> Any:
    """Change a plan."""
    plan = context.record
    form = plan_form(request, plan)
    if saved_plan(request, form, plan):
        request.flash(_("The follow-up plan is saved."))
        return back_to(request, plan.customer_id)
    return customer_form_page(request, form, plan.customer, _("Edit the follow-up plan"))


@view_config(route_name="followup_plan_stop", request_method="POST", permission=EDIT)
def plan_stop(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Stop a plan: no more follow-ups are planned by it."""
    return act(request, context.record, stop_plan, _("The follow-up plan is stopped."))


# -- attachments --------------------------------------------------------------


def find_attachment(request: Any, raw_id: Any, permission: str) -> Attachment | None:
    """The live attachment ``raw_id`` of a live follow-up that ``permission`` reaches."""
    attachment_id = parse_id(raw_id)
    query = (
        select(Attachment)
        .join(FollowUp, FollowUp.id == Attachment.follow_up_id)
        .where(
            Attachment.id == attachment_id,
            Attachment.deleted_at.is_(None),
            live_followups(),
            followup_scope(request, permission),
        )
    )
    return request.dbsession.scalars(query).first() if attachment_id else None


def attachment_factory(action: str) -> Any:
    """A route context factory: live attachment ``{id}`` of a follow-up in scope, else 404."""
    return route_factory(CUSTOMER, find_attachment, {"view": VIEW, "edit": EDIT}[action])


@view_config(route_name="attachment_download", permission=VIEW)
def attachment_download(context: RecordContext, request: Any) -> Any:
    """The file, as a download."""
    return download(context.record, limits(request.registry.settings), request)


@view_config(route_name="attachment_delete", request_method="POST", permission=EDIT)
def attachment_delete(context: RecordContext, request: Any) -> HTTPSeeOther:
    """Delete an attachment; back to the follow-up."""
    attachment = context.record
    delete_attachment(attachment)
    request.flash(_("${name} is deleted."), "warning", name=attachment.filename)
    followup = attachment.follow_up
    default = request.route_path("followup_edit", id=followup.id)
    return HTTPSeeOther(safe_next(request.params.get("next"), default))


def includeme(config: Any) -> None:
    """The routes of the follow-up pages; every one checks the customer's scope (else 404)."""
    customer = r"/customers/{id:\d+}"
    one = r"/follow-ups/{id:\d+}"
    plan = r"/follow-up-plans/{id:\d+}"
    config.add_route("my_followups", "/follow-ups/mine")
    config.add_route("followups_widget", "/follow-ups/widgets/due")
    config.add_route(
        "customer_followups", customer + "/follow-ups", factory=customer_factory("view")
    )
    config.add_route(
        "customer_followup_new", customer + "/follow-ups/new", factory=customer_factory("create")
    )
    config.add_route("followup_edit", one + "/edit", factory=followup_factory("edit"))
    config.add_route("followup_cancel", one + "/cancel", factory=followup_factory("edit"))
    config.add_route("followup_delete", one + "/delete", factory=followup_factory("delete"))
    config.add_route(
        "followup_plan_new", customer + "/follow-up-plans/new", factory=customer_factory("create")
    )
    config.add_route("followup_plan_edit", plan + "/edit", factory=plan_factory("edit"))
    config.add_route("followup_plan_stop", plan + "/stop", factory=plan_factory("edit"))
    config.add_route(
        "attachment_download", r"/attachments/{id:\d+}", factory=attachment_factory("view")
    )
    config.add_route(
        "attachment_delete", r"/attachments/{id:\d+}/delete", factory=attachment_factory("edit")
    )
    config.scan("plugins.customers.followup_views")
