"""The runner: executes a run's steps one at a time, each result stored.

A run is *claimed* with a lease (``worker``, ``lease_until``). Each step is one short
transaction that starts by renewing the lease — a write, so SQLite takes its write lock
up front and the step never deadlocks upgrading a read — and ends by committing the
action's effect, the step's result and the run's progress together: a crash leaves all
of it or none of it, and the step simply runs again. Webhooks are the exception (they
leave the database): the step is committed as *running* before the call and its result
recorded after, and a retry sends the same ``Idempotency-Key``. A step that fails is
retried with backoff (``RetryPolicy``) and then fails the run, with the error kept.

``sweep`` is the safety net the scheduler runs every few seconds: it dispatches events
nobody picked up and hands out runs that are due (a retry's time came, a wait is over)
or orphaned (their worker died and the lease ran out).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from formwork.automation import actions
from formwork.automation.actions import ActionFailed
from formwork.automation.context import ChoiceLabels, build_context, text_locale, text_readers
from formwork.automation.dispatcher import dispatch_pending
from formwork.automation.outbox import Origin, set_origin
from formwork.db import begin_write, utcnow
from formwork.models import Automation, Event, Membership, Record, Run, Step, Workspace
from formwork.services.errors import Conflict, PlatformError
from formwork.services.scope import Actor
from workflow_engine.actions import TEXT_ACTIONS, PlannedAction, plan_action
from workflow_engine.documents import Action, parse_automation
from workflow_engine.documents import Automation as ParsedAutomation
from workflow_engine.errors import WorkflowError
from workflow_engine.runs import RetryPolicy, idempotency_key
from workflow_engine.templating import Display

log = logging.getLogger(__name__)

POLICY = RetryPolicy()
CLAIMABLE = ("pending", "retrying", "waiting")


def execute_run(app: Flask, run_id: int, *, worker: str) -> str | None:
    """Claim ``run_id`` and run its steps until it finishes, waits, retries later or is
    taken over; returns the run's status then (None when it could not be claimed)."""
    factory = _factory(app)
    lease = timedelta(seconds=int(app.config["RUN_LEASE_SECONDS"]))
    # One name per claim, not per process: two threads of one worker must never both
    # believe they hold the same run (one of them would have outlived its lease).
    worker = f"{worker}:{uuid.uuid4().hex[:8]}"
    with app.app_context():
        first = True
        while True:
            outcome = _next_step(factory, run_id, worker, lease, claim=first)
            if outcome == "unclaimed":
                return None
            if outcome != "continue":
                return outcome
            first = False


def sweep(app: Flask) -> list[int]:
    """Dispatch stray events and hand due or orphaned runs to the executor."""
    from formwork.automation.executors import executor_for

    factory = _factory(app)
    with app.app_context():
        created = drain_events(app)
        now = utcnow()
        with factory() as session:
            due = list(
                session.scalars(
                    select(Run.id)
                    .where(
                        or_(
                            and_(
                                Run.status.in_(CLAIMABLE),
                                or_(Run.not_before.is_(None), Run.not_before <= now),
                            ),
                            and_(Run.status == "running", Run.lease_until < now),
                        )
                    )
                    .order_by(Run.id)
                    .limit(1000)
                )
            )
    runs = sorted(set(created) | set(due))
    if runs:
        executor_for(app).submit(runs)
    return runs


def drain_events(app: Flask) -> list[int]:
    """Dispatch every pending event; returns the new pending runs."""
    factory = _factory(app)
    created: list[int] = []
    if not _has_pending(factory):  # a read: no write lock taken when there is nothing
        return created
    while True:
        batch = dispatch_pending(factory)
        created.extend(batch)
        if not batch and not _has_pending(factory):
            return created


