"""Hostile input on every form, filter and API endpoint: refused calmly, never a 500.

Each form gets, field by field, SQL and script injections, characters outside the
Basic Multilingual Plane and NUL bytes, then, in every field at once, empty values,
10,000 characters, letters for numbers and impossible dates.  An answer is either
the form again with an error (and the database unchanged), a save of harmless text
(never of a NUL character), or a 400.  Script is always shown escaped.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from core.customfields.service import create_definition
from core.db import Base
from core.security.admin_regions import add_custom_region
from core.security.models import Role, User
from core.security.teams import create_team
from core.security.tokens import create_token
from core.security.totp import new_secret
from core.testing import TEST_PASSWORD
from plugins.customers.hooks import guanxi_record_types
from plugins.customers.models import Customer
from plugins.customers.service import assign_owner, next_code

SCRIPT = "<script>alert(1)</script>"
#: Sent to one field at a time, so that the other fields are valid and saving is reached.
FIELD_ATTACKS = ("' OR 1=1 --", f"{SCRIPT} 𠮷😀", "a\x00b")
#: Sent to every field at once: nothing, too much, and wrong types for numbers and dates.
FORM_ATTACKS = (
    "",
    "x" * 10_000,
    "1; DROP TABLE users",
    "abc",
    "2026-02-30",
    "9" * 30,
    "-1",
    "²",
)
ERROR_MARKS = ("invalid-feedback", "alert-danger")
#: Tables a refused login or reset request writes to by design (throttling, audit, mail).
AUTH_BOOKKEEPING = frozenset(
    {"login_attempts", "login_locks", "audit_events", "outbox_messages", "auth_sessions"}
)
TOKEN_PERMISSIONS = [
    *(f"customers.customer.{action}" for action in ("view", "create", "edit", "delete")),
    "core.users.manage",
]


def fingerprint(session: Any, ignore: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Rows and the sum of versions of each table: any insert, delete or edit moves it."""
    result = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ignore:
            continue
        version = table.c.get("version")
        total = func.coalesce(func.sum(version), 0) if version is not None else func.count()
        result[table.name] = tuple(
            session.execute(select(func.count(), total).select_from(table)).one()
        )
    return result


def version_of(session: Any, model: Any, record_id: int) -> str:
    return str(session.scalar(select(model.version).where(model.id == record_id)))


@pytest.fixture
def world(dbsession: Any, factory: Any, admin: Any) -> dict[str, Any]:
    """Records for the forms to edit and to point at, and custom fields of several types."""
    team = create_team(dbsession, "QA team")
    member = factory.user("member", role="sales_rep", team=team, email="member@example.com")
    role = Role(name="QA role")
    dbsession.add(role)
    record_type = guanxi_record_types()[0]
    definitions = {
        key: create_definition(
            dbsession, record_type, key=key, field_type=key.removeprefix("qa_"), labels={"en": key}
        )
        for key in ("qa_text", "qa_integer", "qa_date", "qa_money", "qa_user")
    }
    customer = Customer(code=next_code(dbsession, dt.date(2026, 11, 22)), name="QA 客户", custom={})
    assign_owner(customer, admin)
    dbsession.add(customer)
    add_custom_region(dbsession, "QA", "QA region", None)
    token = create_token(dbsession, admin, "qa", TOKEN_PERMISSIONS)[1]
    dbsession.flush()
    return {
        "admin": admin,
        "team": team,
        "member": member,
        "role": role,
        "rep_role": dbsession.scalar(select(Role).where(Role.key == "sales_rep")),
        "definition": definitions["qa_text"],
        "customer": customer,
        "bearer": {"Authorization": f"Bearer {token}"},
    }


# -- HTML forms ----------------------------------------------------------------------


