"""Settings → Custom fields: access, create, edit, order, archive and restore."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from core.customfields.filters import index_exists
from core.customfields.models import CustomFieldDefinition
from core.customfields.service import create_definition, definitions_for
from core.modules import ModuleState
from tests.unit.core.customfields.cf_support import Gadget, registered_gadgets

BASE = "/settings/custom-fields"
GADGETS = f"{BASE}/cf_gadget"


@pytest.fixture
def gadgets(app, db_connection):
    with registered_gadgets(app, db_connection) as record_type:
        yield record_type


@pytest.fixture
def web(login_as, admin):
    return login_as(admin)


@pytest.fixture
def industry(dbsession, gadgets):
    definition = create_definition(
        dbsession,
        gadgets,
        key="industry",
        field_type="choice",
        labels={"en": "Industry", "zh_Hans": "行业"},
        choices=[{"value": "it", "labels": {"en": "IT"}}, {"value": "retail"}],
    )
    dbsession.flush()
    return definition


def form_for(**fields):
    data = {
        "key": "",
        "field_type": "text",
        "label_en": "",
        "label_zh_Hans": "",
        "label_zh_Hant": "",
        "help_en": "",
        "help_zh_Hans": "",
        "help_zh_Hant": "",
        "choices": "",
        "default": "",
    }
    data.update(fields)
    return {name: value for name, value in data.items() if value is not False}


def keys(dbsession, include_archived=False):
    dbsession.expire_all()
    return [d.key for d in definitions_for(dbsession, "cf_gadget", include_archived)]


def test_anonymous_users_are_sent_to_login(client, gadgets):
    response = client.get(BASE, status=303)
    assert "/login?next=" in response.location


def test_users_without_the_permission_get_403_everywhere(login_as, factory, industry):
    web = login_as(factory.user("rep", role="sales_rep"))
    for url in (BASE, GADGETS, f"{GADGETS}/new", f"{GADGETS}/{industry.id}"):
        web.get(url, status=403)
    for action in ("archive", "restore", "move"):
        web.post_form(f"{GADGETS}/{industry.id}/{action}", {"direction": "up"}, status=403)
    web.post_form(f"{GADGETS}/new", form_for(key="x", label_en="X"), status=403)


def test_settings_menu_links_the_page_for_admins_only(web, login_as, factory, gadgets):
    assert 'data-menu="settings.custom_fields"' in web.get("/").text
    rep = login_as(factory.user("rep2", role="sales_rep"))
    assert 'data-menu="settings.custom_fields"' not in rep.get("/").text


def test_index_lists_extensible_record_types_only(web, industry):
    page = web.get(BASE)
    assert 'data-record-type="cf_gadget"' in page.text
    assert 'data-record-type="cf_plain"' not in page.text


def test_index_without_extensible_types_says_what_to_do(web, dbsession):
    dbsession.execute(update(ModuleState).values(enabled=False))
    dbsession.flush()
    page = web.get(BASE)
    assert "No record type takes custom fields yet" in page.text


def test_unknown_or_plain_record_types_and_foreign_ids_are_404(web, dbsession, industry):
    web.get(f"{BASE}/nothing", status=404)
    web.get(f"{BASE}/cf_plain", status=404)
    web.get(f"{BASE}/cf_plain/{industry.id}", status=404)
    web.get(f"{GADGETS}/999999", status=404)
    web.post_form(f"{GADGETS}/999999/archive", status=404)
    other = CustomFieldDefinition(
        record_type="elsewhere", key="x", field_type="text", labels={"en": "X"}
    )
    dbsession.add(other)
    dbsession.flush()
    web.get(f"{GADGETS}/{other.id}", status=404)
    web.post_form(f"{GADGETS}/{other.id}/archive", status=404)
    assert other.archived_at is None


def test_empty_record_type_invites_to_add_a_field(web, gadgets):
    page = web.get(GADGETS)
    assert "No custom fields yet" in page.text
    assert f'href="{GADGETS}/new"' in page.text


def test_admin_adds_a_filterable_choice_field(web, dbsession, db_connection, gadgets):
    page = web.get(f"{GADGETS}/new")
    assert 'name="key"' in page.text and 'name="choices"' in page.text
    response = web.post_form(
        f"{GADGETS}/new",
        form_for(
            key="tier",
            field_type="choice",
            label_en="Tier",
            label_zh_Hans="等级",
            help_en="Customer tier",
            choices="gold | Gold | 金牌 | 金牌\nsilver | Silver",
            default="silver",
            required="y",
            show_in_list="y",
            filterable="y",
        ),
        status=303,
    )
    assert response.location.endswith(GADGETS)
    definition = dbsession.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.key == "tier")
    ).one()
    assert definition.labels == {"en": "Tier", "zh_Hans": "等级"}
    assert definition.help == {"en": "Customer tier"}
    assert definition.choices[0] == {
        "value": "gold",
        "labels": {"en": "Gold", "zh_Hans": "金牌", "zh_Hant": "金牌"},
    }
    assert (definition.default, definition.required, definition.show_in_list) == (
        "silver",
        True,
        True,
    )
    assert index_exists(db_connection, Gadget, "tier")
    listing = response.follow()
    assert "The field Tier is added." in listing.text
    assert 'data-key="tier"' in listing.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"key": "Bad Key", "label_en": "X"}, "starting with a letter"),
        ({"key": "x"}, "Give the field a label in at least one language."),
        ({"key": "x", "label_en": "X", "field_type": "choice"}, "Add at least one choice."),
        (
            {"key": "x", "label_en": "X", "field_type": "choice", "choices": "a|b|c|d|e"},
            "Line 1: write at most",
        ),
        ({"key": "x", "label_en": "X", "field_type": "integer", "default": "lots"}, "whole number"),
        ({"key": "x", "label_en": "X", "field_type": "long_text", "filterable": "y"}, "filters"),
        ({"key": "x", "label_en": "X", "field_type": "colour"}, "Not a valid choice"),
    ],
)
def test_bad_definitions_are_explained_and_nothing_is_saved(
    web, dbsession, gadgets, fields, message
):
    page = web.post_form(f"{GADGETS}/new", form_for(**fields), status=200)
    assert message in page.text
    assert "is-invalid" in page.text
    assert keys(dbsession, include_archived=True) == []


def test_a_used_key_is_refused(web, dbsession, industry):
    page = web.post_form(f"{GADGETS}/new", form_for(key="industry", label_en="Again"), status=200)
    assert "Another field already uses this key." in page.text
    assert keys(dbsession) == ["industry"]


def test_admin_edits_a_field_but_not_its_key(web, dbsession, industry):
    page = web.get(f"{GADGETS}/{industry.id}")
    assert "it | IT" in page.text
    assert 'name="key"' not in page.text and "The key cannot be changed." in page.text
    response = web.post_form(
        f"{GADGETS}/{industry.id}",
        form_for(
            key="renamed",
            field_type="choice",
            label_en="Sector",
            choices="it | IT\nretail | Retail\nfinance | Finance",
            filterable="y",
            version=str(industry.version),
        ),
        status=303,
    )
    assert "The field Sector is saved." in response.follow().text
    dbsession.refresh(industry)
    assert industry.key == "industry"
    assert industry.labels == {"en": "Sector"}
    assert [c["value"] for c in industry.choices] == ["it", "retail", "finance"]
    assert industry.filterable


def test_the_type_is_locked_once_records_have_values(web, dbsession, industry):
    dbsession.add(Gadget(name="G", custom={"industry": "it"}))
    dbsession.flush()
    page = web.get(f"{GADGETS}/{industry.id}")
    assert "The type cannot change because records have values for this field." in page.text
    web.post_form(
        f"{GADGETS}/{industry.id}",
        form_for(
            field_type="integer",
            label_en="Industry",
            choices="it\nretail",
            version=str(industry.version),
        ),
        status=303,
    )
    dbsession.refresh(industry)
    assert industry.field_type == "choice"


def test_a_stale_edit_is_refused_with_who_changed_it(web, dbsession, industry, admin):
    stale = str(industry.version)
    industry.labels = {"en": "Changed meanwhile"}
    industry.updated_by_id = admin.id
    dbsession.flush()
    page = web.post_form(
        f"{GADGETS}/{industry.id}",
        form_for(field_type="choice", label_en="Mine", choices="it", version=stale),
        status=200,
    )
    assert "Root changed this field at" in page.text
    dbsession.refresh(industry)
    assert industry.labels == {"en": "Changed meanwhile"}


def test_archive_hides_the_field_and_restore_brings_it_back(web, dbsession, industry):
    dbsession.add(Gadget(name="G", custom={"industry": "it"}))
    dbsession.flush()
    page = web.get(GADGETS)
    assert "Archive Industry?" in page.text
    response = web.post_form(f"{GADGETS}/{industry.id}/archive", status=303)
    assert "Its values are kept" in response.follow().text
    assert keys(dbsession) == []
    assert keys(dbsession, include_archived=True) == ["industry"]
    web.get(f"{GADGETS}/{industry.id}", status=404)
    archived = web.get(GADGETS)
    assert 'id="cf-archived"' in archived.text and "No custom fields yet" in archived.text

    web.post_form(f"{GADGETS}/{industry.id}/restore", status=303)
    assert keys(dbsession) == ["industry"]
    gadget = dbsession.scalars(select(Gadget)).one()
    assert gadget.custom == {"industry": "it"}


def test_fields_are_reordered_with_up_and_down(web, dbsession, gadgets):
    for key in ("first", "second", "third"):
        create_definition(dbsession, gadgets, key=key, field_type="text", labels={"en": key})
    dbsession.flush()
    third = definitions_for(dbsession, "cf_gadget")[2]
    page = web.get(GADGETS)
    assert 'aria-label="Move third up"' in page.text
    response = web.post_form(f"{GADGETS}/{third.id}/move", {"direction": "up"}, status=303)
    assert response.location.endswith(f"#field-{third.id}")
    assert keys(dbsession) == ["first", "third", "second"]
    web.post_form(f"{GADGETS}/{third.id}/move", {"direction": "sideways"}, status=404)
    assert keys(dbsession) == ["first", "third", "second"]


def test_moving_without_csrf_token_is_refused(web, industry):
    web.post(f"{GADGETS}/{industry.id}/move", {"direction": "up"}, status=400)
