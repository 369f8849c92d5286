"""My account → API tokens: create (shown once), use, revoke, audit, and who may do what."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from core.audit import REDACTED, AuditEvent
from core.security.models import ApiToken, Role, RoleGrant
from core.security.tokens import create_token

TOKENS = "/account/tokens"
RAW_TOKEN = re.compile(r'value="(gx_[A-Za-z0-9_-]{20,})"')


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def create(web, **fields):
    """Submit the new-token form; returns the response page."""
    page = web.get(TOKENS)
    form = next(form for form in page.forms.values() if "expires_days" in form.fields)
    permissions = fields.pop("permissions", [])
    for name, value in fields.items():
        form[name] = value
    for checkbox in form.fields.get("permissions", []):
        checkbox.checked = checkbox._value in permissions
    return form.submit()


@pytest.fixture
def manager(factory):
    return factory.user("mgr", role="sales_manager")


def test_anonymous_is_sent_to_login(client):
    response = client.get(TOKENS, status=303)
    assert "/login" in response.location
    assert "/login" in client.post(f"{TOKENS}/1/revoke", status=303).location


def test_account_page_links_to_the_tokens_page(login_as, manager):
    assert TOKENS in login_as(manager).get("/account").text


def test_checkboxes_offer_only_the_users_own_permissions(login_as, manager, admin):
    manager_page = login_as(manager).get(TOKENS)
    offered = set(re.findall(r'name="permissions" value="([^"]+)"', manager_page.text))
    assert offered and "core.users.manage" not in offered
    admin_page = login_as(admin).get(TOKENS)
    assert 'value="core.users.manage"' in admin_page.text


def test_create_shows_the_token_once_and_it_works(clock, login_as, admin, dbsession):
    web = login_as(admin)
    page = create(web, name="ERP sync", expires_days="30", permissions=["core.users.manage"])
    assert page.status_int == 200 and "no-store" in page.headers["Cache-Control"]
    raw = RAW_TOKEN.search(page.text).group(1)
    token = dbsession.scalars(select(ApiToken).where(ApiToken.name == "ERP sync")).one()
    assert token.permissions == ["core.users.manage"] and token.user_id == admin.id
    assert (token.expires_at - token.created_at).days == 30
    assert raw not in web.get(TOKENS).text
    me = web.get("/api/v1/me", headers=bearer(raw)).json
    assert me["token"]["name"] == "ERP sync"
    assert list(me["permissions"]) == ["core.users.manage"]


def test_creation_is_audited_without_the_hash(login_as, admin, dbsession):
    web = login_as(admin)
    create(web, name="Audited", expires_days="", permissions=["core.audit.view"])
    token = dbsession.scalars(select(ApiToken).where(ApiToken.name == "Audited")).one()
    assert token.expires_at is None
    events = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "api_tokens", AuditEvent.record_id == str(token.id)
        )
    ).all()
    assert {event.action for event in events} == {"create", "token_created"}
    row = next(event for event in events if event.action == "create")
    assert row.changes["token_hash"] == [None, REDACTED]
    assert all(token.token_hash not in str(event.changes) for event in events)
    assert all(event.actor_user_id == admin.id for event in events)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "permissions": ["core.audit.view"]}, "name of 1 to 100 characters"),
        ({"name": "x" * 101, "permissions": ["core.audit.view"]}, "name of 1 to 100 characters"),
        ({"name": "t", "expires_days": "400", "permissions": ["core.audit.view"]}, "1 to 365"),
        ({"name": "t", "expires_days": "0", "permissions": ["core.audit.view"]}, "1 to 365"),
        ({"name": "t", "expires_days": "soon", "permissions": ["core.audit.view"]}, "integer"),
        ({"name": "t", "permissions": []}, "at least one permission"),
    ],
)
def test_invalid_requests_show_an_error_and_create_nothing(
    login_as, admin, dbsession, fields, message
):
    page = create(login_as(admin), **fields)
    assert message in page.text
    assert not RAW_TOKEN.search(page.text)
    assert dbsession.scalars(select(ApiToken)).all() == []


def test_a_permission_the_user_lacks_is_refused(login_as, manager, dbsession):
    web = login_as(manager)
    params = {
        "name": "sneaky",
        "expires_days": "30",
        "permissions": ["core.users.manage"],
        "csrf_token": web.csrf_token(),
    }
    page = web.post(TOKENS, params)
    assert "does not have: core.users.manage" in page.text
    assert dbsession.scalars(select(ApiToken)).all() == []


def test_revoke_stops_the_token_at_once_and_is_audited(login_as, admin, dbsession):
    web = login_as(admin)
    token, raw = create_token(dbsession, admin, "to revoke", ["core.users.manage"])
    web.get("/api/v1/me", headers=bearer(raw))
    page = web.get(TOKENS)
    form = next(f for f in page.forms.values() if f.action.endswith(f"/{token.id}/revoke"))
    assert 'data-confirm="Revoke the token to revoke?' in page.text
    response = form.submit(status=303)
    assert "Revoked" in response.follow().text
    web.get("/api/v1/me", headers=bearer(raw), status=401)
    actions = dbsession.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == str(token.id))
    ).all()
    assert "token_revoked" in actions


def test_revoking_twice_says_so(login_as, admin, dbsession):
    web = login_as(admin)
    token, _raw = create_token(dbsession, admin, "twice", ["core.audit.view"])
    url = f"{TOKENS}/{token.id}/revoke"
    web.post(url, {"csrf_token": web.csrf_token()}, status=303)
    page = web.post(url, {"csrf_token": web.csrf_token()}, status=303).follow()
    assert "already revoked" in page.text


def test_another_users_token_is_a_404(login_as, admin, manager, dbsession):
    token, _raw = create_token(dbsession, admin, "admin's", ["core.audit.view"])
    web = login_as(manager)
    web.post(f"{TOKENS}/{token.id}/revoke", {"csrf_token": web.csrf_token()}, status=404)
    assert "admin&#39;s" not in web.get(TOKENS).text and "admin's" not in web.get(TOKENS).text
    dbsession.refresh(token)
    assert token.revoked_at is None


def test_a_token_cannot_manage_tokens(client, admin, dbsession):
    _token, raw = create_token(dbsession, admin, "bot", ["core.users.manage"])
    client.get(TOKENS, headers=bearer(raw), status=403)
    client.post(
        TOKENS,
        {"name": "child", "permissions": "core.users.manage"},
        headers=bearer(raw),
        status=403,
    )
    assert dbsession.scalars(select(ApiToken).where(ApiToken.name == "child")).all() == []


def test_token_loses_a_permission_when_its_user_does(client, factory, dbsession):
    role = Role(name="Auditor", grants=[RoleGrant(permission="core.audit.view", scope="all")])
    dbsession.add(role)
    user = factory.user("auditor", role=None)
    user.roles = [role]
    dbsession.flush()
    _token, raw = create_token(dbsession, user, "audit bot", ["core.audit.view"])
    assert list(client.get("/api/v1/me", headers=bearer(raw)).json["permissions"]) == [
        "core.audit.view"
    ]
    user.roles = []
    dbsession.flush()
    assert client.get("/api/v1/me", headers=bearer(raw)).json["permissions"] == {}


def test_a_save_that_loses_a_race_warns_and_goes_back(login_as, admin, dbsession, monkeypatch):
    """StaleDataError on an HTML form post: a warning, a redirect, nothing overwritten."""
    import core.security.token_views

    token, _raw = create_token(dbsession, admin, "raced", ["core.audit.view"])
    revoke = core.security.token_views.revoke_token

    def concurrent_edit(session, record):
        session.execute(
            update(ApiToken).where(ApiToken.id == record.id).values(version=ApiToken.version + 1),
            execution_options={"synchronize_session": False},
        )
        return revoke(session, record)

    monkeypatch.setattr(core.security.token_views, "revoke_token", concurrent_edit)
    web = login_as(admin)
    response = web.post(
        f"{TOKENS}/{token.id}/revoke",
        {"csrf_token": web.csrf_token()},
        headers={"Referer": "http://localhost:80/account/tokens"},
        status=303,
    )
    assert response.location.endswith(TOKENS)
    assert "Someone else changed this record" in response.follow().text
    dbsession.refresh(token)
    assert token.revoked_at is None
