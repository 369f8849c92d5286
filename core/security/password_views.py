"""Changing the password on the account page, and resetting a forgotten one by e-mail.

The reset link is built from ``guanxi.base_url``, never from the request's Host
header, so a forged Host cannot send users to another site.  The "forgot"
form gives the same answer whether or not the account exists.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.renderers import render, render_to_response
from pyramid.view import view_config

from core.i18n import _
from core.mail import queue_mail
from core.security import throttle
from core.security.account import account_context
from core.security.forms import ForgotPasswordForm, NewPasswordForm, PasswordChangeForm
from core.security.models import User
from core.security.password_reset import (
    TOKEN_LIFETIME,
    find_token_user,
    issue_token,
    revoke_tokens,
)
from core.security.passwords import hash_password
from core.security.sessions import end_user_sessions, start_session
from core.security.views import find_user, record_account_event, request_actor


def set_password(session: Any, user: User, password: str) -> None:
    """Store a new password: every session and reset link of the user stops working."""
    user.password_hash = hash_password(password)
    end_user_sessions(session, user.id)
    revoke_tokens(session, user.id)


@view_config(route_name="account_password", request_method="POST", permission="authenticated")
def change_password(request: Any) -> Any:
    """Change the password; the user's other sessions end, this one continues."""
    user = request.user
    form = PasswordChangeForm(request, request.POST)
    if form.validate() and form.check_policy(user):
        error = throttle.check_current_password(request, user, form.current_password.data)
        if error is None:
            set_password(request.dbsession, user, form.new_password.data)
            start_session(request, user.id)
            record_account_event(request, "password_changed", user)
            request.flash(_("Your password is changed. Your other sessions were logged out."))
            return HTTPSeeOther(location=request.route_path("account"))
        form.current_password.errors.append(error)
    return render_to_response(
        "core:templates/security/account.jinja2",
        account_context(request, password_form=form),
        request=request,
    )


def reset_link(request: Any, raw_token: str) -> str:
    """The absolute reset URL on ``guanxi.base_url``."""
    base = request.registry.settings["guanxi.base_url"].rstrip("/")
    return request.route_url("password_reset", token=raw_token, _app_url=base)


def send_reset_mail(request: Any, user: User) -> None:
    """Queue the reset link for ``user`` in the language of the request."""
    link = reset_link(request, issue_token(request.dbsession, user))
    body = render(
        "core:templates/mail/password_reset.jinja2",
        {"user": user, "link": link, "minutes": int(TOKEN_LIFETIME.total_seconds() // 60)},
        request=request,
    )
    subject = request.translate(_("Reset your Guanxi CRM password"))
    queue_mail(request.dbsession, user.email or "", subject, body)
    record_account_event(request, "password_reset_requested", user, request_actor(request, user))


@view_config(route_name="password_forgot", renderer="core:templates/security/forgot.jinja2")
def forgot_password(request: Any) -> dict[str, Any]:
    """Ask for a reset link; the answer never tells whether the account exists."""
    form = ForgotPasswordForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        user = find_user(request.dbsession, form.login.data)
        if user is not None and user.is_active and user.email:
            send_reset_mail(request, user)
        return {"form": form, "sent": True}
    return {"form": form, "sent": False}


@view_config(route_name="password_reset", renderer="core:templates/security/reset.jinja2")
def reset_password(request: Any) -> Any:
    """Choose a new password with a valid link; every session of the user ends."""
    user = find_token_user(request.dbsession, request.matchdict["token"])
    if user is None:
        request.response.status_code = 404
        return {"form": None}
    form = NewPasswordForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate() and form.check_policy(user):
        set_password(request.dbsession, user, form.new_password.data)
        record_account_event(request, "password_reset", user, request_actor(request, user))
        request.flash(_("Your password is changed. Log in with the new password."))
        return HTTPSeeOther(location=request.route_path("login"))
    return {"form": form}


def includeme(config: Any) -> None:
    """Routes of the password pages."""
    config.add_route("account_password", "/account/password")
    config.add_route("password_forgot", "/password/forgot")
    config.add_route("password_reset", "/password/reset/{token}")
    config.scan("core.security.password_views")
