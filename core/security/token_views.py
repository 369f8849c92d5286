"""My account → API tokens: list, create (shown once) and revoke personal API tokens."""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select
from wtforms import IntegerField, SelectMultipleField, StringField
from wtforms.validators import Optional

from core.contributions import Permission
from core.forms import Form
from core.i18n import _
from core.security.models import ApiToken
from core.security.tokens import TokenError, issue_token, revoke_token

DEFAULT_EXPIRY_DAYS = 90
TEMPLATE = "core:templates/security/tokens.jinja2"


class TokenForm(Form):
    """What a new token is called, how long it lives and what it may do.

    The rules (name length, 1–365 days, permissions the user holds) live in
    :func:`core.security.tokens.issue_token`, shared with the CLI.
    """

    name = StringField(_("Name"), description=_("What the token is for, e.g. the ERP sync."))
    expires_days = IntegerField(
        _("Expires after (days)"),
        [Optional()],
        default=DEFAULT_EXPIRY_DAYS,
        render_kw={"min": 1, "max": 365},
        description=_("1 to 365 days; leave empty for a token that never expires."),
    )
    permissions = SelectMultipleField(_("Permissions"), validate_choice=False)


def refuse_token_requests(request: Any) -> None:
    """Tokens are managed from a browser session: a token may not mint or revoke tokens."""
    if request.identity.token is not None:
        raise HTTPForbidden()


def grantable(request: Any) -> list[Permission]:
    """The permissions the user holds now (and whose module is enabled), sorted by name."""
    catalogue = request.permissions
    return [catalogue[name] for name in sorted(request.identity.grants) if name in catalogue]


def permission_groups(request: Any, permissions: list[Permission]) -> list[tuple[Any, list]]:
    """``(module label, permissions)`` pairs: the core first, then modules in load order."""
    modules = request.registry["modules"].modules
    labels: dict[str, Any] = {"core": _("Core")}
    labels.update({name: module.manifest.label for name, module in modules.items()})
    grouped: dict[str, list[Permission]] = {}
    for permission in permissions:
        grouped.setdefault(permission.module, []).append(permission)
    return [(labels[name], grouped[name]) for name in labels if name in grouped]


def page(request: Any, form: TokenForm, created: tuple[ApiToken, str] | None = None) -> dict:
    """What the tokens page shows."""
    tokens = request.dbsession.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == request.user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    return {
        "form": form,
        "tokens": tokens,
        "groups": permission_groups(request, grantable(request)),
        "created": created,
        "breadcrumbs": [
            (request.translate(_("My account")), request.route_path("account")),
            (request.translate(_("API tokens")), None),
        ],
    }


@view_config(
    route_name="account_tokens", request_method="GET", renderer=TEMPLATE, permission="authenticated"
)
def tokens_page(request: Any) -> dict:
    """The user's tokens and the form for a new one."""
    refuse_token_requests(request)
    return page(request, TokenForm(request))


@view_config(
    route_name="account_tokens",
    request_method="POST",
    renderer=TEMPLATE,
    permission="authenticated",
)
def create_token_view(request: Any) -> dict:
    """Create a token and show its value in this response only (never stored or flashed)."""
    refuse_token_requests(request)
    form = TokenForm(request, request.POST)
    if form.validate():
        try:
            created = issue_token(
                request.dbsession,
                request.user,
                form.name.data or "",
                form.permissions.data or [],
                form.expires_days.data,
                held=[permission.name for permission in grantable(request)],
            )
        except TokenError as exc:
            form[exc.field].errors.append(exc.message)
        else:
            request.response.cache_control = "no-store"
            return page(request, TokenForm(request), created)
    return page(request, form)


@view_config(route_name="account_token_revoke", request_method="POST", permission="authenticated")
def revoke_token_view(request: Any) -> HTTPSeeOther:
    """Revoke one of the user's own tokens (another user's id is a 404)."""
    refuse_token_requests(request)
    token = request.dbsession.scalars(
        select(ApiToken).where(
            ApiToken.id == int(request.matchdict["id"]), ApiToken.user_id == request.user.id
        )
    ).first()
    if token is None:
        raise HTTPNotFound()
    if revoke_token(request.dbsession, token):
        request.flash(_("The token ${name} is revoked."), name=token.name)
    else:
        request.flash(_("The token ${name} was already revoked."), "info", name=token.name)
    return HTTPSeeOther(location=request.route_path("account_tokens"))


def includeme(config: Any) -> None:
    """Routes of the tokens page."""
    config.add_route("account_tokens", "/account/tokens")
    config.add_route("account_token_revoke", "/account/tokens/{id:[0-9]{1,18}}/revoke")
    config.scan("core.security.token_views")
