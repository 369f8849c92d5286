"""Explain access: may this user view, edit, delete … this record, and why (not)?

The verdict of each action is decided by the same predicate that enforces it
(:func:`core.security.scopes.in_scope`, i.e. ``scope_filter``), so the
explanation and the enforcement cannot disagree; each of the user's grants is
then checked on its own to say which role and scope matched, or why not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pyramid.i18n import TranslationString
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from core.contributions import Permission, RecordType
from core.forms import Form
from core.i18n import _
from core.security.catalog import role_label
from core.security.identity import Identity, build_identity
from core.security.models import Region, Team, User
from core.security.scopes import in_scope

#: Ids are 64-bit integers in every supported database.
MAX_ID = 2**63


class RecordNotFound(Exception):
    """No record with that id (or none the person asking may view)."""


@dataclass(frozen=True)
class Reason:
    """One line of an explanation; ``grants`` tells whether it is a reason for yes."""

    message: TranslationString
    grants: bool


@dataclass(frozen=True)
class Verdict:
    """Whether the user may perform one action on the record, and why."""

    permission: Permission
    allowed: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Explanation:
    """The verdicts of every action of a record type on one record, for one user."""

    user: User
    record_type: RecordType
    record: Any
    verdicts: tuple[Verdict, ...]
    notes: tuple[TranslationString, ...] = ()


def action_permissions(
    record_type: RecordType, catalogue: Mapping[str, Permission]
) -> list[Permission]:
    """The catalogue's ``{prefix}.<action>`` permissions of ``record_type``."""
    prefix = record_type.permission_prefix + "."
    return [permission for name, permission in catalogue.items() if name.startswith(prefix)]


def render_reason(request: Any, message: TranslationString) -> str:
    """Translate a reason, translating the translation strings (and tuples) it mentions."""

    def text(value: Any) -> Any:
        if isinstance(value, tuple):
            return "、".join(text(item) for item in value)
        return request.translate(value) if isinstance(value, TranslationString) else value

    mapping = {key: text(value) for key, value in (message.mapping or {}).items()}
    return request.translate(message, **mapping)


#: The reason for each scope and case: the grant matches, the record type has no
#: such column, the user has no team/region, the record's column is empty, or
#: the record belongs to somebody (somewhere) else.
SCOPE_REASONS = {
    ("own", "match"): _("${role}: granted for own records, and ${user} owns this record."),
    ("own", "no_column"): _(
        "${role}: granted for own records, but this kind of record has no owner."
    ),
    ("own", "empty"): _("${role}: granted for own records, but this record has no owner."),
    ("own", "other"): _("${role}: granted for own records, but this record is owned by ${owner}."),
    ("team", "match"): _(
        "${role}: granted for the team's records; this record belongs to ${team}, "
        "which is ${user}'s team or one of its sub-teams."
    ),
    ("team", "no_column"): _(
        "${role}: granted for the team's records, but this kind of record has no team."
    ),
    ("team", "no_user_value"): _(
        "${role}: granted for the team's records, but ${user} is in no team."
    ),
    ("team", "empty"): _("${role}: granted for the team's records, but this record has no team."),
    ("team", "other"): _(
        "${role}: granted for the team's records, but this record's team ${team} "
        "is not ${user}'s team or one of its sub-teams."
    ),
    ("region", "match"): _(
        "${role}: granted in assigned regions; this record's region ${regions} "
        "is assigned to ${user}."
    ),
    ("region", "no_column"): _(
        "${role}: granted in assigned regions, but this kind of record has no region."
    ),
    ("region", "no_user_value"): _(
        "${role}: granted in assigned regions, but no region is assigned to ${user}."
    ),
    ("region", "empty"): _("${role}: granted in assigned regions, but this record has no region."),
    ("region", "other"): _(
        "${role}: granted in assigned regions, but this record's region ${regions} "
        "is not assigned to ${user}."
    ),
}


class _Context:
    """What the reasons about one user and one record need."""

    def __init__(
        self, session: Session, user: User, identity: Identity, record_type: RecordType, record: Any
    ) -> None:
        self.session = session
        self.user = user
        self.identity = identity
        self.record_type = record_type
        self.record = record

    def matches(self, permission: Permission, scope: str) -> bool:
        """Whether a grant of ``permission`` under ``scope`` alone reaches the record."""
        single = dataclasses.replace(self.identity, grants={permission.name: frozenset({scope})})
        return in_scope(self.session, single, self.record_type, self.record.id, permission.name)

    def _scope_facts(self, scope: str) -> tuple[tuple[str, ...], Any, Any, dict[str, str]]:
        """The record's columns for ``scope``, the user's values, the record's, and their names."""
        columns = self.record_type.scope
        if scope == "own":
            owner = getattr(self.record, columns.owner) if columns.owner else None
            names = {"owner": self._name(User, owner)} if owner is not None else {}
            return (columns.owner,) if columns.owner else (), True, owner, names
        if scope == "team":
            team = getattr(self.record, columns.team) if columns.team else None
            names = {"team": self._name(Team, team)} if team is not None else {}
            return (columns.team,) if columns.team else (), self.identity.team_ids, team, names
        codes = [code for code in (getattr(self.record, c) for c in columns.regions) if code]
        query = select(Region.code, Region.name).where(Region.code.in_(codes))
        found = {code: name for code, name in self.session.execute(query)}
        names = {"regions": "、".join(f"{found.get(code, code)} ({code})" for code in codes)}
        return columns.regions, self.identity.region_codes, codes, names

    def _name(self, model: type, key: Any) -> str:
        found = self.session.get(model, key)
        return found.name if found is not None else f"#{key}"

    def reason(self, role: Any, permission: Permission, scope: str) -> Reason:
        """Why a grant of ``permission`` under ``scope`` by ``role`` does or does not match."""
        mapping: dict[str, Any] = {"role": role_label(role), "user": self.user.name}
        if not permission.scoped:
            return Reason(_("${role}: granted.", mapping=mapping), True)
        if scope == "all":
            return Reason(_("${role}: granted for all records.", mapping=mapping), True)
        matched = self.matches(permission, scope)
        columns, user_values, value, names = self._scope_facts(scope)
        if matched:
            case = "match"
        elif not columns:
            case = "no_column"
        elif not user_values:
            case = "no_user_value"
        elif not value:
            case = "empty"
        else:
            case = "other"
        mapping.update(names)
        return Reason(TranslationString(SCOPE_REASONS[scope, case], mapping=mapping), matched)


