"""SIGKILL a Celery worker in the middle of runs, start a new one: every run finishes
exactly once, no step is lost, no e-mail is queued twice, and every webhook delivery
reaches the receiver under one stable Idempotency-Key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from formwork import db
from formwork.automation import runner
from formwork.models import EmailMessage, Run, Step, Task, Workspace
from formwork.services import records
from tests.integration.automation_fixtures import add_automation, make_crm, runs_by_status

BROKER = "redis://127.0.0.1:6379/13"
RUNS = 40
CONCURRENCY = 4


class Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ReceiverHandler)
        self.keys: list[str] = []
        self.lock = threading.Lock()


class ReceiverHandler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.server.lock:
            self.server.keys.append(self.headers.get("Idempotency-Key", ""))
        time.sleep(0.05)  # a receiver that takes a moment, like a real one
        try:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker was killed while waiting for this answer

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "formwork.cli", "worker", f"--concurrency={CONCURRENCY}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_killing_the_worker_mid_run_loses_and_repeats_nothing(
    make_app: Callable[..., Flask],
    factory: Any,
    database_url: str,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    queue = f"formwork-crash-{os.getpid()}"
    settings = {
        "EXECUTOR": "celery",
        "CELERY_BROKER_URL": BROKER,
        "CELERY_QUEUE": queue,
        "RUN_LEASE_SECONDS": 10,
    }
    app = make_app(**settings)
    factory.app = app
    crm = make_crm(app, factory)
    env = {
        **os.environ,
        "FORMWORK_DATABASE_URL": database_url,
        "FORMWORK_SECRET_KEY": "crash-test-" + "x" * 32,
        "FORMWORK_INSTANCE_PATH": str(tmp_path / "worker"),
        "FORMWORK_EXECUTOR": "celery",
        "FORMWORK_CELERY_BROKER_URL": BROKER,
        "FORMWORK_CELERY_QUEUE": queue,
        "FORMWORK_RUN_LEASE_SECONDS": "10",
    }
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "mail",
                "type": "notify",
                "to": {"kind": "owner"},
                "title": "New customer {{ record.name }}",
                "email": True,
            },
            {"id": "hook", "type": "webhook", "url": f"http://127.0.0.1:{receiver.server_port}/"},
            {
                "id": "task",
                "type": "create_task",
                "title": "Call {{ record.name }}",
                "assignee": {"kind": "owner"},
                "due": {"days": 1},
            },
        ],
    }
    log = tmp_path / "worker.log"
    worker = _start_worker(env, log)
    try:
        with app.app_context():
            session = db.session()
            actor = crm.actor(session)
            workspace = session.get(Workspace, crm.workspace.id)
            assert workspace is not None
            workspace.allow_private_webhooks = True  # the receiver is on 127.0.0.1
            session.commit()
            automation = add_automation(session, actor, document)
            records.bulk_create(
                session, actor, crm.customers, [{"name": f"C{n}"} for n in range(RUNS)]
            )
            _until(lambda: len(receiver.keys) >= 10, worker, log)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            delivered_before_kill = len(receiver.keys)
            assert delivered_before_kill < RUNS, "the worker finished before it was killed"

            worker = _start_worker(env, log)

            def finished() -> bool:
                runner.sweep(app)  # what the scheduler does every few seconds
                return runs_by_status(session, automation.id) == {"succeeded": RUNS}

            _until(finished, worker, log, every=1.0)

            assert session.scalar(select(func.count()).select_from(Task)) == RUNS
            assert session.scalar(select(func.count()).select_from(EmailMessage)) == RUNS
            steps = session.scalars(select(Step)).all()
            assert len(steps) == 3 * RUNS
            assert {step.status for step in steps} == {"succeeded"}
            run_ids = set(session.scalars(select(Run.id)))
            expected = {f"run-{run_id}-step-1" for run_id in run_ids}
            assert set(receiver.keys) == expected
            # Only a delivery in flight when the worker died may arrive twice, and then
            # under the same key, so the receiver can drop it.
            repeats = len(receiver.keys) - len(set(receiver.keys))
            assert repeats <= CONCURRENCY
    finally:
        worker.kill()
        worker.wait(10)


def _until(
    condition: Callable[[], bool],
    worker: subprocess.Popen[bytes],
    log: Path,
    *,
    timeout: float = 90.0,
    every: float = 0.05,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.poll() is not None:
            raise AssertionError(f"worker exited: {log.read_text()[-3000:]}")
        time.sleep(every)
    raise AssertionError(f"timed out; worker log: {log.read_text()[-3000:]}")
