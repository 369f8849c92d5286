"""Benchmark data: a sales organisation sized to the customers asked for, then each module's rows.

``guanxi generate --customers N`` makes, per million customers, 200 users in 20
teams across provinces (a manager and eight representatives per team, service
agents with regions, analysts and an administrator), then calls every enabled
module's ``guanxi_generate_data`` hook in dependency order with a
:class:`DataPlan`.  Modules write through the bulk paths (:mod:`core.bulk`) and
build their rows in worker processes with :func:`parallel_map`; the same seed
gives the same data whatever the number of workers.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import multiprocessing
import random
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import write_private_file
from core.security.models import Region, Role, User
from core.security.passwords import hash_password
from core.security.teams import create_team

T = TypeVar("T")
R = TypeVar("R")

BENCH_PASSWORD_FILE = "bench-password.txt"
USERNAME_PREFIX = "bench_"
PER_MILLION_TEAMS = 20
PER_MILLION_USERS = 200
REPS_PER_TEAM = 8
#: Provinces (code → weight): where sales teams sit and customers are, roughly by economy.
PROVINCES = {
    "44": 14, "32": 11, "33": 9, "31": 8, "11": 7, "37": 7, "51": 5, "42": 4, "41": 4,
    "35": 4, "43": 3, "34": 3, "13": 3, "50": 3, "12": 2, "61": 2, "21": 2, "53": 2,
    "36": 2, "45": 2,
}  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
GIVEN = "伟芳娜敏静强磊军洋勇艳杰涛明超霞平刚桂英华玉兰秀英建国丽娟志强海涛婷婷晓燕"


@dataclass(frozen=True)
class PlannedUser:
    """A generated user: what the generators need to give them customers and records."""

    id: int
    username: str
    role: str
    team_id: int | None
    region_codes: tuple[str, ...]


@dataclass
class DataPlan:
    """What ``guanxi generate`` asks of a module's ``guanxi_generate_data`` hook."""

    customers: int
    seed: int
    users: list[PlannedUser]
    record_types: dict[str, Any]
    now: dt.datetime
    workers: int = 2
    progress: Callable[[str, int], None] = field(default=lambda what, done: None)

    def scaled(self, per_million: float, minimum: int = 1) -> int:
        """``per_million`` scaled to :attr:`customers` (at least ``minimum``)."""
        return max(minimum, round(per_million * self.customers / 1_000_000))

    def rng(self, *labels: Any) -> random.Random:
        """A random source fixed by the seed and ``labels`` (one per module, chunk …)."""
        digest = hashlib.sha256(repr((self.seed, *labels)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def with_role(self, *roles: str) -> list[PlannedUser]:
        """The generated users holding one of ``roles``."""
        return [user for user in self.users if user.role in roles]


def weighted(rng: random.Random, weights: dict[T, int]) -> T:
    """One key of ``weights``, drawn by its weight."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def person_name(rng: random.Random) -> str:
    """A Chinese person's name: a common surname and a one- or two-character given name."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    return rng.choice(SURNAMES) + given


def chunks(total: int, size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` ranges covering ``range(total)`` in pieces of ``size``."""
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def parallel_map(function: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(function, items)`` in ``workers`` forked processes, results in order.

    At most two results per worker wait for the caller (who writes them), so
    memory stays flat however slow the database.  With one worker it runs here;
    ``function`` must be a module-level function.
    """
    if workers <= 1:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: collections.deque[Any] = collections.deque()
        for item in items:
            pending.append(pool.apply_async(function, (item,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def team_provinces(count: int, available: Iterable[str]) -> list[str]:
    """The province of each of ``count`` teams: the big provinces get several (D'Hondt)."""
    weights = {code: weight for code, weight in PROVINCES.items() if code in set(available)}
    seats = dict.fromkeys(weights, 0)
    for _seat in range(count):
        best = max(weights, key=lambda code: weights[code] / (seats[code] + 1))
        seats[best] += 1
    return [code for code in weights for _n in range(seats[code])]


def bench_users_exist(session: Session) -> bool:
    """Whether ``guanxi generate`` already ran on this database."""
    query = select(User.id).where(User.username.startswith(USERNAME_PREFIX)).limit(1)
    return session.scalar(query) is not None


def create_people(session: Session, customers: int, seed: int, var_dir: Path) -> list[PlannedUser]:
    """Teams across provinces and the users of every default role, sharing one password.

    The password is written to ``var/bench-password.txt`` (mode 0600) for ``guanxi bench``.
    """
    rng = random.Random(seed)
    team_count = max(2, round(PER_MILLION_TEAMS * customers / 1_000_000))
    user_count = max(
        team_count * (REPS_PER_TEAM + 1) + 4, round(PER_MILLION_USERS * customers / 1e6)
    )
    roles = {role.key: role for role in session.scalars(select(Role))}
    regions = {
        region.code: region for region in session.scalars(select(Region).where(Region.level == 1))
    }
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    provinces = team_provinces(team_count, regions)
    head = create_team(session, "销售中心")
    service = create_team(session, "客户服务中心")
    made: list[User] = []

    def user(name: str, role: str, team: Any, codes: Iterable[str] = ()) -> None:
        made.append(
            User(
                username=f"{USERNAME_PREFIX}{name}",
                display_name=person_name(rng),
                password_hash=password_hash,
                team=team,
                roles=[roles[role]],
                regions=[regions[code] for code in codes],
                email=f"{USERNAME_PREFIX}{name}@example.com",
                language="zh_Hans",
            )
        )

    user("admin", "admin", head)
    for number, province in enumerate(provinces):
        team = create_team(session, f"{regions[province].name}销售{number + 1}组", head)
        user(f"manager_{number:02d}", "sales_manager", team, [province])
        for rep in range(REPS_PER_TEAM):
            user(f"rep_{number:02d}_{rep}", "sales_rep", team, [province])
    extra = user_count - len(made)
    analysts = max(1, extra // 5)
    agents = extra - analysts
    served = list(dict.fromkeys(provinces))
    for number in range(agents):
        user(f"service_{number:02d}", "service_agent", service, served[number::agents])
    for number in range(analysts):
        user(f"analyst_{number:02d}", "analyst", head)
    session.add_all(made)
    session.flush()
    write_private_file(var_dir / BENCH_PASSWORD_FILE, password + "\n")
    return [
        PlannedUser(
            id=person.id,
            username=person.username,
            role=person.roles[0].key,
            team_id=person.team_id,
            region_codes=tuple(region.code for region in person.regions),
        )
        for person in made
    ]


def run_generators(registry: Any, session: Session, plan: DataPlan) -> list[str]:
    """Call every enabled module's ``guanxi_generate_data``, dependencies first; name them."""
    modules = registry["modules"]
    enabled = modules.enabled_names(session, fresh=True)
    called = []
    for name in modules.modules:  # already in dependency order
        if name in enabled:
            modules.hooks(frozenset({name})).guanxi_generate_data(session=session, plan=plan)
            called.append(name)
    return called


class AlreadyGenerated(Exception):
    """The database has generated users: generating again would mix two data sets."""


def generate_all(
    registry: Any,
    customers: int,
    seed: int,
    workers: int,
    var_dir: Path,
    progress: Callable[[str, int], None] = lambda what, done: None,
) -> tuple[list[PlannedUser], list[str]]:
    """What ``guanxi generate`` does: people, then every enabled module's rows.

    Uses its own session and commits as it goes (modules commit per chunk).
    Returns the generated users and the modules that added data.
    """
    from core.audit import Actor
    from core.db import utcnow
    from core.records import collect_record_types

    session = registry["dbsession_factory"]()
    session.info["actor"] = Actor(kind="cli")
    try:
        if bench_users_exist(session):
            raise AlreadyGenerated()
        users = create_people(session, customers, seed, var_dir)
        session.commit()
        progress("users", len(users))
        modules = registry["modules"]
        plan = DataPlan(
            customers=customers,
            seed=seed,
            users=users,
            record_types=collect_record_types(modules.hooks(modules.enabled_names(session))),
            now=utcnow(),
            workers=workers,
            progress=progress,
        )
        called = run_generators(registry, session, plan)
        session.commit()
    finally:
        session.close()
    return users, called
