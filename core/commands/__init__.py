"""The subcommands of ``guanxi``, one module per topic."""

from core.commands import database, modules, serve

__all__ = ["database", "modules", "serve"]