def _grant_reasons(context: _Context, permission: Permission) -> tuple[Reason, ...]:
    """One reason per grant of ``permission`` among the user's roles, or why there is none."""
    user = context.user
    reasons = [
        context.reason(role, permission, grant.scope)
        for role in user.roles
        for grant in role.grants
        if grant.permission == permission.name and grant.scope is not None
    ]
    if reasons:
        return tuple(reasons)
    if not user.roles:
        return (Reason(_("${user} has no role.", mapping={"user": user.name}), False),)
    roles = tuple(role_label(role) for role in user.roles)
    message = _(
        "None of ${user}'s roles (${roles}) grants this permission.",
        mapping={"user": user.name, "roles": roles},
    )
    return (Reason(message, False),)


def explain_access(
    session: Session,
    viewer: Identity | None,
    user: User,
    record_type: RecordType,
    record_id: Any,
    catalogue: Mapping[str, Permission],
    enabled: frozenset[str],
) -> Explanation:
    """Explain every action of ``record_type`` on record ``record_id`` for ``user``.

    ``viewer`` is whoever asks: the record must be within the scope of one of
    their own permissions of the record type, otherwise (or when there is no
    such record) :class:`RecordNotFound` is raised.
    ``catalogue`` and ``enabled`` are the permission catalogue and the names of
    the enabled modules.
    """
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        raise RecordNotFound(record_id) from None
    if not 0 < record_id < MAX_ID:
        raise RecordNotFound(record_id)
    actions = action_permissions(record_type, catalogue)
    if not any(in_scope(session, viewer, record_type, record_id, p.name) for p in actions):
        raise RecordNotFound(record_id)
    record = session.get(record_type.model, record_id)
    identity = build_identity(session, user, enabled)
    context = _Context(session, user, identity, record_type, record)
    module = record_type.permission_prefix.split(".", 1)[0]
    mapping = {"user": user.name, "module": module}
    verdicts = []
    for permission in actions:
        if not user.is_active:
            reason = Reason(_("${user} is deactivated and cannot sign in.", mapping=mapping), False)
            verdicts.append(Verdict(permission, False, (reason,)))
        elif module != "core" and module not in enabled:
            reason = Reason(_("The module ${module} is disabled.", mapping=mapping), False)
            verdicts.append(Verdict(permission, False, (reason,)))
        else:
            allowed = (
                in_scope(session, identity, record_type, record_id, permission.name)
                if permission.scoped
                else identity.can(permission.name)
            )
            verdicts.append(Verdict(permission, allowed, _grant_reasons(context, permission)))
    notes = []
    if getattr(record, "deleted_at", None) is not None:
        notes.append(_("This record is deleted; normal pages do not show it until it is restored."))
    return Explanation(user, record_type, record, tuple(verdicts), tuple(notes))


class ExplainForm(Form):
    """Whom and which record to explain."""

    user = SelectField(_("User"), [InputRequired()], coerce=int)
    record_type = SelectField(_("Record type"), [InputRequired()])
    record_id = StringField(_("Record id"), [InputRequired(), Length(max=20)])

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        inactive = request.translate(_("deactivated"))
        users = request.dbsession.scalars(select(User).order_by(User.username))
        self.user.choices = [
            (user.id, f"{user.name} ({user.username}{'' if user.is_active else ', ' + inactive})")
            for user in users
        ]
        self.record_type.choices = [
            (name, request.translate(record_type.label))
            for name, record_type in sorted(request.record_types.items())
        ]


@view_config(
    route_name="settings_explain",
    renderer="core:templates/admin/explain.jinja2",
    permission="core.roles.manage",
)
def explain_page(request: Any) -> dict[str, Any]:
    """The form, and the explanation once a user and a record are chosen."""
    asked = "record_id" in request.GET
    form = ExplainForm(request, request.GET if asked else None)
    explanation = None
    if asked and form.validate():
        user = request.dbsession.get(User, form.user.data)
        record_type = request.record_types[form.record_type.data]
        try:
            explanation = explain_access(
                request.dbsession,
                request.identity,
                user,
                record_type,
                form.record_id.data.strip(),
                request.permissions,
                request.enabled_modules,
            )
        except RecordNotFound:
            form.record_id.errors.append(
                _(
                    "There is no ${type} with this id that you may see.",
                    mapping={"type": request.translate(record_type.label)},
                )
            )
    return {
        "form": form,
        "explanation": explanation,
        "render_reason": lambda message: render_reason(request, message),
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Roles")), request.route_path("settings_roles")),
            (request.translate(_("Explain access")), None),
        ],
    }


def includeme(config: Any) -> None:
    """The "Explain access" route."""
    config.add_route("settings_explain", "/settings/explain-access")
    config.scan("core.security.explain")
