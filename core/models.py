"""Imports every model of the core so that ``Base.metadata`` is complete."""

from core.audit import AuditEvent
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

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "LoginAttempt",
    "ModuleState",
    "Notification",
    "Region",
    "Role",
    "RoleGrant",
    "Team",
    "User",
]
