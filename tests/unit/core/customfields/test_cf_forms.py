"""Custom fields in record forms: fields per type, prefill, validation, rendering."""

from __future__ import annotations

import pytest
from pyramid_jinja2 import IJinja2Environment
from webob.multidict import MultiDict
from wtforms import StringField

from core.customfields.forms import (
    custom_values,
    format_choices,
    parse_choices,
    with_custom_fields,
)
from core.customfields.service import create_definition, definitions_for
from core.forms import Form
from core.i18n import translate
from tests.unit.core.customfields.cf_support import Gadget

TIERS = [
    {"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌"}},
    {"value": "silver", "labels": {"en": "Silver", "zh_Hans": "银牌"}},
]


class GadgetForm(Form):
    name = StringField("Name")


@pytest.fixture
def definitions(dbsession, gadgets):
    specs = [
        ("size", "integer", {"required": True, "help": {"en": "In centimetres"}}),
        ("tier", "choice", {"choices": TIERS, "labels": {"en": "Tier", "zh_Hans": "等级"}}),
        ("tags", "multi_choice", {"choices": TIERS}),
        ("vip", "boolean", {"default": "yes"}),
        ("memo", "long_text", {}),
        ("met_at", "datetime", {}),
        ("owner", "user", {}),
        ("site", "url", {}),
    ]
    for key, field_type, extra in specs:
        extra.setdefault("labels", {"en": key.replace("_", " ").title()})
        create_definition(dbsession, gadgets, key=key, field_type=field_type, **extra)
    return definitions_for(dbsession, "cf_gadget")


def pairs(choices):
    return [(choice.value, choice.label) for choice in choices]


def build(make_request, definitions, formdata=None, locale="en", **kwargs):
    request = make_request(locale)
    form_class = with_custom_fields(GadgetForm, definitions, request)
    return form_class(request, formdata, **kwargs)


def test_one_field_per_definition_with_label_help_and_widget(make_request, definitions):
    form = build(make_request, definitions)
    assert [f.name for f in form] == [
        "name",
        "cf_size",
        "cf_tier",
        "cf_tags",
        "cf_vip",
        "cf_memo",
        "cf_met_at",
        "cf_owner",
        "cf_site",
    ]
    assert form.cf_size.flags.required
    assert not form.cf_tier.flags.required
    assert form.cf_size.description == "In centimetres"
    assert 'type="number"' in form.cf_size() and "required" in form.cf_size()
    assert 'type="datetime-local"' in form.cf_met_at()
    assert 'type="url"' in form.cf_site()
    assert form.cf_memo.type == "TextAreaField"
    assert pairs(form.cf_tier.choices) == [("", "—"), ("gold", "Gold"), ("silver", "Silver")]


def test_labels_and_choices_follow_the_users_language(make_request, definitions):
    form = build(make_request, definitions, locale="zh_Hans")
    assert form.cf_tier.label.text == "等级"
    assert pairs(form.cf_tier.choices)[1:] == [("gold", "金牌"), ("silver", "银牌")]
    assert form.cf_size.label.text == "Size"


def test_new_record_gets_defaults_and_existing_record_its_values(make_request, definitions):
    assert build(make_request, definitions).cf_vip.data is True
    gadget = Gadget(
        name="G", custom={"size": 7, "tags": ["silver"], "met_at": "2026-11-22T02:30:00+00:00"}
    )
    form = build(make_request, definitions, obj=gadget)
    assert form.name.data == "G"
    assert form.cf_size.data == "7"
    assert form.cf_tags.data == ["silver"]
    assert form.cf_vip.data is False
    assert form.cf_met_at.data == "2026-11-22T10:30"  # Asia/Shanghai, the default time zone


def test_valid_input_gives_clean_values(make_request, definitions, factory):
    owner = factory.user("owner")
    formdata = MultiDict(
        [
            ("name", "G"),
            ("cf_size", "１２"),
            ("cf_tier", "gold"),
            ("cf_tags", "silver"),
            ("cf_tags", "gold"),
            ("cf_vip", "y"),
            ("cf_memo", ""),
            ("cf_met_at", "2026-11-22T10:30"),
            ("cf_owner", str(owner.id)),
            ("cf_site", "https://example.com"),
        ]
    )
    form = build(make_request, definitions, formdata)
    assert form.validate(), form.errors
    assert custom_values(form, definitions) == {
        "size": 12,
        "tier": "gold",
        "tags": ["gold", "silver"],
        "vip": True,
        "memo": None,
        "met_at": "2026-11-22T02:30:00+00:00",
        "owner": owner.id,
        "site": "https://example.com",
    }


def test_invalid_input_is_reported_on_each_field(make_request, definitions):
    formdata = MultiDict(
        [("cf_size", ""), ("cf_tier", "platinum"), ("cf_owner", "999999"), ("cf_site", "x")]
    )
    form = build(make_request, definitions, formdata)
    assert not form.validate()
    assert form.errors == {
        "cf_size": ["This field is required."],
        "cf_tier": ["Choose one of the listed options."],
        "cf_owner": ["Choose an active user."],
        "cf_site": ["Enter a web address starting with http:// or https://."],
    }


def test_custom_values_needs_a_validated_form(make_request, definitions):
    with pytest.raises(RuntimeError):
        custom_values(build(make_request, definitions), definitions)


def test_a_deactivated_current_user_stays_listed(make_request, definitions, factory):
    gone = factory.user("gone", display_name="Gone Person", is_active=False)
    form = build(make_request, definitions, obj=Gadget(custom={"owner": gone.id}))
    assert (str(gone.id), "Gone Person") in pairs(form.cf_owner.choices)
    fresh = build(make_request, definitions)
    assert all(label != "Gone Person" for _value, label in pairs(fresh.cf_owner.choices))


def test_fields_render_through_the_shared_form_macro(app, make_request, definitions):
    request = make_request()
    form = with_custom_fields(GadgetForm, definitions, request)(
        request, MultiDict([("cf_size", "x")])
    )
    form.validate()
    environment = app.registry.queryUtility(IJinja2Environment, name=".jinja2")
    template = environment.from_string(
        '{% from "core:templates/customfields/macros.jinja2" '
        "import custom_form_fields with context %}{{ custom_form_fields(form) }}"
    )
    html = template.render(
        form=form, request=request, _=lambda message, **kw: translate(request, message, **kw)
    )
    assert 'name="cf_size"' in html and 'aria-invalid="true"' in html
    assert "Enter a whole number, for example 42." in html
    assert '<textarea class="form-control" id="cf_memo"' in html
    assert 'class="form-check-input" id="cf_vip"' in html
    assert "In centimetres" in html
    assert 'name="name"' not in html


def test_choices_text_round_trips():
    text = "gold | Gold | 金牌 | 金牌\n\n silver |Silver\nbronze"
    choices = parse_choices(text)
    assert choices == [
        {"value": "gold", "labels": {"en": "Gold", "zh_Hans": "金牌", "zh_Hant": "金牌"}},
        {"value": "silver", "labels": {"en": "Silver"}},
        {"value": "bronze", "labels": {}},
    ]
    assert parse_choices(format_choices(choices)) == choices
    assert format_choices([{"value": "x", "labels": {"zh_Hant": "乙"}}]) == "x |  |  | 乙"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a | b | c | d | e", "Line ${line}: write at most value | English | 简体中文 | 繁體中文."),
        ("ok\n | Label", "Line ${line}: start with the choice's value."),
    ],
)
def test_malformed_choice_lines_are_refused(text, message):
    with pytest.raises(ValueError) as caught:
        parse_choices(text)
    assert caught.value.args[0] == message
