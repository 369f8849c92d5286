"""/api/v1/users: cursor pagination, sorts and filters, ETags, optimistic locking, auth."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import update

from core.security.models import Role, RoleGrant, User
from core.security.tokens import create_token

USERS = "/api/v1/users"
PROBLEM = "application/problem+json"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def admin_token(admin, dbsession):
    return create_token(dbsession, admin, "integration", ["core.users.manage"])[1]


@pytest.fixture
def api(client, admin_token):
    """GET/PATCH helpers authenticated by the admin's token."""

    class Api:
        def get(self, url, headers=None, **kw):
            return client.get(url, headers={**bearer(admin_token), **(headers or {})}, **kw)

        def patch(self, url, body, headers=None, **kw):
            return client.patch_json(
                url, body, headers={**bearer(admin_token), **(headers or {})}, **kw
            )

    return Api()


@pytest.fixture
def seven(factory):
    """Users pg0 … pg6 (created in a shuffled order, returned by name)."""
    users = [factory.user(f"pg{n}", email=f"pg{n}@example.com") for n in (3, 0, 6, 1, 5, 2, 4)]
    return sorted(users, key=lambda user: user.username)


def all_pages(api, url):
    names, pages = [], 0
    while url:
        body = api.get(url).json
        names += [item["username"] for item in body["items"]]
        url, pages = body["next"], pages + 1
    return names, pages


def assert_problem(response, status, parameter=None):
    assert response.status_int == status
    assert response.content_type == PROBLEM
    body = response.json
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    if parameter:
        assert body["parameter"] == parameter
    return body


def test_pages_follow_the_sort_without_gaps_or_repeats(api, seven):
    names, pages = all_pages(api, f"{USERS}?username__contains=pg&limit=3&sort=username")
    assert names == [f"pg{n}" for n in range(7)]
    assert pages == 3


def test_descending_sort_on_equal_values_is_tie_broken_by_id(clock, api, seven):
    names, _ = all_pages(api, f"{USERS}?username__contains=pg&limit=2&sort=-created_at")
    by_id_desc = [user.username for user in sorted(seven, key=lambda u: -u.id)]
    assert names == by_id_desc


def test_next_link_keeps_filters_and_ends_with_null(api, seven):
    first = api.get(f"{USERS}?username__contains=pg&limit=5").json
    assert "username__contains=pg" in first["next"] and "limit=5" in first["next"]
    second = api.get(first["next"]).json
    assert len(second["items"]) == 2 and second["next"] is None


def test_items_show_the_account_without_secrets(api, seven):
    item = api.get(f"{USERS}?username=pg0").json["items"][0]
    assert item["email"] == "pg0@example.com" and item["version"] == 1
    assert "password_hash" not in item and "totp_secret" not in item


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("username__in=pg1,pg4,nobody", ["pg1", "pg4"]),
        ("email__contains=PG2@", ["pg2"]),
        ("username__contains=pg&is_active=false", ["pg5"]),
        ("username__contains=pg&email__isnull=true", ["pg6"]),
    ],
)
def test_filters(api, seven, dbsession, query, expected):
    seven[5].is_active = False
    seven[6].email = None
    dbsession.flush()
    assert [item["username"] for item in api.get(f"{USERS}?{query}").json["items"]] == expected


def test_team_filter(api, factory):
    team = factory.team("East")
    factory.user("east1", team=team)
    factory.user("west1")
    found = api.get(f"{USERS}?team_id={team.id}").json["items"]
    assert [item["username"] for item in found] == ["east1"]
    assert "west1" in {
        i["username"] for i in api.get(f"{USERS}?team_id__isnull=true").json["items"]
    }


def test_like_wildcards_in_contains_are_literal(api, seven):
    assert api.get(f"{USERS}?username__contains=pg%25").json["items"] == []
    assert api.get(f"{USERS}?username__contains=_").json["items"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=201", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("limit=5&limit=6", "limit"),
        ("sort=password_hash", "sort"),
        ("sort=-nope", "sort"),
        ("password_hash=x", "password_hash"),
        ("username__regex=.*", "username__regex"),
        ("is_active__gt=true", "is_active__gt"),
        ("team_id=abc", "team_id"),
        ("team_id__in=1,x", "team_id__in"),
        ("is_active=maybe", "is_active"),
        ("username=" + "x" * 201, "username"),
        ("username__in=" + ",".join(["a"] * 101), "username__in"),
        ("cursor=not-a-cursor", "cursor"),
    ],
)
def test_bad_parameters_are_400_problems_naming_the_parameter(api, query, parameter):
    body = assert_problem(api.get(f"{USERS}?{query}", status=400), 400, parameter)
    assert body["detail"]


