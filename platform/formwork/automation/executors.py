"""Executors behind one port (``workflow_engine.ports.Executor``): where runs execute.

- ``inline``: in the thread that committed the change (tests: deterministic).
- ``threads``: a dispatcher thread and a pool of worker threads in this process (the
  default; started on first use, so ``formwork serve`` and gunicorn workers both work).
- ``celery``: tasks on a broker (RabbitMQ or Redis) run by ``formwork worker``
  processes; a task carries only a run id — the database stays the source of truth.

A session that wrote events wakes the executor after its commit (never before: a
dispatcher must not look for events that are not visible yet).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from formwork.automation.outbox import PENDING_KEY

log = logging.getLogger(__name__)

SUBMIT_KEY = "formwork.automation.submit"
POLL_SECONDS = 2.0


def worker_name(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class InlineExecutor:
    """Runs everything at once, in the calling thread; re-entrant calls queue up."""

    name = "inline"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.worker = worker_name("inline")
        self._local = threading.local()

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    def submit(self, run_ids: Sequence[int]) -> None:
        queue: list[int] | None = getattr(self._local, "queue", None)
        if queue is not None:  # already draining in this thread: do it in that loop
            queue.extend(run_ids)
            return
        self._drain(list(run_ids), dispatch=False)

    def wake(self) -> None:
        queue: list[int] | None = getattr(self._local, "queue", None)
        if queue is not None:
            self._local.again = True
            return
        self._drain([], dispatch=True)

    def _drain(self, runs: list[int], *, dispatch: bool) -> None:
        from formwork.automation.runner import drain_events, execute_run

        self._local.queue = runs
        self._local.again = dispatch
        try:
            while runs or self._local.again:
                if self._local.again:
                    self._local.again = False
                    runs.extend(drain_events(self.app))
                while runs:
                    execute_run(self.app, runs.pop(0), worker=self.worker)
        finally:
            self._local.queue = None


class ThreadsExecutor:
    """A dispatcher thread (woken after commits, polling as a fallback) feeding a pool."""

    name = "threads"

    def __init__(self, app: Flask, *, threads: int) -> None:
        self.app = app
        self.threads = max(1, threads)
        self.worker = worker_name("threads")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._dispatcher: threading.Thread | None = None
        self._queued: set[int] = set()

    def start(self) -> None:
        with self._lock:
            if self._pool is not None:
                return
            self._stop.clear()
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="formwork-run")
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop, name="formwork-dispatcher", daemon=True
            )
            self._dispatcher.start()
            log.info("automation executor: %d threads", self.threads)

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        self._stop.set()
        self._wake.set()
        if self._dispatcher is not None:
            self._dispatcher.join(timeout=10)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, run_ids: Sequence[int]) -> None:
        self.start()
        pool = self._pool
        if pool is None:
            return
        for run_id in run_ids:
            with self._lock:
                if run_id in self._queued:
                    continue
                self._queued.add(run_id)
            pool.submit(self._run, run_id)

    def wake(self) -> None:
        self.start()
        self._wake.set()

    def _run(self, run_id: int) -> None:
        from formwork.automation.runner import execute_run

        try:
            execute_run(self.app, run_id, worker=self.worker)
        except Exception:
            log.exception("run %s crashed the worker thread", run_id)
        finally:
            with self._lock:
                self._queued.discard(run_id)

    def _dispatch_loop(self) -> None:
        from formwork.automation.runner import drain_events

        while not self._stop.is_set():
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                with self.app.app_context():
                    runs = drain_events(self.app)
                if runs:
                    self.submit(runs)
            except Exception:
                log.exception("dispatching automation events failed; retrying")


class CeleryExecutor:
    """Sends run ids to Celery workers (``formwork worker``) through the broker."""

    name = "celery"

    def __init__(self, app: Flask) -> None:
        self.app = app

    def start(self) -> None:
        """Workers are separate processes."""

    def stop(self) -> None:
        """Workers are separate processes."""

    def submit(self, run_ids: Sequence[int]) -> None:
        from formwork.automation.celery_app import EXECUTE_TASK, celery_for

        celery = celery_for(self.app)
        for run_id in run_ids:
            celery.send_task(EXECUTE_TASK, args=[run_id])

    def wake(self) -> None:
        from formwork.automation.celery_app import DISPATCH_TASK, celery_for

        celery_for(self.app).send_task(DISPATCH_TASK)


Executor = InlineExecutor | ThreadsExecutor | CeleryExecutor


def init_app(app: Flask) -> None:
    kind = app.config["EXECUTOR"]
    executor: Executor
    if kind == "inline":
        executor = InlineExecutor(app)
    elif kind == "threads":
        executor = ThreadsExecutor(app, threads=int(app.config["EXECUTOR_THREADS"]))
    elif kind == "celery":
        if not app.config.get("CELERY_BROKER_URL"):
            raise RuntimeError("FORMWORK_EXECUTOR=celery needs FORMWORK_CELERY_BROKER_URL")
        executor = CeleryExecutor(app)
    else:
        raise RuntimeError(f"unknown FORMWORK_EXECUTOR {kind!r}: use threads, celery or inline")
    app.extensions["formwork.executor"] = executor
    factory = app.extensions["formwork.sessionmaker"]
    event.listen(factory, "after_commit", _after_commit(executor))


def _after_commit(executor: Executor) -> Any:
    # SQLAlchemy keeps listeners in a registry keyed weakly by the sessionmaker's class
    # but holding the listener strongly; a listener holding the executor (and so the app,
    # its sessionmaker and that class) would keep every app ever made alive. A weak
    # reference lets an app go when nothing else holds it (tests make thousands).
    executor_ref = weakref.ref(executor)

    def hook(session: Session) -> None:
        executor = executor_ref()
        if executor is None:
            return
        wake = session.info.pop(PENDING_KEY, False)
        runs = session.info.pop(SUBMIT_KEY, None)
        try:
            if runs:
                executor.submit(runs)
            if wake:
                executor.wake()
        except Exception:
            # The events are committed; the sweep will pick them up.
            log.exception("could not hand automation work to the %s executor", executor.name)

    return hook


def executor_for(app: Flask) -> Executor:
    return app.extensions["formwork.executor"]  # type: ignore[no-any-return]


def wake(app: Flask) -> None:
    executor_for(app).wake()


def submit_after_commit(session: Session, run_ids: list[int]) -> None:
    """Hand ``run_ids`` to the executor once this session's transaction commits."""
    session.info.setdefault(SUBMIT_KEY, []).extend(run_ids)
