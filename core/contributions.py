"""The value objects modules hand to the core through hooks.

Hook implementations return these; the core sorts, filters and renders them.
Labels are translation strings (``core.i18n.TranslationStringFactory``) so each
request shows them in its own language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

SCOPES = ("own", "team", "region", "all")


@dataclass(frozen=True)
class Permission:
    """A permission ``module.resource.action`` with a translatable label."""

    name: str
    label: str
    #: Heading the role editor groups it under (usually the resource's name).
    group: str = ""
    #: Whether a data scope applies (False for global actions like settings).
    scoped: bool = True

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class MenuItem:
    """An entry of the side menu (``section="main"``) or of the settings menu."""

    key: str
    label: str
    route: str
    icon: str = "list"
    order: int = 100
    permission: str | None = None
    section: str = "main"


@dataclass(frozen=True)
class ScopeColumns:
    """Which columns of a model carry its owner, team and region(s)."""

    owner: str | None = None
    team: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordType:
    """A model the core knows: scoped, audited, optionally with custom fields."""

    name: str
    label: str
    model: type
    scope: ScopeColumns = field(default_factory=ScopeColumns)
    #: Admins may add custom fields to it (values in the model's ``custom`` column).
    extensible: bool = False
    #: Route name of the record's page, called with ``id=``.
    detail_route: str | None = None
    #: Permission prefix, e.g. ``customers.customer`` (``.view``/``.edit`` … appended).
    permission_prefix: str = ""
    #: Columns never written in plain text to the audit trail.
    sensitive: tuple[str, ...] = ()
    #: Human title of one record, for audit and search listings.
    title: Callable[[Any], str] = str
    #: Labels (translation strings) of the model's attributes, by attribute name, for
    #: the History tab, the audit trail and the timeline; unlabelled ones show their name.
    field_labels: dict[str, str] = field(default_factory=dict)
    #: ``describe(request, attribute, value)``: a recorded value as display text (a status
    #: label, an owner's name …), or ``None`` to show it as recorded.
    describe: Callable[[Any, str, Any], str | None] | None = None


@dataclass(frozen=True)
class RecordTab:
    """A tab on another module's record page."""

    key: str
    label: str
    url: str
    order: int = 100
    icon: str = "list"


@dataclass(frozen=True)
class TimelineEntry:
    """One event on a record's timeline (a follow-up, a change, an order …)."""

    at: dt.datetime
    kind: str
    title: str
    detail: str = ""
    url: str | None = None
    icon: str = "circle"
    actor: str = ""


@dataclass(frozen=True)
class DashboardWidget:
    """A card on the home page, loaded by htmx from ``url``."""

    key: str
    label: str
    url: str
    order: int = 100
    width: int = 6


@dataclass(frozen=True)
class SearchResult:
    """One hit of the global search box."""

    label: str
    url: str
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class ApiResource:
    """A REST resource shown in the OpenAPI document.

    ``paths`` is a mapping of OpenAPI path items (``/customers`` …, relative to
    ``/api/v1``) and ``schemas`` of component schemas, both plain dicts.
    """

    name: str
    paths: dict[str, Any]
    schemas: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PeriodicJob:
    """A job the worker runs on a schedule while its module is enabled."""

    name: str
    #: Called with a SQLAlchemy session inside a transaction.
    run: Callable[[Any], Any]
    every_minutes: int = 60


@dataclass(frozen=True)
class BackgroundTask:
    """Work that runs once, outside the request, as a job (see ``core.background``)."""

    name: str
    #: Called with a ``core.background.JobContext``; returns a JSON-able result dict.
    run: Callable[[Any], Any]


@dataclass(frozen=True)
class TabularField:
    """A column a record type reads from imported files (``core.tabular``).

    The column of a file is matched to the field by its header: the key, the
    label in any language, or one of ``aliases`` (客户名称, 公司名称, Company …),
    compared without case, spaces, punctuation and notes in brackets.
    """

    key: str
    label: Any
    aliases: tuple[str, ...] = ()
    required: bool = False
    #: What the template formats the column as: ``text``, ``number``, ``date`` or ``datetime``.
    kind: str = "text"
    #: Labels (in the user's language) offered by the template's drop-down list.
    choices: tuple[str, ...] = ()
    help: Any = ""
    example: Any = ""
    #: A record's own unique value (a code): "create anyway" cannot create a second one.
    unique: bool = False


