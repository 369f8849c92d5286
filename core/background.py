"""Background jobs: one-off work (imports, large exports …) with its progress in the database.

A job is a row of ``background_jobs``: the task to run, who asked for it, its
parameters, its state (``queued`` → ``running`` → ``done`` or ``failed``), its
progress (``done`` of ``total`` in a ``stage``) and its result.  Tasks come from
the ``guanxi_background_tasks`` hook (the core's own and the enabled modules').

:func:`submit` adds the row in the caller's transaction; once that transaction
commits, the job is dispatched as ``guanxi.jobs_runner`` says:

* ``thread`` (the default without Redis): a thread of the same process runs it,
  so a single server needs no separate worker;
* ``worker`` (the default with Redis): the Huey queue, run by ``guanxi worker``;
* ``inline``: right after the commit, in the caller's thread (tests).

A job is claimed with a conditional UPDATE, so it runs once however many
runners see it.  Its progress writes double as a heartbeat: a job whose
heartbeat stopped (its process died) is queued again by :func:`recover` (the
worker's tick, or a page asking about it), at most :data:`MAX_ATTEMPTS` times.
Tasks must therefore be safe to run again from the start.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyramid.i18n import TranslationString
from sqlalchemy import ForeignKey, Index, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.audit import Actor
from core.contributions import BackgroundTask
from core.db import Base, JSONType, session_scope, utcnow

log = logging.getLogger(__name__)

STATES = ("queued", "running", "done", "failed")
FINISHED = ("done", "failed")
#: A running job whose heartbeat is older than this is taken for dead.
STALE_AFTER = dt.timedelta(minutes=10)
#: A queued job nobody picked up for this long is dispatched again.
UNCLAIMED_AFTER = dt.timedelta(minutes=1)
MAX_ATTEMPTS = 3
#: Progress is written at most this often (seconds); the last write always goes through.
PROGRESS_INTERVAL = 0.5
RUNNERS = ("thread", "worker", "inline")


class BackgroundJob(Base):
    """One run of a background task, its progress and its outcome."""

    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_state_heartbeat", "state", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    stage: Mapped[str] = mapped_column(String(32), default="")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    @property
    def finished(self) -> bool:
        """Whether the job is done or failed."""
        return self.state in FINISHED

    @property
    def problem(self) -> dict[str, Any] | None:
        """Why the task failed, for the user (see :func:`message_text`), if it said."""
        return (self.result or {}).get("problem")

    @property
    def percent(self) -> int | None:
        """How far the job is, 0–100, when its total is known."""
        if self.state == "done":
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


class JobFailed(Exception):
    """Raised by a task to fail with a message for the user (a translation string)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def message_record(message: Any, mapping: dict[str, Any] | None = None) -> dict[str, Any]:
    """A translation string as stored in JSON (translated when it is shown)."""
    mapping = {**(getattr(message, "mapping", None) or {}), **(mapping or {})}
    return {
        "message": str(message),
        "domain": getattr(message, "domain", None),
        "mapping": {key: str(value) for key, value in mapping.items()},
    }


def message_text(request: Any, record: dict[str, Any]) -> str:
    """A message stored by :func:`message_record`, in the user's language."""
    message = TranslationString(
        record["message"], domain=record.get("domain") or "guanxi", mapping=record.get("mapping")
    )
    return request.translate(message)


