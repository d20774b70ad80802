"""The scheduler: one leader at a time runs APScheduler 3 over a job store in the database.

APScheduler 3 supports one scheduler per job store (DESIGN §5). Every web worker or
``formwork scheduler`` process may run a :class:`SchedulerService`; each tries to take the
lease row ``scheduler_locks["scheduler"]``. The holder starts a ``BackgroundScheduler`` on
the ``scheduler_jobs`` table and renews the lease every third of its TTL; the others stay
idle and retry. A leader that fails to renew (someone took an expired lease) stops its
scheduler at once. Scheduled events carry dedupe keys, so even an overlap during a
hand-over cannot raise a tick twice.

Jobs are pickled into the job store, so they are module-level functions named by
"module:function" with JSON-able arguments; they reach the running app through a
process-local registry that the leading service fills in.
"""

from __future__ import annotations

import importlib
import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from formwork.automation import date_scans
from formwork.automation.outbox import emit
from formwork.db import dialect_insert, utcnow, write_sessions
from formwork.migrate import SCHEDULER_JOBS_TABLE
from formwork.models import Automation, SchedulerLock, Workspace
from formwork.models.workspaces import zone_named
from workflow_engine.cron import parse_cron
from workflow_engine.errors import WorkflowError

logger = logging.getLogger("formwork.scheduler")

LOCK_NAME = "scheduler"
MISFIRE_GRACE_SECONDS = 300
SCHEDULE_TRIGGER = "schedule"
JOB_PREFIX = "automation:"
_MODULE = __name__

SessionFactory = Callable[[], Session]


# -- the lease ---------------------------------------------------------------------------


def default_owner() -> str:
    """This process's lock owner id: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()[:150]}:{os.getpid()}:{secrets.token_hex(4)}"


def acquire_lock(
    session_factory: SessionFactory, name: str, owner: str, ttl: timedelta, now: datetime
) -> bool:
    """Take or renew the lease ``name`` for ``owner`` until ``now + ttl``; True if held.

    Atomic on SQLite and PostgreSQL: the row is inserted when absent (a conflict is
    ignored), then one conditional UPDATE claims it if it is ours or expired. Clocks of
    competing hosts must agree to well within ``ttl``.
    """
    values = {"name": name, "owner": owner, "acquired_at": now, "expires_at": now + ttl}
    with session_factory() as session, session.begin():
        insert = dialect_insert(session, SchedulerLock)
        session.execute(insert.values(values).on_conflict_do_nothing(index_elements=["name"]))
        result = session.execute(
            update(SchedulerLock)
            .where(
                SchedulerLock.name == name,
                (SchedulerLock.owner == owner) | (SchedulerLock.expires_at < now),
            )
            .values(
                owner=owner,
                # A renewal keeps the time the lease was first taken.
                acquired_at=case(
                    (SchedulerLock.owner == owner, SchedulerLock.acquired_at), else_=now
                ),
                expires_at=now + ttl,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_lock(session_factory: SessionFactory, name: str, owner: str) -> bool:
    """Give the lease up if ``owner`` holds it; True if it did."""
    with session_factory() as session, session.begin():
        result = session.execute(
            delete(SchedulerLock)
            .where(SchedulerLock.name == name, SchedulerLock.owner == owner)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


# -- the service -------------------------------------------------------------------------


class _AppEngineJobStore(SQLAlchemyJobStore):  # type: ignore[misc]
    """The job store on the app's engine; the app owns the engine, so shutdown keeps it."""

    def shutdown(self) -> None:
        pass


@dataclass(frozen=True)
class _Active:
    app: Flask
    scheduler: BackgroundScheduler


# The leading service of this process: jobs find their app here (pickled jobs cannot
# carry it). One per process; a scheduler serves one app.
_active: _Active | None = None
_active_lock = threading.Lock()