def test_problem_is_answered_in_the_callers_language(client, admin_token):
    headers = {**bearer(admin_token), "Accept-Language": "zh-CN"}
    response = client.get(f"{USERS}?sort=nope", headers=headers, status=400)
    assert_problem(response, 400, "sort")


def _cursor(response_json):
    return response_json["next"].split("cursor=")[1]


def test_tampered_cursor_is_refused(api, seven):
    cursor = _cursor(api.get(f"{USERS}?username__contains=pg&limit=2").json)
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for tampered in ({**payload, "i": "1 OR 1=1"}, {**payload, "v": 5}, {**payload, "x": 1}):
        raw = base64.urlsafe_b64encode(json.dumps(tampered).encode()).decode().rstrip("=")
        assert_problem(api.get(f"{USERS}?limit=2&cursor={raw}", status=400), 400, "cursor")
    assert_problem(api.get(f"{USERS}?limit=2&cursor={cursor[:-3]}", status=400), 400, "cursor")


def test_cursor_of_another_sort_is_refused(api, seven):
    cursor = _cursor(api.get(f"{USERS}?username__contains=pg&limit=2&sort=username").json)
    response = api.get(f"{USERS}?limit=2&sort=-created_at&cursor={cursor}", status=400)
    assert_problem(response, 400, "cursor")


# -- single records ------------------------------------------------------------


def test_get_one_user_with_etag_and_304(api, seven):
    user = seven[0]
    response = api.get(f"{USERS}/{user.id}")
    assert response.json["username"] == user.username
    assert response.headers["ETag"] == '"1"'
    api.get(f"{USERS}/{user.id}", headers={"If-None-Match": '"1"'}, status=304)


def test_unknown_user_is_a_404_problem(api):
    assert_problem(api.get(f"{USERS}/999999", status=404), 404)
    api.get(f"{USERS}/abc", status=404)


def test_patch_with_if_match_saves_and_bumps_the_version(api, seven, dbsession):
    user = seven[0]
    response = api.patch(
        f"{USERS}/{user.id}",
        {"display_name": "  王小明 ", "language": "zh_Hans", "timezone": "Asia/Taipei"},
        headers={"If-Match": 'W/"1"'},
    )
    assert response.json["display_name"] == "王小明" and response.json["version"] == 2
    assert response.headers["ETag"] == '"2"'
    dbsession.expire_all()
    assert (user.display_name, user.language, user.timezone) == ("王小明", "zh_Hans", "Asia/Taipei")


def test_patch_with_body_version_changes_only_the_fields_sent(api, seven, dbsession):
    user = seven[0]
    api.patch(f"{USERS}/{user.id}", {"version": 1, "timezone": "UTC"})
    dbsession.expire_all()
    assert (user.display_name, user.timezone) == ("Pg0", "UTC")


def test_stale_version_is_a_409_with_the_current_version(api, seven, dbsession):
    user = seven[0]
    api.patch(f"{USERS}/{user.id}", {"version": 1, "display_name": "First"})
    response = api.patch(f"{USERS}/{user.id}", {"version": 1, "display_name": "Second"}, status=409)
    assert assert_problem(response, 409)["current_version"] == 2
    dbsession.expire_all()
    assert user.display_name == "First"


def test_concurrent_save_caught_at_flush_is_a_409(api, seven, dbsession, monkeypatch):
    """Another writer commits between the version check and our UPDATE."""
    import core.api.users

    user = seven[0]
    apply_changes = core.api.users.apply_changes

    def racing(request, record, changes):
        request.dbsession.execute(
            update(User).where(User.id == record.id).values(version=User.version + 1),
            execution_options={"synchronize_session": False},
        )
        apply_changes(request, record, changes)

    monkeypatch.setattr(core.api.users, "apply_changes", racing)
    response = api.patch(f"{USERS}/{user.id}", {"version": 1, "display_name": "Lost"}, status=409)
    assert_problem(response, 409)
    dbsession.expire_all()
    assert user.display_name == "Pg0"


