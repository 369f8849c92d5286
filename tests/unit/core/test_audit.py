"""Tests for core.audit: change capture and rebuilding a record's past values."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.audit import REDACTED, AuditEvent, snapshot, state_at

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def event(action: str, hours: float, changes: dict | None = None) -> AuditEvent:
    return AuditEvent(action=action, at=at(hours), changes=changes)


# A customer created at 0h as "Acme", renamed at 2h and at 4h, its phone set at 4h.
LIFE = [
    event("update", 4, {"name": ["Acme Ltd", "Acme Group"], "phone": [None, "400-800"]}),
    event("login", 3, {"name": ["not", "a change"]}),
    event("update", 2, {"name": ["Acme", "Acme Ltd"]}),
    event("create", 0, {"name": [None, "Acme"]}),
]
CURRENT = {"name": "Acme Group", "phone": "400-800"}


def test_state_between_updates_undoes_the_later_ones():
    assert state_at(CURRENT, LIFE, at(1)) == {"name": "Acme", "phone": None}
    assert state_at(CURRENT, LIFE, at(3)) == {"name": "Acme Ltd", "phone": None}


def test_a_change_counts_from_its_own_moment():
    assert state_at(CURRENT, LIFE, at(2)) == {"name": "Acme Ltd", "phone": None}


def test_state_after_the_last_change_is_the_current_one():
    assert state_at(CURRENT, LIFE, at(5)) == CURRENT


def test_before_creation_the_record_did_not_exist():
    assert state_at(CURRENT, LIFE, at(-1)) is None


def test_events_that_change_nothing_are_ignored():
    password = [event("password_changed", 6, {"name": ["x", "y"]}), *LIFE]
    assert state_at(CURRENT, password, at(5)) == CURRENT


def test_after_delete_the_record_is_gone_and_before_it_had_its_last_values():
    deleted = [event("delete", 6, {"name": ["Acme Group", None], "phone": ["400-800", None]})]
    deleted += LIFE
    assert state_at({}, deleted, at(7)) is None
    assert state_at({}, deleted, at(5)) == CURRENT
    assert state_at({}, deleted, at(3)) == {"name": "Acme Ltd", "phone": None}


def test_redacted_values_stay_redacted():
    events = [
        event("update", 2, {"id_number": [REDACTED, REDACTED]}),
        event("create", 0, {"id_number": [None, REDACTED]}),
    ]
    assert state_at({"id_number": REDACTED}, events, at(1)) == {"id_number": REDACTED}


def test_records_older_than_the_trail_keep_their_current_values():
    assert state_at(CURRENT, [], at(-100)) == CURRENT


def test_a_created_record_is_captured_with_its_id(dbsession, factory):
    team = factory.team("North")
    created = dbsession.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "teams",
            AuditEvent.record_id == str(team.id),
            AuditEvent.action == "create",
        )
    ).all()
    assert len(created) == 1
    assert created[0].changes["name"] == [None, "North"]


def test_snapshot_and_trail_rebuild_a_renamed_team(dbsession, factory, clock):
    team = factory.team("North")
    created_at = clock.now
    clock.travel(hours=1)
    team.name = "North China"
    dbsession.flush()
    events = dbsession.scalars(
        select(AuditEvent)
        .where(AuditEvent.record_type == "teams", AuditEvent.record_id == str(team.id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    ).all()
    current = snapshot(team)
    assert current["name"] == "North China"
    assert state_at(current, events, created_at)["name"] == "North"
    assert state_at(current, events, created_at - dt.timedelta(seconds=1)) is None


def test_snapshot_redacts_secrets(factory):
    user = factory.user("mei")
    values = snapshot(user)
    assert values["password_hash"] == REDACTED
    assert values["username"] == "mei"
    assert "version" not in values
