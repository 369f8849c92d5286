"""Every route of the application, read from Pyramid's introspector, against the rules.

* every view has a permission, except a short list of public pages;
* a logged-out visitor is sent to the login page (the API answers 401) and a user
  without roles is refused, on every protected page;
* a write without the CSRF token of a cookie session is refused and changes nothing;
* opening a page (GET) never changes data.

New routes are picked up automatically: a view added without a permission, or one
that writes on GET, makes these tests fail.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyramid.interfaces import IExceptionResponse
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.static import static_view
from sqlalchemy import func, select, update

from core.audit import AuditEvent
from core.background import BackgroundJob
from core.customfields.service import create_definition
from core.db import Base, utcnow
from core.security.admin_regions import add_custom_region
from core.security.models import Role
from core.security.teams import create_team
from core.security.tokens import create_token
from core.tabular.exports import EXPORT_TASK, exports_dir
from core.tabular.imports import run_import
from core.tabular.models import DataImport
from core.web.modules_admin import enable_module
from plugins.customers.attachments import Upload, limits, store
from plugins.customers.dictionaries import entries
from plugins.customers.followup_models import FollowUp, FollowUpPlan
from plugins.customers.hooks import guanxi_record_types
from plugins.customers.models import Contact, Customer
from plugins.customers.order_models import Contract, Order
from plugins.customers.service import assign_owner, next_code
from plugins.customers.tags import create_tag

#: Routes anybody may open, each with the reason it needs no permission.
PUBLIC_ROUTES = {
    "login": "the login form itself",
    "logout": "ends the session, if any (POST with the CSRF token)",
    "password_forgot": "asking for a reset link must work while logged out",
    "password_reset": "the link's own token is the credential",
    "login_verify": "the second factor; it checks the password-verified pending session",
    "healthz": "probe of the load balancer",
    "readyz": "probe of the load balancer",
    "api_openapi": "the public API description",
    "set_language": "choosing the language of the login page",
}
WRITE_METHODS = ("POST", "PATCH", "DELETE")
PARAM = re.compile(r"\{([A-Za-z_]\w*)[:}]")
#: Path parameters that name nothing.
MISSING = {
    "id": "999999",
    "record_type": "customer",
    "code": "X999999",
    "name": "nonexistent",
    "list": "nolist",
    "type": "nonexistent",
}


@dataclass(frozen=True)
class View:
    """One view of a route: its methods (``None`` = any) and its permission."""

    route: str
    pattern: str
    methods: tuple[str, ...] | None
    permission: str | None
    static: bool

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.pattern)

    @property
    def public(self) -> bool:
        return self.static or self.route in PUBLIC_ROUTES

    @property
    def api(self) -> bool:
        return self.pattern.startswith("/api/")

    def accepts(self, method: str) -> bool:
        return self.methods is None or method in self.methods


def route_views(app: Any) -> list[View]:
    """Every view attached to a route, with the route's method predicate as a fallback."""
    introspector = app.registry.introspector
    views = []
    for entry in introspector.get_category("routes"):
        route = entry["introspectable"]
        route_methods = route["request_methods"]
        for related in entry["related"]:
            if related.category_name != "views":
                continue
            permissions = [
                item["value"]
                for item in introspector.related(related)
                if item.category_name == "permissions"
            ]
            methods = related["request_methods"] or route_methods
            if isinstance(methods, str):
                methods = (methods,)
            views.append(
                View(
                    route=route["name"],
                    pattern=route["pattern"],
                    methods=tuple(methods) if methods else None,
                    permission=permissions[0] if permissions else None,
                    static=isinstance(related["callable"], static_view),
                )
            )
    return views


def path(app: Any, view: View, values: dict[str, str]) -> str:
    """The route's path with ``values`` for its parameters."""
    route = app.routes_mapper.get_route(view.route)
    return route.generate({name: values[name] for name in view.params})


def fingerprint(session: Any) -> dict[str, tuple[int, int]]:
    """Rows and the sum of versions of every table: any insert, delete or edit moves it."""
    result = {}
    for table in Base.metadata.sorted_tables:
        version = table.c.get("version")
        total = func.coalesce(func.sum(version), 0) if version is not None else func.count()
        result[table.name] = tuple(
            session.execute(select(func.count(), total).select_from(table)).one()
        )
    return result


