"""core.api.openapi: assembling, validating and caching the OpenAPI document."""

from __future__ import annotations

import sys
import types

import pytest
from openapi_spec_validator import validate
from pyramid.exceptions import ConfigurationExecutionError
from pyramid.testing import DummyRequest

from core import crypto, make_app
from core.api.openapi import OpenApiError, build_document, openapi_document, problem_responses, ref
from core.contributions import ApiResource
from core.modules import Manifest, Module, hookimpl
from core.testing import build_settings

THINGS = ApiResource(
    name="things",
    paths={
        "/things": {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "Things.",
                        "content": {"application/json": {"schema": ref("schemas", "Thing")}},
                    },
                    **problem_responses(400, 401),
                },
            }
        }
    },
    schemas={"Thing": {"type": "object", "properties": {"id": {"type": "integer"}}}},
)


def test_module_resources_join_the_shared_components():
    document = build_document([THINGS])
    validate(document)
    assert document["paths"]["/things"]["get"]["responses"]["400"] == {
        "$ref": "#/components/responses/BadRequest"
    }
    assert set(document["components"]["schemas"]) == {"Problem", "Thing"}


def test_duplicate_paths_are_an_error_naming_both_modules():
    other = ApiResource(name="others", paths={"/things": {}})
    with pytest.raises(OpenApiError, match="/things is declared by both things and others"):
        build_document([THINGS, other])


def test_duplicate_schemas_are_an_error_even_against_the_core():
    with pytest.raises(OpenApiError, match="schema Thing"):
        build_document([THINGS, ApiResource(name="copy", paths={}, schemas={"Thing": {}})])
    with pytest.raises(OpenApiError, match="schema Problem is declared by both core and rogue"):
        build_document([ApiResource(name="rogue", paths={}, schemas={"Problem": {}})])


def test_document_is_built_once_per_set_of_enabled_modules():
    calls = []

    class Hooks:
        def guanxi_api_resources(self):
            calls.append(1)
            return [[THINGS]]

    def request(enabled):
        req = DummyRequest()
        req.registry = registry
        req.enabled_modules = enabled
        req.hooks = Hooks()
        return req

    registry: dict = {}
    first = openapi_document(request(frozenset({"a"})))
    assert openapi_document(request(frozenset({"a"}))) is first
    assert openapi_document(request(frozenset({"a", "b"}))) is not first
    assert len(calls) == 2


def test_a_module_repeating_a_core_path_stops_the_app_from_starting(tmp_path, monkeypatch):
    monkeypatch.setattr(crypto, "_active", crypto._active)  # make_app installs its own keyring
    package = types.ModuleType("dup_plugin")
    package.__file__ = str(tmp_path / "dup_plugin" / "__init__.py")
    package.includeme = lambda config: None
    monkeypatch.setitem(sys.modules, "dup_plugin", package)
    hooks = types.ModuleType("dup_plugin.hooks")
    hooks.guanxi_api_resources = hookimpl(lambda: [ApiResource(name="dup", paths={"/me": {}})])
    module = Module(Manifest("dup", "Dup", "Repeats /me.", "1.0"), package, hooks)
    settings = build_settings(f"sqlite:///{tmp_path / 'dup.sqlite'}", tmp_path / "var")
    with pytest.raises(ConfigurationExecutionError, match="the path /me is declared by both"):
        make_app(settings, installed_modules=[module])
