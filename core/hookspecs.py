"""Every hook of the plugin API.

A module implements any of these in its ``hooks`` module (decorate each function
with ``core.hookimpl``).  Hooks of disabled modules are never called.  Where the
order of results matters (menus, tabs, widgets) the core sorts by ``order``;
pluggy's own call order (last registered first) is never relied on.

``docs/plugins.md`` documents the plugin API; ``tests/unit/core/test_hookspecs.py``
fails when a hook here has no docstring or is missing from that guide.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("guanxi")


@hookspec
def guanxi_permissions() -> list[Any]:
    """Declare the module's permissions.

    Called once at startup and whenever the role editor or the security policy
    needs the catalogue.  Return a list of ``core.contributions.Permission``;
    names are ``module.resource.action`` and must be unique across modules
    (a duplicate is a startup error).
    """


@hookspec
def guanxi_default_grants() -> dict[str, dict[str, str]]:
    """Grant the module's permissions to the default roles.

    Called when the module is enabled (and by ``guanxi migrate``) to add the
    defaults to existing roles without touching grants an administrator edited.
    Return ``{role_key: {permission_name: scope}}`` where role keys are
    ``admin``, ``sales_manager``, ``sales_rep``, ``service_agent``, ``analyst``
    and scope is one of ``own``, ``team``, ``region``, ``all``.
    """


@hookspec
def guanxi_menu_items(request: Any) -> list[Any]:
    """Contribute side-menu and settings-menu entries.

    Called while rendering every page for the current request.  Return a list
    of ``core.contributions.MenuItem``; the core drops items whose permission
    the user lacks and sorts by ``order``.
    """


@hookspec
def guanxi_record_types() -> list[Any]:
    """Declare the models the core should know.

    Called at startup.  Return ``core.contributions.RecordType`` objects: the
    core uses them for data scopes (owner/team/region columns), the audit
    trail, custom fields (``extensible=True``) and "explain access".
    """


@hookspec
def guanxi_record_tabs(request: Any, record_type: str, record: Any) -> list[Any]:
    """Add tabs to another module's record page.

    Called when the page of a record of ``record_type`` (e.g. ``customer``) is
    rendered for ``request``.  Return ``core.contributions.RecordTab`` objects
    (their ``url`` is loaded by htmx), or an empty list.
    """


@hookspec
def guanxi_timeline_entries(
    request: Any, record_type: str, record: Any, before: Any, limit: int
) -> list[Any]:
    """Add entries to the timeline of another module's record page.

    Called when the timeline of a record of ``record_type`` is rendered for
    ``request``, one page at a time: return at most ``limit``
    ``core.contributions.TimelineEntry`` objects that happened strictly before
    ``before`` (an aware datetime, or None for the newest), newest first, and
    only what the user may see.  The page merges every module's entries by time.
    """


@hookspec(firstresult=True)
def guanxi_sales_connector(request: Any) -> Any:
    """Connect the company's sales system: product search, stock levels, order history.

    Called when a page looks products, stock or a customer's past orders up for
    ``request``.  Return an object following ``core.contributions.SalesConnector``,
    or None to leave the answer to another module.  The first non-None answer
    wins; the customers module's built-in connector (answering from the orders
    stored in Guanxi) is registered ``trylast``, so any connector plugin wins.
    """


@hookspec
def guanxi_dashboard_widgets(request: Any) -> list[Any]:
    """Contribute cards to the home dashboard.

    Called when the home page is rendered.  Return
    ``core.contributions.DashboardWidget`` objects the user may see.
    """


@hookspec
def guanxi_search(request: Any, query: str, limit: int) -> list[Any]:
    """Answer the global search box.

    Called with the normalised query (at least one character) for the current
    request.  Return at most ``limit`` ``core.contributions.SearchResult``
    objects, already restricted to the user's data scope.
    """


@hookspec
def guanxi_search_rebuilders() -> dict[str, Any]:
    """Offer ``guanxi reindex NAME`` for the module's search index entries.

    Called by ``guanxi reindex``.  Return ``{name: rebuild}`` where
    ``rebuild(session, progress)`` recomputes every entry of that kind in
    batches, calls ``progress(done)`` after each batch and returns the count.
    """


@hookspec
def guanxi_api_resources() -> list[Any]:
    """Describe the module's REST resources for ``/api/v1/openapi.json``.

    Called when the OpenAPI document is built.  Return
    ``core.contributions.ApiResource`` objects.  The routes themselves are
    added in the module's ``includeme``.
    """


@hookspec
def guanxi_periodic_jobs() -> list[Any]:
    """Declare jobs the worker runs on a schedule.

    Called by ``guanxi worker`` on each tick.  Return
    ``core.contributions.PeriodicJob`` objects; jobs of disabled modules are
    skipped.
    """


@hookspec
def guanxi_tabular_types() -> list[Any]:
    """Offer the module's records for import and export (CSV, XLSX).

    Called when the import and export pages, the API or ``guanxi import`` /
    ``guanxi export`` need the catalogue for a request.  Return
    ``core.contributions.TabularType`` objects with names unique across modules
    (``customers``, ``orders`` …).  The core reads files, matches columns, runs
    imports as background jobs and writes exports; the type's importer checks
    rows and its exporter chooses columns, both within the user's data scope.
    """


@hookspec
def guanxi_background_tasks() -> list[Any]:
    """Declare the tasks the module runs as background jobs.

    Called whenever a job is about to run (and by pages showing jobs).  Return
    ``core.contributions.BackgroundTask`` objects with unique names; queue one
    with ``core.background.submit(session, registry, name, params, user_id)``.
    ``run(context)`` gets a ``core.background.JobContext`` (its ``params``,
    ``user_id`` and ``progress(done, total, stage)``), opens its own sessions,
    may run again after a crash, and returns a JSON-able result dict.
    """


@hookspec
def guanxi_domain_event(name: str, payload: dict[str, Any], session: Any) -> None:
    """React to a domain event such as ``customer.created``.

    Called inside the transaction that caused the event, with the event's
    ``name``, a ``payload`` of plain values and the SQLAlchemy ``session``.
    Raising aborts the transaction.  Return nothing.
    """


@hookspec
def guanxi_demo_data(session: Any, users: dict[str, Any], locale: str) -> None:
    """Load the module's demo records.

    Called by ``guanxi demo`` (and the first ``make run``) after the core's demo
    users exist; ``users`` maps demo usernames to ``User`` objects and
    ``locale`` (``zh_Hans`` or ``en``) says which language names are in.  Write
    through ``session``; return nothing.
    """


@hookspec
def guanxi_generate_data(session: Any, plan: Any) -> None:
    """Fill the database with benchmark data in proportion to ``plan.customers``.

    Called by ``guanxi generate`` once per enabled module, a module's
    dependencies first, after the core made the teams and users
    (``plan.users``, ``core.generate.PlannedUser``).  ``plan`` is a
    ``core.generate.DataPlan``: the scale, a seed (``plan.rng(label)`` gives a
    reproducible random source), the record types and ``plan.progress(what,
    done)``.  Write through the bulk paths of ``core.bulk`` (COPY on
    PostgreSQL) and the search index's ``add_many``, not one ORM object per
    row; return nothing.
    """


@hookspec
def guanxi_bench_scenarios() -> list[Any]:
    """Offer named load scenarios to ``guanxi bench``.

    Called by ``guanxi bench`` before a run.  Return
    ``core.contributions.BenchScenario`` objects: a name (``module.what``), a
    kind (``read``, ``search`` or ``write`` take part in the mixed load in
    the proportions 70/20/10; ``batch`` runs once, only when named, and
    returns a ``core.bench.batch.BatchResult``), an optional
    ``prepare(session, options)`` that samples what the scenario needs from
    the database (or writes its files) once, and the async ``run(user, data)``
    that performs one operation through ``user.get``/``user.post``/``user.api``
    (``core.bench.client``).
    """
