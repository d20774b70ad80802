"""The dispatcher: turns outbox events into runs, at most one per automation and event.

One transaction reads a batch of undispatched events, decides which enabled automations
they trigger (the engine's trigger matching and condition, on the values the event
recorded), inserts the runs and marks the events dispatched. The unique key on
``(automation_id, event_id)`` makes a second dispatcher (another web worker, a Celery
worker, the sweep) harmless: it inserts nothing twice. On PostgreSQL the batch is read
``FOR UPDATE SKIP LOCKED`` so concurrent dispatchers split the work instead of queueing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from formwork.db import begin_write, dialect_insert, utcnow
from formwork.models import Automation, Event, Form, Record, Run, Workspace
from workflow_engine.documents import Automation as ParsedAutomation
from workflow_engine.documents import parse_automation
from workflow_engine.errors import WorkflowError
from workflow_engine.runs import MAX_CHAIN_DEPTH
from workflow_engine.triggers import Event as EngineEvent
from workflow_engine.triggers import condition_holds, trigger_matches

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Events settled set-based per transaction (see ``_settle_unwanted``): bounds how long one
# dispatcher transaction holds SQLite's write lock.
SETTLE_SIZE = 50_000
# Events aimed at one automation (ticks, scans, buttons, back-fills).
TARGETED = frozenset({"schedule", "date_due", "manual", "backfill"})
# Trigger types an event type can concern (to load only those automations).
TRIGGERS_FOR = {
    "created": ("record_created", "field_changed"),
    "updated": ("record_updated", "field_changed"),
    "deleted": ("record_deleted",),
    "restored": (),
    "form_submitted": ("form_submitted",),
    "survey_submitted": ("survey_submitted",),
    "tier_changed": ("tier_changed",),
}


def dispatch_pending(factory: sessionmaker[Session], *, batch: int = BATCH_SIZE) -> list[int]:
    """Dispatch up to ``batch`` events; returns the ids of the runs created (pending)."""
    with factory() as session:
        begin_write(session)
        while _settle_unwanted(session, utcnow()):
            # A slice per transaction: other writers get the lock in between.
            session.commit()
            begin_write(session)
        query = select(Event).where(Event.dispatched_at.is_(None)).order_by(Event.id).limit(batch)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = list(session.scalars(query))
        if not events:
            return []
        now = utcnow()
        rows = _runs_for(session, [e for e in events if e.fire], now)
        run_ids: list[int] = []
        if rows:
            statement = (
                dialect_insert(session, Run)
                .on_conflict_do_nothing(index_elements=["automation_id", "event_id"])
                .returning(Run.id, Run.status)
            )
            for run_id, status in session.execute(statement, rows):
                if status == "pending":
                    run_ids.append(run_id)
        session.execute(
            update(Event)
            .where(Event.id.in_([event.id for event in events]))
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return run_ids


def _settle_unwanted(session: Session, now: datetime) -> int:
    """Mark dispatched, in one statement, up to :data:`SETTLE_SIZE` pending events that
    cannot start a run: stored with ``fire`` off, or of a type no enabled automation of
    their workspace (for their form) listens to. Returns how many.

    The same decision ``_candidates`` makes per event, taken for a whole batch in SQL, so
    a tier apply's or an import's hundred thousand events in a workspace without a
    matching automation cost one UPDATE instead of loading every event into Python.
    Events aimed at one automation (``TARGETED``) always take the per-event path.
    """
    listened = [
        and_(
            Event.type == event_type,
            exists().where(
                Automation.workspace_id == Event.workspace_id,
                Automation.enabled.is_(True),
                Automation.trigger_type.in_(triggers),
                or_(Automation.form_id.is_(None), Automation.form_id == Event.form_id),
            ),
        )
        for event_type, triggers in TRIGGERS_FOR.items()
        if triggers
    ]
    unwanted = or_(
        Event.fire == false(),
        and_(Event.type.not_in(TARGETED), ~or_(*listened)),
    )
    batch = (
        select(Event.id)
        .where(Event.dispatched_at.is_(None), unwanted)
        .order_by(Event.id)
        .limit(SETTLE_SIZE)
    )
    settled = session.execute(
        update(Event)
        .where(Event.id.in_(batch.scalar_subquery()))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return int(settled or 0)


def _runs_for(session: Session, events: list[Event], now: datetime) -> list[dict[str, Any]]:
    if not events:
        return []
    by_workspace: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_workspace[event.workspace_id].append(event)
    rows: list[dict[str, Any]] = []
    for workspace_id, workspace_events in by_workspace.items():
        automations = list(
            session.scalars(
                select(Automation).where(
                    Automation.workspace_id == workspace_id, Automation.enabled.is_(True)
                )
            )
        )
        if not automations:
            continue
        # Parsed once per batch, from the rows just read. (A cache across batches keyed
        # by id and revision served another database's automation with the same key to
        # a process that used two, as the test suite does.)
        parsed_by_id = {automation.id: _parse(automation) for automation in automations}
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        today = now.astimezone(workspace.zone).date()
        form_keys = dict(
            session.execute(
                select(Form.id, Form.key).where(Form.workspace_id == workspace_id)
            ).all()
        )
        current = _current_data(session, workspace_events)
        for event in workspace_events:
            engine_event = _engine_event(event, form_keys, current)
            if event.record_id and engine_event.record is None:
                continue  # a scan or button for a record deleted since
            for automation in _candidates(automations, event):
                parsed = parsed_by_id[automation.id]
                if parsed is None:
                    continue
                if not trigger_matches(parsed.trigger, engine_event):
                    continue
                if not condition_holds(parsed, engine_event, today):
                    continue
                rows.append(_run_row(automation, event, now))
    return rows


def _candidates(automations: Iterable[Automation], event: Event) -> Iterable[Automation]:
    if event.type in TARGETED:
        return [a for a in automations if a.id == event.automation_id]
    wanted = TRIGGERS_FOR.get(event.type, ())
    return [
        a
        for a in automations
        if a.trigger_type in wanted and (a.form_id is None or a.form_id == event.form_id)
    ]


def _run_row(automation: Automation, event: Event, now: datetime) -> dict[str, Any]:
    too_deep = event.depth > MAX_CHAIN_DEPTH
    return {
        "workspace_id": automation.workspace_id,
        "automation_id": automation.id,
        "event_id": event.id,
        "record_id": event.record_id,
        "status": "skipped" if too_deep else "pending",
        "reason": (
            f"Stopped: this change was made by a chain of {event.depth} automation runs "
            f"(the limit is {MAX_CHAIN_DEPTH}); an automation probably triggers itself."
            if too_deep
            else None
        ),
        "depth": event.depth,
        "document": automation.document,
        "automation_revision": automation.revision,
        "next_step": 0,
        "created_at": now,
        "finished_at": now if too_deep else None,
    }


def _parse(automation: Automation) -> ParsedAutomation | None:
    try:
        return parse_automation(automation.document)
    except WorkflowError:
        log.warning("automation %s has an invalid document; skipped", automation.id)
        return None


def _current_data(session: Session, events: list[Event]) -> Mapping[int, dict[str, Any]]:
    """Current values of the records that targeted events (scans, buttons) point at."""
    ids = {e.record_id for e in events if e.record_id and "after" not in (e.payload or {})}
    if not ids:
        return {}
    rows = session.execute(
        select(Record.id, Record.data).where(Record.id.in_(ids), Record.deleted_at.is_(None))
    )
    return {record_id: data for record_id, data in rows}


def _engine_event(
    event: Event, form_keys: Mapping[int, str], current: Mapping[int, dict[str, Any]]
) -> EngineEvent:
    payload = event.payload or {}
    if "after" in payload:
        record = payload.get("after")
    else:
        record = current.get(event.record_id) if event.record_id else None
    extra = {k: v for k, v in payload.items() if k not in {"before", "after", "changed"}}
    return EngineEvent(
        type=event.type,
        form=form_keys.get(event.form_id) if event.form_id else None,
        record=record,
        previous=payload.get("before"),
        changed=frozenset(payload.get("changed") or ()),
        extra=extra,
    )