@dataclass
class JobContext:
    """What a running task gets: its job's id, parameters and user, and a progress reporter."""

    registry: Any
    job_id: int
    params: dict[str, Any]
    user_id: int | None
    _last: float = field(default=0.0, repr=False)

    @property
    def factory(self) -> Any:
        """The session factory (each unit of work opens its own session)."""
        return self.registry["dbsession_factory"]

    def progress(
        self, done: int, total: int | None = None, stage: str | None = None, *, force: bool = False
    ) -> None:
        """Record how far the task is (also its heartbeat), in a transaction of its own."""
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_INTERVAL:
            return
        self._last = now
        values: dict[str, Any] = {"done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        if stage is not None:
            values["stage"] = stage
        with session_scope(self.factory, Actor(kind="job")) as session:
            session.execute(
                update(BackgroundJob).where(BackgroundJob.id == self.job_id).values(**values)
            )


def tasks(registry: Any, session: Session) -> dict[str, BackgroundTask]:
    """The tasks of the core and of the enabled modules, by name."""
    modules = registry["modules"]
    found: dict[str, BackgroundTask] = {}
    for offered in modules.hooks(modules.enabled_names(session)).guanxi_background_tasks():
        found.update((task.name, task) for task in offered)
    return found


def after_commit(session: Session, action: Callable[[], Any]) -> None:
    """Call ``action`` once the transaction of ``session`` commits (never if it aborts)."""
    manager = session.info["transaction_manager"]
    manager.get().addAfterCommitHook(lambda committed: committed and action())


def submit(
    session: Session, registry: Any, task: str, params: dict[str, Any], user_id: int | None
) -> BackgroundJob:
    """Queue ``task`` with ``params`` for ``user_id``; it is dispatched once the session commits.

    Returns the new :class:`BackgroundJob` (flushed, so its id is known).
    """
    job = BackgroundJob(task=task, params=params, user_id=user_id, state="queued")
    session.add(job)
    session.flush()
    job_id = job.id
    after_commit(session, lambda: dispatch(registry, job_id))
    return job


def runner(settings: dict[str, Any]) -> str:
    """How jobs are run: ``guanxi.jobs_runner``, else the worker with Redis, else a thread."""
    default = "worker" if settings.get("guanxi.redis_url") else "thread"
    chosen = settings.get("guanxi.jobs_runner") or default
    return chosen if chosen in RUNNERS else "thread"


def dispatch(registry: Any, job_id: int) -> None:
    """Start job ``job_id`` the way the settings say (see the module's docstring)."""
    how = runner(registry.settings)
    if how == "inline":
        run_job(registry, job_id)
    elif how == "worker":
        from core.jobs import enqueue_background

        enqueue_background(registry, job_id)
    else:
        threading.Thread(
            target=run_job, args=(registry, job_id), name=f"guanxi-job-{job_id}", daemon=True
        ).start()


def claim(session: Session, job_id: int) -> bool:
    """Mark the queued job as running (atomic between runners); False if it is not queued."""
    now = utcnow()
    result = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.state == "queued")
        .values(
            state="running",
            started_at=now,
            heartbeat_at=now,
            attempts=BackgroundJob.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(factory: Any, job_id: int, **values: Any) -> None:
    with session_scope(factory, Actor(kind="job")) as session:
        session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id)
            .values(finished_at=utcnow(), heartbeat_at=utcnow(), **values)
        )


def run_job(registry: Any, job_id: int) -> str | None:
    """Claim and run job ``job_id``; its final state, or None when it was not queued.

    A task's result (a JSON-able dict) is stored with ``done``; an exception marks
    the job ``failed`` with its message (a :class:`JobFailed` message is meant for
    the user, anything else is logged and shown as a generic failure).
    """
    factory = registry["dbsession_factory"]
    with session_scope(factory, Actor(kind="job")) as session:
        if not claim(session, job_id):
            return None
        job = session.get(BackgroundJob, job_id)
        task = tasks(registry, session).get(job.task)
        context = JobContext(registry, job_id, dict(job.params or {}), job.user_id)
    if task is None:
        _finish(factory, job_id, state="failed", error="unknown task")
        return "failed"
    try:
        result = task.run(context)
    except JobFailed as failed:
        problem = message_record(failed.message)
        _finish(
            factory, job_id, state="failed", error=problem["message"], result={"problem": problem}
        )
        return "failed"
    except Exception as exc:
        log.exception("background job %s (%s) failed", job_id, task.name)
        _finish(factory, job_id, state="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"
    _finish(factory, job_id, state="done", result=result or {})
    return "done"


def stale(job: BackgroundJob, now: dt.datetime | None = None) -> bool:
    """Whether ``job`` should be running but nobody is running it."""
    now = now or utcnow()
    if job.state == "queued":
        return job.created_at < now - UNCLAIMED_AFTER
    if job.state == "running":
        return (job.heartbeat_at or job.created_at) < now - STALE_AFTER
    return False


def recover(registry: Any, session: Session, job: BackgroundJob) -> bool:
    """Queue a stale job again (or fail it after :data:`MAX_ATTEMPTS`); True when dispatched."""
    if not stale(job):
        return False
    if job.attempts >= MAX_ATTEMPTS:
        session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job.id, BackgroundJob.state == job.state)
            .values(state="failed", finished_at=utcnow(), error="stopped responding")
            .execution_options(synchronize_session=False)
        )
        return False
    session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job.id, BackgroundJob.state == job.state)
        .values(state="queued", created_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    job_id = job.id
    after_commit(session, lambda: dispatch(registry, job_id))
    return True


def recover_all(registry: Any) -> int:
    """Queue again every stale job (run by the worker's tick); how many were dispatched."""
    factory = registry["dbsession_factory"]
    now = utcnow()
    with session_scope(factory, Actor(kind="job")) as session:
        jobs = list(
            session.scalars(
                select(BackgroundJob).where(
                    or_(
                        (BackgroundJob.state == "queued")
                        & (BackgroundJob.created_at < now - UNCLAIMED_AFTER),
                        (BackgroundJob.state == "running")
                        & (BackgroundJob.heartbeat_at < now - STALE_AFTER),
                    )
                )
            )
        )
        return sum(recover(registry, session, job) for job in jobs)