def audit_count(session: Any) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture(autouse=True)
def every_module(app: Any, dbsession: Any) -> None:
    """Every installed module enabled, so that each of their routes is really reached."""
    registry = app.registry["modules"]
    for name in registry.modules:
        enable_module(dbsession, registry, name)


@pytest.fixture
def views(app: Any) -> list[View]:
    return route_views(app)


@pytest.fixture
def records(app: Any, dbsession: Any, factory: Any, admin: Any) -> dict[str, Any]:
    """One record behind every kind of path parameter, and the values that name them."""
    team = create_team(dbsession, "QA team")
    member = factory.user("member", role="sales_rep", team=team)
    role = Role(name="QA role")
    dbsession.add(role)
    customers = []
    for deleted in (False, True):
        code = next_code(dbsession, dt.date(2026, 11, 22))
        customer = Customer(code=code, name="QA 客户", custom={})
        assign_owner(customer, admin)
        customer.deleted_at = utcnow() if deleted else None
        dbsession.add(customer)
        customers.append(customer)
    definition = create_definition(
        dbsession, guanxi_record_types()[0], key="qa", field_type="text", labels={"en": "QA"}
    )
    token = create_token(dbsession, admin, "qa", ["customers.customer.view"])[0]
    add_custom_region(dbsession, "QA", "QA region", None)
    dbsession.flush()
    live, deleted = customers
    contact = Contact(customer_id=live.id, name="QA 联系人", is_primary=True, custom={})
    dbsession.add(contact)
    dbsession.flush()
    contact_routes = ("contact_edit", "contact_primary", "contact_delete")
    contact_routes += ("api_contact", "api_contact_edit", "api_contact_delete")
    ids = {
        **dict.fromkeys(contact_routes, contact.id),
        "account_token_revoke": token.id,
        "user_edit": member.id,
        "user_active": member.id,
        "api_user": member.id,
        "team_edit": team.id,
        "team_delete": team.id,
        "settings_role": role.id,
        "settings_role_delete": role.id,
        "settings_role_restore": role.id,
        "customer_restore": deleted.id,
        **_followup_ids(app, dbsession, live, admin),
        **_order_ids(dbsession, live),
        **dict.fromkeys(TAG_ROUTES, create_tag(dbsession, "QA 标签").id),
        "customer_purge": deleted.id,
        **dict.fromkeys(DICTIONARY_ROUTES, entries(dbsession, "industry")[0].id),
        **_tabular_ids(app, dbsession, admin),
    }
    return {
        "default": {
            "id": str(live.id),
            "record_type": "customer",
            "code": "XQA",
            "name": "example",
            "token": "no-such-token",
            "list": "customers",
            "type": "customers",
        },
        "ids": {**ids, **dict.fromkeys(_definition_routes(), definition.id)},
        "customer": live,
    }


#: Routes naming a customer dictionary entry.
DICTIONARY_ROUTES = ("customer_dictionary_edit", "customer_dictionary_move")
DICTIONARY_ROUTES += ("customer_dictionary_retire", "customer_dictionary_reactivate")
#: Routes naming a tag.
TAG_ROUTES = ("settings_tag_edit", "settings_tag_delete")
TAG_ROUTES += ("api_tag", "api_tag_edit", "api_tag_delete")


def _followup_ids(app: Any, dbsession: Any, customer: Customer, user: Any) -> dict[str, int]:
    """A planned follow-up with an attachment and a plan, by the routes naming them."""
    followup = FollowUp(
        customer_id=customer.id, user_id=user.id, state="planned", subject="QA", due_at=utcnow()
    )
    plan = FollowUpPlan(
        customer_id=customer.id, user_id=user.id, subject="QA", next_due_on=dt.date(2026, 12, 1)
    )
    dbsession.add_all([followup, plan])
    dbsession.flush()
    upload = Upload("qa.txt", io.BytesIO(b"QA"))
    store(dbsession, followup, [upload], limits(app.registry.settings))
    dbsession.flush()
    actions = ("followup_edit", "followup_cancel", "followup_delete")
    actions += ("api_followup", "api_followup_edit", "api_followup_delete")
    return {
        **dict.fromkeys(actions, followup.id),
        **dict.fromkeys(("followup_plan_edit", "followup_plan_stop"), plan.id),
        **dict.fromkeys(("attachment_download", "attachment_delete"), followup.attachments[0].id),
    }