@dataclass
class FormSpec:
    """A form: where it posts, valid values (read fresh before each post), what to attack."""

    url: str
    valid: Callable[[], dict[str, Any]]
    fields: tuple[str, ...]
    anonymous: bool = False
    #: Tables the form may write to even when it refuses the input.
    bookkeeping: frozenset[str] = field(default_factory=frozenset)
    #: Marks a page that answers a successful POST itself instead of redirecting.
    done: str | None = None
    #: Whether the valid values are saved (a check that the attacks reach the saving code).
    saves: bool = True


def form_specs(session: Any, world: dict[str, Any]) -> dict[str, FormSpec]:
    admin, member, team = world["admin"], world["member"], world["team"]
    customer, role, definition = world["customer"], world["role"], world["definition"]
    counter = iter(range(1_000_000))

    def user_values(version_id: int | None = None) -> dict[str, Any]:
        values = {
            "username": f"qa{next(counter)}",
            "display_name": "QA",
            "email": "",
            "mobile": "",
            "language": "",
            "timezone": "Asia/Shanghai",
            "team": str(team.id),
            "provinces": "44",
            "roles": str(world["rep_role"].id),
            "password": "A long enough passphrase 2026",
        }
        if version_id is not None:
            values |= {"username": "member", "version": version_of(session, User, version_id)}
        return values

    def customer_values(edit: bool) -> dict[str, Any]:
        values = {
            "code": "",
            "name": f"客户 {next(counter)}",
            "short_name": "",
            "kind": "company",
            "level": "normal",
            "status": "potential",
            "owner_id": str(admin.id),
            "province_code": "44",
            "city_code": "4403",
            "district_code": "",
            "phone": "",
            "email": "",
            "notes": "",
            "cf_qa_text": "",
            "cf_qa_integer": "7",
            "cf_qa_date": "2026-11-22",
            "cf_qa_money": "12.50",
            "cf_qa_user": str(member.id),
        }
        if edit:
            values["version"] = version_of(session, Customer, customer.id)
        return values

    def definition_values(edit: bool) -> dict[str, Any]:
        values = {
            "key": f"qa_new_{next(counter)}",
            "field_type": "text",
            "label_en": "Label",
            "label_zh_Hans": "标签",
            "label_zh_Hant": "標籤",
            "help_en": "",
            "help_zh_Hans": "",
            "help_zh_Hant": "",
            "choices": "",
            "default": "",
        }
        if edit:
            del values["key"]
            values["version"] = version_of(session, type(definition), definition.id)
        return values

    user_fields = tuple(user_values())
    cf_fields = (
        "key",
        "field_type",
        "label_en",
        "label_zh_Hans",
        "help_en",
        "choices",
        "default",
        "required",
    )
    customer_fields = tuple(customer_values(False))
    password = {"current_password": TEST_PASSWORD}
    new_password = "Another long passphrase 2026"
    return {
        "login": FormSpec(
            "/login",
            lambda: {"login": "root", "password": "not the password"},
            ("login", "password", "next"),
            anonymous=True,
            saves=False,
            bookkeeping=AUTH_BOOKKEEPING,
        ),
        "forgot": FormSpec(
            "/password/forgot",
            lambda: {"login": "nobody@example.com"},
            ("login",),
            anonymous=True,
            bookkeeping=AUTH_BOOKKEEPING | {"password_reset_tokens"},
            done="alert-success",
        ),
        "profile": FormSpec(
            "/account",
            lambda: {
                "display_name": "Root",
                "email": "root@example.com",
                "mobile": "",
                "language": "en",
                "timezone": "Asia/Shanghai",
            },
            ("display_name", "email", "mobile", "language", "timezone"),
        ),
        "password": FormSpec(
            "/account/password",
            lambda: {**password, "new_password": new_password, "confirm_password": "differs"},
            ("current_password", "new_password", "confirm_password"),
            bookkeeping=AUTH_BOOKKEEPING,
            saves=False,
        ),
        "user_new": FormSpec("/settings/users/new", user_values, user_fields),
        "user_edit": FormSpec(
            f"/settings/users/{member.id}",
            lambda: user_values(member.id),
            (*user_fields, "version"),
            bookkeeping=frozenset({"auth_sessions"}),
        ),
        "team_new": FormSpec(
            "/settings/teams/new",
            lambda: {"name": f"Team {next(counter)}", "parent": str(team.id)},
            ("name", "parent"),
        ),
        "team_edit": FormSpec(
            f"/settings/teams/{team.id}",
            lambda: {
                "name": "QA team",
                "parent": "",
                "version": version_of(session, type(team), team.id),
            },
            ("name", "parent", "version"),
        ),
        "region_new": FormSpec(
            "/settings/regions/new",
            lambda: {"code": f"Q{next(counter)}", "name": "Region", "parent": "44"},
            ("code", "name", "parent"),
        ),
        "region_edit": FormSpec(
            "/settings/regions/XQA/edit",
            lambda: {"name": "QA region", "parent": ""},
            ("name", "parent"),
        ),
        "role_new": FormSpec(
            "/settings/roles/new",
            lambda: {"name": f"Role {next(counter)}", "description": ""},
            ("name", "description"),
        ),
        "role_edit": FormSpec(
            f"/settings/roles/{role.id}",
            lambda: {
                "name": f"QA role {next(counter)}",
                "description": "",
                "version": version_of(session, Role, role.id),
                "grant-customers.customer.view": "team",
            },
            ("name", "description", "version", "grant-customers.customer.view"),
        ),
        "field_new": FormSpec(
            "/settings/custom-fields/customer/new", lambda: definition_values(False), cf_fields
        ),
        "field_edit": FormSpec(
            f"/settings/custom-fields/customer/{definition.id}",
            lambda: definition_values(True),
            (*cf_fields[1:], "version"),
        ),
        "customer_new": FormSpec("/customers/new", lambda: customer_values(False), customer_fields),
        "customer_edit": FormSpec(
            f"/customers/{customer.id}/edit",
            lambda: customer_values(True),
            (*customer_fields, "version"),
        ),
        "token": FormSpec(
            "/account/tokens",
            lambda: {
                "name": f"token {next(counter)}",
                "expires_days": "30",
                "permissions": "customers.customer.view",
            },
            ("name", "expires_days", "permissions"),
            done="data-created-token",
        ),
        "security": FormSpec("/settings/security", lambda: {}, ("require_admin_two_factor",)),
        "audit_export": FormSpec(
            "/settings/audit/export",
            lambda: {"actor": "root", "date_from": "2026-01-01", "date_to": "2026-12-31"},
            ("actor", "action", "record_type", "record_id", "date_from", "date_to", "q"),
            bookkeeping=frozenset({"audit_events"}),
            done="\ufeff",  # the CSV file
        ),
        "language": FormSpec(
            "/language", lambda: {"locale": "zh_Hans", "next": "/customers"}, ("locale", "next")
        ),
        "notifications_read": FormSpec("/notifications/read", lambda: {"id": "1"}, ("id",)),
        "module_toggle": FormSpec(
            "/settings/modules/customers", lambda: {"action": "enable"}, ("action",)
        ),
        "two_factor": FormSpec(
            "/account/two-factor/enable", lambda: {"code": "123456"}, ("code",), saves=False
        ),
    }


