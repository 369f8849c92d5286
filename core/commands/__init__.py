"""The subcommands of ``guanxi``, one module per topic."""

from core.commands import (
    bench,
    database,
    generate,
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
    "bench",
    "database",
    "generate",
    "keys",
    "modules",
    "reindex",
    "serve",
    "tabular",
    "tokens",
    "users",
    "worker",
]
