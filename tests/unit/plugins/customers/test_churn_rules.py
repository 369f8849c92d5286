"""The churn rules: which held for a customer, what is stored, what the setting gives back."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from pyramid.i18n import TranslationString

from core.settings_store import set_setting
from plugins.customers.churn import ChurnRules, load_rules, reason_text, save_rules
from plugins.customers.churn_models import ChurnEvent

NOW = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)


def customer(created_days: int, order_days: int | None, contact_days: int | None) -> object:
    """A stand-in customer created, last ordering and last contacted so many days ago."""

    def ago(days: int | None) -> dt.datetime | None:
        return None if days is None else NOW - dt.timedelta(days=days)

    return SimpleNamespace(
        created_at=ago(created_days),
        last_order_at=ago(order_days),
        last_contact_at=ago(contact_days),
    )


@pytest.mark.parametrize(
    ("created", "order", "contact", "held"),
    [
        (400, 200, 100, ["no_order", "no_contact"]),
        (400, 10, 100, ["no_contact"]),
        (400, 200, 10, ["no_order"]),
        (400, 180, 90, []),  # exactly on the limit is not yet "more than"
        (400, None, None, ["no_order", "no_contact"]),  # never: counted from creation
        (30, None, None, []),  # a new customer is not at risk
    ],
)
def test_which_rules_hold(created, order, contact, held):
    assert ChurnRules().held(customer(created, order, contact), NOW) == held


def test_the_reason_names_the_rules_and_reads_back_translated():
    rules = ChurnRules(order_days=120, contact_days=30)
    event = ChurnEvent(action="flagged", reason=rules.reason(["no_order", "no_contact"]))
    assert event.reason == "no_order=120,no_contact=30"

    def translate(message, **mapping):
        return TranslationString(message, mapping=mapping).interpolate()

    assert reason_text(translate, event) == "No order for 120 days · No follow-up for 30 days"
    written = ChurnEvent(action="confirmed", reason="Moved to a competitor")
    assert reason_text(translate, written) == "Moved to a competitor"


def test_rules_round_trip_and_bad_stored_values_fall_back(dbsession):
    assert load_rules(dbsession) == ChurnRules()
    rules = ChurnRules(
        order_days=60, contact_days=14, combine="any", statuses=("potential", "active")
    )
    save_rules(dbsession, rules)
    assert load_rules(dbsession) == rules
    set_setting(
        dbsession,
        "customers.churn_rules",
        {"order_days": 0, "contact_days": "x", "combine": "some", "statuses": ["churned"]},
    )
    assert load_rules(dbsession) == ChurnRules()
