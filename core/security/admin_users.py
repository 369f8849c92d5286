"""Settings → Users: list, create, edit, deactivate and reactivate users."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import selectinload
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from core.i18n import LOCALE_NAMES, _
from core.security.account import ProfileForm
from core.security.catalog import role_label
from core.security.models import Region, Role, Team, User
from core.security.regions import region_label
from core.security.service_errors import Refused
from core.security.team_service import team_tree
from core.security.user_service import (
    UserData,
    assignable_regions,
    create_user,
    manager_for,
    set_user_active,
    update_user,
)
from core.validation import parse_id
from core.web.form_feedback import flash_refusal, save_form, submitted_version

PERMISSION = "core.users.manage"
PAGE_SIZE = 50
#: Paging stops here; beyond it the page asks for a narrower search.
MAX_PAGE = 100
SORTS = {
    "username": User.username,
    "name": User.display_name,
    "email": User.email,
    "last_login": User.last_login_at,
}
ACTIVE_FILTERS = {"yes": True, "no": False}


def team_choices(session: Any, blank: Any) -> list[SelectChoice]:
    """The team tree as indented choices, after a blank choice labelled ``blank``."""
    return [SelectChoice("", blank)] + [
        SelectChoice(str(team.id), "— " * depth + team.name) for team, depth in team_tree(session)
    ]


class UserForm(ProfileForm):
    """A user as an administrator sees it (the profile fields plus access)."""

    username = StringField(_("Username"), [InputRequired(), Length(max=64)])
    email = EmailField(_("E-mail"), [Optional(), Length(max=254)])
    language = SelectField(_("Language"))
    team = SelectField(_("Team"))
    provinces = SelectMultipleField(_("Provinces"), render_kw={"size": 8})
    cities = SelectMultipleField(
        _("Cities"),
        description=_("Optional: cities only, without their whole province."),
        render_kw={"size": 8},
    )
    roles = SelectMultipleField(_("Roles"), render_kw={"size": 5})
    password = PasswordField(_("Initial password"), [Optional(), Length(max=256)])
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, *, user: User | None) -> None:
        super().__init__(request, formdata, data=self.values(request, user))
        session = request.dbsession
        self.language.choices = [SelectChoice("", request.translate(_("Browser language")))] + [
            SelectChoice(code, name) for code, name in LOCALE_NAMES.items()
        ]
        self.team.choices = team_choices(session, request.translate(_("No team")))
        provinces, cities = [], []
        for region, parent in assignable_regions(session):
            if region.level == 1:
                provinces.append(SelectChoice(region.code, region.name))
            else:
                label = region_label(region, parent)
                group = parent.name if parent is not None else ""
                cities.append(SelectChoice(region.code, label, optgroup=group))
        self.provinces.choices = provinces
        self.cities.choices = cities
        self.roles.choices = [
            SelectChoice(str(role.id), request.translate(role_label(role)))
            for role in session.scalars(select(Role).order_by(Role.id))
        ]
        if user is None:
            self.password.flags.required = True
        else:
            self.password.label.text = _("New password")
            self.password.description = _("Leave empty to keep the current password.")

    @staticmethod
    def values(request: Any, user: User | None) -> dict[str, Any]:
        """The form's initial values: the user's, or the defaults for a new user."""
        timezone = request.registry.settings["guanxi.default_timezone"]
        if user is None:
            return {"language": "", "team": "", "timezone": timezone}
        return {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "mobile": user.mobile,
            "language": user.language or "",
            "timezone": user.timezone or timezone,
            "team": str(user.team_id or ""),
            "provinces": [region.code for region in user.regions if region.level == 1],
            "cities": [region.code for region in user.regions if region.level != 1],
            "roles": [str(role.id) for role in user.roles],
            "version": user.version,
        }

    def user_data(self) -> UserData:
        """The submitted values as the service's input."""
        session = self.request.dbsession
        codes = set(self.provinces.data or []) | set(self.cities.data or [])
        role_ids = [int(value) for value in self.roles.data or []]
        return UserData(
            username=self.username.data or "",
            display_name=self.display_name.data or "",
            email=self.email.data,
            mobile=self.mobile.data,
            language=self.language.data,
            timezone=self.timezone.data,
            team=session.get(Team, int(self.team.data)) if self.team.data else None,
            regions=list(session.scalars(select(Region).where(Region.code.in_(codes)))),
            roles=list(session.scalars(select(Role).where(Role.id.in_(role_ids)))),
            password=self.password.data or None,
        )


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with wildcards escaped (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def user_filters(request: Any) -> tuple[dict[str, str], dict[str, str], list[ColumnElement]]:
    """The list's filters from the query string: values, chip labels and WHERE clauses.

    Invalid values are ignored.
    """
    params, translate = request.GET, request.translate
    applied: dict[str, str] = {}
    labels: dict[str, str] = {}
    clauses: list[ColumnElement[bool]] = []
    text = params.get("q", "").strip()[:100]
    if text:
        applied["q"] = text
        labels["q"] = translate(_("Search: ${text}"), text=text)
        pattern = like_pattern(text.lower())
        columns = (User.username, User.display_name, User.email, User.mobile)
        clauses.append(or_(*(func.lower(col).like(pattern, escape="\\") for col in columns)))
    team_id = parse_id(params.get("team"))
    team = request.dbsession.get(Team, team_id) if team_id else None
    if team is not None:
        applied["team"] = str(team.id)
        labels["team"] = translate(_("Team: ${name}"), name=team.name)
        clauses.append(User.team_id.in_(select(Team.id).where(Team.path.startswith(team.path))))
    role_id = parse_id(params.get("role"))
    role = request.dbsession.get(Role, role_id) if role_id else None
    if role is not None:
        applied["role"] = str(role.id)
        labels["role"] = translate(_("Role: ${name}"), name=translate(role_label(role)))
        clauses.append(User.roles.any(Role.id == role.id))
    active = params.get("active")
    if active in ACTIVE_FILTERS:
        applied["active"] = active
        labels["active"] = translate(_("Active") if ACTIVE_FILTERS[active] else _("Deactivated"))
        clauses.append(User.is_active.is_(ACTIVE_FILTERS[active]))
    return applied, labels, clauses


@view_config(
    route_name="users", renderer="core:templates/admin/users_list.jinja2", permission=PERMISSION
)
def users_list(request: Any) -> dict[str, Any]:
    """Users matching the search and filters, one bounded page at a time."""
    applied, labels, clauses = user_filters(request)
    sort = request.GET.get("sort", "username")
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort = key = "username"
    column = SORTS[key]
    order = column.desc() if sort.startswith("-") else column.asc()
    page = min(max(parse_id(request.GET.get("page")) or 1, 1), MAX_PAGE)
    users = list(
        request.dbsession.scalars(
            select(User)
            .where(*clauses)
            .options(selectinload(User.roles), selectinload(User.team))
            .order_by(order.nulls_last(), User.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )

    def url(**changes: Any) -> str:
        query = {**applied, "sort": sort, "page": page, **changes}
        return request.route_path(
            "users", _query={k: v for k, v in query.items() if v not in ("", None)}
        )

    def sort_url(name: str) -> str:
        return url(sort=f"-{name}" if sort == name else name, page=None)

    return {
        "users": users[:PAGE_SIZE],
        "applied": applied,
        "chips": [(labels[name], url(**{name: None, "page": None})) for name in applied],
        "sort": sort,
        "page": page,
        "has_next": len(users) > PAGE_SIZE and page < MAX_PAGE,
        "at_limit": len(users) > PAGE_SIZE and page == MAX_PAGE,
        "url": url,
        "sort_url": sort_url,
        "teams": team_choices(request.dbsession, request.translate(_("All teams"))),
        "roles": {
            role.id: request.translate(role_label(role))
            for role in request.dbsession.scalars(select(Role).order_by(Role.id))
        },
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Users")), None),
        ],
    }


def _load_user(request: Any) -> User:
    user = request.dbsession.get(User, parse_id(request.matchdict["id"]) or 0)
    if user is None:
        raise HTTPNotFound()
    return user


def _form_page(request: Any, form: UserForm, user: User | None) -> dict[str, Any]:
    crumbs = [
        (request.translate(_("Settings")), None),
        (request.translate(_("Users")), request.route_path("users")),
        (user.username if user else request.translate(_("New user")), None),
    ]
    return {"form": form, "user": user, "breadcrumbs": crumbs}


@view_config(
    route_name="user_new", renderer="core:templates/admin/users_form.jinja2", permission=PERMISSION
)
def user_new(request: Any) -> Any:
    """Create a user with an initial password."""
    posted = request.POST if request.method == "POST" else None
    form = UserForm(request, posted, user=None)
    user = save_form(
        request,
        form,
        lambda: create_user(request.dbsession, manager_for(request), form.user_data()),
    )
    if user is not None:
        request.flash(_("User ${name} is created."), name=user.username)
        return HTTPSeeOther(location=request.route_path("users"))
    return _form_page(request, form, None)


@view_config(
    route_name="user_edit", renderer="core:templates/admin/users_form.jinja2", permission=PERMISSION
)
def user_edit(request: Any) -> Any:
    """Edit a user; a save over someone else's newer changes is refused."""
    user = _load_user(request)
    posted = request.POST if request.method == "POST" else None
    form = UserForm(request, posted, user=user)

    def save() -> None:
        manager = manager_for(request)
        update_user(request.dbsession, manager, user, form.user_data(), submitted_version(form))

    if save_form(request, form, save, user) is not None:
        request.flash(_("User ${name} is saved."), name=user.username)
        return HTTPSeeOther(location=request.route_path("users"))
    return _form_page(request, form, user)


@view_config(route_name="user_active", request_method="POST", permission=PERMISSION)
def user_active(request: Any) -> Any:
    """Deactivate (ending every session) or reactivate a user."""
    user = _load_user(request)
    active = request.POST.get("active") == "1"
    try:
        set_user_active(request.dbsession, manager_for(request), user, active)
    except Refused as refused:
        flash_refusal(request, refused)
    else:
        if active:
            request.flash(_("${name} is active again and can log in."), name=user.name)
        else:
            request.flash(_("${name} is deactivated and logged out everywhere."), name=user.name)
    return HTTPSeeOther(location=request.route_path("user_edit", id=user.id))


def includeme(config: Any) -> None:
    """Routes of the users pages."""
    config.add_route("users", "/settings/users")
    config.add_route("user_new", "/settings/users/new")
    config.add_route("user_edit", "/settings/users/{id:\\d+}")
    config.add_route("user_active", "/settings/users/{id:\\d+}/active")
    config.scan("core.security.admin_users")
