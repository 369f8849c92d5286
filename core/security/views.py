"""Login and logout.

Failed attempts are throttled (``core.security.throttle``).  A user with
two-factor authentication gets an unverified session and goes on to
``/login/verify`` (``core.security.twofactor``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, or_, select
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from core.audit import Actor, record_event
from core.db import utcnow
from core.forms import Form
from core.i18n import _
from core.security import throttle
from core.security.models import User
from core.security.passwords import hash_password, needs_rehash, verify_dummy, verify_password
from core.security.policy import forget_identity
from core.security.sessions import end_session, start_session
from core.web.views import safe_next

LOGIN_FAILED = _("The username or password is not correct.")


class LoginForm(Form):
    login = StringField(_("Username or e-mail"), [InputRequired(), Length(max=254)])
    password = PasswordField(_("Password"), [InputRequired(), Length(max=256)])


def find_user(session: Any, login: str) -> User | None:
    """The user whose username or e-mail (case-insensitive) is ``login``."""
    value = login.strip().lower()
    return session.scalars(
        select(User).where(or_(func.lower(User.username) == value, func.lower(User.email) == value))
    ).first()


def check_credentials(user: User | None, password: str) -> User | None:
    """``user`` if it is active and ``password`` is theirs; equal work when there is no user."""
    if user is None or not user.password_hash:
        verify_dummy(password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def request_actor(request: Any, user: User | None) -> Actor:
    """The actor of a login step (no identity exists yet)."""
    return Actor(
        kind="user",
        user_id=user.id if user else None,
        ip=request.client_addr,
        request_id=getattr(request, "request_id", None),
    )


def record_account_event(request: Any, action: str, user: User, actor: Actor | None = None) -> None:
    """Audit ``action`` on ``user``'s account (login, password, two-factor changes)."""
    record_event(
        request.dbsession,
        action,
        actor=actor,
        record_type="users",
        record_id=user.id,
        summary=user.username,
    )


def complete_login(request: Any, user: User, next_url: str) -> HTTPSeeOther:
    """Replace any session by a fully verified one and go to ``next_url``."""
    end_session(request)
    request.session.invalidate()
    start_session(request, user.id)
    actor = request.dbsession.info["actor"] = request_actor(request, user)
    user.last_login_at = utcnow()
    record_account_event(request, "login", user, actor)
    forget_identity(request)
    return HTTPSeeOther(location=next_url)


def _attempt(request: Any, form: LoginForm, next_url: str) -> HTTPSeeOther | None:
    """Check the submitted credentials; a redirect on success, else errors on the form."""
    session = request.dbsession
    ip = request.client_addr or ""
    found = find_user(session, form.login.data)
    account = throttle.account_name(form.login.data, found.username if found else None)
    until = throttle.locked_until(session, account, ip)
    if until is not None:
        throttle.record_refusal(session, account, ip, request_actor(request, None))
        form.form_errors.append(throttle.locked_message(request, until))
        return None
    user = check_credentials(found, form.password.data)
    if user is None:
        until = throttle.record_failure(session, account, ip, request_actor(request, found))
        form.form_errors.append(throttle.locked_message(request, until) if until else LOGIN_FAILED)
        return None
    throttle.record_success(session, account, ip)
    if user.totp_secret:
        end_session(request)
        request.session.invalidate()
        start_session(request, user.id, verified=False)
        forget_identity(request)
        query = urlencode({"next": next_url}) if next_url != "/" else ""
        verify_url = request.route_path("login_verify")
        return HTTPSeeOther(location=verify_url + (f"?{query}" if query else ""))
    return complete_login(request, user, next_url)


@view_config(route_name="login", renderer="core:templates/security/login.jinja2")
def login(request: Any) -> Any:
    """Show the login form; on success start a new session and go where the user was going."""
    next_url = safe_next(request.params.get("next"))
    if request.identity is not None:
        return HTTPSeeOther(location=next_url)
    form = LoginForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        redirect = _attempt(request, form, next_url)
        if redirect is not None:
            return redirect
    return {"form": form, "next": next_url}


@view_config(route_name="logout", request_method="POST")
def logout(request: Any) -> Any:
    """End the session and go to the login page."""
    if request.identity is not None:
        record_account_event(request, "logout", request.identity.user)
    end_session(request)
    forget_identity(request)
    return HTTPSeeOther(location=request.route_path("login"))


def includeme(config: Any) -> None:
    """Routes of the login pages."""
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.scan("core.security.views")