def submissions(spec: FormSpec) -> list[tuple[str, dict[str, Any] | None]]:
    """``(what, values)``; ``None`` values mean "only the CSRF token" (every field missing)."""
    attacks: list[tuple[str, dict[str, Any] | None]] = [("missing fields", None)]
    for name in spec.fields:
        attacks += [(f"{name}={value!r}", {name: value}) for value in FIELD_ATTACKS]
    attacks += [
        (f"every field={value[:20]!r}", dict.fromkeys(spec.fields, value)) for value in FORM_ATTACKS
    ]
    return attacks


def saved(response: Any, spec: FormSpec) -> bool:
    """Whether the form accepted the submission."""
    if response.status_int in (302, 303):
        return True
    return response.status_int == 200 and spec.done is not None and spec.done in response.text


def judge(response: Any, web: Any, spec: FormSpec, changed: bool, what: str) -> list[str]:
    """What is wrong with the answer to one hostile submission."""
    status, text = response.status_int, response.text
    if status >= 500:
        return [f"{what}: {response.status}"]
    problems = []
    if SCRIPT in text and response.content_type == "text/html":
        problems.append(f"{what}: script shown unescaped")
    if saved(response, spec) and "\x00" in what:
        problems.append(f"{what}: a NUL character was accepted")
    elif saved(response, spec):
        if status != 200 and SCRIPT in what:  # where the saved text is shown
            shown = web.get(response.location, status="*")
            if shown.status_int >= 500 or SCRIPT in shown.text:
                problems.append(f"{what}: after saving, {response.location} is {shown.status}")
    elif status not in (200, 400, 404):
        problems.append(f"{what}: unexpected {response.status}")
    else:  # refused: the form with an error, a bad request, or nothing to act on
        if status == 200 and not any(mark in text for mark in ERROR_MARKS):
            problems.append(f"{what}: 200 without an error message")
        if changed:
            problems.append(f"{what}: refused, yet the database changed")
    return problems


