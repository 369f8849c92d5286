"""Two-factor authentication (TOTP): enrolment, the login step, and the admin requirement.

* ``/account/two-factor`` shows a QR code of a new secret (kept encrypted in the
  cookie session until confirmed); a correct code turns TOTP on and shows ten
  recovery codes once.  Turning it off needs the password.
* After the password, a user with TOTP holds an unverified session and enters a
  code or a recovery code at ``/login/verify``.  Used TOTP steps and recovery
  codes never work twice; ``throttle.CODE_LIMIT`` wrong codes end the login.
* Settings → Security can require TOTP for administrators (users holding any
  ``core.*`` permission): until they enrol, every page sends them to enrolment.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import view_config

from core import crypto
from core.audit import record_event
from core.db import utcnow
from core.i18n import _
from core.security import throttle, totp
from core.security.forms import CodeForm, PasswordConfirmForm, SecuritySettingsForm
from core.security.identity import Identity
from core.security.models import User
from core.security.policy import forget_identity, pending_identity
from core.security.sessions import end_session
from core.security.views import complete_login, record_account_event, request_actor
from core.settings_store import REQUIRE_ADMIN_TWO_FACTOR, get_setting, set_setting
from core.web.views import safe_next

_PENDING_SECRET = "totp_pending"
RECOVERY_CODE_COUNT = 10
#: Pages an administrator who must enrol can still open.
ENROLMENT_ROUTES = frozenset(
    {
        "account_two_factor",
        "account_two_factor_enable",
        "login",
        "login_verify",
        "logout",
        "set_language",
        "healthz",
        "readyz",
    }
)


def is_administrator(identity: Identity) -> bool:
    """Whether the identity holds an administrative (``core.*``) permission."""
    return any(name.startswith("core.") for name in identity.grants)


def must_enrol(request: Any) -> bool:
    """The logged-in user is an administrator without TOTP while TOTP is required for them."""
    identity = request.identity
    if identity is None or identity.token is not None or identity.user.totp_secret:
        return False
    return is_administrator(identity) and bool(
        get_setting(request.dbsession, REQUIRE_ADMIN_TWO_FACTOR, False)
    )


def enrolment_deriver(view: Any, info: Any) -> Any:
    """Send administrators who must enrol to the enrolment page from every other page."""
    if info.exception_only:
        return view

    def guarded(context: Any, request: Any) -> Any:
        route = request.matched_route.name if request.matched_route else ""
        if (
            route not in ENROLMENT_ROUTES
            and not route.startswith("__")
            and getattr(request, "exception", None) is None
            and must_enrol(request)
        ):
            if request.headers.get("HX-Request"):
                return Response(status=204)  # fragments of the enrolment page stay empty
            return HTTPSeeOther(location=request.route_path("account_two_factor"))
        return view(context, request)

    return guarded


# -- the login step ------------------------------------------------------------


def accept_code(request: Any, user: User, code: str) -> str | None:
    """Check a code of ``user`` and consume it: ``"totp"``, ``"recovery"`` or None (wrong)."""
    step = totp.verify_code(
        user.totp_secret or "", code, user.totp_last_step, now=utcnow().timestamp()
    )
    if step is not None:
        user.totp_last_step = step
        return "totp"
    matched = totp.match_recovery_code(code, list(user.recovery_codes or []))
    if matched is None:
        return None
    user.recovery_codes = [stored for stored in user.recovery_codes or [] if stored != matched]
    record_account_event(request, "recovery_code_used", user, request_actor(request, user))
    return "recovery"


def _abandon_login(request: Any, message: str) -> HTTPSeeOther:
    end_session(request)
    forget_identity(request)
    request.flash(message, "danger")
    return HTTPSeeOther(location=request.route_path("login"))


@view_config(route_name="login_verify", renderer="core:templates/security/verify.jinja2")
def login_verify(request: Any) -> Any:
    """The second login step: a code from the authenticator app or a recovery code."""
    next_url = safe_next(request.params.get("next"))
    pending = pending_identity(request)
    if pending is None:
        target = next_url if request.identity is not None else request.route_path("login")
        return HTTPSeeOther(location=target)
    user = pending.user
    form = CodeForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        session, ip = request.dbsession, request.client_addr or ""
        account = throttle.code_account(user.username)
        actor = request_actor(request, user)
        until = throttle.locked_until(session, account, ip)
        if until is not None:
            throttle.record_refusal(session, account, ip, actor)
            return _abandon_login(request, throttle.locked_message(request, until))
        kind = accept_code(request, user, form.code.data)
        if kind is not None:
            throttle.record_success(session, account, ip)
            response = complete_login(request, user, next_url)
            if kind == "recovery":
                request.flash(
                    _("You used a recovery code. ${count} of them are left."),
                    "warning",
                    count=len(user.recovery_codes or []),
                )
            return response
        until = throttle.record_failure(session, account, ip, actor, throttle.CODE_LIMIT)
        if until is not None:
            return _abandon_login(request, throttle.locked_message(request, until))
        form.code.errors.append(_("The code is not correct."))
    return {"form": form, "next": next_url}


# -- enrolment -----------------------------------------------------------------


def _pending_secret(request: Any, create: bool) -> str | None:
    stored = request.session.get(_PENDING_SECRET)
    if stored:
        try:
            return crypto.decrypt(stored)
        except crypto.CryptoError:
            request.session.pop(_PENDING_SECRET, None)
    if not create:
        return None
    secret = totp.new_secret()
    request.session[_PENDING_SECRET] = crypto.encrypt(secret)
    return secret


def _breadcrumbs(request: Any) -> list[tuple[str, str | None]]:
    return [
        (request.translate(_("My account")), request.route_path("account")),
        (request.translate(_("Two-factor authentication")), None),
    ]


def _page(request: Any, **values: Any) -> dict[str, Any]:
    user = request.user
    values.setdefault("code_form", CodeForm(request))
    values.setdefault("disable_form", PasswordConfirmForm(request))
    if not user.totp_secret:
        secret = _pending_secret(request, create=True)
        uri = totp.provisioning_uri(secret, user.email or user.username)
        values["qr"] = Markup(totp.qr_svg(uri))  # noqa: S704 - generated SVG, no user text
        values["secret_groups"] = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    return {
        "user": user,
        "required": must_enrol(request),
        "recovery_left": len(user.recovery_codes or []),
        "breadcrumbs": _breadcrumbs(request),
        **values,
    }


@view_config(
    route_name="account_two_factor",
    renderer="core:templates/security/two_factor.jinja2",
    permission="authenticated",
)
def two_factor_page(request: Any) -> dict[str, Any]:
    """Enrolment (QR code and confirmation) or, once enrolled, the way to turn it off."""
    return _page(request)


@view_config(
    route_name="account_two_factor_enable",
    request_method="POST",
    renderer="core:templates/security/two_factor.jinja2",
    permission="authenticated",
)
def enable_two_factor(request: Any) -> Any:
    """Confirm the new secret with a code; show the recovery codes once."""
    user = request.user
    secret = _pending_secret(request, create=False)
    if user.totp_secret or secret is None:
        return HTTPSeeOther(location=request.route_path("account_two_factor"))
    form = CodeForm(request, request.POST)
    step = None
    if form.validate():
        step = totp.verify_code(secret, form.code.data, None, now=utcnow().timestamp())
        if step is None:
            form.code.errors.append(
                _("The code is not correct. Check that your phone's clock is right and try again.")
            )
    if step is None:
        return _page(request, code_form=form)
    codes = totp.generate_recovery_codes(RECOVERY_CODE_COUNT)
    user.totp_secret = secret
    user.totp_last_step = step
    user.recovery_codes = [totp.hash_recovery_code(code) for code in codes]
    request.session.pop(_PENDING_SECRET, None)
    record_account_event(request, "totp_enabled", user)
    return render_to_response(
        "core:templates/security/recovery_codes.jinja2",
        {"codes": codes, "breadcrumbs": _breadcrumbs(request)},
        request=request,
    )


@view_config(
    route_name="account_two_factor_disable",
    request_method="POST",
    renderer="core:templates/security/two_factor.jinja2",
    permission="authenticated",
)
def disable_two_factor(request: Any) -> Any:
    """Turn TOTP off after the password is confirmed (refused while it is required)."""
    user = request.user
    target = HTTPSeeOther(location=request.route_path("account_two_factor"))
    if not user.totp_secret:
        return target
    if is_administrator(request.identity) and get_setting(
        request.dbsession, REQUIRE_ADMIN_TWO_FACTOR, False
    ):
        request.flash(_("Two-factor authentication is required for administrators."), "danger")
        return target
    form = PasswordConfirmForm(request, request.POST)
    if form.validate():
        error = throttle.check_current_password(request, user, form.password.data)
        if error is None:
            user.totp_secret = None
            user.totp_last_step = None
            user.recovery_codes = None
            record_account_event(request, "totp_disabled", user)
            request.flash(_("Two-factor authentication is off."))
            return HTTPSeeOther(location=request.route_path("account"))
        form.password.errors.append(error)
    return _page(request, disable_form=form)


# -- Settings → Security -------------------------------------------------------


@view_config(
    route_name="settings_security",
    renderer="core:templates/security/settings.jinja2",
    permission="core.settings.manage",
)
def security_settings(request: Any) -> Any:
    """Whether administrators must use two-factor authentication."""
    session = request.dbsession
    current = bool(get_setting(session, REQUIRE_ADMIN_TWO_FACTOR, False))
    form = SecuritySettingsForm(
        request,
        request.POST if request.method == "POST" else None,
        data={"require_admin_two_factor": current},
    )
    if request.method == "POST" and form.validate():
        wanted = bool(form.require_admin_two_factor.data)
        if wanted != current:
            set_setting(session, REQUIRE_ADMIN_TWO_FACTOR, wanted)
            record_event(
                session,
                "settings_changed",
                record_type="system_settings",
                record_id=REQUIRE_ADMIN_TWO_FACTOR,
                changes={REQUIRE_ADMIN_TWO_FACTOR: [current, wanted]},
            )
        request.flash(_("Security settings saved."))
        return HTTPSeeOther(location=request.route_path("settings_security"))
    return {
        "form": form,
        "breadcrumbs": [
            (request.translate(_("Settings")), None),
            (request.translate(_("Security")), None),
        ],
    }


def includeme(config: Any) -> None:
    """Routes of the second factor and the enrolment requirement."""
    config.add_route("login_verify", "/login/verify")
    config.add_route("account_two_factor", "/account/two-factor")
    config.add_route("account_two_factor_enable", "/account/two-factor/enable")
    config.add_route("account_two_factor_disable", "/account/two-factor/disable")
    config.add_route("settings_security", "/settings/security")
    config.add_view_deriver(enrolment_deriver)
    config.scan("core.security.twofactor")
