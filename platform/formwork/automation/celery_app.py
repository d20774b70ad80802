"""Celery for the ``celery`` executor: two tasks, both taking ids only.

``formwork.dispatch`` turns pending events into runs and queues them;
``formwork.execute_run`` runs one. Both are idempotent — the database decides (a run is
claimed with a lease; a run already claimed or finished is left alone) — so the broker's
at-least-once delivery and ``acks_late`` redelivery after a crashed worker are safe.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from flask import Flask

EXECUTE_TASK = "formwork.execute_run"
DISPATCH_TASK = "formwork.dispatch"


def celery_for(app: Flask) -> Celery:
    """The app's Celery instance (one per Flask app), with the two tasks registered."""
    existing: Celery | None = app.extensions.get("formwork.celery")
    if existing is not None:
        return existing
    celery = Celery("formwork", broker=app.config["CELERY_BROKER_URL"])
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=4,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        task_default_queue=app.config["CELERY_QUEUE"],
    )

    @celery.task(name=EXECUTE_TASK, shared=False)  # type: ignore[untyped-decorator]
    def execute(run_id: int) -> Any:
        from formwork.automation.executors import worker_name
        from formwork.automation.runner import execute_run

        return execute_run(app, int(run_id), worker=_worker(app, worker_name))

    @celery.task(name=DISPATCH_TASK, shared=False)  # type: ignore[untyped-decorator]
    def dispatch() -> int:
        from formwork.automation.runner import drain_events

        with app.app_context():
            runs = drain_events(app)
        for run_id in runs:
            celery.send_task(EXECUTE_TASK, args=[run_id])
        return len(runs)

    app.extensions["formwork.celery"] = celery
    return celery


def _worker(app: Flask, make: Any) -> str:
    name: str | None = app.extensions.get("formwork.celery_worker")
    if name is None:
        name = make("celery")
        app.extensions["formwork.celery_worker"] = name
    return name
