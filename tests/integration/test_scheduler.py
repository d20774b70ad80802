"""The scheduler: the lease lock, one leader among services and processes, schedule jobs
and their ticks (both backends)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from formwork.automation import scheduler
from formwork.automation.scheduler import (
    SchedulerService,
    acquire_lock,
    fire_schedule,
    raise_schedule_tick,
    release_lock,
    schedule_trigger,
    scheduled_minute,
    sync_schedule_jobs,
)
from formwork.models import Automation, Event, SchedulerLock, Workspace
from formwork.services import workspaces
from tests.conftest import Factory

TTL = timedelta(seconds=30)
T0 = datetime(2026, 11, 15, 8, 0, 0, tzinfo=UTC)
WAIT_DOC: list[dict[str, Any]] = [{"id": "a1", "type": "wait", "minutes": 1}]
FIXED_JOBS = {"sweep", "sync_schedules", "date_scans", "task_reminders", "mailer"}


def schedule_doc(cron: str) -> dict[str, Any]:
    return {"version": 1, "trigger": {"type": "schedule", "cron": cron}, "actions": WAIT_DOC}


def wait_until(
    predicate: Callable[[], object],
    timeout: float = 15.0,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``predicate`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s\n{explain()}")
        time.sleep(0.05)


@pytest.fixture
def sessions(app: Flask) -> Iterator[sessionmaker[Session]]:
    """The app's sessions; the job store's table is emptied afterwards (not in the models)."""
    yield app.extensions["formwork.sessionmaker"]
    engine = app.extensions["formwork.engine"]
    if inspect(engine).has_table("scheduler_jobs"):
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM scheduler_jobs"))


@pytest.fixture
def callees(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Stand-ins for the runner, task reminders, mailer and executors the jobs call."""
    calls: dict[str, list[Any]] = {"sweep": [], "reminders": [], "mailer": [], "wake": []}
    fakes: dict[tuple[str, str], Callable[..., Any]] = {
        ("formwork.automation.runner", "sweep"): lambda app: calls["sweep"].append(app),
        ("formwork.services.tasks", "send_due_reminders"): (
            lambda session, now: calls["reminders"].append(now) or 0
        ),
        ("formwork.services.mailer", "send_queued"): (
            lambda factory, config, limit=100: calls["mailer"].append(limit) or 0
        ),
        ("formwork.automation.executors", "wake"): lambda app: calls["wake"].append(app),
    }
    monkeypatch.setattr(scheduler, "_optional", lambda module, name: fakes[module, name])
    return calls


def make_workspace(factory: Factory, app: Flask, zone: str = "UTC") -> int:
    owner = factory.user()
    with app.app_context():
        from formwork import db

        session = db.session()
        return workspaces.create_workspace(session, session.merge(owner), "Acme", timezone=zone).id


def add_automation(
    sessions: sessionmaker[Session],
    workspace_id: int,
    document: dict[str, Any],
    *,
    enabled: bool = True,
) -> int:
    with sessions() as session:
        automation = Automation(
            workspace_id=workspace_id,
            name="Every minute",
            document=document,
            enabled=enabled,
            trigger_type=document["trigger"]["type"],
        )
        session.add(automation)
        session.commit()
        return automation.id


def events_of(sessions: sessionmaker[Session], automation_id: int) -> list[Event]:
    with sessions() as session:
        return list(
            session.scalars(
                select(Event).where(Event.automation_id == automation_id).order_by(Event.id)
            )
        )


def lock_owner(sessions: sessionmaker[Session]) -> str | None:
    with sessions() as session:
        return session.scalar(select(SchedulerLock.owner).where(SchedulerLock.name == "scheduler"))


# -- the lease ---------------------------------------------------------------------------


def test_lock_is_held_by_one_owner_and_renewal_keeps_it(sessions: sessionmaker[Session]) -> None:
    """Test: the first owner takes the lease, a second is refused, renewals extend it."""
    assert acquire_lock(sessions, "scheduler", "a", TTL, T0)
    assert not acquire_lock(sessions, "scheduler", "b", TTL, T0 + timedelta(seconds=1))
    assert acquire_lock(sessions, "scheduler", "a", TTL, T0 + timedelta(seconds=10))
    with sessions() as session:
        lock = session.get_one(SchedulerLock, "scheduler")
        assert lock.owner == "a"
        assert lock.acquired_at == T0
        assert lock.expires_at == T0 + timedelta(seconds=10) + TTL


def test_expired_lock_is_taken_over_and_old_owner_cannot_renew(
    sessions: sessionmaker[Session],
) -> None:
    """Test: after expiry another owner takes the lease; the old owner's renewal fails."""
    assert acquire_lock(sessions, "scheduler", "a", TTL, T0)
    later = T0 + TTL + timedelta(seconds=1)
    assert acquire_lock(sessions, "scheduler", "b", TTL, later)
    assert not acquire_lock(sessions, "scheduler", "a", TTL, later + timedelta(seconds=1))
    with sessions() as session:
        lock = session.get_one(SchedulerLock, "scheduler")
        assert (lock.owner, lock.acquired_at) == ("b", later)