@pytest.mark.parametrize(
    "name",
    [
        "login",
        "forgot",
        "profile",
        "password",
        "user_new",
        "user_edit",
        "team_new",
        "team_edit",
        "region_new",
        "region_edit",
        "role_new",
        "role_edit",
        "field_new",
        "field_edit",
        "customer_new",
        "customer_edit",
        "token",
        "security",
        "audit_export",
        "language",
        "notifications_read",
        "module_toggle",
        "two_factor",
    ],
)
def test_forms_refuse_hostile_input(name, world, client, login_as, dbsession):
    spec = form_specs(dbsession, world)[name]
    web = client if spec.anonymous else login_as(world["admin"])
    if spec.url.startswith("/account/two-factor"):
        web.get("/account/two-factor")  # enrolment starts here
    token = web.csrf_token()
    if spec.saves:
        baseline = web.post(spec.url, {**spec.valid(), "csrf_token": token}, status="*")
        assert saved(baseline, spec), f"the valid values are refused: {baseline.status}"
    problems = []
    for what, attack in submissions(spec):
        values = {} if attack is None else {**spec.valid(), **attack}
        before = fingerprint(dbsession, spec.bookkeeping)
        response = web.post(spec.url, {**values, "csrf_token": token}, status="*")
        changed = fingerprint(dbsession, spec.bookkeeping) != before
        problems += judge(response, web, spec, changed, what)
    assert not problems, "\n".join(problems)


def test_text_is_stored_as_typed_and_shown_escaped(world, login_as, dbsession):
    web = login_as(world["admin"])
    name = f"{SCRIPT} 𠮷😀 ' OR 1=1 --"
    created = web.post_form(
        "/customers/new",
        {"name": name, "owner_id": world["admin"].id, "kind": "company", "level": "normal"},
        status=303,
    )
    customer = dbsession.scalars(select(Customer).where(Customer.name == name)).one()
    for url in (created.location, "/customers", f"/search?q={customer.code}"):
        page = web.get(url)
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; 𠮷😀" in page.text


def test_stale_version_is_refused_on_every_edit_form(world, login_as, dbsession):
    web = login_as(world["admin"])
    specs = form_specs(dbsession, world)
    for name in ("user_edit", "team_edit", "role_edit", "field_edit", "customer_edit"):
        spec = specs[name]
        web.post_form(spec.url, spec.valid(), status=303)  # the version moves on
        before = fingerprint(dbsession)
        stale = {**spec.valid(), "version": "1"}
        page = web.post_form(spec.url, stale, status=200)
        assert "alert-danger" in page.text, name
        assert fingerprint(dbsession) == before, name


