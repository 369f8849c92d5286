"""Tabular files in and out: the one CSV/XLSX reader and the one writer every module uses.

Modules offer record types through ``guanxi_tabular_types``; the core reads
files (``sources``), matches columns (``mapping``), runs imports
(``pipeline``, ``imports``) and writes exports (``exports``), with pages
(``views``, ``export_views``) and an API (``api``) for both.
"""

from typing import Any


def includeme(config: Any) -> None:
    """The import and export pages and API."""
    config.include("core.tabular.views")
    config.include("core.tabular.export_views")
    config.include("core.tabular.api")
