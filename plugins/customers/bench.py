"""The customers module's ``guanxi bench`` scenarios: the list, search, the customer page, writes.

Each scenario samples what it needs once (``prepare``) and then acts as a
generated user through the pages a person uses: the list with its filters,
sorts and cursor, the search box (one and two Chinese characters, pinyin,
initials, a phone's last digits), the customer page, and creating and editing
customers through their forms.  Record ids are chosen within the user's scope
(own, team or region, as the default roles grant), so every answer is a 200.

The batch scenarios (run once, only when named) go through the REST API as an
administrator: importing ``--batch-rows`` generated customers from a GB18030
CSV file and from an XLSX workbook (then undoing it), and exporting every
customer to CSV.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webob.multidict import MultiDict

from core.api.listing import encode_cursor, parse_sort
from core.bench import batch
from core.bench.client import BenchFailure, BenchUser, Login
from core.bench.html import form_errors, form_values, replace
from core.contributions import BenchOptions, BenchScenario
from core.generate import USERNAME_PREFIX
from core.search import pinyin_of_name
from core.security.models import User
from plugins.customers import bench_files
from plugins.customers import demo_names as names
from plugins.customers.duplicates import CONFIRM_FIELD
from plugins.customers.listing import SPEC, CheckedParams
from plugins.customers.models import Contact, Customer, Tag

SAMPLE = 5000
#: Rows per list page, and the page the deep scenario opens.
PAGE, DEEP_PAGE = 50, 50
READERS = ("admin", "sales_manager", "sales_rep", "service_agent")
WRITERS = ("admin", "sales_manager", "sales_rep")
LEVELS = ("normal", "key_prospect", "major", "partner", "strategic")


@dataclass
class Sample:
    """Customers, people and words the scenarios draw from."""

    #: (id, owner id, team id, province code) of live customers
    customers: list[tuple[int, int, int | None, str | None]]
    #: (user id, team id) of generated representatives and managers
    owners: list[tuple[int, int | None]]
    provinces: list[str]
    tags: list[int]
    pinyin: list[tuple[str, str]]
    phone_tails: list[str]
    deep_cursor: str
    _visible: dict[str, list[Any]] = field(default_factory=dict)

    def visible(self, login: Login) -> list[tuple[int, int, int | None, str | None]]:
        """The sampled customers ``login`` reaches (by the default roles' scopes)."""
        if login.username not in self._visible:
            self._visible[login.username] = [
                row for row in self.customers if _reaches(login, *row[1:])
            ]
        return self._visible[login.username]

    def owners_for(self, login: Login) -> list[int]:
        """Owners whose customers ``login`` may filter by."""
        if login.role == "sales_rep":
            return [login.user_id]
        if login.role == "sales_manager":
            return [user for user, team in self.owners if team in login.team_ids] or [login.user_id]
        return [user for user, _team in self.owners]


def _reaches(login: Login, owner_id: int, team_id: int | None, province: str | None) -> bool:
    if login.role == "admin":
        return True
    if login.role == "sales_manager":
        return team_id in login.team_ids
    if login.role == "service_agent":
        return province in login.region_codes
    return owner_id == login.user_id


def _random_ids(session: Session, count: int) -> list[int]:
    low, high = session.execute(select(func.min(Customer.id), func.max(Customer.id))).one()
    if low is None:
        raise ValueError("no customers: run guanxi generate first")
    rng = random.Random(7)
    return sorted({rng.randint(low, high) for _n in range(count)})


def prepare(session: Session, options: BenchOptions | None = None) -> Sample:
    """Sample live customers, owners, tags, names and phones from the database."""
    ids = _random_ids(session, SAMPLE)
    rows = session.execute(
        select(
            Customer.id, Customer.owner_id, Customer.team_id, Customer.province_code, Customer.phone
        ).where(Customer.id.in_(ids), Customer.deleted_at.is_(None))
    ).all()
    people = session.scalars(select(Contact.name).where(Contact.customer_id.in_(ids[:500])))
    owners = session.execute(
        select(User.id, User.team_id).where(User.username.startswith(USERNAME_PREFIX))
    ).all()
    sort = parse_sort(CheckedParams(MultiDict(), "", session), SPEC, Customer.id)
    deep = session.scalar(
        select(Customer.id)
        .where(Customer.deleted_at.is_(None))
        .order_by(Customer.id.desc())
        .offset(PAGE * (DEEP_PAGE - 1) - 1)
        .limit(1)
    )
    return Sample(
        customers=[(row.id, row.owner_id, row.team_id, row.province_code) for row in rows],
        owners=[(row.id, row.team_id) for row in owners],
        provinces=sorted({row.province_code for row in rows if row.province_code}),
        tags=list(session.scalars(select(Tag.id).order_by(Tag.id))),
        pinyin=[pinyin_of_name(name) for name in people if pinyin_of_name(name)[0]],
        phone_tails=[row.phone[-4:] for row in rows if row.phone],
        deep_cursor=encode_cursor(sort, None, deep or 1),
    )


# -- the list -----------------------------------------------------------------------------


def _list(
    make_params: Callable[[BenchUser, Sample], dict[str, Any]],
) -> Callable[[BenchUser, Sample], Awaitable[None]]:
    async def run(user: BenchUser, data: Sample) -> None:
        params = make_params(user, data)
        await user.get("/customers" + (f"?{urlencode(params, doseq=True)}" if params else ""))

    return run


def _in_scope_province(user: BenchUser, data: Sample) -> dict[str, Any]:
    login = user.login
    provinces = sorted(login.region_codes) if login.role == "service_agent" else data.provinces
    return {"province_code": user.rng.choice(provinces)}


LIST_PARAMS: dict[str, tuple[str, Callable[[BenchUser, Sample], dict[str, Any]]]] = {
    "customers.list": ("the default view", lambda user, data: {}),
    "customers.list_owner": (
        "filtered by owner",
        lambda user, data: {"owner_id": user.rng.choice(data.owners_for(user.login))},
    ),
    "customers.list_region": ("filtered by province", _in_scope_province),
    "customers.list_level": (
        "filtered by level",
        lambda user, data: {"level": user.rng.choice(LEVELS)},
    ),
    "customers.list_tag": (
        "filtered by tag",
        lambda user, data: {"tag": user.rng.choice(data.tags)},
    ),
    "customers.list_sorted": (
        "sorted by name or by last update",
        lambda user, data: {"sort": user.rng.choice(("name", "-updated_at", "code"))},
    ),
}


async def _deep_page(user: BenchUser, data: Sample) -> None:
    await user.get(f"/customers?{urlencode({'cursor': data.deep_cursor})}")


# -- search -------------------------------------------------------------------------------

SURNAMES = [surname for surname, _weight in names.SURNAMES]
Query = Callable[[random.Random, Sample], str]
SEARCHES: dict[str, tuple[str, Query]] = {
    "customers.search_1char": (
        "one Chinese character (a surname)",
        lambda rng, data: rng.choice(SURNAMES),
    ),
    "customers.search_2chars": (
        "two Chinese characters (a brand)",
        lambda rng, data: rng.choice(names.BRANDS_ZH)[:2],
    ),
    "customers.search_pinyin": (
        "a name's full pinyin",
        lambda rng, data: rng.choice(data.pinyin)[0],
    ),
    "customers.search_initials": (
        "a name's pinyin initials",
        lambda rng, data: rng.choice(data.pinyin)[1],
    ),
    "customers.search_phone": (
        "a phone's last four digits",
        lambda rng, data: rng.choice(data.phone_tails),
    ),
}


def _search(
    make_query: Callable[[random.Random, Sample], str],
) -> Callable[[BenchUser, Sample], Awaitable[None]]:
    async def run(user: BenchUser, data: Sample) -> None:
        await user.get(f"/customers?{urlencode({'q': make_query(user.rng, data)})}")

    return run


# -- one customer -------------------------------------------------------------------------


def _pick(user: BenchUser, data: Sample) -> int:
    visible = data.visible(user.login)
    if not visible:
        raise BenchFailure(f"{user.login.username} reaches no sampled customer")
    return user.rng.choice(visible)[0]


async def _customer_page(user: BenchUser, data: Sample) -> None:
    await user.get(f"/customers/{_pick(user, data)}")


async def _submit(user: BenchUser, path: str, values: list[tuple[str, str]]) -> None:
    """Post a form and answer what it asks as the user would: confirm a likely duplicate,
    or save again when somebody saved the customer meanwhile (the form then comes back
    at the current version, with the user's values and the other person's name)."""
    response = await user.request("POST", path, values, expect=(200, 303))
    if response.status == 303:
        return
    shown = form_values(response.text, path)
    returned = dict(shown)
    if returned.get(CONFIRM_FIELD):
        await user.post(path, replace(values, **{CONFIRM_FIELD: returned[CONFIRM_FIELD]}))
    elif returned.get("version") != dict(values).get("version"):
        await user.post(path, shown)
    else:
        messages = "; ".join(form_errors(response.text)) or "no message"
        raise BenchFailure(f"{path}: the form came back without saving ({messages})")


async def _create(user: BenchUser, data: Sample) -> None:
    path = "/customers/new"
    page = await user.get(path, label="customers.create_form")
    rng = user.rng
    trade = rng.choice(("科技", "贸易", "实业"))
    name = f"{rng.choice(names.BRANDS_ZH)}{trade}{rng.randrange(10**6):06d}有限公司"
    province = rng.choice(sorted(user.login.region_codes) or data.provinces)
    values = replace(form_values(page.text, path), name=name, province_code=province)
    await _submit(user, path, values)


async def _update(user: BenchUser, data: Sample) -> None:
    path = f"/customers/{_pick(user, data)}/edit"
    page = await user.get(path, label="customers.edit_form")
    values = replace(form_values(page.text, path), notes=f"基准测试 {user.rng.randrange(10**9)}")
    await _submit(user, path, values)


# -- batches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportFile:
    """A generated file of ``rows`` customers to import."""

    path: Path
    rows: int


def _import_file(suffix: str, block: int) -> Callable[[Session, BenchOptions], ImportFile]:
    """The ``prepare`` writing ``--batch-rows`` customers to a ``suffix`` file.

    ``block`` (0, 1 …) keeps the serials of each file apart, so one import's
    failed undo does not turn the next one's rows into duplicates.
    """

    def prepare_file(session: Session, options: BenchOptions) -> ImportFile:
        count = options.batch_rows
        first = bench_files.first_serial(session) + block * count
        path = Path(options.folder) / f"customers-{count}.{suffix}"
        rows = bench_files.rows(count, first, options.seed)
        if suffix == "csv":
            batch.write_csv(path, bench_files.HEADER, rows)
        else:
            batch.write_xlsx(path, bench_files.HEADER, rows, "客户")
        return ImportFile(path, count)

    return prepare_file


async def _import(user: BenchUser, data: ImportFile) -> batch.BatchResult:
    return await batch.import_file(user, "customers", data.path, data.rows)


def _export_target(session: Session, options: BenchOptions) -> Path:
    return Path(options.folder) / "customers-export.csv"


async def _export(user: BenchUser, target: Path) -> batch.BatchResult:
    try:
        return await batch.export_file(user, "customers", target)
    finally:
        target.unlink(missing_ok=True)


def batch_scenarios() -> list[BenchScenario]:
    """Import from CSV and XLSX, export to CSV: once each, as an administrator."""
    return [
        BenchScenario(
            "customers.import_csv", "batch", _import, _import_file("csv", 0), ("admin",),
            "import --batch-rows customers from a GB18030 CSV file (then undo)",
        ),
        BenchScenario(
            "customers.import_xlsx", "batch", _import, _import_file("xlsx", 1), ("admin",),
            "import --batch-rows customers from an XLSX workbook (then undo)",
        ),
        BenchScenario(
            "customers.export_csv", "batch", _export, _export_target, ("admin",),
            "export every customer to CSV and download it",
        ),
    ]  # fmt: skip


def scenarios() -> list[BenchScenario]:
    """Every scenario of the module (offered through ``guanxi_bench_scenarios``)."""
    found = [
        BenchScenario(name, "read", _list(params), prepare, READERS, description)
        for name, (description, params) in LIST_PARAMS.items()
    ]
    found.append(
        BenchScenario(
            "customers.list_deep",
            "read",
            _deep_page,
            prepare,
            ("admin",),
            f"page {DEEP_PAGE} through the cursor",
        )
    )
    found += [
        BenchScenario(name, "search", _search(query), prepare, READERS, description)
        for name, (description, query) in SEARCHES.items()
    ]
    found += [
        BenchScenario(
            "customers.page", "read", _customer_page, prepare, READERS, "a customer's page"
        ),
        BenchScenario(
            "customers.create", "write", _create, prepare, WRITERS, "the new-customer form, saved"
        ),
        BenchScenario(
            "customers.update", "write", _update, prepare, WRITERS, "the edit form, saved"
        ),
        *batch_scenarios(),
    ]
    return found