def test_ids_of_other_or_missing_records_are_refused(world, login_as, factory, dbsession):
    web = login_as(world["admin"])
    team, customer = world["team"], world["customer"]
    specs = form_specs(dbsession, world)
    child = factory.team("Child", parent=team)
    outsider = factory.user("outsider", role="sales_rep", is_active=False)
    wrong = {
        "team_edit": [{"parent": str(team.id)}, {"parent": str(child.id)}, {"parent": "999999"}],
        "team_new": [{"parent": "999999"}],
        "user_new": [{"team": "999999"}, {"roles": "999999"}, {"provinces": "XNONE"}],
        "region_new": [{"parent": "XQA9"}],
        "region_edit": [{"parent": "XQA"}],
        "customer_edit": [
            {"owner_id": "999999"},
            {"owner_id": str(outsider.id)},
            {"city_code": "1101", "province_code": "44"},
            {"cf_qa_user": "999999"},
        ],
        "token": [{"permissions": "core.nonexistent"}],
    }
    for name, attacks in wrong.items():
        spec = specs[name]
        for attack in attacks:
            before = fingerprint(dbsession)
            page = web.post_form(spec.url, {**spec.valid(), **attack}, status=200)
            assert any(mark in page.text for mark in ERROR_MARKS), (name, attack)
            assert fingerprint(dbsession) == before, (name, attack)
    dbsession.refresh(customer)
    assert customer.owner_id == world["admin"].id


def test_the_second_factor_refuses_hostile_codes(client, factory, dbsession):
    factory.user("tina", totp_secret=new_secret())
    client.login("tina", status=303)
    token = client.csrf_token()
    for code in (*FIELD_ATTACKS, *FORM_ATTACKS):
        response = client.post("/login/verify", {"code": code, "csrf_token": token}, status="*")
        assert response.status_int in (200, 303, 400), (code, response.status)
        assert SCRIPT not in response.text
    assert client.get("/", status=303).location.startswith("http://localhost/login")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/%0d%0a",
    ],
)
def test_next_addresses_stay_on_the_site(target, client, world, login_as):
    web = login_as(world["admin"])
    token = web.csrf_token()
    after_login = client.post(
        f"/login?{urlencode({'next': target})}",
        {"login": "root", "password": TEST_PASSWORD, "csrf_token": client.csrf_token()},
        status=303,
    )
    switched = web.post("/language", {"locale": "en", "next": target, "csrf_token": token})
    for response in (after_login, switched):
        assert urlsplit(response.location).netloc == "localhost", response.location


def test_nobody_revokes_another_users_token(world, login_as, factory, dbsession):
    other = factory.user("other", role="sales_rep")
    token = create_token(dbsession, other, "theirs", ["customers.customer.view"])[0]
    web = login_as(world["admin"])
    web.post_form(f"/account/tokens/{token.id}/revoke", status=404)
    dbsession.refresh(token)
    assert token.revoked_at is None


# -- filters and parameters of pages ---------------------------------------------------


PAGE_PARAMS = {
    "/settings/audit": (
        "actor",
        "action",
        "record_type",
        "record_id",
        "date_from",
        "date_to",
        "q",
        "before",
    ),
    "/customers": ("q", "status", "level", "owner_id", "province_code", "sort", "cursor", "undo"),
    "/settings/users": ("q", "team", "role", "active", "sort", "page"),
    "/notifications": ("before",),
    "/settings/outbox": ("before",),
    "/search": ("q",),
    "/settings/regions": ("parent",),
    "/regions/children": ("parent",),
    "/settings/teams/new": ("parent",),
    "/settings/regions/new": ("parent",),
    "/settings/explain-access": ("user", "record_type", "record_id"),
    "/history/customer/{customer}": ("at", "before"),
    "/login": ("next",),
}
#: Sent to one parameter at a time; every value of FORM_ATTACKS goes to all of them at once.
PARAM_ATTACKS = (*FIELD_ATTACKS, "9" * 30, "-9223372036854775809", "²", "%_\\")


