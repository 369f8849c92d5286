"""Alembic, driven from code: one branch for the core and one per installed module.

Each module keeps its revisions in ``<package>/migrations/versions``; its first
revision carries ``branch_labels = ("<module>",)`` and ``depends_on`` the
branches of the modules it depends on.  ``guanxi migrate`` upgrades every
branch to its head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

CORE_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(
    modules: Any, url: str, connection: Any = None, *, core_only: bool = False
) -> Config:
    """An Alembic config whose version locations are the core's and every module's.

    ``core_only`` leaves the modules out (used to write the core's first revision,
    which the modules' branches depend on).
    """
    config = Config()
    config.set_main_option("script_location", str(CORE_MIGRATIONS))
    locations = [str(CORE_MIGRATIONS / "versions")]
    if not core_only:
        locations += [str(m.migrations_dir) for m in modules.modules.values() if m.migrations_dir]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    config.attributes["modules"] = modules
    return config


def head_revisions(modules: Any) -> set[str]:
    """What a fully migrated database records: the branch heads no other head depends on.

    Alembic records a module's head but not the heads it ``depends_on`` (the core's …).
    """
    script = ScriptDirectory.from_config(alembic_config(modules, "sqlite://"))
    heads = set(script.get_heads())
    implied = {
        revision.revision
        for head in heads
        for revision in script.revision_map.iterate_revisions(head, "base")
        if revision.revision != head
    }
    return heads - implied


def upgrade(engine: Any, modules: Any, *, core_only: bool = False) -> None:
    """Upgrade every branch of the database behind ``engine`` to its head."""
    with engine.begin() as connection:
        config = alembic_config(modules, str(engine.url), connection, core_only=core_only)
        command.upgrade(config, "heads")


def new_revision(engine: Any, modules: Any, branch: str, message: str) -> Any:
    """Autogenerate a revision for ``branch`` (``core`` or a module) against the database.

    The database must be at the heads; the new revision holds only what the
    models of the branch added (tables of other branches are left alone).
    """
    if branch == "core":
        directory, depends = CORE_MIGRATIONS / "versions", []
    else:
        module = modules.modules[branch]
        directory = module.path / "migrations" / "versions"
        depends = ["core", *module.manifest.depends]
    directory.mkdir(parents=True, exist_ok=True)
    with engine.begin() as connection:
        config = alembic_config(modules, str(engine.url), connection, core_only=branch == "core")
        config.attributes["branch"] = branch
        script = ScriptDirectory.from_config(config)
        exists = branch in {label for rev in script.walk_revisions() for label in rev.branch_labels}
        return command.revision(
            config,
            message=message,
            autogenerate=True,
            head=f"{branch}@head" if exists else "base",
            branch_label=None if exists else branch,
            depends_on=None if exists or not depends else depends,
            version_path=str(directory),
        )
