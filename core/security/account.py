"""My account: the user edits their own profile (never their roles)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import func, select
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from core.forms import Form
from core.i18n import LOCALE_NAMES, _
from core.security.forms import PasswordChangeForm
from core.security.models import User
from core.validation import EmailAddress

COMMON_TIMEZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "America/New_York",
    "UTC",
]


class ProfileForm(Form):
    display_name = StringField(_("Display name"), [InputRequired(), Length(max=100)])
    email = EmailField(_("E-mail"), [Optional(), EmailAddress(), Length(max=254)])
    mobile = StringField(_("Mobile"), [Optional(), Length(max=32)])
    language = SelectField(_("Language"), choices=list(LOCALE_NAMES.items()))
    timezone = SelectField(_("Time zone"))

    def __init__(self, request: Any, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(request, formdata, **kwargs)
        zones = COMMON_TIMEZONES + sorted(available_timezones() - set(COMMON_TIMEZONES))
        self.timezone.choices = [(zone, zone) for zone in zones]


def email_taken(session: Any, email: str, user_id: int) -> bool:
    """Whether another user already has this e-mail (case-insensitive)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(func.lower(User.email) == email.lower(), User.id != user_id)
        )
        > 0
    )


def account_context(
    request: Any, form: ProfileForm | None = None, password_form: PasswordChangeForm | None = None
) -> dict[str, Any]:
    """What the account page shows: the profile form and the security sections."""
    user = request.user
    if form is None:
        form = ProfileForm(request, obj=user)
        form.language.data = request.locale_name
        form.timezone.data = user.timezone or request.registry.settings["guanxi.default_timezone"]
    return {
        "form": form,
        "password_form": password_form or PasswordChangeForm(request),
        "user": user,
        "breadcrumbs": [(request.translate(_("My account")), None)],
    }


@view_config(
    route_name="account",
    renderer="core:templates/security/account.jinja2",
    permission="authenticated",
)
def account(request: Any) -> Any:
    """Show and save the user's own profile."""
    if request.method != "POST":
        return account_context(request)
    user = request.user
    form = ProfileForm(request, request.POST, obj=user)
    if form.validate():
        email = (form.email.data or "").strip() or None
        if email and email_taken(request.dbsession, email, user.id):
            form.email.errors.append(_("Another user already has this e-mail."))
        else:
            user.display_name = form.display_name.data.strip()
            user.email = email
            user.mobile = (form.mobile.data or "").strip() or None
            user.language = form.language.data
            user.timezone = form.timezone.data
            request.flash(_("Your profile is saved."))
            return HTTPSeeOther(location=request.route_path("account"))
    return account_context(request, form)


def includeme(config: Any) -> None:
    """The account route."""
    config.add_route("account", "/account")
    config.scan("core.security.account")
