"""Demo data: a small sales organisation, then each enabled module's records."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import write_private_file
from core.security.models import Region, Role, User
from core.security.passwords import hash_password
from core.security.teams import create_team

DEMO_PASSWORD_FILE = "demo-passwords.txt"

#: username, display name, role key, team key, region codes
DEMO_USERS = [
    ("manager", "王芳", "sales_manager", "sales", ["31", "32", "44"]),
    ("east_rep", "李强", "sales_rep", "east", ["31", "32"]),
    ("south_rep", "陈静", "sales_rep", "south", ["44"]),
    ("service", "张伟", "service_agent", "service", []),
    ("analyst", "刘洋", "analyst", "sales", []),
]


def load_demo(session: Session, registry: Any) -> dict[str, User]:
    """Create the demo teams and users (once) and call every enabled module's demo hook."""
    existing = {user.username: user for user in session.scalars(select(User))}
    if any(username in existing for username, *_rest in DEMO_USERS):
        return existing
    sales = create_team(session, "销售部")
    teams = {
        "sales": sales,
        "east": create_team(session, "华东销售组", parent=sales),
        "south": create_team(session, "华南销售组", parent=sales),
        "service": create_team(session, "客户服务部"),
    }
    roles = {role.key: role for role in session.scalars(select(Role))}
    password = secrets.token_urlsafe(12)
    users = dict(existing)
    for username, name, role_key, team_key, codes in DEMO_USERS:
        regions = list(session.scalars(select(Region).where(Region.code.in_(codes))))
        users[username] = User(
            username=username,
            display_name=name,
            password_hash=hash_password(password),
            team=teams[team_key],
            roles=[roles[role_key]],
            regions=regions,
            email=f"{username}@example.com",
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
        session=session, users=users
    )
    return users
