"""GET /api/v1/me and GET /api/v1/openapi.json."""

from __future__ import annotations

from openapi_spec_validator import validate

from core.security.tokens import create_token


def test_me_over_a_browser_session(login_as, factory):
    team = factory.team("South")
    user = factory.user("li", role="sales_manager", team=team, regions=("44",), email="li@x.cn")
    body = login_as(user).get("/api/v1/me").json
    assert (body["id"], body["username"], body["email"]) == (user.id, "li", "li@x.cn")
    assert body["team"] == {"id": team.id, "name": "South"}
    assert [region["code"] for region in body["regions"]] == ["44"]
    assert [role["key"] for role in body["roles"]] == ["sales_manager"]
    assert body["permissions"] and all(
        set(scopes) <= {"own", "team", "region", "all"} for scopes in body["permissions"].values()
    )
    assert body["token"] is None


def test_me_over_a_token_shows_the_token_and_only_its_permissions(client, admin, dbsession):
    token, raw = create_token(dbsession, admin, "reporting", ["core.audit.view"], expires_days=7)
    body = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).json
    assert body["permissions"] == {"core.audit.view": ["all"]}
    assert body["token"]["id"] == token.id and body["token"]["name"] == "reporting"
    assert body["token"]["permissions"] == ["core.audit.view"]
    assert body["token"]["expires_at"].startswith(token.expires_at.date().isoformat())


def test_me_needs_authentication(client):
    response = client.get("/api/v1/me", status=401)
    assert response.content_type == "application/problem+json"
    client.get("/api/v1/me", headers={"Authorization": "Bearer gx_nonsense"}, status=401)


def test_openapi_document_is_public_and_valid(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"/me", "/users", "/users/{id}", "/openapi.json"} <= set(document["paths"])
    components = document["components"]
    assert "Problem" in components["schemas"]
    assert {"limit", "cursor", "sort"} <= set(components["parameters"])
    assert components["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    parameters = {p.get("name") for p in document["paths"]["/users"]["get"]["parameters"]}
    assert {"sort", "username__contains", "team_id__in", "is_active"} <= parameters