def test_lock_is_released_only_by_its_owner(sessions: sessionmaker[Session]) -> None:
    """Test: a stranger's release does nothing; the owner's release frees the lease."""
    assert acquire_lock(sessions, "scheduler", "a", TTL, T0)
    assert not release_lock(sessions, "scheduler", "b")
    assert not acquire_lock(sessions, "scheduler", "b", TTL, T0)
    assert release_lock(sessions, "scheduler", "a")
    assert acquire_lock(sessions, "scheduler", "b", TTL, T0)


def test_racing_owners_get_exactly_one_lock(sessions: sessionmaker[Session]) -> None:
    """Test: owners racing for a free lease at the same instant: exactly one wins."""
    results: dict[str, bool] = {}
    barrier = threading.Barrier(6)

    def contend(owner: str) -> None:
        barrier.wait()
        results[owner] = acquire_lock(sessions, "race", owner, TTL, T0)

    threads = [threading.Thread(target=contend, args=(f"o{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [False] * 5 + [True]


# -- schedule ticks ----------------------------------------------------------------------


def test_same_scheduled_minute_raises_one_event(
    app: Flask, factory: Factory, sessions: sessionmaker[Session], callees: dict[str, list[Any]]
) -> None:
    """Test: a tick fired twice for the same minute stores one event; the next minute another."""
    workspace_id = make_workspace(factory, app)
    automation_id = add_automation(sessions, workspace_id, schedule_doc("* * * * *"))
    assert raise_schedule_tick(app, automation_id, T0 + timedelta(seconds=1))
    assert raise_schedule_tick(app, automation_id, T0 + timedelta(seconds=40))
    [event] = events_of(sessions, automation_id)
    assert (event.type, event.workspace_id, event.source) == ("schedule", workspace_id, "scheduler")
    assert event.payload == {"fired_at": "2026-11-15T08:00:00Z"}
    assert event.dedupe_key == f"schedule:{automation_id}:2026-11-15T08:00:00Z"
    assert raise_schedule_tick(app, automation_id, T0 + timedelta(minutes=1, seconds=2))
    assert [e.payload["fired_at"] for e in events_of(sessions, automation_id)] == [
        "2026-11-15T08:00:00Z",
        "2026-11-15T08:01:00Z",
    ]
    assert len(callees["wake"]) == 3


def test_fire_schedule_job_twice_yields_one_event(
    app: Flask,
    factory: Factory,
    sessions: sessionmaker[Session],
    callees: dict[str, list[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Test: the pickled job function, run twice for one tick (two schedulers), dedupes."""
    workspace_id = make_workspace(factory, app)
    automation_id = add_automation(sessions, workspace_id, schedule_doc("*/5 * * * *"))
    monkeypatch.setattr(scheduler, "_active", scheduler._Active(app, BackgroundScheduler()))
    monkeypatch.setattr(scheduler, "utcnow", lambda: T0 + timedelta(seconds=3))
    fire_schedule(automation_id)
    monkeypatch.setattr(scheduler, "utcnow", lambda: T0 + timedelta(seconds=50))
    fire_schedule(automation_id)
    [event] = events_of(sessions, automation_id)
    assert event.dedupe_key == f"schedule:{automation_id}:2026-11-15T08:00:00Z"


def test_tick_uses_workspace_zone_and_late_runs_keep_their_minute(
    app: Flask, factory: Factory, sessions: sessionmaker[Session], callees: dict[str, list[Any]]
) -> None:
    """Test: "0 9 * * *" in Asia/Shanghai is 01:00 UTC, also when the job runs minutes late."""
    workspace_id = make_workspace(factory, app, "Asia/Shanghai")
    automation_id = add_automation(sessions, workspace_id, schedule_doc("0 9 * * *"))
    assert raise_schedule_tick(app, automation_id, datetime(2026, 11, 15, 1, 3, 30, tzinfo=UTC))
    [event] = events_of(sessions, automation_id)
    assert event.payload == {"fired_at": "2026-11-15T01:00:00Z"}


def test_disabled_or_other_automations_raise_no_tick(
    app: Flask, factory: Factory, sessions: sessionmaker[Session], callees: dict[str, list[Any]]
) -> None:
    """Test: a disabled, missing or non-schedule automation's job raises nothing."""
    workspace_id = make_workspace(factory, app)
    disabled = add_automation(sessions, workspace_id, schedule_doc("* * * * *"), enabled=False)
    manual = add_automation(
        sessions,
        workspace_id,
        {"version": 1, "trigger": {"type": "manual", "form": "x"}, "actions": WAIT_DOC},
    )
    assert not raise_schedule_tick(app, disabled, T0)
    assert not raise_schedule_tick(app, manual, T0)
    assert not raise_schedule_tick(app, 987654, T0)
    assert events_of(sessions, disabled) == events_of(sessions, manual) == []
    assert callees["wake"] == []


def test_scheduled_minute_is_the_latest_fire_time_within_grace() -> None:
    """Test: a coalesced or late job stands for the latest due fire time, in UTC."""
    trigger = schedule_trigger(schedule_doc("*/15 * * * *"), "Asia/Kolkata")
    assert scheduled_minute(trigger, datetime(2026, 11, 15, 8, 2, 59, tzinfo=UTC)) == datetime(
        2026, 11, 15, 8, 0, tzinfo=UTC
    )
    # Nothing due within the grace time: the current minute.
    hourly = schedule_trigger(schedule_doc("0 * * * *"), "UTC")
    assert scheduled_minute(hourly, datetime(2026, 11, 15, 8, 30, 5, tzinfo=UTC)) == datetime(
        2026, 11, 15, 8, 30, tzinfo=UTC
    )


# -- schedule jobs in the job store ------------------------------------------------------


def test_sync_adds_reschedules_and_removes_schedule_jobs(
    app: Flask, factory: Factory, sessions: sessionmaker[Session]
) -> None:
    """Test: jobs follow enabled schedules: zone, cron changes, disabling, broken crons."""
    workspace_id = make_workspace(factory, app, "Asia/Shanghai")
    kept = add_automation(sessions, workspace_id, schedule_doc("0 9 * * *"))
    dropped = add_automation(sessions, workspace_id, schedule_doc("*/5 * * * *"))
    broken = add_automation(sessions, workspace_id, schedule_doc("61 * * * *"))
    add_automation(sessions, workspace_id, schedule_doc("* * * * *"), enabled=False)
    store = SQLAlchemyJobStore(engine=app.extensions["formwork.engine"], tablename="scheduler_jobs")
    runner = BackgroundScheduler(jobstores={"default": store}, timezone=UTC)
    runner.start(paused=True)
    try:
        sync_schedule_jobs(app, runner)
        jobs = {job.id: job for job in runner.get_jobs()}
        assert set(jobs) == {f"automation:{kept}", f"automation:{dropped}"}
        job = jobs[f"automation:{kept}"]
        assert job.func_ref == "formwork.automation.scheduler:fire_schedule"
        assert job.args == (kept,)
        assert str(job.trigger.timezone) == "Asia/Shanghai"
        assert job.next_run_time.astimezone(UTC).hour == 1  # 09:00 in Shanghai
        assert broken not in {j.args[0] for j in jobs.values()}

        with sessions() as session:
            session.execute(
                update(Automation)
                .where(Automation.id == kept)
                .values(document=schedule_doc("30 18 * * *"))
            )
            session.execute(
                update(Automation).where(Automation.id == dropped).values(enabled=False)
            )
            session.commit()
        sync_schedule_jobs(app, runner)
        jobs = {job.id: job for job in runner.get_jobs()}
        assert set(jobs) == {f"automation:{kept}"}
        moved = jobs[f"automation:{kept}"].next_run_time.astimezone(UTC)
        assert (moved.hour, moved.minute) == (10, 30)

        with sessions() as session:
            session.execute(
                update(Workspace).where(Workspace.id == workspace_id).values(timezone="UTC")
            )
            session.commit()
        sync_schedule_jobs(app, runner)
        [job] = runner.get_jobs()
        assert (job.next_run_time.astimezone(UTC).hour, str(job.trigger.timezone)) == (18, "UTC")
    finally:
        runner.shutdown(wait=False)


# -- one leader among services ------------------------------------------------------------


def test_one_service_leads_the_other_idles_and_takes_over(
    make_app: Callable[..., Flask],
    callees: dict[str, list[Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Test: two services on one database: one runs the jobs, the other waits for the lease."""
    app = make_app(SCHEDULER_LEASE_SECONDS=1.5, SWEEP_SECONDS=0.2)
    sessions: sessionmaker[Session] = app.extensions["formwork.sessionmaker"]
    caplog.set_level("INFO", logger="formwork.scheduler")
    first = SchedulerService(app, owner="first")
    second = SchedulerService(app, owner="second")
    try:
        first.start()
        wait_until(lambda: first.is_leader)
        second.start()
        wait_until(lambda: "scheduler idle" in caplog.text)
        wait_until(lambda: len(callees["sweep"]) >= 2 and callees["mailer"])
        assert not second.is_leader
        assert lock_owner(sessions) == "first"
        assert first.scheduler is not None
        assert {job.id for job in first.scheduler.get_jobs()} >= FIXED_JOBS
        sweep = first.scheduler.get_job("sweep")
        assert sweep.func_ref == "formwork.automation.scheduler:run_sweep"
        assert callees["sweep"][0] is app

        first.stop()
        assert lock_owner(sessions) != "first"
        wait_until(lambda: second.is_leader)
        assert lock_owner(sessions) == "second"

        # Someone else took the lease: the leader stops its jobs at the next renewal.
        with sessions() as session:
            session.execute(
                update(SchedulerLock).values(
                    owner="thief", expires_at=datetime.now(UTC) + timedelta(hours=1)
                )
            )
            session.commit()
        jobs = second.scheduler
        assert jobs is not None and jobs.running
        wait_until(lambda: not second.is_leader, timeout=5)
        assert "second lost the lock" in caplog.text
        assert not jobs.running  # no job runs without the lease
    finally:
        first.stop()
        second.stop()
        engine = app.extensions["formwork.engine"]
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM scheduler_jobs"))
    assert lock_owner(sessions) == "thief"  # a stopping service releases only its own lease


# -- one leader among processes ----------------------------------------------------------

PROCESS_SCRIPT = """
import json, logging, sys

logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                    format="%(asctime)s %(name)s %(levelname)s %(message)s")
logging.getLogger("formwork.scheduler").setLevel(logging.DEBUG)

from formwork import create_app
from formwork.automation import scheduler
from formwork.automation.scheduler import run_forever

app = create_app(json.loads(sys.argv[1]))
log = logging.getLogger("fake")
# The runner, reminders, mailer and executors are other modules' business: stand-ins.
fakes = {
    ("formwork.automation.runner", "sweep"): lambda app: log.info("fake sweep"),
    ("formwork.services.tasks", "send_due_reminders"): lambda session, now: 0,
    ("formwork.services.mailer", "send_queued"): lambda factory, config, limit=100: 0,
    ("formwork.automation.executors", "wake"): lambda app: None,
}
scheduler._optional = lambda module, name: fakes[module, name]
run_forever(app)
"""


def test_two_processes_elect_one_leader_and_survive_a_killed_leader(
    app: Flask, factory: Factory, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Test: of two scheduler processes one leads (syncs schedules, sweeps), the other idles;
    SIGKILL on the leader hands the lease over; SIGTERM stops cleanly and releases it."""
    workspace_id = make_workspace(factory, app)
    automation_id = add_automation(sessions, workspace_id, schedule_doc("* * * * *"))
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "SECRET_KEY": "x" * 40,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SCHEDULER_LEASE_SECONDS": 3,
        "SWEEP_SECONDS": 0.5,
        "EXECUTOR": "inline",
    }
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for log in logs:
            with log.open("wb") as handle:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-c", PROCESS_SCRIPT, json.dumps(config)],
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                        cwd=tmp_path,
                    )
                )
        by_pid = {process.pid: (process, log) for process, log in zip(processes, logs, strict=True)}

        def explain() -> str:
            return "\n".join(f"--- {log.name}\n{log.read_text()[-4000:]}" for log in logs)

        def leader_pid() -> int | None:
            owner = lock_owner(sessions)
            return int(owner.split(":")[-2]) if owner else None

        wait_until(lambda: leader_pid() in by_pid, 20, explain)
        leader, leader_log = by_pid[leader_pid()]  # type: ignore[index]
        [(follower, follower_log)] = [v for pid, v in by_pid.items() if pid != leader.pid]

        wait_until(lambda: "scheduler idle" in follower_log.read_text(), 20, explain)
        wait_until(lambda: leader_log.read_text().count("fake sweep") >= 2, 15, explain)
        wait_until(
            lambda: stored_job_ids(app) >= {f"automation:{automation_id}", "sweep"}, 15, explain
        )
        assert "is the leader" in leader_log.read_text()
        assert "is the leader" not in follower_log.read_text()
        assert "fake sweep" not in follower_log.read_text()

        leader.send_signal(signal.SIGKILL)
        leader.wait(timeout=10)
        wait_until(lambda: leader_pid() == follower.pid, 15, explain)
        wait_until(lambda: "fake sweep" in follower_log.read_text(), 15, explain)
        assert "is the leader" in follower_log.read_text()
        assert f"automation:{automation_id}" in stored_job_ids(app)

        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=15) == 0, follower_log.read_text()
        assert lock_owner(sessions) is None
        assert "stopped and released the lock" in follower_log.read_text()
    finally:
        for process in processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


def stored_job_ids(app: Flask) -> set[str]:
    engine = app.extensions["formwork.engine"]
    if not inspect(engine).has_table("scheduler_jobs"):
        return set()
    with engine.connect() as connection:
        return set(connection.scalars(text("SELECT id FROM scheduler_jobs")))
