"""Alembic environment: runs on the connection handed over by ``core.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from core.db import Base
import core.models
from core.search import include_in_autogenerate

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """When generating a module's revision, only look at that module's tables."""
    if not include_in_autogenerate(obj, name, type_):
        return False
    branch = config.attributes.get("branch")
    if branch is None or type_ != "table":
        return True
    return table_owners().get(name, "core") == branch


def table_owners() -> dict[str, str]:
    """Table name → the module whose models define it (``core`` by default).

    Association tables (a relationship's ``secondary``) belong to the module of
    the model that declares the relationship.
    """
    modules = config.attributes["modules"]
    owners = {}
    for mapper in Base.registry.mappers:
        owner = modules.owner_of_package(mapper.class_.__module__) or "core"
        tables = [*mapper.tables]
        tables += [rel.secondary for rel in mapper.relationships if rel.secondary is not None]
        for table in tables:
            owners[table.name] = owner
    return owners


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.begin() as conn:
        run_migrations(conn)
