"""Automations: events dispatched per second, runs executed per second on the threads
executor and on Celery (Redis broker), and the latency from a record save to its
follow-up task existing.

The reference is the same rows written by hand in the same run: for every run, the
task, the step and the run's final state inserted with ``executemany`` — the floor any
executor pays. Runs on SQLite (a temporary file) by default, and on a throw-away
PostgreSQL database with ``--postgres``. ``--full`` uses 10,000 runs instead of 2,000.

    python bench/automations.py [--full] [--postgres] [--no-celery]
"""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from sqlalchemy import create_engine, func, insert, select, text

from formwork import create_app, db
from formwork.automation.runner import drain_events
from formwork.db import utcnow
from formwork.migrate import upgrade
from formwork.models import Automation, Form, Run, Step, Task
from formwork.services import accounts, apps, publishing, records, workspaces
from formwork.services.scope import actor_for

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
REDIS = "redis://127.0.0.1:6379/12"

CUSTOMERS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-order": ["name"],
    "properties": {"name": {"type": "string", "title": "Name", "x-field": "text"}},
    "required": ["name"],
    "additionalProperties": False,
}
FOLLOW_UP: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "record_created", "form": "customers"},
    "actions": [
        {
            "id": "follow_up",
            "type": "create_task",
            "title": "Call {{ record.name }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 3},
        }
    ],
}


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"formwork_bench_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Setup:
    def __init__(self, url: str, folder: str, **config: Any) -> None:
        self.app: Flask = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench-" + "x" * 40,
                "INSTANCE_PATH": folder,
                **config,
            }
        )
        upgrade(self.app)
        with self.app.app_context():
            session = db.session()
            user = accounts.create_user(
                session,
                email="bench@example.com",
                name="Bench",
                password="bench-Passw0rd",
                min_password_length=10,
            )
            workspace = workspaces.create_workspace(session, user, "Bench")
            self.actor = actor_for(session, user, workspace.id)
            app_id = apps.create_app(session, self.actor, "CRM").id
            form = apps.create_form(session, self.actor, app_id, "Customers")
            form.key = "customers"
            session.commit()
            publishing.save_draft(session, self.actor, form, dict(CUSTOMERS), form.draft_revision)
            publishing.publish(session, self.actor, form, form.draft_revision)
            self.form_id = form.id
            session.add(
                Automation(
                    workspace_id=workspace.id,
                    name="Follow up",
                    document=FOLLOW_UP,
                    enabled=True,
                    trigger_type="record_created",
                    form_id=form.id,
                    run_as_id=user.id,
                    created_by_id=user.id,
                )
            )
            session.commit()

    def create(self, count: int, prefix: str) -> None:
        with self.app.app_context():
            session = db.session()
            form = session.get(Form, self.form_id)
            assert form is not None
            actor = actor_for(session, session.merge(self.actor.user), self.actor.workspace_id)
            records.bulk_create(
                session, actor, form, [{"name": f"{prefix}{n}"} for n in range(count)]
            )

    def succeeded(self) -> int:
        with self.app.app_context(), db.engine().connect() as connection:
            return int(
                connection.scalar(
                    select(func.count()).select_from(Run).where(Run.status == "succeeded")
                )
                or 0
            )