def test_missing_version_is_428(api, seven):
    response = api.patch(f"{USERS}/{seven[0].id}", {"display_name": "X"}, status=428)
    assert_problem(response, 428)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({"version": "1", "display_name": "X"}, {}),
        ({"version": True, "display_name": "X"}, {}),
        ({"version": 1, "display_name": "X"}, {"If-Match": '"2"'}),
        ({"display_name": "X"}, {"If-Match": "1"}),
    ],
)
def test_malformed_or_contradicting_versions_are_400(api, seven, body, headers):
    assert_problem(api.patch(f"{USERS}/{seven[0].id}", body, headers, status=400), 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"language": "fr"}, "language"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": 7}, "display_name"),
        ({"is_active": False}, "is_active"),
        ({"password_hash": "x"}, "password_hash"),
    ],
)
def test_invalid_fields_are_422_and_change_nothing(api, seven, dbsession, body, field):
    user = seven[0]
    response = api.patch(f"{USERS}/{user.id}", {"version": 1, **body}, status=422)
    errors = assert_problem(response, 422)["errors"]
    assert list(errors) == [field] and all(isinstance(m, str) and m for m in errors[field])
    dbsession.expire_all()
    assert (user.version, user.is_active, user.display_name) == (1, True, "Pg0")


def test_body_must_be_a_small_json_object(client, admin_token, seven):
    url = f"{USERS}/{seven[0].id}"
    headers = bearer(admin_token)
    response = client.patch(
        url, "{not json", headers=headers, content_type="application/json", status=400
    )
    assert_problem(response, 400)
    response = client.patch(
        url, "[1, 2]", headers=headers, content_type="application/json", status=400
    )
    assert_problem(response, 400)
    response = client.patch(url, "display_name=x", headers=headers, status=415)
    assert_problem(response, 415)
    big = json.dumps({"version": 1, "display_name": "x" * 1_000_001})
    response = client.patch(url, big, headers=headers, content_type="application/json", status=413)
    assert_problem(response, 413)


# -- authentication, permission and scope -------------------------------------


def test_anonymous_is_401(client):
    assert_problem(client.get(USERS, status=401), 401)


def test_user_without_the_permission_is_403(login_as, factory):
    web = login_as(factory.user("rep", role="sales_rep"))
    assert_problem(web.get(USERS, status=403), 403)
    assert_problem(web.get(f"{USERS}/1", status=403), 403)


def test_token_without_the_permission_is_403(client, admin, dbsession):
    raw = create_token(dbsession, admin, "read-only", ["core.audit.view"])[1]
    assert_problem(client.get(USERS, headers=bearer(raw), status=403), 403)


def test_revoked_expired_and_deactivated_tokens_are_401(client, admin, dbsession, clock):
    token, raw = create_token(dbsession, admin, "t", ["core.users.manage"], expires_days=1)
    client.get(USERS, headers=bearer(raw))
    clock.travel(days=1, seconds=1)
    assert_problem(client.get(USERS, headers=bearer(raw), status=401), 401)
    token, raw = create_token(dbsession, admin, "t2", ["core.users.manage"])
    token.revoked_at = clock.now
    dbsession.flush()
    assert_problem(client.get(USERS, headers=bearer(raw), status=401), 401)
    token, raw = create_token(dbsession, admin, "t3", ["core.users.manage"])
    admin.is_active = False
    dbsession.flush()
    assert_problem(client.get(USERS, headers=bearer(raw), status=401), 401)


def test_out_of_scope_user_is_404_and_absent_from_the_list(login_as, factory, dbsession):
    role = Role(
        name="Self service", grants=[RoleGrant(permission="core.users.manage", scope="own")]
    )
    dbsession.add(role)
    me = factory.user("selfie", role=None)
    me.roles = [role]
    other = factory.user("other")
    dbsession.flush()
    web = login_as(me)
    assert [item["username"] for item in web.get(USERS).json["items"]] == ["selfie"]
    assert_problem(web.get(f"{USERS}/{other.id}", status=404), 404)
    assert web.get(f"{USERS}/{me.id}").json["username"] == "selfie"


# -- CSRF: cookie sessions need the header, tokens do not ------------------------


def test_cookie_session_patch_needs_the_csrf_header(login_as, admin, seven, dbsession):
    web = login_as(admin)
    url = f"{USERS}/{seven[0].id}"
    response = web.patch_json(url, {"version": 1, "display_name": "X"}, status=400)
    assert_problem(response, 400)
    dbsession.expire_all()
    assert seven[0].display_name == "Pg0"
    headers = {"X-CSRF-Token": web.csrf_token()}
    assert (
        web.patch_json(url, {"version": 1, "display_name": "X"}, headers=headers).json["version"]
        == 2
    )


def test_token_patch_needs_no_csrf_header(api, seven):
    assert (
        api.patch(f"{USERS}/{seven[0].id}", {"version": 1, "display_name": "Y"}).json["version"]
        == 2
    )
