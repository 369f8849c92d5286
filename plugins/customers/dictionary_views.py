"""Settings → Customer choice lists: levels, industries, sizes, sources, and the code pattern.

Administrators add entries, rename them in the three languages, order them,
retire them (customers keep a retired entry; forms stop offering it) and
offer them again.  Every change is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from core.customfields.models import localized
from core.forms import Form
from core.i18n import LOCALES
from core.validation import parse_id
from plugins.customers import _
from plugins.customers.dictionaries import (
    LABEL_MAX,
    MANAGE,
    DictionaryError,
    add_entry,
    entries,
    load,
    move_entry,
    set_active,
    update_labels,
)
from plugins.customers.models import DICTIONARY_KINDS, DictionaryEntry
from plugins.customers.numbering import code_pattern, save_code_pattern
from plugins.customers.service import company_today

TEMPLATES = "plugins.customers:templates/customers/"
MOVES = {"up": -1, "down": 1}
STALE = _("Somebody changed this entry meanwhile. Here it is as saved now; make your change again.")


class EntryForm(Form):
    """A dictionary entry: its list and code (fixed once saved), its label in every language."""

    kind = SelectField(_("List"))
    code = StringField(
        _("Code"),
        [InputRequired(), Length(max=32)],
        description=_(
            "Stored on customers and used by the API and imports: lower-case letters, "
            "digits, - and _. It cannot be changed later."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    label_en = StringField(_("Label in English"), [InputRequired(), Length(max=LABEL_MAX)])
    label_zh_Hans = StringField(
        _("Label in Simplified Chinese"), [InputRequired(), Length(max=LABEL_MAX)]
    )
    label_zh_Hant = StringField(
        _("Label in Traditional Chinese"), [InputRequired(), Length(max=LABEL_MAX)]
    )
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        self.kind.choices = [
            (kind, request.translate(label)) for kind, label in DICTIONARY_KINDS.items()
        ]

    def texts(self) -> dict[str, str]:
        """The label per language as typed."""
        return {locale: self[f"label_{locale}"].data for locale in LOCALES}

    def show(self, error: DictionaryError) -> None:
        """Show a refusal of the service next to its field."""
        field = self["code" if error.field == "code" else "label_en"]
        field.errors = [*field.errors, error.message]


class CodePatternForm(Form):
    """The pattern of automatic customer codes."""

    pattern = StringField(
        _("Pattern of automatic customer codes"),
        [InputRequired(), Length(max=100)],
        description=_(
            "{yyyy} is the year, {yy} its last two digits, {mm} the month, and {seq:06} a "
            "number of 6 digits that restarts whenever the text before it changes. "
            "Codes typed by hand are kept."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


def entry_from(request: Any) -> DictionaryEntry:
    """The entry named in the URL, else 404."""
    entry = request.dbsession.get(DictionaryEntry, parse_id(request.matchdict["id"]) or 0)
    if entry is None:
        raise HTTPNotFound()
    return entry


def lists_url(request: Any, kind: str | None = None) -> str:
    """The settings page, scrolled to the list of ``kind``."""
    return request.route_path("customer_dictionaries") + (f"#list-{kind}" if kind else "")


def crumbs(request: Any, *more: Any) -> list[Any]:
    """Settings → Customer choice lists (→ …)."""
    page = request.translate(_("Customer choice lists"))
    return [
        (request.translate(_("Settings")), None),
        (page, lists_url(request) if more else None),
        *more,
    ]


def page(request: Any, pattern_form: CodePatternForm) -> dict[str, Any]:
    """The settings page: every list with its entries, and the code pattern form."""
    found: dict[str, list[DictionaryEntry]] = {kind: [] for kind in DICTIONARY_KINDS}
    for entry in entries(request.dbsession):
        found.setdefault(entry.kind, []).append(entry)
    today = company_today(request.registry.settings)
    return {
        "kinds": DICTIONARY_KINDS,
        "lists": found,
        "label_of": lambda entry: localized(entry.labels, request.locale_name) or entry.code,
        "pattern_form": pattern_form,
        "example": code_pattern(request.dbsession).example(today),
        "breadcrumbs": crumbs(request),
    }


@view_config(
    route_name="customer_dictionaries",
    renderer=TEMPLATES + "dictionaries.jinja2",
    permission=MANAGE,
)
def dictionaries_page(request: Any) -> dict[str, Any]:
    """Every customer list and the code pattern."""
    form = CodePatternForm(request, None, pattern=code_pattern(request.dbsession).text)
    return page(request, form)


@view_config(
    route_name="customer_code_pattern",
    request_method="POST",
    renderer=TEMPLATES + "dictionaries.jinja2",
    permission=MANAGE,
)
def change_code_pattern(request: Any) -> Any:
    """Save the code pattern; a pattern that cannot number customers is refused."""
    form = CodePatternForm(request, request.POST)
    if form.validate():
        try:
            pattern = save_code_pattern(request.dbsession, form.pattern.data)
        except ValueError as exc:
            form.pattern.errors = [exc.args[0]]
        else:
            example = pattern.example(company_today(request.registry.settings))
            request.flash(_("Saved. The next new customer gets a code like ${code}."), code=example)
            return HTTPSeeOther(lists_url(request, "code"))
    return page(request, form)


def form_page(request: Any, form: EntryForm, kind: str, entry: DictionaryEntry | None) -> dict:
    """The template data of the add and rename pages."""
    list_label = request.translate(DICTIONARY_KINDS[kind])
    if entry is None:
        title = request.translate(_("Add to ${list}"), list=list_label)
    else:
        label = localized(entry.labels, request.locale_name) or entry.code
        title = request.translate(_("Rename ${entry}"), entry=label)
    return {
        "form": form,
        "kind": kind,
        "entry": entry,
        "title": title,
        "back": lists_url(request, kind),
        "breadcrumbs": crumbs(request, (list_label, lists_url(request, kind)), (title, None)),
    }


@view_config(
    route_name="customer_dictionary_new",
    renderer=TEMPLATES + "dictionaries_form.jinja2",
    permission=MANAGE,
)
def new_entry(request: Any) -> Any:
    """Add an entry at the end of a list (``?kind=industry`` chooses the list)."""
    chosen = request.GET.get("kind")
    initial = chosen if chosen in DICTIONARY_KINDS else next(iter(DICTIONARY_KINDS))
    form = EntryForm(request, request.POST if request.method == "POST" else None, kind=initial)
    del form.version
    kind = form.kind.data if form.kind.data in DICTIONARY_KINDS else initial
    if request.method == "POST" and form.validate():
        try:
            entry = add_entry(request.dbsession, kind, form.code.data, form.texts())
        except DictionaryError as error:
            form.show(error)
        else:
            label = localized(entry.labels, request.locale_name)
            request.flash(_("${entry} is added."), entry=label)
            return HTTPSeeOther(lists_url(request, kind))
    return form_page(request, form, kind, None)


@view_config(
    route_name="customer_dictionary_edit",
    renderer=TEMPLATES + "dictionaries_form.jinja2",
    permission=MANAGE,
)
def rename_entry(request: Any) -> Any:
    """Change an entry's labels; its code stays."""
    entry = entry_from(request)
    stored = {f"label_{locale}": entry.labels.get(locale, "") for locale in LOCALES}
    post = request.POST if request.method == "POST" else None
    form = EntryForm(request, post, version=str(entry.version), **stored)
    del form.kind
    del form.code
    if post is not None and form.validate():
        if form.version.data != str(entry.version):
            form.process(None, version=str(entry.version), **stored)
            form.form_errors.append(STALE)
        else:
            try:
                update_labels(request.dbsession, entry, form.texts())
            except DictionaryError as error:
                form.show(error)
            else:
                label = localized(entry.labels, request.locale_name)
                request.flash(_("${entry} is saved."), entry=label)
                return HTTPSeeOther(lists_url(request, entry.kind))
    return form_page(request, form, entry.kind, entry)


