"""Background and periodic jobs with Huey.

``guanxi worker`` runs a Huey consumer for background jobs (``core.background``)
whose only periodic task is the *tick*, once a minute: it sends the outbox,
queues again background jobs whose process died, then runs every enabled module's
``guanxi_periodic_jobs`` whose interval has passed, each in its own transaction
acting as ``Actor(kind="job")``.  ``guanxi worker --once`` runs one tick in the
foreground (for cron and tests).

Huey stores its queue in ``var/jobs.sqlite`` (SqliteHuey), or in Redis when
``guanxi.redis_url`` is set.  When each job last ran is kept in the database
(``job_runs``), so several workers never run a job twice in one interval.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from sqlalchemy import String, Text, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.audit import Actor
from core.background import recover_all
from core.background import run_job as run_background_job
from core.contributions import PeriodicJob
from core.db import Base, session_scope, utcnow
from core.mail import default_sender, send_pending

log = logging.getLogger(__name__)

HUEY_NAME = "guanxi"
#: The registry key of the Huey task that runs background jobs.
BACKGROUND_TASK = "huey_background_task"
JOBS_FILE = "jobs.sqlite"
JOB_ACTOR = Actor(kind="job")


class JobRun(Base):
    """When a periodic job last started and finished, and its last error."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass
class TickReport:
    """What one tick did."""

    mail_sent: int = 0
    recovered: int = 0
    ran: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def get_huey(settings: dict[str, Any]) -> Huey:
    """Huey on Redis when ``guanxi.redis_url`` is set, else on ``var/jobs.sqlite``."""
    redis_url = settings.get("guanxi.redis_url")
    if redis_url:
        return RedisHuey(HUEY_NAME, url=redis_url)
    var_dir = Path(settings["guanxi.var_dir"])
    var_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(HUEY_NAME, filename=str(var_dir / JOBS_FILE))


def build_worker(registry: Any) -> Huey:
    """The Huey of the app's settings with the every-minute tick and background jobs."""
    huey = get_huey(registry.settings)

    @huey.periodic_task(crontab(minute="*"), name="guanxi.tick")
    def tick() -> None:
        run_tick(registry)

    @huey.task(name="guanxi.background")
    def background(job_id: int) -> None:
        run_background_job(registry, job_id)

    registry[BACKGROUND_TASK] = background
    return huey


def enqueue_background(registry: Any, job_id: int) -> None:
    """Put background job ``job_id`` on the Huey queue (``guanxi worker`` runs it)."""
    if BACKGROUND_TASK not in registry:
        build_worker(registry)
    registry[BACKGROUND_TASK](job_id)


def claim(session: Session, job: PeriodicJob, now: dt.datetime) -> bool:
    """Mark ``job`` as started at ``now`` if its interval has passed; False if not due.

    The conditional UPDATE makes the claim atomic between concurrent workers.
    """
    if session.get(JobRun, job.name) is None:
        try:
            with session.begin_nested():
                session.add(JobRun(name=job.name, last_started_at=now))
            return True
        except IntegrityError:
            pass  # another worker created it first; fall through to the update
    due_before = now - dt.timedelta(minutes=job.every_minutes)
    result = session.execute(
        update(JobRun)
        .where(
            JobRun.name == job.name,
            or_(JobRun.last_started_at.is_(None), JobRun.last_started_at <= due_before),
        )
        .values(last_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(session: Session, name: str, error: str | None) -> None:
    session.execute(
        update(JobRun)
        .where(JobRun.name == name)
        .values(last_finished_at=utcnow(), last_error=error)
        .execution_options(synchronize_session=False)
    )


def job_settings(session: Session) -> dict[str, Any]:
    """The application settings, for a job running with ``session`` (time zone, base URL …)."""
    return session.info.get("settings") or {}


def run_job(
    factory: Any, job: PeriodicJob, now: dt.datetime, settings: dict[str, Any] | None = None
) -> bool | None:
    """Run ``job`` if it is due: True when it ran, False when it failed, None when not due.

    The job's session carries ``settings`` (read them with :func:`job_settings`).
    A failure rolls back the job's own work only; it is logged and recorded on
    its ``job_runs`` row, and the job runs again after its interval.
    """
    with session_scope(factory, JOB_ACTOR) as session:
        if not claim(session, job, now):
            return None
    try:
        with session_scope(factory, JOB_ACTOR) as session:
            session.info["settings"] = settings or {}
            job.run(session)
            _finish(session, job.name, None)
    except Exception as exc:
        log.exception("periodic job %s failed", job.name)
        with session_scope(factory, JOB_ACTOR) as session:
            _finish(session, job.name, f"{type(exc).__name__}: {exc}"[:2000])
        return False
    return True


def run_tick(registry: Any) -> TickReport:
    """Send the outbox, restart stalled background jobs, run the due periodic jobs."""
    factory = registry["dbsession_factory"]
    settings = registry.settings
    report = TickReport(recovered=recover_all(registry))
    with session_scope(factory, JOB_ACTOR) as session:
        report.mail_sent = send_pending(
            session, settings.get("guanxi.smtp_url", ""), default_sender(settings)
        )
    modules = registry["modules"]
    with session_scope(factory, JOB_ACTOR) as session:
        enabled = modules.enabled_names(session, fresh=True)
    now = utcnow().replace(second=0, microsecond=0)
    for jobs in modules.hooks(enabled).guanxi_periodic_jobs():
        for job in jobs:
            outcome = run_job(factory, job, now, settings)
            if outcome is True:
                report.ran.append(job.name)
            elif outcome is False:
                report.failed.append(job.name)
    return report
