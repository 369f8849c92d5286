"""Settings → Teams: the team tree; create, rename, move and delete teams.

A user's team and its sub-teams are read when each request builds the
identity, so a change applies from the user's next request.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from core.forms import Form
from core.i18n import _
from core.security.models import Team, User
from core.security.service_errors import Refused
from core.security.team_service import (
    NAME_MAX,
    add_team,
    change_team,
    delete_blockers,
    delete_team,
    team_tree,
)
from core.validation import parse_id
from core.web.form_feedback import flash_refusal, save_form, submitted_version

PERMISSION = "core.users.manage"


class TeamForm(Form):
    """A team's name and place in the tree."""

    name = StringField(_("Name"), [InputRequired(), Length(max=NAME_MAX)])
    parent = SelectField(_("Parent team"))
    version = HiddenField()

    def __init__(self, request: Any, formdata: Any = None, *, team: Team | None, **kw: Any):
        super().__init__(request, formdata, **kw)
        tree = team_tree(request.dbsession)
        self.parent.choices = [SelectChoice("", request.translate(_("None (top level)")))] + [
            SelectChoice(
                str(node.id),
                "— " * depth + node.name,
                # A team cannot go under itself or its sub-teams.
                render_kw={"disabled": True}
                if team is not None and node.path.startswith(team.path)
                else {},
            )
            for node, depth in tree
        ]

    def parent_team(self) -> Team | None:
        """The chosen parent team."""
        return self.request.dbsession.get(Team, int(self.parent.data)) if self.parent.data else None


def _crumbs(request: Any, label: str | None = None) -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [
        (request.translate(_("Settings")), None),
        (request.translate(_("Teams")), request.route_path("teams") if label else None),
    ]
    return crumbs + ([(label, None)] if label else [])


def _load_team(request: Any) -> Team:
    team = request.dbsession.get(Team, parse_id(request.matchdict["id"]) or 0)
    if team is None:
        raise HTTPNotFound()
    return team


@view_config(
    route_name="teams", renderer="core:templates/admin/teams_list.jinja2", permission=PERMISSION
)
def teams_list(request: Any) -> dict[str, Any]:
    """The team tree as an indented list with member counts."""
    session = request.dbsession
    children: dict[int | None, list[Team]] = defaultdict(list)
    for team, _depth in team_tree(session):
        children[team.parent_id].append(team)
    members = dict(
        session.execute(
            select(User.team_id, func.count())
            .where(User.team_id.is_not(None))
            .group_by(User.team_id)
        ).all()
    )
    return {"children": dict(children), "members": members, "breadcrumbs": _crumbs(request)}


@view_config(
    route_name="team_new", renderer="core:templates/admin/teams_form.jinja2", permission=PERMISSION
)
def team_new(request: Any) -> Any:
    """Create a team (``?parent=ID`` preselects its parent)."""
    posted = request.POST if request.method == "POST" else None
    form = TeamForm(request, posted, team=None, parent=request.GET.get("parent", ""))
    team = save_form(
        request, form, lambda: add_team(request.dbsession, form.name.data, form.parent_team())
    )
    if team is not None:
        request.flash(_("Team ${name} is created."), name=team.name)
        return HTTPSeeOther(location=request.route_path("teams"))
    return {
        "form": form,
        "team": None,
        "breadcrumbs": _crumbs(request, request.translate(_("New team"))),
    }


@view_config(
    route_name="team_edit", renderer="core:templates/admin/teams_form.jinja2", permission=PERMISSION
)
def team_edit(request: Any) -> Any:
    """Rename a team or move it (with its sub-teams) elsewhere in the tree."""
    team = _load_team(request)
    posted = request.POST if request.method == "POST" else None
    form = TeamForm(request, posted, team=team, obj=team, parent=str(team.parent_id or ""))

    def save() -> None:
        parent = form.parent_team()
        change_team(request.dbsession, team, form.name.data, parent, submitted_version(form))

    if save_form(request, form, save, team) is not None:
        request.flash(_("Team ${name} is saved."), name=team.name)
        return HTTPSeeOther(location=request.route_path("teams"))
    return {
        "form": form,
        "team": team,
        "blockers": delete_blockers(request.dbsession, team),
        "breadcrumbs": _crumbs(request, team.name),
    }


@view_config(route_name="team_delete", request_method="POST", permission=PERMISSION)
def team_delete(request: Any) -> Any:
    """Delete a team that has no users and no sub-teams."""
    team = _load_team(request)
    name = team.name
    try:
        delete_team(request.dbsession, team)
    except Refused as refused:
        flash_refusal(request, refused)
        return HTTPSeeOther(location=request.route_path("team_edit", id=team.id))
    request.flash(_("Team ${name} is deleted."), name=name)
    return HTTPSeeOther(location=request.route_path("teams"))


def includeme(config: Any) -> None:
    """Routes of the teams pages."""
    config.add_route("teams", "/settings/teams")
    config.add_route("team_new", "/settings/teams/new")
    config.add_route("team_edit", "/settings/teams/{id:\\d+}")
    config.add_route("team_delete", "/settings/teams/{id:\\d+}/delete")
    config.scan("core.security.admin_teams")
