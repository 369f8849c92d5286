"""Tests for core.jobs and ``guanxi worker``: the tick sends mail and runs due module jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import types

import pytest
from huey import SqliteHuey
from sqlalchemy import select

from core import jobs
from core.commands.worker import worker
from core.contributions import PeriodicJob
from core.mail import OutboxMessage, queue_mail
from core.modules import Manifest, Module, ModuleState, hookimpl

SMTP_URL = "smtp://mail.example.com:25"


class JobsPlugin:
    """A module's hooks: one periodic job recording each run."""

    def __init__(self, name: str, every_minutes: int = 1, fail: bool = False) -> None:
        self.name = name
        self.every_minutes = every_minutes
        self.fail = fail
        self.runs: list[object] = []
        self.settings: list[dict] = []

    def run(self, session) -> None:
        self.runs.append(session)
        self.settings.append(jobs.job_settings(session))
        session.merge(ModuleState(name=f"{self.name}-ran", enabled=False))
        if self.fail:
            raise RuntimeError("boom")

    @hookimpl
    def guanxi_periodic_jobs(self) -> list[PeriodicJob]:
        return [PeriodicJob(f"{self.name}.job", self.run, every_minutes=self.every_minutes)]


@pytest.fixture
def install(app, dbsession, monkeypatch):
    """Install fake modules with the given enabled state for the test."""
    registry = app.registry["modules"]
    monkeypatch.setattr(registry, "_relays", {})
    installed = []

    def install(plugin: JobsPlugin, enabled: bool) -> JobsPlugin:
        manifest = Manifest(plugin.name, plugin.name, "", "1.0")
        package = types.ModuleType(plugin.name)
        monkeypatch.setitem(registry.modules, plugin.name, Module(manifest, package, plugin))
        registry.pm.register(plugin, name=plugin.name)
        installed.append(plugin)
        dbsession.add(ModuleState(name=plugin.name, enabled=enabled))
        dbsession.flush()
        return plugin

    yield install
    for plugin in installed:
        registry.pm.unregister(plugin)


@pytest.fixture
def smtp(app, monkeypatch, mailbox):
    monkeypatch.setitem(app.registry.settings, "guanxi.smtp_url", SMTP_URL)
    return mailbox


def these(names: list[str], *plugins: str) -> list[str]:
    """The jobs of ``plugins`` among ``names`` (the built-in modules have jobs too)."""
    return [name for name in names if name.split(".")[0] in plugins]


def ran(dbsession, name: str) -> bool:
    return dbsession.get(ModuleState, f"{name}-ran") is not None


def test_tick_sends_the_outbox(app, dbsession, smtp, clock):
    message = queue_mail(dbsession, "wang@example.com", "Hello", "Body")
    dbsession.flush()
    report = jobs.run_tick(app.registry)
    assert report.mail_sent == 1
    assert [sent["To"] for sent in smtp.sent] == ["wang@example.com"]
    dbsession.refresh(message)
    assert message.sent_at == clock.now


def test_tick_keeps_mail_queued_when_the_server_is_down(app, dbsession, smtp, clock):
    message = queue_mail(dbsession, "wang@example.com", "Hello", "Body")
    dbsession.flush()
    smtp.down = True
    assert jobs.run_tick(app.registry).mail_sent == 0
    dbsession.refresh(message)
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    assert dbsession.scalars(select(OutboxMessage)).all() == [message]


def test_enabled_modules_jobs_run_and_disabled_ones_do_not(app, dbsession, install, clock):
    on = install(JobsPlugin("jobs_on"), enabled=True)
    off = install(JobsPlugin("jobs_off"), enabled=False)
    report = jobs.run_tick(app.registry)
    assert these(report.ran, "jobs_on", "jobs_off") == ["jobs_on.job"]
    assert len(on.runs) == 1 and off.runs == []
    assert on.settings[0]["guanxi.base_url"] == app.registry.settings["guanxi.base_url"]
    assert ran(dbsession, "jobs_on")


def test_a_job_runs_again_only_after_its_interval(app, dbsession, install, clock):
    hourly = install(JobsPlugin("hourly", every_minutes=60), enabled=True)
    jobs.run_tick(app.registry)
    clock.travel(minutes=59)
    assert these(jobs.run_tick(app.registry).ran, "hourly") == []
    clock.travel(minutes=1)
    assert these(jobs.run_tick(app.registry).ran, "hourly") == ["hourly.job"]
    assert len(hourly.runs) == 2


def test_a_failing_job_rolls_back_its_work_and_others_still_run(app, dbsession, install, clock):
    install(JobsPlugin("broken", fail=True), enabled=True)
    install(JobsPlugin("fine"), enabled=True)
    report = jobs.run_tick(app.registry)
    assert report.failed == ["broken.job"] and these(report.ran, "fine") == ["fine.job"]
    assert not ran(dbsession, "broken") and ran(dbsession, "fine")
    record = dbsession.get(jobs.JobRun, "broken.job")
    assert record.last_error == "RuntimeError: boom"
    assert record.last_started_at == clock.now.replace(second=0, microsecond=0)


def test_worker_once_runs_one_tick(app, dbsession, install, clock, capsys):
    install(JobsPlugin("jobs_on"), enabled=True)
    env = types.SimpleNamespace(registry=app.registry)
    assert worker(argparse.Namespace(once=True, workers=1), env) == 0
    assert "jobs run: jobs_on.job" in capsys.readouterr().out


def test_huey_uses_sqlite_in_the_var_dir_by_default(tmp_path):
    huey = jobs.get_huey({"guanxi.var_dir": str(tmp_path / "var"), "guanxi.redis_url": ""})
    assert isinstance(huey, SqliteHuey)
    assert huey.storage.filename == str(tmp_path / "var" / "jobs.sqlite")


def test_huey_uses_redis_when_configured(monkeypatch):
    made = {}
    monkeypatch.setattr(jobs, "RedisHuey", lambda name, url: made.setdefault("url", url))
    jobs.get_huey({"guanxi.redis_url": "redis://cache:6379/0", "guanxi.var_dir": "unused"})
    assert made == {"url": "redis://cache:6379/0"}


def test_worker_schedules_the_tick_every_minute(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "guanxi.var_dir", str(tmp_path))
    huey = jobs.build_worker(app.registry)
    [task] = huey._registry._periodic_tasks
    assert task.__name__ == "guanxi.tick"
    assert task().validate_datetime(dt.datetime(2026, 11, 22, 10, 37))
