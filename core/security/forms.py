"""Forms of the authentication pages: password change and reset, second factor."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from core.forms import Form
from core.i18n import _
from core.security.models import User
from core.security.password_messages import password_errors
from core.security.passwords import MAX_LENGTH, check_password_policy


class NewPasswordForm(Form):
    """A new password typed twice, checked against the password policy."""

    new_password = PasswordField(_("New password"), [InputRequired(), Length(max=MAX_LENGTH)])
    confirm_password = PasswordField(
        _("Repeat the new password"),
        [InputRequired(), EqualTo("new_password", message=_("The two passwords differ."))],
    )

    def check_policy(self, user: User) -> bool:
        """Add the policy's messages to the new password's errors; True when it passes."""
        ids = check_password_policy(self.new_password.data or "", user.username, user.email or "")
        self.new_password.errors = [
            *self.new_password.errors,
            *password_errors(self.request, ids),
        ]
        return not ids


class PasswordChangeForm(NewPasswordForm):
    """The logged-in user changes their password."""

    current_password = PasswordField(
        _("Current password"), [InputRequired(), Length(max=MAX_LENGTH)]
    )


class ForgotPasswordForm(Form):
    """Ask for a reset link."""

    login = StringField(_("Username or e-mail"), [InputRequired(), Length(max=254)])


class CodeForm(Form):
    """A code from the authenticator app, or a recovery code."""

    code = StringField(
        _("Code"),
        [InputRequired(), Length(max=32)],
        description=_("The 6-digit code from your authenticator app, or a recovery code."),
    )


class PasswordConfirmForm(Form):
    """Confirm a sensitive action with the current password."""

    password = PasswordField(_("Current password"), [InputRequired(), Length(max=MAX_LENGTH)])


class SecuritySettingsForm(Form):
    """Settings → Security."""

    require_admin_two_factor = BooleanField(
        _("Require two-factor authentication for administrators")
    )
