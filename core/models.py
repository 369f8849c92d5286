"""Imports every model of the core so that ``Base.metadata`` is complete."""

from core.audit import AuditEvent
from core.customfields.models import CustomFieldDefinition
from core.jobs import JobRun
from core.mail import OutboxMessage
from core.modules import ModuleState
from core.notifications import Notification
from core.security.models import (
    ApiToken,
    AuthSession,
    LoginAttempt,
    Region,
    Role,
    RoleGrant,
    Team,
    User,
)
from core.security.password_reset import PasswordResetToken
from core.security.throttle import LoginLock
from core.settings_store import SystemSetting
from core.web.saved_view_models import SavedView

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "CustomFieldDefinition",
    "JobRun",
    "LoginAttempt",
    "LoginLock",
    "ModuleState",
    "Notification",
    "OutboxMessage",
    "PasswordResetToken",
    "Region",
    "Role",
    "RoleGrant",
    "SavedView",
    "SystemSetting",
    "Team",
    "User",
]