@pytest.mark.parametrize("page", sorted(PAGE_PARAMS))
def test_page_parameters_never_break_the_page(page, world, login_as, dbsession):
    web = login_as(world["admin"])
    url = page.format(customer=world["customer"].id)
    names = PAGE_PARAMS[page]
    attempts = [{name: value} for name in names for value in PARAM_ATTACKS]
    attempts += [dict.fromkeys(names, value) for value in (*FIELD_ATTACKS, *FORM_ATTACKS)]
    before = fingerprint(dbsession)
    problems = []
    for params in attempts:
        response = web.get(url, params=params, status="*")
        if response.status_int not in (200, 303, 400, 404):
            problems.append(f"{url} {params!r:.80}: {response.status}")
        elif SCRIPT in response.text:
            problems.append(f"{url} {params!r:.80}: script shown unescaped")
    assert not problems, "\n".join(problems)
    assert fingerprint(dbsession) == before


@pytest.mark.parametrize(
    "url",
    [
        "/%FF",
        "/customers/%FF",
        "/settings/regions/X%00/edit",
        "/api/v1/customers/%FF",
        "/search?q=%FF",
        "/api/v1/customers?code=%FF",
        "/api/v1/customers?%00=1",
        "/api/v1/customers?code=a%00b",
        "/login?next=%FF",
    ],
)
def test_unreadable_addresses_are_refused(url, client):
    """Invalid UTF-8 and NUL characters in the address: a plain 400, whoever asks."""
    response = client.get(url, status=400)
    expected = "application/problem+json" if url.startswith("/api/") else "text/plain"
    assert response.content_type == expected
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("url", "query", "link"),
    [
        ("/customers", "QA", "/customers/{customer}"),
        ("/search", "QA", "/customers/{customer}"),
        ("/settings/users", "mem", "/settings/users/{member}"),
    ],
)
def test_a_search_for_nul_characters_finds_nothing(url, query, link, world, login_as):
    web = login_as(world["admin"])
    link = link.format(customer=world["customer"].id, member=world["member"].id)
    assert link in web.get(url, params={"q": query})
    assert link not in web.get(url, params={"q": query + "\x00"})


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"name=a%00b", 400),  # refused: no database column may hold NUL
        (b"a%00=1&name=x", 400),
        (b"name=%FF%FE", 303),  # saved: webob reads invalid bytes as U+FFFD
    ],
)
def test_form_bodies_with_nul_or_invalid_utf8(body, status, world, login_as, dbsession):
    web = login_as(world["admin"])
    token = web.csrf_token().encode()
    before = fingerprint(dbsession)
    web.post(
        "/customers/new",
        body + b"&owner_id=" + str(world["admin"].id).encode() + b"&csrf_token=" + token,
        content_type="application/x-www-form-urlencoded",
        status=status,
    )
    assert (fingerprint(dbsession) == before) == (status == 400)


def test_huge_and_zero_ids_in_addresses_are_not_found(app, world, login_as):
    web = login_as(world["admin"])
    problems = []
    for entry in app.registry.introspector.get_category("routes"):
        route = entry["introspectable"]
        if "{id" not in route["pattern"]:
            continue
        for raw in ("9" * 25, "0"):
            values = {"id": raw, "record_type": "customer", "list": "customers"}
            url = app.routes_mapper.get_route(route["name"]).generate(values)
            status = web.get(url, status="*").status_int
            if status not in (404, 405):
                problems.append(f"{url}: {status}")
    assert not problems, "\n".join(problems)


# -- the REST API ------------------------------------------------------------------------


