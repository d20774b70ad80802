"""The same automation work on each real executor: threads, and Celery on Redis and on
RabbitMQ (the brokers running on this machine)."""

from __future__ import annotations

import gc
import logging
import os
import socket
import weakref
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from formwork import db
from formwork.models import Step, Task
from formwork.services import records
from tests.integration.automation_fixtures import (
    Crm,
    add_automation,
    make_crm,
    runs_by_status,
    wait_for,
)

BROKERS = {
    "celery-redis": "redis://127.0.0.1:6379/14",
    "celery-rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}

FOLLOW_UP_THEN_NOTE: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "record_created", "form": "customers"},
    "actions": [
        {
            "id": "follow_up",
            "type": "create_task",
            "title": "Welcome {{ record.name }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 2, "at": "09:00"},
        },
        {
            "id": "note",
            "type": "update_record",
            "values": {"vip_note": "task {{ steps.follow_up.task_id }}"},
        },
    ],
}


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), 1):
            return True
    except OSError:
        return False


@pytest.fixture(params=["threads", "celery-redis", "celery-rabbitmq"])
def crm(
    request: pytest.FixtureRequest, make_app: Callable[..., Flask], factory: Any
) -> Iterator[Crm]:
    kind = request.param
    if kind == "threads":
        app = make_app(EXECUTOR="threads", EXECUTOR_THREADS=4)
    else:
        broker = BROKERS[kind]
        if not _reachable(broker):
            pytest.skip(f"broker not running at {broker}")
        app = make_app(
            EXECUTOR="celery", CELERY_BROKER_URL=broker, CELERY_QUEUE=f"formwork-test-{os.getpid()}"
        )
    factory.app = app
    crm = make_crm(app, factory)
    executor = app.extensions["formwork.executor"]
    if kind == "threads":
        yield crm
        executor.stop()
        return
    from celery.contrib.testing.worker import start_worker

    from formwork.automation.celery_app import celery_for

    celery = celery_for(app)
    # Keep pytest's log capture: a worker would otherwise reconfigure the root logger.
    celery.conf.worker_hijack_root_logger = False
    root_level = logging.getLogger().level
    try:
        # A loaded CI machine can take more than celery's default 10 s to stop the
        # worker's threads and broker connection; that is teardown, not the behaviour
        # under test.
        with start_worker(
            celery, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=60
        ):
            yield crm
    finally:
        logging.getLogger().setLevel(root_level)  # start_worker leaves it at ERROR


def test_every_created_record_gets_its_run_and_each_step_once(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        automation = add_automation(session, actor, FOLLOW_UP_THEN_NOTE)
        records.bulk_create(session, actor, crm.customers, [{"name": f"C{n}"} for n in range(40)])
        wait_for(lambda: runs_by_status(session, automation.id) == {"succeeded": 40}, timeout=60)
        assert session.scalar(select(func.count()).select_from(Task)) == 40
        steps = session.scalars(select(Step)).all()
        assert len(steps) == 80
        assert {step.status for step in steps} == {"succeeded"}
        assert {step.attempts for step in steps} == {1}


def test_an_app_nobody_holds_is_freed_with_its_commit_hook(
    database_url: str, tmp_path: Any
) -> None:
    """The executor's after-commit hook sits in SQLAlchemy's listener registry for the
    app's sessionmaker: it must not keep the app alive (the test suite makes thousands
    of apps; a process that makes apps must not grow without end)."""
    from formwork import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-freed-app",
            "EXECUTOR": "inline",
        }
    )
    with app.app_context():
        session = db.session()
        session.execute(select(func.count()).select_from(Task))
        session.commit()  # the hook runs
    app.extensions["formwork.engine"].dispose()
    gone = weakref.ref(app)
    del app, session
    gc.collect()
    assert gone() is None