class SchedulerService:
    """Competes for the scheduler lease; while leader, runs APScheduler with Formwork's jobs."""

    def __init__(self, app: Flask, *, owner: str | None = None) -> None:
        self.app = app
        self.owner = owner or default_owner()
        self.ttl = timedelta(seconds=float(app.config.get("SCHEDULER_LEASE_SECONDS", 30)))
        self._sessions: sessionmaker[Session] = app.extensions["formwork.sessionmaker"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._renewed_at: datetime | None = None
        self._said_idle = False

    @property
    def is_leader(self) -> bool:
        return self._scheduler is not None

    @property
    def scheduler(self) -> BackgroundScheduler | None:
        """The running APScheduler while this service leads, else None."""
        return self._scheduler

    def start(self) -> None:
        """Start competing for the lease in a daemon thread (returns at once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        # APScheduler logs every run at INFO (a sweep every few seconds); unless someone
        # configured its logger, keep only its warnings and errors.
        runs_log = logging.getLogger("apscheduler.executors.default")
        if runs_log.level == logging.NOTSET:
            runs_log.setLevel(logging.WARNING)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="formwork-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the jobs (waiting for running ones) and release the lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        was_leader = self.is_leader
        self._step_down(wait=True)
        try:
            release_lock(self._sessions, LOCK_NAME, self.owner)
        except Exception:
            logger.exception("scheduler %s could not release the lock", self.owner)
        if was_leader:
            logger.info("scheduler %s stopped and released the lock", self.owner)

    def _loop(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._stop.is_set():
            self._tick()
            self._stop.wait(interval)

    def _tick(self) -> None:
        now = utcnow()
        try:
            held = acquire_lock(self._sessions, LOCK_NAME, self.owner, self.ttl, now)
        except Exception:
            logger.exception("scheduler %s could not reach the lock", self.owner)
            # Keep leading while the lease we hold is surely ours; give up before it ends.
            renewed = self._renewed_at
            if self.is_leader and (renewed is None or now - renewed >= self.ttl * 2 / 3):
                logger.info("scheduler %s stops: its lease is running out", self.owner)
                self._step_down(wait=False)
            return
        if held:
            self._renewed_at = now
            if not self.is_leader:
                self._lead()
            return
        if self.is_leader:
            logger.info("scheduler %s lost the lock to another scheduler", self.owner)
            self._step_down(wait=False)
        if not self._said_idle:
            logger.info("scheduler idle: another scheduler holds the lock")
            self._said_idle = True

    def _lead(self) -> None:
        global _active
        store = _AppEngineJobStore(
            engine=self.app.extensions["formwork.engine"], tablename=SCHEDULER_JOBS_TABLE
        )
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        try:
            # Paused until the jobs are replaced and the schedules synced.
            scheduler.start(paused=True)
            with _active_lock:
                _active = _Active(self.app, scheduler)
            _add_jobs(scheduler, self.app.config)
            sync_schedule_jobs(self.app, scheduler)
            scheduler.resume()
        except Exception:
            logger.exception("scheduler %s could not start its jobs", self.owner)
            self._scheduler = scheduler
            self._step_down(wait=False)
            try:
                release_lock(self._sessions, LOCK_NAME, self.owner)
            except Exception:
                logger.exception("scheduler %s could not release the lock", self.owner)
            return
        self._scheduler = scheduler
        self._said_idle = False
        logger.info("scheduler %s is the leader: jobs started", self.owner)

    def _step_down(self, *, wait: bool) -> None:
        global _active
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        with _active_lock:
            if _active is not None and _active.scheduler is scheduler:
                _active = None
        if not scheduler.running:
            return
        try:
            scheduler.shutdown(wait=wait)
        except Exception:
            logger.exception("scheduler %s did not shut down cleanly", self.owner)


def run_forever(app: Flask) -> None:
    """Run a :class:`SchedulerService` until SIGINT or SIGTERM (for ``formwork scheduler``)."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("scheduler: signal %s received, stopping", signum)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    service = SchedulerService(app)
    try:
        service.start()
        while not stopping.wait(1.0):
            pass
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# -- jobs --------------------------------------------------------------------------------


def _add_jobs(scheduler: BackgroundScheduler, config: Mapping[str, Any]) -> None:
    """The fixed jobs, replacing the stored ones; each runs once right away."""
    now = datetime.now(UTC)
    every = {
        "sweep": ("run_sweep", config.get("SWEEP_SECONDS", 5)),
        "sync_schedules": ("run_sync_schedules", 60),
        "date_scans": ("run_date_scans", config.get("DATE_SCAN_SECONDS", 900)),
        "task_reminders": ("run_task_reminders", 60),
        "mailer": ("run_mailer", config.get("MAILER_SECONDS", 15)),
        # Tier schemes on a crontab (checked each minute) and the nightly customer-value
        # refresh (02:30 in each workspace's zone, checked every five minutes).
        "tier_schedules": ("run_tier_schedules", 60),
        "value_refresh": ("run_value_refresh", config.get("VALUE_REFRESH_SECONDS", 300)),
        "survey_reminders": ("run_survey_reminders", config.get("SURVEY_REMINDER_SECONDS", 300)),
    }
    for job_id, (function, seconds) in every.items():
        scheduler.add_job(
            f"{_MODULE}:{function}",
            trigger=IntervalTrigger(seconds=float(seconds), timezone=UTC),
            id=job_id,
            name=job_id,
            replace_existing=True,
            # sync_schedules already ran (synchronously) when the leader started.
            next_run_time=now + timedelta(seconds=60) if job_id == "sync_schedules" else now,
        )


def _job(name: str, work: Callable[[Flask], object]) -> None:
    active = _active
    if active is None:
        logger.debug("job %s not run: this process does not lead", name)
        return
    logger.debug("job %s firing", name)
    try:
        with active.app.app_context():
            work(active.app)
    except Exception:
        logger.exception("job %s failed", name)


_missing_reported: set[str] = set()


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if that module exists yet; a real import error inside it raises."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
            raise
        found = None
    function = getattr(found, name, None)
    if function is None and f"{module}.{name}" not in _missing_reported:
        _missing_reported.add(f"{module}.{name}")
        logger.info("scheduler: %s.%s is not available; its job does nothing", module, name)
    return function


def run_sweep() -> None:
    def work(app: Flask) -> None:
        sweep = _optional("formwork.automation.runner", "sweep")
        if sweep is not None:
            sweep(app)

    _job("sweep", work)


def run_sync_schedules() -> None:
    def work(app: Flask) -> None:
        active = _active
        if active is not None:
            sync_schedule_jobs(app, active.scheduler)

    _job("sync_schedules", work)


def run_date_scans() -> None:
    _job("date_scans", lambda app: date_scans.scan_due(app, utcnow()))


def run_task_reminders() -> None:
    def work(app: Flask) -> None:
        send = _optional("formwork.services.tasks", "send_due_reminders")
        if send is None:
            return
        with write_sessions(app)() as session:
            send(session, utcnow())
            session.commit()

    _job("task_reminders", work)


def run_survey_reminders() -> None:
    def work(app: Flask) -> None:
        send = _optional("formwork.services.surveys", "send_due_reminders")
        if send is not None:
            with write_sessions(app)() as session:
                send(session, utcnow())

    _job("survey_reminders", work)


def run_mailer() -> None:
    def work(app: Flask) -> None:
        send = _optional("formwork.services.mailer", "send_queued")
        if send is not None:
            send(write_sessions(app), app.config, limit=100)

    _job("mailer", work)


def run_tier_schedules() -> None:
    def work(app: Flask) -> None:
        apply_due = _optional("formwork.value.tiers", "apply_due_schemes")
        if apply_due is None:
            return
        # The session's commits wake the executors for the tier_changed events.
        with write_sessions(app)() as session:
            apply_due(session, utcnow())

    _job("tier_schedules", work)


def run_value_refresh() -> None:
    def work(app: Flask) -> None:
        refresh = _optional("formwork.value.nightly", "refresh_due_workspaces")
        if refresh is None:
            return
        with write_sessions(app)() as session:
            refresh(session, utcnow())

    _job("value_refresh", work)


def fire_schedule(automation_id: int) -> None:
    """The job of one schedule automation: raise its tick (see :func:`raise_schedule_tick`)."""
    _job(f"{JOB_PREFIX}{automation_id}", lambda app: raise_schedule_tick(app, automation_id))


# -- schedule automations ----------------------------------------------------------------


def schedule_trigger(document: Any, zone_name: str | None) -> CronTrigger:
    """The cron trigger of a schedule document in the workspace's zone; ValueError if bad."""
    trigger = document.get("trigger") if isinstance(document, Mapping) else None
    cron = trigger.get("cron") if isinstance(trigger, Mapping) else None
    if not isinstance(cron, str):
        raise ValueError("the schedule trigger has no cron expression")
    try:
        # APScheduler counts weekdays from Monday = 0, crontab from Sunday = 0; the
        # engine's normal form spells weekdays as names, which both read the same way.
        normal = parse_cron(cron)
    except WorkflowError as exc:
        raise ValueError(str(exc)) from exc
    return CronTrigger.from_crontab(normal, timezone=zone_named(zone_name))


def sync_schedule_jobs(app: Flask, scheduler: BackgroundScheduler) -> None:
    """Make the ``automation:<id>`` jobs match the enabled schedule automations."""
    with app.extensions["formwork.sessionmaker"]() as session:
        rows = session.execute(
            select(Automation.id, Automation.document, Workspace.timezone)
            .join(Workspace, Workspace.id == Automation.workspace_id)
            .where(Automation.enabled.is_(True), Automation.trigger_type == SCHEDULE_TRIGGER)
        ).all()
    wanted: dict[str, tuple[int, CronTrigger]] = {}
    for automation_id, document, zone_name in rows:
        try:
            wanted[f"{JOB_PREFIX}{automation_id}"] = (
                automation_id,
                schedule_trigger(document, zone_name),
            )
        except ValueError as exc:
            logger.warning("automation %s has no usable schedule: %s", automation_id, exc)
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    for job_id in existing.keys() - wanted.keys():
        try:
            scheduler.remove_job(job_id)
            logger.info("schedule job %s removed", job_id)
        except JobLookupError:
            pass
    for job_id, (automation_id, trigger) in wanted.items():
        job = existing.get(job_id)
        if job is None:
            scheduler.add_job(
                f"{_MODULE}:fire_schedule",
                trigger=trigger,
                args=[automation_id],
                id=job_id,
                name=job_id,
                replace_existing=True,
            )
            logger.info("schedule job %s added: %r", job_id, trigger)
        elif repr(job.trigger) != repr(trigger):
            scheduler.reschedule_job(job_id, trigger=trigger)
            logger.info("schedule job %s rescheduled: %r", job_id, trigger)


def scheduled_minute(trigger: CronTrigger, now: datetime) -> datetime:
    """The UTC fire time the job running at ``now`` stands for.

    APScheduler does not hand the scheduled time to a job; the latest fire time of the
    trigger within the misfire grace time is it (coalesced jobs run once, for the latest).
    Falls back to ``now``'s minute.
    """
    latest: datetime | None = None
    candidate = trigger.get_next_fire_time(None, now - timedelta(seconds=MISFIRE_GRACE_SECONDS))
    while candidate is not None and candidate <= now:
        latest = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    chosen = latest or now
    return chosen.astimezone(UTC).replace(second=0, microsecond=0)


def raise_schedule_tick(app: Flask, automation_id: int, now: datetime | None = None) -> bool:
    """Emit the ``schedule`` event of the tick due at ``now``; False if nothing to fire.

    The dedupe key names the automation and the scheduled minute (UTC), so firing the
    same tick twice (two schedulers during a hand-over, a retried job) stores one event.
    """
    now = now or utcnow()
    with write_sessions(app)() as session:
        found = session.execute(
            select(Automation, Workspace.timezone)
            .join(Workspace, Workspace.id == Automation.workspace_id)
            .where(Automation.id == automation_id)
        ).first()
        if found is None:
            return False
        automation, zone_name = found
        if not automation.enabled or automation.trigger_type != SCHEDULE_TRIGGER:
            return False
        try:
            trigger = schedule_trigger(automation.document, zone_name)
        except ValueError as exc:
            logger.warning("automation %s has no usable schedule: %s", automation_id, exc)
            return False
        fired_at = scheduled_minute(trigger, now).strftime("%Y-%m-%dT%H:%M:%SZ")
        emit(
            session,
            workspace_id=automation.workspace_id,
            type=SCHEDULE_TRIGGER,
            automation_id=automation.id,
            payload={"fired_at": fired_at},
            source="scheduler",
            dedupe_key=f"schedule:{automation.id}:{fired_at}",
        )
        session.commit()
    _wake(app)
    return True


def _wake(app: Flask) -> None:
    """Tell the executors there is work (the lead's module; absent until it exists)."""
    try:
        wake = _optional("formwork.automation.executors", "wake")
    except ImportError:
        return
    if wake is None:
        return
    try:
        wake(app)
    except Exception:
        logger.exception("waking the executors failed")