def api_request(
    client: Any,
    world: dict[str, Any],
    method: str,
    url: str,
    json_body: Any = None,
    params: dict[str, str] | None = None,
    **kw: Any,
) -> Any:
    """A request with the administrator's bearer token (no cookie session, no CSRF token)."""
    headers = {**world["bearer"], **kw.pop("headers", {})}
    if json_body is not None:
        kw |= {"body": json.dumps(json_body).encode(), "content_type": "application/json"}
    if params:
        url = f"{url}?{urlencode(params)}"
    return client.app.request(url, method=method, headers=headers, expect_errors=True, **kw)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"null", "application/json", 400),
        (b'"text"', "application/json", 400),
        (b'{"name": NaN}', "application/json", 400),
        (b"[" * 100_000, "application/json", 400),
        (b'{"name": "\xff"}', "application/json", 400),
        (b'{"name": "\\ud800"}', "application/json", 400),
        (b'{"name": "a\\u0000b"}', "application/json", 400),
        (b'{"name": "x"}', "text/plain", 415),
        (b"name=x", "application/x-www-form-urlencoded", 415),
        (b'{"name": "x"}', "", 415),
        (b'{"name": "' + b"x" * 1_000_001 + b'"}', "application/json", 413),
    ],
)
@pytest.mark.parametrize("target", ["create", "customer", "user"])
def test_api_refuses_malformed_bodies(target, body, content_type, status, world, client, dbsession):
    url, method = {
        "create": ("/api/v1/customers", "POST"),
        "customer": (f"/api/v1/customers/{world['customer'].id}", "PATCH"),
        "user": (f"/api/v1/users/{world['member'].id}", "PATCH"),
    }[target]
    before = fingerprint(dbsession)
    response = api_request(client, world, method, url, body=body, content_type=content_type or None)
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    assert fingerprint(dbsession) == before


CUSTOMER_REFUSALS = [
    {"name": 5},
    {"name": None},
    {"name": ""},
    {"name": "x" * 10_000},
    {"name": "a\x00b"},
    {"owner_id": "1"},
    {"owner_id": True},
    {"owner_id": 999999},
    {"owner_id": 10**30},
    {"province_code": "' OR 1=1 --"},
    {"email": SCRIPT},
    {"code": "𠮷"},
    {"bogus": 1},
    {"custom": []},
    {"custom": {"qa_integer": "abc"}},
    {"custom": {"qa_date": "2026-02-30"}},
    {"custom": {"qa_money": "1e999999"}},
    {"custom": {"qa_user": 10**30}},
    {"custom": {"qa_text": "a\x00b"}},
    {"custom": {"nonexistent": 1}},
    {"notes": ["a"]},
]


@pytest.mark.parametrize("change", CUSTOMER_REFUSALS, ids=repr)
def test_api_customer_writes_refuse_bad_values(change, world, client, dbsession):
    customer = world["customer"]
    before = fingerprint(dbsession)
    created = api_request(
        client, world, "POST", "/api/v1/customers", json_body={"name": "API 客户", **change}
    )
    patched = api_request(
        client,
        world,
        "PATCH",
        f"/api/v1/customers/{customer.id}",
        json_body={**change, "version": customer.version},
    )
    for response in (created, patched):
        assert response.status_int in (400, 422), response.text
        assert response.content_type == "application/problem+json"
    assert fingerprint(dbsession) == before


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        ({"notes": "x"}, {}, 428),
        ({"notes": "x", "version": "1"}, {}, 400),
        ({"notes": "x", "version": -1}, {}, 400),
        ({"notes": "x", "version": True}, {}, 400),
        ({"notes": "x", "version": 10**30}, {}, 409),
        ({"notes": "x"}, {"If-Match": "garbage"}, 400),
        ({"notes": "x"}, {"If-Match": '"9999999999999999999"'}, 400),
        ({"notes": "x", "version": 1}, {"If-Match": '"2"'}, 400),
        ({"notes": "x", "version": 2}, {}, 409),
    ],
)
def test_api_versions_are_checked(body, headers, status, world, client, dbsession):
    url = f"/api/v1/customers/{world['customer'].id}"
    before = fingerprint(dbsession)
    response = api_request(client, world, "PATCH", url, json_body=body, headers=headers)
    assert response.status_int == status
    assert fingerprint(dbsession) == before