def _order_ids(dbsession: Any, customer: Customer) -> dict[str, int]:
    """An order and a contract of ``customer``, behind the order and contract routes."""
    order = Order(customer_id=customer.id, number="SO-QA", ordered_on=dt.date(2026, 1, 5))
    contract = Contract(customer_id=customer.id, number="HT-QA", title="QA 合同")
    dbsession.add_all([order, contract])
    dbsession.flush()
    return {
        **dict.fromkeys(ORDER_ROUTES, order.id),
        **{route.replace("order", "contract"): contract.id for route in ORDER_ROUTES},
    }


def _tabular_ids(app: Any, dbsession: Any, admin: Any) -> dict[str, int]:
    """A draft import, an applied one with an error file, and a finished export job."""
    settings = app.registry.settings
    source = "客户名称,手机\nQA 导入客户,13812345678\nQA 坏行,12\n".encode()
    path = Path(settings["guanxi.var_dir"]) / "qa-import.csv"
    path.write_bytes(source)
    done = run_import(app.registry, "customers", path, user=admin.id, valid_rows_only=True)[1]
    draft = run_import(app.registry, "customers", path, user=admin.id, dry_run=True)[1]
    dbsession.execute(update(DataImport).where(DataImport.id == draft.id).values(state="draft"))
    folder = exports_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qa-export.csv").write_bytes(b"name\r\nQA\r\n")
    export = BackgroundJob(
        task=EXPORT_TASK,
        user_id=admin.id,
        state="done",
        result={
            "file": "qa-export.csv",
            "filename": "qa.csv",
            "rows": 1,
            "expires_at": (utcnow() + dt.timedelta(days=1)).isoformat(),
        },
    )
    dbsession.add(export)
    dbsession.flush()
    return {
        **dict.fromkeys(("import_mapping", "import_preview", "import_run"), draft.id),
        **dict.fromkeys(IMPORT_ROUTES, done.id),
        **dict.fromkeys(EXPORT_ROUTES, export.id),
    }


#: Routes naming an applied import, and an export job.
IMPORT_ROUTES = ("import_detail", "import_errors", "import_undo")
IMPORT_ROUTES += ("api_import", "api_import_errors", "api_import_undo")
EXPORT_ROUTES = ("export_job", "export_download", "api_export", "api_export_file")


ORDER_ROUTES = ("order_detail", "order_edit", "order_delete")
ORDER_ROUTES += ("api_order", "api_order_edit", "api_order_delete")


def _definition_routes() -> list[str]:
    actions = ("edit", "archive", "restore", "move")
    return [f"settings_custom_field_{action}" for action in actions]


def record_path(app: Any, view: View, records: dict[str, Any]) -> str:
    values = dict(records["default"])
    if view.route in records["ids"]:
        values["id"] = str(records["ids"][view.route])
    return path(app, view, values)


# -- a. every view has a permission ------------------------------------------------


def test_every_view_has_a_permission_unless_it_is_public(app, views):
    unprotected = sorted(
        f"{view.route} {view.pattern} {view.methods or 'any method'}"
        for view in views
        if not view.public and view.permission in (None, NO_PERMISSION_REQUIRED)
    )
    assert not unprotected, "views without a permission:\n" + "\n".join(unprotected)
    assert set(PUBLIC_ROUTES) <= {view.route for view in views}, "stale PUBLIC_ROUTES entry"


def test_views_outside_routes_are_only_error_views(app):
    stray = []
    for entry in app.registry.introspector.get_category("views"):
        view = entry["introspectable"]
        context = view["context"]
        is_error = context is IExceptionResponse or (
            isinstance(context, type) and issubclass(context, BaseException)
        )
        if view["route_name"] is None and not is_error:
            stray.append(f"{view['callable']} for {context}")
    assert not stray


# -- b. anonymous visitors and users without roles ---------------------------------


def protected_get_views(views: list[View]) -> list[View]:
    return [view for view in views if view.accepts("GET") and not view.public]