def wait_until(condition: Any, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("runs did not finish")
        time.sleep(0.01)


def bench_threads(url: str, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        setup = Setup(url, folder, EXECUTOR="threads", EXECUTOR_THREADS=THREADS)
        executor = setup.app.extensions["formwork.executor"]
        # Let events pile up first, to time the dispatcher on its own.
        real_wake = executor.wake
        executor.wake = lambda: None
        setup.create(runs, "D")
        started = time.perf_counter()
        with setup.app.app_context():
            pending = drain_events(setup.app)
        dispatch_s = time.perf_counter() - started
        assert len(pending) == runs
        started = time.perf_counter()
        executor.submit(pending)
        wait_until(lambda: setup.succeeded() == runs)
        execute_s = time.perf_counter() - started
        executor.wake = real_wake
        latencies = latency(setup, 200)
        executor.stop()
        raw_s = raw_reference(setup, runs)
        return {
            "dispatch_per_s": runs / dispatch_s,
            "runs_per_s": runs / execute_s,
            "raw_rows_per_s": runs / raw_s,
            "p50_ms": statistics.median(latencies),
            "p99_ms": statistics.quantiles(latencies, n=100)[98],
        }


def latency(setup: Setup, count: int) -> list[float]:
    """Save one record at a time; time until its follow-up task is in the database."""
    samples: list[float] = []
    with setup.app.app_context():
        session = db.session()
        form = session.get(Form, setup.form_id)
        assert form is not None
        actor = actor_for(session, session.merge(setup.actor.user), setup.actor.workspace_id)
        probe = db.engine()
        for n in range(count):
            started = time.perf_counter()
            record = records.create_record(session, actor, form, {"name": f"L{n}"}, source="json")
            while True:
                with probe.connect() as connection:
                    found = connection.scalar(select(Task.id).where(Task.record_id == record.id))
                if found is not None:
                    break
                time.sleep(0.0005)
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.005)
    return samples


def raw_reference(setup: Setup, runs: int) -> float:
    """The rows a run leaves behind, written directly: tasks, steps, run updates."""
    with setup.app.app_context():
        engine = db.engine()
        with engine.begin() as connection:
            run_ids = list(connection.scalars(select(Run.id).limit(runs)))
        now = utcnow()
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(
                insert(Task),
                [
                    {
                        "workspace_id": setup.actor.workspace_id,
                        "title": f"Raw {n}",
                        "notes": "",
                        "assignee_id": setup.actor.user_id,
                        "due_at": now + timedelta(days=3),
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(runs)
                ],
            )
            connection.execute(
                insert(Step),
                [
                    {
                        "workspace_id": setup.actor.workspace_id,
                        "run_id": run_id,
                        "position": 1,
                        "action_id": "raw",
                        "action_type": "create_task",
                        "status": "succeeded",
                        "input": {"title": "Raw"},
                        "output": {"task_id": 0},
                        "attempts": 1,
                        "started_at": now,
                        "finished_at": now,
                    }
                    for run_id in run_ids
                ],
            )
        return time.perf_counter() - started


def bench_celery(url: str, runs: int) -> dict[str, float] | None:
    host, port = "127.0.0.1", 6379
    try:
        socket.create_connection((host, port), 1).close()
    except OSError:
        return None
    with tempfile.TemporaryDirectory() as folder:
        queue = f"formwork-bench-{os.getpid()}"
        setup = Setup(url, folder, EXECUTOR="celery", CELERY_BROKER_URL=REDIS, CELERY_QUEUE=queue)
        env = {
            **os.environ,
            "FORMWORK_DATABASE_URL": url,
            "FORMWORK_SECRET_KEY": "bench-" + "x" * 40,
            "FORMWORK_INSTANCE_PATH": folder,
            "FORMWORK_EXECUTOR": "celery",
            "FORMWORK_CELERY_BROKER_URL": REDIS,
            "FORMWORK_CELERY_QUEUE": queue,
        }
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "formwork.cli",
                "worker",
                "--concurrency=4",
                "--loglevel=WARNING",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            setup.create(10, "W")  # warm the worker up
            wait_until(lambda: setup.succeeded() == 10, timeout=60)
            started = time.perf_counter()
            setup.create(runs, "C")
            wait_until(lambda: setup.succeeded() == runs + 10)
            total_s = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(30)
        return {"runs_per_s": runs / total_s}


def main(argv: list[str]) -> None:
    runs = 10_000 if "--full" in argv else 2_000
    backends = ["sqlite"] + (["postgresql"] if "--postgres" in argv else [])
    summary: dict[str, float] = {}
    print(f"{runs:,} runs of a one-step automation (create a follow-up task)\n")
    print(
        "| database | executor | dispatch events/s | runs/s | raw rows/s (ratio) | "
        "save→task p50 | p99 |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        with database(backend) as url:
            threads = bench_threads(url, runs)
            ratio = threads["runs_per_s"] / threads["raw_rows_per_s"]
            print(
                f"| {backend} | threads (4) | {threads['dispatch_per_s']:,.0f} | "
                f"{threads['runs_per_s']:,.0f} | {threads['raw_rows_per_s']:,.0f} "
                f"({ratio:.3f}) | {threads['p50_ms']:.1f} ms | {threads['p99_ms']:.1f} ms |"
            )
            if backend == "sqlite":
                summary.update(
                    dispatch_events_per_s=threads["dispatch_per_s"],
                    threads_runs_per_s=threads["runs_per_s"],
                    latency_p50_ms=threads["p50_ms"],
                    latency_p99_ms=threads["p99_ms"],
                    ratio_vs_raw=ratio,
                )
        if "--no-celery" in argv:
            continue
        with database(backend) as url:
            celery = bench_celery(url, runs)
            if celery is None:
                print(f"| {backend} | celery | Redis not running | | | | |")
                continue
            print(
                f"| {backend} | celery (Redis, 4 threads) | (in the worker) | "
                f"{celery['runs_per_s']:,.0f} incl. dispatch | | | |"
            )
            if backend == "sqlite":
                summary["celery_runs_per_s"] = celery["runs_per_s"]
    print()
    print("bench automations: " + " ".join(f"{k}={v:.3g}" for k, v in summary.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
