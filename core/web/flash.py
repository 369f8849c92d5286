"""Flash messages (toasts) carried to the next page in the cookie session."""

from __future__ import annotations

from typing import Any

LEVELS = ("success", "info", "warning", "danger")


def flash(request: Any, message: Any, level: str = "success", **mapping: Any) -> None:
    """Queue a translated message for the next page the user sees."""
    if level not in LEVELS:
        raise ValueError(f"unknown flash level {level}")
    request.session.flash({"level": level, "text": request.translate(message, **mapping)})


def pop_flashes(request: Any) -> list[dict[str, str]]:
    """The queued messages, removing them from the session."""
    if "session" not in request.__dict__ and not request.cookies.get("gx_flash"):
        return []
    return [item for item in request.session.pop_flash() if isinstance(item, dict)]