def test_anonymous_visitors_go_to_the_login_page(app, client, views):
    wrong = []
    for view in protected_get_views(views):
        url = path(app, view, MISSING)
        response = client.get(url, status="*")
        if view.api:
            ok = response.status_int == 401 and response.content_type == "application/problem+json"
        else:
            ok = response.status_int == 303 and response.location.startswith(
                "http://localhost/login"
            )
        if not ok:
            wrong.append(f"{url}: {response.status}")
    assert not wrong, "\n".join(wrong)


def test_a_user_without_roles_is_refused(app, login_as, factory, views):
    web = login_as(factory.user("nobody", role=None))
    wrong = []
    for view in protected_get_views(views):
        url = path(app, view, MISSING)
        response = web.get(url, status="*")
        if view.permission == "authenticated":
            # Pages of one's own account: open to every user, and nothing of others in them.
            allowed = {200, 303, 404} if view.params else {200}
        else:
            allowed = {403, 404} if view.params else {403}
        if response.status_int not in allowed:
            wrong.append(f"{url}: {response.status} (expected one of {sorted(allowed)})")
    assert not wrong, "\n".join(wrong)


# -- c. CSRF -----------------------------------------------------------------------


def write_views(views: list[View]) -> list[tuple[View, str]]:
    return [
        (view, method)
        for view in views
        if not view.static
        for method in WRITE_METHODS
        if (view.methods is None and method == "POST") or (view.methods and method in view.methods)
    ]


def test_writes_without_the_csrf_token_are_refused(app, login_as, admin, records, views, dbsession):
    web = login_as(admin)
    before = fingerprint(dbsession)
    wrong = []
    for view, method in write_views(views):
        url = record_path(app, view, records)
        if view.api:
            response = web.app.request(
                url,
                method=method,
                body=b'{"name": "csrf", "version": 1}',
                content_type="application/json",
                expect_errors=True,
            )
        else:
            response = web.app.request(
                url,
                method=method,
                POST={"name": "csrf", "action": "enable", "active": "0"},
                expect_errors=True,
            )
        expected = "application/problem+json" if view.api else "text/html"
        if response.status_int != 400 or response.content_type != expected:
            wrong.append(f"{method} {url}: {response.status} {response.content_type}")
    assert not wrong, "\n".join(wrong)
    assert fingerprint(dbsession) == before


def test_anonymous_writes_to_public_pages_need_the_csrf_token(app, client, views, dbsession):
    before = audit_count(dbsession)
    for view, method in write_views(views):
        if view.public:
            url = path(app, view, {"token": "no-such-token"})
            page = client.app.request(url, method=method, POST={"login": "root"}, status=400)
            assert "The form has expired" in page.text
    assert audit_count(dbsession) == before


# -- d. GET changes nothing --------------------------------------------------------


#: GET routes that do not answer 200 to a logged-in administrator, and what they answer.
NOT_A_PAGE_FOR_ADMIN = {
    "login": 303,  # already logged in: on to the home page
    "login_verify": 303,  # no password-verified session waiting for a code
    "password_reset": 404,  # no such reset token
}


def test_opening_any_page_changes_nothing(app, login_as, admin, records, views, dbsession):
    web = login_as(admin)
    web.get("/")  # the session's first request may touch it
    before = fingerprint(dbsession)  # audit_events included
    customer = records["customer"]
    urls = [
        (view.route, record_path(app, view, records))
        for view in views
        if not view.static and view.accepts("GET")
    ]
    urls += [
        ("customers", f"/customers?undo={records['ids']['customer_restore']}"),
        ("customers", "/customers?deleted=1&q=QA&sort=-name"),
        ("search", "/search?q=QA"),
        ("settings_audit", "/settings/audit?actor=root&q=QA"),
        ("notifications", "/notifications?before=10"),
        ("record_history", f"/history/customer/{customer.id}?at=2026-01-01T00:00"),
        (
            "settings_explain",
            f"/settings/explain-access?user={admin.id}&record_type=customer"
            f"&record_id={customer.id}",
        ),
        ("regions_children", "/regions/children?parent=44"),
    ]
    wrong = []
    for route, url in urls:
        status = web.get(url, status="*").status_int
        if status != NOT_A_PAGE_FOR_ADMIN.get(route, 200):
            wrong.append(f"{url}: {status}")
    assert not wrong, "\n".join(wrong)
    assert fingerprint(dbsession) == before
