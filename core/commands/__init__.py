"""The subcommands of ``guanxi``, one module per topic."""

from core.commands import (
    database,
    keys,
    modules,
    reindex,
    serve,
    tabular,
    tokens,
    users,
    worker,
)

__all__ = [
    "database",
    "keys",
    "modules",
    "reindex",
    "serve",
    "tabular",
    "tokens",
    "users",
    "worker",
]
