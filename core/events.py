"""Domain events: ``customer.created``, ``opportunity.won`` … delivered to every enabled module."""

from __future__ import annotations

from typing import Any


def emit(request: Any, name: str, **payload: Any) -> None:
    """Call ``guanxi_domain_event`` of every enabled module inside the request's transaction."""
    request.hooks.guanxi_domain_event(name=name, payload=payload, session=request.dbsession)
