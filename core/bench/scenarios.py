"""The scenarios of a bench run: the core's floor and whatever the enabled modules offer."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bench.client import BenchUser, Login
from core.contributions import BenchScenario
from core.generate import BENCH_PASSWORD_FILE, USERNAME_PREFIX
from core.security.models import User

#: How many generated users of each role log in (the mixed load spreads users over them).
LOGINS_PER_ROLE = {
    "admin": 1,
    "sales_manager": 4,
    "sales_rep": 16,
    "service_agent": 4,
    "analyst": 1,
}


async def _floor(user: BenchUser, data: Any) -> None:
    await user.get("/healthz")


def core_scenarios() -> list[BenchScenario]:
    """The framework's floor: ``/healthz`` (no database) on the same server."""
    return [BenchScenario("floor", "floor", _floor, description="GET /healthz")]


def collect(hooks: Any) -> dict[str, BenchScenario]:
    """Every scenario by name, from the ``guanxi_bench_scenarios`` hook; duplicates are an error."""
    found: dict[str, BenchScenario] = {}
    for offered in hooks.guanxi_bench_scenarios():
        for scenario in offered:
            if scenario.name in found:
                raise ValueError(f"two modules offer the bench scenario {scenario.name}")
            found[scenario.name] = scenario
    return found


def logins(session: Session, per_role: dict[str, int] = LOGINS_PER_ROLE) -> list[Login]:
    """Generated users to log in as, interleaved by role so that any prefix mixes roles."""
    users = session.scalars(
        select(User)
        .where(User.username.startswith(USERNAME_PREFIX), User.is_active)
        .order_by(User.id)
    )
    by_role: dict[str, list[Login]] = {}
    for user in users:
        role = user.roles[0].key if user.roles else ""
        chosen = by_role.setdefault(role, [])
        if role in per_role and len(chosen) < per_role[role]:
            chosen.append(
                Login(
                    username=user.username,
                    role=role,
                    user_id=user.id,
                    team_ids=frozenset({user.team_id} if user.team_id else ()),
                    region_codes=frozenset(region.code for region in user.regions),
                )
            )
    return _interleave(by_role.values())


def _interleave(groups: Iterable[list[Login]]) -> list[Login]:
    lists = [list(group) for group in groups if group]
    found = []
    while any(lists):
        for group in lists:
            if group:
                found.append(group.pop(0))
    return found


def bench_password(var_dir: Path) -> str:
    """The generated users' password that ``guanxi generate`` wrote."""
    path = var_dir / BENCH_PASSWORD_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run guanxi generate first")
    return path.read_text(encoding="utf-8").strip()
