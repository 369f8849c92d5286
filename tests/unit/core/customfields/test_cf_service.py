"""Definitions (create, edit, order, archive, restore) and values (validate, store, show)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.customfields.filters import index_exists
from core.customfields.service import (
    DefinitionError,
    archive_definition,
    create_definition,
    definitions_for,
    display_value,
    label,
    move_definition,
    restore_definition,
    set_custom_values,
    update_definition,
    validate_values,
)
from tests.unit.core.customfields.cf_support import Gadget

TIERS = [
    {"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌", "zh_Hant": "金牌"}},
    {"value": "silver", "labels": {"en": "Silver", "zh_Hans": "银牌", "zh_Hant": "銀牌"}},
]


def add(session, record_type, key, field_type="text", **fields):
    fields.setdefault("labels", {"en": key.title()})
    return create_definition(session, record_type, key=key, field_type=field_type, **fields)


def edit(session, record_type, definition, **changes):
    current = {
        "field_type": definition.field_type,
        "labels": definition.labels,
        "help": definition.help,
        "required": definition.required,
        "default": definition.default,
        "choices": definition.choices,
        "show_in_list": definition.show_in_list,
        "filterable": definition.filterable,
    }
    update_definition(session, record_type, definition, **{**current, **changes})


def test_fields_are_listed_in_the_order_they_were_added(dbsession, gadgets):
    for key in ("industry", "vip", "budget"):
        add(dbsession, gadgets, key)
    assert [d.key for d in definitions_for(dbsession, "cf_gadget")] == ["industry", "vip", "budget"]
    assert definitions_for(dbsession, "other_type") == []


def test_labels_fall_back_to_english(dbsession, gadgets):
    definition = add(dbsession, gadgets, "size", labels={"en": "Size", "zh_Hans": " 尺寸 "})
    assert label(definition, "zh_Hans") == "尺寸"
    assert label(definition, "zh_Hant") == "Size"
    chinese_only = add(dbsession, gadgets, "colour", labels={"zh_Hant": "顏色"})
    assert label(chinese_only, "en") == "顏色"


@pytest.mark.parametrize("key", ["Industry", "1st", "has-dash", "", "a" * 41, "客户"])
def test_keys_must_be_lowercase_slugs(dbsession, gadgets, key):
    with pytest.raises(DefinitionError) as caught:
        add(dbsession, gadgets, key, labels={"en": "X"})
    assert caught.value.field == "key"
    assert definitions_for(dbsession, "cf_gadget", include_archived=True) == []


def test_keys_are_unique_per_record_type_even_when_archived(dbsession, gadgets):
    definition = add(dbsession, gadgets, "industry")
    with pytest.raises(DefinitionError, match=r"Another field already uses this key\."):
        add(dbsession, gadgets, "industry")
    archive_definition(dbsession, gadgets, definition)
    with pytest.raises(DefinitionError, match="restore it instead"):
        add(dbsession, gadgets, "industry")


def test_key_cannot_change_after_creation(dbsession, gadgets):
    definition = add(dbsession, gadgets, "industry")
    with pytest.raises(ValueError):
        definition.key = "sector"
    assert definition.key == "industry"


def test_record_types_without_custom_fields_are_refused(dbsession, gadgets, app):
    from tests.unit.core.customfields.cf_support import PLAIN

    with pytest.raises(ValueError):
        add(dbsession, PLAIN, "industry")


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ({"field_type": "colour"}, "field_type", "Choose a field type."),
        ({"labels": {"en": "  "}}, "labels", "Give the field a label in at least one language."),
        ({"labels": {"en": "x" * 101}}, "labels", "Enter at most ${max} characters."),
        ({"field_type": "choice"}, "choices", "Add at least one choice."),
        (
            {"field_type": "choice", "choices": [{"value": "a"}, {"value": "a"}]},
            "choices",
            "The choice ${value} is listed twice.",
        ),
        (
            {"field_type": "multi_choice", "choices": [{"value": "a,b"}]},
            "choices",
            "The choice ${value} cannot contain , ; or 、.",
        ),
        (
            {"field_type": "long_text", "filterable": True},
            "filterable",
            "Long text fields cannot be used as filters.",
        ),
        (
            {"field_type": "integer", "default": "many"},
            "default",
            "Enter a whole number, for example 42.",
        ),
    ],
)
def test_invalid_definitions_are_refused(dbsession, gadgets, fields, where, message):
    fields = {"field_type": "text", "labels": {"en": "Field"}, **fields}
    with pytest.raises(DefinitionError) as caught:
        create_definition(dbsession, gadgets, key="field", **fields)
    assert (caught.value.field, caught.value.message) == (where, message)
    assert definitions_for(dbsession, "cf_gadget", include_archived=True) == []


def test_defaults_are_stored_clean_and_used_for_missing_values(dbsession, gadgets):
    add(dbsession, gadgets, "tier", "multi_choice", choices=TIERS, default="银牌, gold")
    add(dbsession, gadgets, "budget", "money", default="100")
    definitions = definitions_for(dbsession, "cf_gadget")
    assert [d.default for d in definitions] == [["gold", "silver"], "100.00"]
    clean, errors = validate_values(dbsession, definitions, {"budget": "5"})
    assert (clean, errors) == ({"tier": ["gold", "silver"], "budget": "5.00"}, {})


def test_validate_values_reports_every_problem_by_key(dbsession, gadgets):
    add(dbsession, gadgets, "size", "integer", required=True)
    add(dbsession, gadgets, "site", "url")
    add(dbsession, gadgets, "note")
    definitions = definitions_for(dbsession, "cf_gadget")
    clean, errors = validate_values(
        dbsession, definitions, {"size": "", "site": "ftp://x", "colour": "red", "note": " ok "}
    )
    assert clean == {"note": "ok"}
    assert errors == {
        "size": ["This field is required."],
        "site": ["Enter a web address starting with http:// or https://."],
        "colour": ["There is no custom field called ${key}."],
    }
    assert errors["colour"][0].interpolate() == "There is no custom field called colour."


def test_partial_validation_leaves_missing_fields_alone(dbsession, gadgets):
    add(dbsession, gadgets, "size", "integer", required=True)
    add(dbsession, gadgets, "note")
    definitions = definitions_for(dbsession, "cf_gadget")
    assert validate_values(dbsession, definitions, {"note": ""}, partial=True) == (
        {"note": None},
        {},
    )


def test_user_fields_take_active_users_by_id_or_username(dbsession, gadgets, factory):
    owner = factory.user("wang.fang")
    gone = factory.user("left.company", is_active=False)
    add(dbsession, gadgets, "owner", "user")
    definitions = definitions_for(dbsession, "cf_gadget")
    assert validate_values(dbsession, definitions, {"owner": str(owner.id)}) == (
        {"owner": owner.id},
        {},
    )
    assert validate_values(dbsession, definitions, {"owner": "Wang.Fang"})[0] == {"owner": owner.id}
    for bad in (gone.id, "left.company", "99999", "nobody"):
        _clean, errors = validate_values(dbsession, definitions, {"owner": bad})
        assert errors == {"owner": ["Choose an active user."]}


def test_values_are_merged_audited_and_kept_when_a_field_is_archived(dbsession, gadgets):
    note = add(dbsession, gadgets, "note")
    size = add(dbsession, gadgets, "size", "integer")
    gadget = Gadget(name="G1", custom={"note": "first"})
    dbsession.add(gadget)
    dbsession.flush()
    set_custom_values(gadget, {"size": 3, "note": None})
    dbsession.flush()
    event = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "cf_test_gadgets", AuditEvent.action == "update"
        )
    ).one()
    assert event.changes == {"custom": [{"note": "first"}, {"size": 3}]}

    archive_definition(dbsession, gadgets, size)
    assert [d.key for d in definitions_for(dbsession, "cf_gadget")] == ["note"]
    set_custom_values(gadget, {"note": "second"})
    dbsession.flush()
    assert gadget.custom == {"size": 3, "note": "second"}

    restore_definition(dbsession, gadgets, size)
    assert [d.key for d in definitions_for(dbsession, "cf_gadget")] == ["note", "size"]
    assert note.archived_at is None and size.archived_at is None


def test_type_cannot_change_once_records_have_values(dbsession, gadgets):
    size = add(dbsession, gadgets, "size", "text", filterable=True)
    edit(dbsession, gadgets, size, field_type="integer")
    assert size.field_type == "integer"
    dbsession.add(Gadget(name="G", custom={"size": 4}))
    dbsession.flush()
    with pytest.raises(DefinitionError) as caught:
        edit(dbsession, gadgets, size, field_type="decimal")
    assert caught.value.field == "field_type"
    assert size.field_type == "integer"


def test_changing_a_field_rejects_a_bad_default_and_keeps_the_old_one(dbsession, gadgets):
    size = add(dbsession, gadgets, "size", "integer", default="3")
    with pytest.raises(DefinitionError):
        edit(dbsession, gadgets, size, default="three", labels={"en": "Renamed"})
    assert size.default == 3


def test_choices_are_dropped_from_fields_that_are_not_choices(dbsession, gadgets):
    tier = add(dbsession, gadgets, "tier", "choice", choices=TIERS)
    edit(dbsession, gadgets, tier, field_type="text")
    assert tier.choices == []


def test_fields_move_up_and_down_but_not_past_the_ends(dbsession, gadgets):
    a, b, c = (add(dbsession, gadgets, key) for key in ("a", "b", "c"))
    assert move_definition(dbsession, c, -1) is True
    assert [d.key for d in definitions_for(dbsession, "cf_gadget")] == ["a", "c", "b"]
    assert move_definition(dbsession, a, -1) is False
    assert move_definition(dbsession, a, 1) is True
    assert [d.key for d in definitions_for(dbsession, "cf_gadget")] == ["c", "a", "b"]
    assert move_definition(dbsession, b, 1) is False


def test_filterable_fields_get_an_index_that_follows_archive_and_restore(
    dbsession, gadgets, db_connection
):
    tier = add(dbsession, gadgets, "tier", "choice", choices=TIERS, filterable=True)
    assert index_exists(db_connection, Gadget, "tier")
    archive_definition(dbsession, gadgets, tier)
    assert not index_exists(db_connection, Gadget, "tier")
    restore_definition(dbsession, gadgets, tier)
    assert index_exists(db_connection, Gadget, "tier")
    edit(dbsession, gadgets, tier, filterable=False)
    assert not index_exists(db_connection, Gadget, "tier")
    note = add(dbsession, gadgets, "note")
    assert not index_exists(db_connection, Gadget, note.key)


def test_values_are_shown_in_the_users_language(dbsession, gadgets, make_request, factory):
    owner = factory.user("li", display_name="李雷")
    fields = {
        "tier": add(dbsession, gadgets, "tier", "choice", choices=TIERS),
        "tags": add(dbsession, gadgets, "tags", "multi_choice", choices=TIERS),
        "budget": add(dbsession, gadgets, "budget", "money"),
        "ratio": add(dbsession, gadgets, "ratio", "decimal"),
        "count": add(dbsession, gadgets, "count", "integer"),
        "day": add(dbsession, gadgets, "day", "date"),
        "at": add(dbsession, gadgets, "at", "datetime"),
        "vip": add(dbsession, gadgets, "vip", "boolean"),
        "phone": add(dbsession, gadgets, "phone", "phone"),
        "owner": add(dbsession, gadgets, "owner", "user"),
    }
    values = {
        "tier": "silver",
        "tags": ["gold", "silver"],
        "budget": "1234567.50",
        "ratio": "0.123456",
        "count": 12345,
        "day": "2026-11-22",
        "at": "2026-11-22T02:30:00+00:00",
        "vip": True,
        "phone": "+8613912345678",
        "owner": owner.id,
    }
    english = make_request("en")
    shown = {key: display_value(english, d, values[key]) for key, d in fields.items()}
    assert shown == {
        "tier": "Silver",
        "tags": "Gold, Silver",
        "budget": "CN¥1,234,567.50",
        "ratio": "0.123456",
        "count": "12,345",
        "day": "Nov 22, 2026",
        "at": "Nov 22, 2026, 10:30:00\u202fAM",
        "vip": "Yes",
        "phone": "139 1234 5678",
        "owner": "李雷",
    }
    chinese = make_request("zh_Hans")
    assert display_value(chinese, fields["tags"], values["tags"]) == "金牌、银牌"
    assert display_value(chinese, fields["day"], values["day"]) == "2026年11月22日"
    assert display_value(english, fields["vip"], False) == "No"
    assert display_value(english, fields["tier"], None) == ""
    assert display_value(english, fields["tier"], "retired") == "retired"
    assert display_value(english, fields["budget"], "garbage") == "garbage"


def test_request_caches_the_fields_of_a_record_type(dbsession, gadgets, make_request):
    add(dbsession, gadgets, "note")
    request = make_request()
    first = request.custom_fields("cf_gadget")
    add(dbsession, gadgets, "later")
    assert request.custom_fields("cf_gadget") is first
    assert [d.key for d in make_request().custom_fields("cf_gadget")] == ["note", "later"]