@pytest.mark.parametrize(
    "change",
    [
        {"display_name": ""},
        {"display_name": 5},
        {"display_name": "x" * 10_000},
        {"display_name": "a\x00b"},
        {"language": "xx"},
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "' OR 1=1 --"},
        {"username": "root"},
        {"is_active": False},
    ],
    ids=repr,
)
def test_api_user_patch_refuses_bad_values(change, world, client, dbsession):
    member = world["member"]
    before = fingerprint(dbsession)
    response = api_request(
        client,
        world,
        "PATCH",
        f"/api/v1/users/{member.id}",
        json_body={**change, "version": member.version},
    )
    assert response.status_int in (400, 422), response.text
    assert fingerprint(dbsession) == before


def cursor(payload: Any) -> str:
    raw = json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


LIST_REFUSALS = [
    {"limit": "0"},
    {"limit": "201"},
    {"limit": "-1"},
    {"limit": "abc"},
    {"limit": "1e3"},
    {"sort": "bogus"},
    {"sort": "-password_hash"},
    {"sort": "' OR 1=1 --"},
    {"cursor": "garbage"},
    {"cursor": "x" * 10_000},
    {"cursor": cursor({"s": "-id", "v": None, "i": 10**30})},
    {"cursor": cursor({"s": "-id", "v": None, "i": "1"})},
    {"cursor": cursor({"s": "name", "v": 5, "i": 1})},
    {"cursor": cursor([1, 2])},
    {"bogus": "1"},
    {"status__bogus": "x"},
    {"owner_id": "abc"},
    {"owner_id": "9" * 30},
    {"owner_id__in": ",".join(["1"] * 101)},
    {"created_at__gte": "garbage"},
    {"created_at__gte": "9999-99-99"},
    {"code": "x" * 10_000},
    {"cf_qa_integer": "abc"},
    {"cf_qa_date__gte": "2026-02-30"},
    {"cf_nonexistent": "1"},
]


@pytest.mark.parametrize("params", LIST_REFUSALS, ids=repr)
def test_api_list_parameters_are_checked(params, world, client):
    response = api_request(client, world, "GET", "/api/v1/customers", params=params)
    assert response.status_int == 400, response.text
    assert response.content_type == "application/problem+json"
    assert response.json["parameter"]


def test_api_list_of_users_checks_parameters(world, client):
    for params in ({"sort": "password_hash"}, {"is_active": "maybe"}, {"username__in": "a\x00"}):
        response = api_request(client, world, "GET", "/api/v1/users", params=params)
        assert response.status_int == 400, params


@pytest.mark.parametrize(
    "authorization",
    ["Bearer garbage", "Bearer " + "x" * 10_000, "Basic cm9vdDpwYXNz", "Bearer", "Bearer 𠮷"],
)
def test_api_refuses_bad_credentials(authorization, client):
    for url in ("/api/v1/me", "/api/v1/customers", "/api/v1/users/1"):
        response = client.get(url, headers={"Authorization": authorization}, status="*")
        assert response.status_int == 401, (url, response.status)
        assert response.content_type == "application/problem+json"


def test_openapi_and_me_only_answer_get(world, client):
    assert client.get("/api/v1/openapi.json", params={"x": SCRIPT}).json["openapi"]
    for url in ("/api/v1/openapi.json", "/api/v1/me"):
        response = api_request(client, world, "POST", url, json_body={})
        assert response.status_int in (404, 405)
        assert response.content_type == "application/problem+json"
