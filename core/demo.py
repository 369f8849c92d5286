"""Demo data: a small sales organisation, then each enabled module's records."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import write_private_file
from core.security.models import Region, Role, Team, User
from core.security.passwords import hash_password
from core.security.teams import create_team

DEMO_PASSWORD_FILE = "demo-passwords.txt"

LOCALES = ("zh_Hans", "en")
#: Provinces the two sales teams look after (北京 … 河南 east, 福建 … 四川 south).
EAST = ["11", "12", "31", "32", "33", "34", "37", "41"]
SOUTH = ["35", "42", "43", "44", "50", "51"]
#: team key → (Chinese name, English name, parent team key)
DEMO_TEAMS = {
    "sales": ("销售部", "Sales", None),
    "east": ("华东销售组", "East China sales", "sales"),
    "south": ("华南销售组", "South China sales", "sales"),
    "service": ("客户服务部", "Customer service", None),
}
#: username, Chinese and English display names, role key, team key, region codes
DEMO_USERS = [
    ("manager", "王芳", "Fiona Wang", "sales_manager", "sales", EAST + SOUTH),
    ("east_rep", "李强", "Leo Li", "sales_rep", "east", EAST),
    ("east_rep2", "赵敏", "Mia Zhao", "sales_rep", "east", EAST),
    ("south_rep", "陈静", "Jane Chen", "sales_rep", "south", SOUTH),
    ("south_rep2", "黄磊", "Ray Huang", "sales_rep", "south", SOUTH),
    ("service", "张伟", "David Zhang", "service_agent", "service", []),
    ("analyst", "刘洋", "Yang Liu", "analyst", "sales", []),
]


def load_demo(session: Session, registry: Any, locale: str = "zh_Hans") -> dict[str, User] | None:
    """Create the demo teams and users and call every enabled module's demo hook.

    Names are Chinese, or English with ``locale="en"``.  Returns the users, or
    ``None`` (changing nothing) when the demo users already exist.
    """
    if locale not in LOCALES:
        raise ValueError(f"demo data comes in {', '.join(LOCALES)}, not {locale}")
    existing = {user.username: user for user in session.scalars(select(User))}
    if any(username in existing for username, *_rest in DEMO_USERS):
        return None
    english = locale == "en"
    teams: dict[str, Team] = {}
    for key, (zh_name, en_name, parent) in DEMO_TEAMS.items():
        name = en_name if english else zh_name
        teams[key] = create_team(session, name, parent=teams[parent] if parent else None)
    roles = {role.key: role for role in session.scalars(select(Role))}
    password = secrets.token_urlsafe(12)
    password_hash = hash_password(password)
    users = dict(existing)
    for username, zh_name, en_name, role_key, team_key, codes in DEMO_USERS:
        regions = list(session.scalars(select(Region).where(Region.code.in_(codes))))
        users[username] = User(
            username=username,
            display_name=en_name if english else zh_name,
            password_hash=password_hash,
            team=teams[team_key],
            roles=[roles[role_key]],
            regions=regions,
            email=f"{username}@example.com",
            language=locale,
        )
        session.add(users[username])
    session.flush()
    var_dir = Path(registry.settings["guanxi.var_dir"])
    write_private_file(
        var_dir / DEMO_PASSWORD_FILE,
        "".join(f"{username} {password}\n" for username, *_r in DEMO_USERS),
    )
    modules = registry["modules"]
    modules.hooks(modules.enabled_names(session, fresh=True)).guanxi_demo_data(
        session=session, users=users, locale=locale
    )
    return users
