"""Imports every model of the core so that ``Base.metadata`` is complete."""

from core.audit import AuditEvent
from core.background import BackgroundJob
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
from core.tabular.models import DataImport, ImportedRecord, SavedMapping
from core.web.saved_view_models import SavedView

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "BackgroundJob",
    "CustomFieldDefinition",
    "DataImport",
    "ImportedRecord",
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
    "SavedMapping",
    "SavedView",
    "SystemSetting",
    "Team",
    "User",
]
