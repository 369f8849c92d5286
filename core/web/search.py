"""The global search box: every enabled module answers through ``guanxi_search``."""

from __future__ import annotations

from typing import Any

from pyramid.view import view_config

MAX_QUERY = 100
LIMIT_PER_MODULE = 8


@view_config(
    route_name="search", renderer="core:templates/search.jinja2", permission="authenticated"
)
def search(request: Any) -> dict[str, Any]:
    """Results of the search providers for ``q``, grouped by kind."""
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    results = []
    if query:
        for found in request.hooks.guanxi_search(
            request=request, query=query, limit=LIMIT_PER_MODULE
        ):
            results.extend(found[:LIMIT_PER_MODULE])
    return {"query": query, "results": results}


def includeme(config: Any) -> None:
    """The search route."""
    config.add_route("search", "/search")
    config.scan("core.web.search")