@view_config(route_name="customer_dictionary_move", request_method="POST", permission=MANAGE)
def move(request: Any) -> HTTPSeeOther:
    """Move an entry one place up or down in its list."""
    entry = entry_from(request)
    offset = MOVES.get(request.POST.get("direction", ""))
    if offset is None:
        raise HTTPNotFound()
    move_entry(request.dbsession, entry, offset)
    return HTTPSeeOther(lists_url(request, entry.kind))


@view_config(route_name="customer_dictionary_retire", request_method="POST", permission=MANAGE)
def retire(request: Any) -> HTTPSeeOther:
    """Stop offering an entry; customers that have it keep it."""
    entry = entry_from(request)
    label = localized(entry.labels, request.locale_name)
    try:
        set_active(request.dbsession, entry, False)
    except DictionaryError as error:
        request.flash(error.message, "warning")
    else:
        request.flash(
            _("${entry} is retired: no longer offered, still shown on the customers that have it."),
            entry=label,
        )
    return HTTPSeeOther(lists_url(request, entry.kind))


@view_config(route_name="customer_dictionary_reactivate", request_method="POST", permission=MANAGE)
def reactivate(request: Any) -> HTTPSeeOther:
    """Offer a retired entry again."""
    entry = entry_from(request)
    set_active(request.dbsession, entry, True)
    request.flash(
        _("${entry} is offered again."), entry=localized(entry.labels, request.locale_name)
    )
    return HTTPSeeOther(lists_url(request, entry.kind))


def includeme(config: Any) -> None:
    """The settings routes, and ``request.customer_dictionary`` (read once per request)."""
    config.add_request_method(load, "customer_dictionary", reify=True)
    base = "/settings/customer-lists"
    entry = base + r"/{id:\d+}"
    config.add_route("customer_dictionaries", base)
    config.add_route("customer_code_pattern", base + "/code-pattern")
    config.add_route("customer_dictionary_new", base + "/new")
    config.add_route("customer_dictionary_edit", entry)
    config.add_route("customer_dictionary_move", entry + "/move")
    config.add_route("customer_dictionary_retire", entry + "/retire")
    config.add_route("customer_dictionary_reactivate", entry + "/reactivate")
    config.scan("plugins.customers.dictionary_views")
