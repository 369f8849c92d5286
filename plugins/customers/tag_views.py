"""Tag pages: Settings → Tags (list, create, edit, delete) and the customer page's tag editor.

The editor is an htmx fragment in the customer's header: remove a tag, pick one
from a typeahead over existing tags, or (with ``customers.tag.manage``) create one.
Without JavaScript the same forms post and come back to a full editor page.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.view import view_config
from sqlalchemy import select

from core.security.scopes import RecordContext, record_factory
from core.security.service_errors import Refused
from core.validation import parse_id
from core.web.form_feedback import flash_refusal, save_form
from plugins.customers import _
from plugins.customers.models import Customer, Tag, customer_tags
from plugins.customers.service import EDIT, RECORD_TYPE, VIEW, route_record_type
from plugins.customers.tag_forms import TagForm
from plugins.customers.tags import (
    MANAGE,
    NAME_MAX,
    add_tags,
    all_tags,
    carriers,
    clean_name,
    create_tag,
    delete_tag,
    find_tag,
    remove_tags,
    update_tag,
)
from plugins.customers.views import customer_crumbs, may

TEMPLATES = "plugins.customers:templates/customers/"
#: The settings list counts at most this many customers per tag ("1000+").
COUNT_CAP = 1000
#: How many tags the typeahead offers.
SUGGESTIONS = 12
NO_SUCH_TAG = _("There is no tag called ${name}.")


class TagContext:
    """The context of a tag route: the tag."""

    def __init__(self, tag: Tag) -> None:
        self.tag = tag


def tag_factory(request: Any) -> TagContext:
    """Route context loading tag ``{id}``, else 404 (tags have no data scope)."""
    route_record_type(request, RECORD_TYPE)
    tag = request.dbsession.get(Tag, parse_id(request.matchdict.get("id")) or 0)
    if tag is None:
        raise HTTPNotFound()
    return TagContext(tag)


# -- Settings → Tags ----------------------------------------------------------------


def crumbs(request: Any, *more: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """Settings › Tags › …"""
    tags_url = request.route_path("settings_tags") if more else None
    return [
        (request.translate(_("Settings")), None),
        (request.translate(_("Tags")), tags_url),
        *more,
    ]


@view_config(route_name="settings_tags", renderer=TEMPLATES + "tags.jinja2", permission=MANAGE)
def tag_list(request: Any) -> dict[str, Any]:
    """Every tag by group, with how many customers carry it."""
    tags = all_tags(request.dbsession)
    return {
        "groups": [(group, list(members)) for group, members in groupby(tags, lambda t: t.group)],
        "counts": {tag.id: carriers(request.dbsession, tag.id, COUNT_CAP) for tag in tags},
        "cap": COUNT_CAP,
        "breadcrumbs": crumbs(request),
    }


def form_page(request: Any, form: TagForm, tag: Tag | None) -> dict[str, Any]:
    """The template data of the create and edit pages."""
    title = _("Edit tag ${name}", mapping={"name": tag.name}) if tag else _("New tag")
    return {
        "form": form,
        "tag": tag,
        "title": request.translate(title),
        "breadcrumbs": crumbs(request, (request.translate(title), None)),
    }


@view_config(
    route_name="settings_tag_new", renderer=TEMPLATES + "tag_form.jinja2", permission=MANAGE
)
def tag_new(request: Any) -> Any:
    """Create a custom tag."""
    form = TagForm(request, request.POST if request.method == "POST" else None)
    tag = save_form(
        request, form, lambda: create_tag(request.dbsession, form.name.data, form.color.data)
    )
    if tag is not None:
        request.flash(_("Tag ${name} is created."), name=tag.name)
        return HTTPSeeOther(request.route_path("settings_tags"))
    return form_page(request, form, None)


@view_config(
    route_name="settings_tag_edit", renderer=TEMPLATES + "tag_form.jinja2", permission=MANAGE
)
def tag_edit(context: TagContext, request: Any) -> Any:
    """Rename or recolour a tag (system tags keep their name)."""
    tag = context.tag
    form = TagForm(request, request.POST if request.method == "POST" else None, obj=tag)
    if tag.is_system:
        form.name.render_kw = {"readonly": True}
        form.name.description = _("System tags keep their name; you can change the colour.")

    def save() -> None:
        update_tag(request.dbsession, tag, form.name.data, form.color.data)

    if save_form(request, form, save, tag, versioned=True) is not None:
        request.flash(_("Tag ${name} is saved."), name=tag.name)
        return HTTPSeeOther(request.route_path("settings_tags"))
    return form_page(request, form, tag)


@view_config(
    route_name="settings_tag_delete", renderer=TEMPLATES + "tag_delete.jinja2", permission=MANAGE
)
def tag_delete(context: TagContext, request: Any) -> Any:
    """Ask first (saying how many customers carry the tag), then delete it on POST."""
    tag = context.tag
    if request.method == "POST":
        name = tag.name
        try:
            delete_tag(request.dbsession, tag)
        except Refused as refused:
            flash_refusal(request, refused)
        else:
            request.flash(_("Tag ${name} is deleted."), "warning", name=name)
        return HTTPSeeOther(request.route_path("settings_tags"))
    title = request.translate(_("Delete tag ${name}", mapping={"name": tag.name}))
    return {
        "tag": tag,
        "count": carriers(request.dbsession, tag.id),
        "title": title,
        "breadcrumbs": crumbs(request, (title, None)),
    }


# -- the customer page --------------------------------------------------------------


def is_htmx(request: Any) -> bool:
    """Whether htmx asks for a fragment (a boosted link wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def suggestions(request: Any, customer: Customer, text: str) -> dict[str, Any]:
    """Tags the customer does not carry matching ``text``, and a name to create, if allowed."""
    query = clean_name(text)[:NAME_MAX]
    carried = select(customer_tags.c.tag_id).where(customer_tags.c.customer_id == customer.id)
    found = select(Tag).where(Tag.id.not_in(carried))
    if query:
        found = found.where(Tag.name.icontains(query, autoescape=True))
    offered = list(request.dbsession.scalars(found.order_by(Tag.name).limit(SUGGESTIONS)))
    creatable = (
        query
        and request.identity.can(MANAGE)
        and find_tag(request.dbsession, query) is None
        and query.isprintable()
    )
    return {"suggestions": offered, "query": query, "create_name": query if creatable else None}


def editor(
    request: Any, customer: Customer, error: str | None = None, text: str = ""
) -> dict[str, Any]:
    """The template data of the tag editor (fragment or page)."""
    return {
        "customer": customer,
        "error": error,
        "breadcrumbs": customer_crumbs(request, customer, request.translate(_("Tags"))),
        **suggestions(request, customer, text),
    }


@view_config(route_name="customer_tags", renderer=TEMPLATES + "tag_line.jinja2", permission=VIEW)
def customer_tag_line(context: RecordContext, request: Any) -> dict[str, Any]:
    """The customer's tags as badges (the header's content when the editor closes)."""
    customer = context.record
    return {"customer": customer, "can_tag": may(request, customer, EDIT)}


@view_config(
    route_name="customer_tags_edit", renderer=TEMPLATES + "tag_edit_page.jinja2", permission=EDIT
)
def customer_tag_editor(context: RecordContext, request: Any) -> dict[str, Any]:
    """The tag editor: a fragment for htmx, a page without JavaScript."""
    if is_htmx(request):
        request.override_renderer = TEMPLATES + "tag_editor.jinja2"
    request.response.vary = ("HX-Request",)
    return editor(request, context.record)


@view_config(
    route_name="customer_tags_suggest",
    renderer=TEMPLATES + "tag_suggestions.jinja2",
    permission=EDIT,
)
def customer_tag_suggestions(context: RecordContext, request: Any) -> dict[str, Any]:
    """The typeahead's matches for ``?name=``."""
    customer = context.record
    return {"customer": customer, **suggestions(request, customer, request.GET.get("name", ""))}


def after_change(request: Any, customer: Customer, error: Any = None) -> Any:
    """The refreshed editor for htmx; otherwise back to the editor page (errors flashed)."""
    if is_htmx(request):
        message = request.translate(error) if error is not None else None
        return render_to_response(
            TEMPLATES + "tag_editor.jinja2", editor(request, customer, message), request=request
        )
    if error is not None:
        request.flash(error, "danger")
    return HTTPSeeOther(request.route_path("customer_tags_edit", id=customer.id))


def posted_tag(request: Any) -> tuple[Tag | None, Any]:
    """The tag a post names (``tag_id``, or ``name`` with ``create`` to create it), or an error."""
    session = request.dbsession
    tag_id = parse_id(request.POST.get("tag_id"))
    if tag_id is not None:
        tag = session.get(Tag, tag_id)
        return tag, None if tag is not None else _("That tag no longer exists.")
    name = request.POST.get("name", "")
    tag = find_tag(session, name)
    if tag is not None:
        return tag, None
    if not clean_name(name):
        return None, _("Type the name of a tag.")
    if not request.POST.get("create") or not request.identity.can(MANAGE):
        return None, _(NO_SUCH_TAG, mapping={"name": clean_name(name)})
    try:
        return create_tag(session, name), None
    except Refused as refused:
        return None, refused.messages()[0]


@view_config(route_name="customer_tags_add", request_method="POST", permission=EDIT)
def customer_tag_add(context: RecordContext, request: Any) -> Any:
    """Put a tag on the customer (creating it first when asked and allowed)."""
    customer = context.record
    tag, error = posted_tag(request)
    if tag is not None:
        add_tags(request.dbsession, [customer.id], [tag.id])
    return after_change(request, customer, error)


@view_config(route_name="customer_tags_remove", request_method="POST", permission=EDIT)
def customer_tag_remove(context: RecordContext, request: Any) -> Any:
    """Take a tag off the customer."""
    customer = context.record
    tag_id = parse_id(request.POST.get("tag_id"))
    if tag_id is not None:
        remove_tags(request.dbsession, [customer.id], [tag_id])
    return after_change(request, customer)


def includeme(config: Any) -> None:
    """The routes of the tag pages; customer routes load the customer within the scope."""
    config.add_route("settings_tags", "/settings/tags")
    config.add_route("settings_tag_new", "/settings/tags/new")
    tag = r"/settings/tags/{id:\d+}"
    config.add_route("settings_tag_edit", tag + "/edit", factory=tag_factory)
    config.add_route("settings_tag_delete", tag + "/delete", factory=tag_factory)
    customer = r"/customers/{id:\d+}/tags"
    config.add_route("customer_tags", customer, factory=record_factory(RECORD_TYPE, "view"))
    for name, suffix in (
        ("customer_tags_edit", "/edit"),
        ("customer_tags_suggest", "/suggest"),
        ("customer_tags_add", "/add"),
        ("customer_tags_remove", "/remove"),
    ):
        config.add_route(name, customer + suffix, factory=record_factory(RECORD_TYPE, "edit"))
    config.scan("plugins.customers.tag_views")