@dataclass(frozen=True)
class TabularType:
    """Records a module lets users import and export (``guanxi_tabular_types``).

    ``importer`` and ``exporter`` are classes (subclasses of
    ``core.tabular.importer.Importer`` and ``core.tabular.exporter.Exporter``)
    made with ``(request, tabular_type)``; either may be None.  Permissions are
    ``<permission_prefix>.import`` and ``.export``; ``match_keys`` are the field
    keys that find an existing record (duplicates), most telling first.
    """

    name: str
    label: Any
    permission_prefix: str
    importer: Callable[[Any, Any], Any] | None = None
    exporter: Callable[[Any, Any], Any] | None = None
    match_keys: tuple[str, ...] = ()
    #: Route of the records' list page, if there is one.
    list_route: str | None = None
    order: int = 100

    @property
    def import_permission(self) -> str:
        return f"{self.permission_prefix}.import"

    def importer_for(self, request: Any) -> Any:
        """The type's importer working for ``request``."""
        return self.importer(request, self)  # type: ignore[misc]

    def exporter_for(self, request: Any) -> Any:
        """The type's exporter working for ``request``."""
        return self.exporter(request, self)  # type: ignore[misc]

    @property
    def export_permission(self) -> str:
        return f"{self.permission_prefix}.export"


@dataclass(frozen=True)
class SalesProduct:
    """A product as the company's sales system knows it."""

    code: str
    name: str
    unit_price: Decimal | None = None
    currency: str = "CNY"


@dataclass(frozen=True)
class StockLevel:
    """How much of a product is in stock; ``quantity`` None means the system cannot tell."""

    product_code: str
    quantity: Decimal | None = None
    unit: str = ""
    as_of: dt.datetime | None = None


@dataclass(frozen=True)
class SalesOrder:
    """One order of a customer's history in the sales system."""

    number: str
    ordered_on: dt.date
    amount: Decimal
    currency: str = "CNY"
    state: str = ""
    url: str | None = None


class SalesConnector(Protocol):
    """What ``guanxi_sales_connector`` returns: lookups in the company's sales system.

    ``key`` names the connector (``"builtin"`` for the customers module's own),
    ``label`` is a translation string shown on the lookup panel.  Methods may
    raise when the system does not answer; the page then says so.
    """

    key: str
    label: str

    def product_search(self, query: str, limit: int) -> list[SalesProduct]:
        """At most ``limit`` products whose code or name matches ``query``."""
        ...

    def stock_level(self, product_code: str) -> StockLevel:
        """The stock of one product."""
        ...

    def order_history(self, customer: Any, limit: int) -> list[SalesOrder]:
        """The customer's ``limit`` most recent orders, newest first."""
        ...


BENCH_KINDS = ("floor", "read", "search", "write", "batch")


@dataclass(frozen=True)
class BenchOptions:
    """What ``guanxi bench`` tells the scenarios' ``prepare`` besides the database session."""

    #: Rows a batch scenario (an import) works on.
    batch_rows: int = 100_000
    #: A scratch folder for files (generated uploads, downloads), removed after the run.
    folder: Any = None
    seed: int = 1


@dataclass(frozen=True)
class BenchScenario:
    """A named load scenario of ``guanxi bench``.

    ``run(user, data)`` is a coroutine performing one operation as the logged-in
    ``user`` (``core.bench.client.BenchUser``) with what ``prepare(session,
    options)`` (a :class:`BenchOptions`) sampled or wrote before the run
    (``None`` without ``prepare``).  A ``batch`` scenario runs once, only when
    named, and its ``run`` returns a ``core.bench.batch.BatchResult`` (rows and
    the seconds it timed).  ``roles`` limits which generated users run it
    (empty: any).
    """

    name: str
    kind: str
    run: Callable[[Any, Any], Any]
    prepare: Callable[[Any, BenchOptions], Any] | None = None
    roles: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in BENCH_KINDS:
            raise ValueError(f"bench scenario kind must be one of {BENCH_KINDS}")
