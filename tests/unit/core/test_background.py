"""Background jobs: queued in the caller's transaction, run once after it commits, recovered."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from core import background
from core.audit import Actor
from core.background import BackgroundJob, JobFailed, recover, run_job, submit
from core.contributions import BackgroundTask
from core.db import session_scope
from core.i18n import _
from core.modules import hookimpl


class TaskPlugin:
    """A module offering tasks that record their runs."""

    def __init__(self) -> None:
        self.runs: list[dict] = []

    def work(self, context: background.JobContext) -> dict:
        context.progress(5, 10, stage="halfway", force=True)
        self.runs.append(dict(context.params))
        return {"answer": context.params["n"] * 2}

    def refuse(self, context: background.JobContext) -> dict:
        raise JobFailed(_("The file ${name} is gone.", mapping={"name": "a.csv"}))

    def crash(self, context: background.JobContext) -> dict:
        raise RuntimeError("boom")

    @hookimpl
    def guanxi_background_tasks(self) -> list[BackgroundTask]:
        return [
            BackgroundTask("test.work", self.work),
            BackgroundTask("test.refuse", self.refuse),
            BackgroundTask("test.crash", self.crash),
        ]


@pytest.fixture
def plugin(app, monkeypatch):  # type: ignore[no-untyped-def]
    modules = app.registry["modules"]
    monkeypatch.setattr(modules, "_relays", {})
    tasks = TaskPlugin()
    modules.pm.register(tasks, name="test_tasks")
    yield tasks
    modules.pm.unregister(tasks)


def queue(app, task: str, **params: object) -> int:  # type: ignore[no-untyped-def]
    factory = app.registry["dbsession_factory"]
    with session_scope(factory, Actor(kind="system")) as session:
        job = submit(session, app.registry, task, params, None)
        assert job.state == "queued"  # it starts only once this transaction commits
        return job.id


def test_a_job_runs_once_after_the_commit_with_its_progress_and_result(app, dbsession, plugin):  # type: ignore[no-untyped-def]
    job_id = queue(app, "test.work", n=21)
    job = dbsession.get(BackgroundJob, job_id)
    assert plugin.runs == [{"n": 21}]
    assert (job.state, job.result, job.attempts) == ("done", {"answer": 42}, 1)
    assert (job.done, job.total, job.stage, job.percent) == (5, 10, "halfway", 100)
    assert run_job(app.registry, job_id) is None  # already claimed: never twice
    assert plugin.runs == [{"n": 21}]


def test_an_aborted_transaction_never_starts_its_job(app, dbsession, plugin):  # type: ignore[no-untyped-def]
    factory = app.registry["dbsession_factory"]
    with pytest.raises(ZeroDivisionError), session_scope(factory) as session:
        submit(session, app.registry, "test.work", {"n": 1}, None)
        1 / 0  # noqa: B018
    assert plugin.runs == []


def test_a_refusal_is_kept_for_the_user_in_their_language(app, dbsession, plugin):  # type: ignore[no-untyped-def]
    job = dbsession.get(BackgroundJob, queue(app, "test.refuse"))
    assert job.state == "failed"
    assert job.problem == {
        "message": "The file ${name} is gone.",
        "domain": "guanxi",
        "mapping": {"name": "a.csv"},
    }
    request = types.SimpleNamespace(translate=lambda message: message.interpolate())
    assert background.message_text(request, job.problem) == "The file a.csv is gone."


def test_a_crash_fails_the_job_and_is_logged(app, dbsession, plugin, caplog):  # type: ignore[no-untyped-def]
    job = dbsession.get(BackgroundJob, queue(app, "test.crash"))
    assert (job.state, job.error) == ("failed", "RuntimeError: boom")
    assert "boom" in caplog.text


def test_a_job_whose_process_died_runs_again_then_gives_up(app, dbsession, plugin, clock):  # type: ignore[no-untyped-def]
    job = BackgroundJob(task="test.work", params={"n": 1}, state="running", attempts=1)
    job.heartbeat_at = clock.now
    dbsession.add(job)
    dbsession.flush()
    assert not recover(app.registry, dbsession, job)  # still beating
    clock.travel(minutes=11)
    factory = app.registry["dbsession_factory"]
    with session_scope(factory) as session:
        assert recover(app.registry, session, session.get(BackgroundJob, job.id))
    dbsession.refresh(job)
    assert (job.state, job.attempts, plugin.runs) == ("done", 2, [{"n": 1}])
    stuck = BackgroundJob(task="test.work", params={}, state="running", attempts=3)
    stuck.heartbeat_at = clock.now - dt.timedelta(hours=1)
    dbsession.add(stuck)
    dbsession.flush()
    assert not recover(app.registry, dbsession, stuck)
    dbsession.refresh(stuck)
    assert stuck.state == "failed"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "thread"),
        ({"guanxi.redis_url": "redis://cache/0"}, "worker"),
        ({"guanxi.jobs_runner": "inline"}, "inline"),
        ({"guanxi.jobs_runner": "nonsense"}, "thread"),
    ],
)
def test_how_jobs_run_follows_the_settings(settings: dict, expected: str) -> None:
    assert background.runner(settings) == expected


def test_the_worker_mode_puts_jobs_on_the_huey_queue(app, monkeypatch):  # type: ignore[no-untyped-def]
    queued: list[int] = []
    monkeypatch.setitem(app.registry.settings, "guanxi.jobs_runner", "worker")
    monkeypatch.setitem(app.registry, "huey_background_task", queued.append)
    background.dispatch(app.registry, 7)
    assert queued == [7]