def _has_pending(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return (
            session.scalar(select(Event.id).where(Event.dispatched_at.is_(None)).limit(1))
            is not None
        )


def _factory(app: Flask) -> sessionmaker[Session]:
    return app.extensions["formwork.sessionmaker"]  # type: ignore[no-any-return]


_serial_locks: dict[int, threading.Lock] = {}
_serial_guard = threading.Lock()


class _NoLock:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None


def _serial_writes(factory: sessionmaker[Session]) -> threading.Lock | _NoLock:
    """On SQLite, the runner threads of one process take turns writing.

    SQLite has one writer; threads that wait for it in SQLite's busy handler sleep in
    steps of up to 100 ms, so four threads did less than one. Queueing on a Python lock
    hands the database over at once. PostgreSQL writes concurrently: no lock.
    """
    engine = factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        return _NoLock()
    with _serial_guard:
        return _serial_locks.setdefault(id(engine), threading.Lock())


# Built once: constructing these expressions costs more than running them. (Parameter
# names must differ from column names in an UPDATE's SET clause.)
_CLAIM = (
    update(Run)
    .where(
        Run.id == bindparam("p_run_id"),
        or_(
            and_(
                Run.status.in_(CLAIMABLE),
                or_(Run.not_before.is_(None), Run.not_before <= bindparam("p_now")),
            ),
            and_(Run.status == "running", Run.lease_until < bindparam("p_now")),
        ),
    )
    .values(
        status="running",
        worker=bindparam("p_worker"),
        not_before=None,
        started_at=func.coalesce(Run.started_at, bindparam("p_now")),
        lease_until=bindparam("p_lease_until"),
    )
    .execution_options(synchronize_session=False)
)
_RENEW = (
    update(Run)
    .where(
        Run.id == bindparam("p_run_id"),
        Run.worker == bindparam("p_worker"),
        Run.status == "running",
    )
    .values(lease_until=bindparam("p_lease_until"))
    .execution_options(synchronize_session=False)
)
# A run with everything a step needs: its event, automation, workspace, the member it
# acts as, the step it is at (if tried before) and its record.
_LOAD = (
    select(Run, Event, Automation, Workspace, Membership, Step, Record)
    .join(Event, Event.id == Run.event_id)
    .join(Automation, Automation.id == Run.automation_id)
    .join(Workspace, Workspace.id == Run.workspace_id)
    .outerjoin(
        Membership,
        and_(
            Membership.workspace_id == Run.workspace_id,
            Membership.user_id == Automation.run_as_id,
        ),
    )
    .outerjoin(Step, and_(Step.run_id == Run.id, Step.position == Run.next_step))
    .outerjoin(Record, Record.id == Run.record_id)
    .options(joinedload(Membership.user))
    .where(Run.id == bindparam("p_run_id"))
)


def _take(
    session: Session, run_id: int, worker: str, lease: timedelta, now: datetime, *, claim: bool
) -> bool:
    """Claim the run (first step) or renew our lease on it (later steps).

    Either way the statement is a write, so on SQLite the step's transaction holds the
    write lock from its first statement and never has to upgrade a read lock.
    """
    params: dict[str, Any] = {"p_run_id": run_id, "p_worker": worker, "p_lease_until": now + lease}
    if claim:
        params["p_now"] = now
    result = session.execute(_CLAIM if claim else _RENEW, params)
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _next_step(
    factory: sessionmaker[Session], run_id: int, worker: str, lease: timedelta, *, claim: bool
) -> str:
    """One step in one transaction: take the run, act, store the result (and finish the
    run when that was its last step)."""
    now = utcnow()
    serial = _serial_writes(factory)
    with serial, factory() as session:
        begin_write(session)
        if not _take(session, run_id, worker, lease, now, claim=claim):
            session.rollback()
            return "unclaimed" if claim else "lost"
        # The run with everything a step needs, in one query.
        run, event, _automation, workspace, membership, step, record = session.execute(
            _LOAD, {"p_run_id": run_id}
        ).one()
        parsed = _parsed(run)
        if parsed is None or run.next_step >= len(parsed.actions):
            _finish(run, "succeeded" if parsed else "failed", now)
            if parsed is None:
                run.reason = "The automation document could not be read."
            session.commit()
            return run.status
        position = run.next_step
        action = parsed.actions[position]
        if step is None:
            step = Step(
                workspace_id=run.workspace_id,
                run_id=run.id,
                position=position,
                action_id=action.id,
                action_type=action.type,
                attempts=0,
            )
            session.add(step)
        attempt = step.attempts + 1
        key = idempotency_key(run.id, position)
        planned: PlannedAction | None = None
        try:
            actor = _actor(membership, workspace)
            call = _prepare(session, actor, run, event, workspace, record, parsed, now, key)
            planned = plan_action(
                action, call.context, now=call.local_now, display=_text_display(call, action)
            )
            call.planned = planned
            call.config = action.config
            step.input = planned.inputs
            step.attempts = attempt
            step.started_at = step.started_at or now
            step.status = "running"
            if action.type == "wait":
                return _wait(session, run, step, planned, now)
            if action.type == "webhook":
                # Leaves the database: record the attempt first, call outside any
                # transaction, record the result in a new one.
                allow_private = workspace.allow_private_webhooks
                session.commit()
                session.close()
                serial.release()
                try:
                    output = actions.call_webhook(call, allow_private=allow_private)
                finally:
                    serial.acquire()
                return _succeed_later(factory, run_id, position, worker, output, lease)
            set_origin(session, Origin(run_id=run.id, depth=run.depth))
            try:
                output = actions.HANDLERS[action.type](call)
            finally:
                set_origin(session, None)
            step.status = "succeeded"
            step.output = output
            step.error = None
            step.finished_at = utcnow()
            run.next_step = position + 1
            if run.next_step >= len(parsed.actions):
                _finish(run, "succeeded", step.finished_at)
            session.commit()
            return run.status if run.status != "running" else "continue"
        except Exception as exc:
            session.rollback()
            if not isinstance(exc, PlatformError | WorkflowError):
                if isinstance(exc, OperationalError):
                    log.warning("run %s step %s: database error %s", run_id, position, exc)
                else:
                    log.exception("run %s step %s failed unexpectedly", run_id, position)
            return _fail(
                factory,
                run_id,
                position,
                action.id,
                action.type,
                attempt,
                exc,
                planned,
                worker,
                lease=lease,
                claim=claim,
            )


class Call:
    """What an action handler gets: the session, who acts, the run and its record."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        run: Run,
        record: Record | None,
        event: Event,
        context: dict[str, Any],
        local_now: datetime,
        key: str,
    ) -> None:
        self.session = session
        self.actor = actor
        self.run = run
        self.record = record
        self.event = event
        self.context = context
        self.local_now = local_now
        self.key = key
        self.planned: PlannedAction = PlannedAction(type="", inputs={})
        # The action's stored configuration (the webhook secret is read from here, never
        # from the rendered inputs, which the run log shows).
        self.config: Mapping[str, Any] = {}
        # How choice values read in the step's texts (option labels); lazy, so steps
        # without texts never load a schema.
        form_id = record.form_id if record is not None else None
        self.labels = ChoiceLabels(session, run.workspace_id, form_id, context["trigger"])


def _text_display(call: Call, action: Action) -> Display | None:
    """Option labels for the action's texts, in the language of who reads them (one
    reader's, or the one all readers share; else English). Data keeps stored values."""
    if action.type not in TEXT_ACTIONS:
        return None
    readers = text_readers(
        call.session,
        call.run.workspace_id,
        action.type,
        action.config,
        call.record,
        call.event.actor_id or call.actor.user_id,
    )
    return call.labels.display(text_locale(call.session, readers))


def _prepare(
    session: Session,
    actor: Actor,
    run: Run,
    event: Event,
    workspace: Workspace,
    record: Record | None,
    parsed: ParsedAutomation,
    now: datetime,
    key: str,
) -> Call:
    if record is not None and record.deleted_at is not None and event.type != "deleted":
        raise ActionFailed(_l("The record was deleted before this step ran."))
    earlier = (
        {
            step.action_id: step.output
            for step in session.scalars(
                select(Step).where(Step.run_id == run.id, Step.status == "succeeded")
            )
        }
        if run.next_step > 0
        else {}
    )
    payload = event.payload or {}
    trigger = {
        "type": event.type,
        "field": parsed.trigger.field,
        "changed": payload.get("changed") or [],
        **{k: v for k, v in payload.items() if k not in {"before", "after", "changed"}},
    }
    if parsed.trigger.field and payload.get("after") is not None:
        trigger["from"] = (payload.get("before") or {}).get(parsed.trigger.field)
        trigger["to"] = payload["after"].get(parsed.trigger.field)
    local_now = now.astimezone(workspace.zone)
    context = build_context(
        session, record, trigger=trigger, now=now, workspace=workspace, steps=earlier
    )
    return Call(session, actor, run, record, event, context, local_now, key)


def _actor(membership: Membership | None, workspace: Workspace) -> Actor:
    if membership is None:
        raise ActionFailed(
            _l(
                "The person this automation acts for is no longer a member of the "
                "workspace; an admin must save the automation again."
            )
        )
    return Actor(user=membership.user, workspace=workspace, role=membership.role)


def _wait(session: Session, run: Run, step: Step, planned: PlannedAction, now: datetime) -> str:
    until = now + timedelta(seconds=int(planned.inputs.get("seconds", 0)))
    step.status = "succeeded"
    step.output = {"until": until.isoformat()}
    step.finished_at = now
    run.next_step = step.position + 1
    run.status = "waiting"
    run.not_before = until
    run.lease_until = None
    session.commit()
    return "waiting"


def _succeed_later(
    factory: sessionmaker[Session],
    run_id: int,
    position: int,
    worker: str,
    output: dict[str, Any],
    lease: timedelta,
) -> str:
    now = utcnow()
    with factory() as session:
        begin_write(session)
        if not _take(session, run_id, worker, lease, now, claim=False):
            log.warning("run %s: lost its lease during a webhook call", run_id)
            session.rollback()
            return "lost"
        run = session.get(Run, run_id)
        step = session.scalar(select(Step).where(Step.run_id == run_id, Step.position == position))
        assert run is not None and step is not None
        step.status = "succeeded"
        step.output = output
        step.error = None
        step.finished_at = now
        run.next_step = position + 1
        session.commit()
        return "continue"  # the next transaction finishes the run if this was the last


def _fail(
    factory: sessionmaker[Session],
    run_id: int,
    position: int,
    action_id: str,
    action_type: str,
    attempt: int,
    exc: BaseException,
    planned: PlannedAction | None,
    worker: str,
    *,
    lease: timedelta,
    claim: bool,
) -> str:
    now = utcnow()
    retryable = _retryable(exc)
    messages = error_messages(exc)
    with factory() as session:
        begin_write(session)
        # The failed step's transaction was rolled back, the claim with it: take it again.
        if not _take(session, run_id, worker, lease, now, claim=claim):
            session.rollback()
            return "lost"
        run = session.get(Run, run_id)
        assert run is not None
        step = session.scalar(select(Step).where(Step.run_id == run_id, Step.position == position))
        if step is None:
            step = Step(
                workspace_id=run.workspace_id,
                run_id=run_id,
                position=position,
                action_id=action_id,
                action_type=action_type,
            )
            session.add(step)
        step.attempts = attempt
        step.status = "failed"
        step.error = messages["en"]
        step.output = {"error_i18n": messages}
        if planned is not None:
            step.input = planned.inputs
        step.started_at = step.started_at or now
        step.finished_at = now
        run.lease_until = None
        if POLICY.should_retry(attempt, retryable=retryable):
            run.status = "retrying"
            run.not_before = now + timedelta(seconds=POLICY.delay(attempt))
            run.reason = messages["en"]
        else:
            _finish(run, "failed", now)
            run.reason = messages["en"]
        session.commit()
        return run.status


def _finish(run: Run, status: str, now: datetime) -> None:
    run.status = status
    run.finished_at = now
    run.lease_until = None
    run.not_before = None


def _retryable(exc: BaseException) -> bool:
    flag = getattr(exc, "retryable", None)
    if flag is not None:
        return bool(flag)
    if isinstance(exc, PlatformError | WorkflowError):
        # Invalid values, missing records, refused addresses: the same input fails again;
        # a concurrent edit (a conflict) passes once the other save is done.
        return isinstance(exc, Conflict)
    return True  # database hiccups, bugs fixed by a deploy: try again later


def error_messages(exc: BaseException) -> dict[str, str]:
    """The error in English and Chinese, for the run log."""
    result: dict[str, str] = {}
    for locale in ("en", "zh-CN"):
        result[locale] = _message(exc, locale)
    return result


def _message(exc: BaseException, locale: str) -> str:
    message_in: Callable[[str], str] | None = getattr(exc, "message_in", None)
    if message_in is not None:
        try:
            return str(message_in(locale))
        except Exception:
            log.debug("no %s message for %r", locale, exc)
    with force_locale(locale.replace("-", "_")):
        text = str(getattr(exc, "message", None) or exc) or type(exc).__name__
        details = getattr(exc, "errors", None)
        if details:
            text += " " + "; ".join(
                f"{'/'.join(map(str, getattr(e, 'path', ()))) or '-'}: "
                f"{e.message(locale) if hasattr(e, 'message') else e}"
                for e in details
            )
    return text


def _parsed(run: Run) -> ParsedAutomation | None:
    try:
        return parse_automation(run.document)
    except WorkflowError:
        return None
