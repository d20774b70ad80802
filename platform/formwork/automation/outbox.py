"""The transactional outbox: events are written in the transaction of the change itself.

Nothing here commits. A record service calls :func:`emit` before its own commit, so the
change and its event are stored together or not at all. After the commit, the session's
``after_commit`` hook wakes the dispatcher (see :mod:`formwork.automation.executors`).

When an automation's action makes a change, the runner puts an :class:`Origin` in
``session.info`` first; events emitted then carry the run's depth + 1 and its id, which is
how chains are depth-limited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from formwork.db import dialect_insert
from formwork.models import Event

ORIGIN_KEY = "formwork.automation.origin"
OPT_OUT_KEY = "formwork.automation.opt_out"
PENDING_KEY = "formwork.automation.pending_events"


@dataclass(frozen=True)
class Origin:
    """The automation run whose action is changing data in this session."""

    run_id: int
    depth: int


def set_origin(session: Session, origin: Origin | None) -> None:
    if origin is None:
        session.info.pop(ORIGIN_KEY, None)
    else:
        session.info[ORIGIN_KEY] = origin


def emit(
    session: Session,
    *,
    workspace_id: int,
    type: str,
    form_id: int | None = None,
    record_id: int | None = None,
    automation_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    actor_id: int | None = None,
    source: str = "ui",
    dedupe_key: str | None = None,
    fire: bool = True,
) -> None:
    """Add one event to the session's transaction (see :func:`emit_many`)."""
    emit_many(
        session,
        [
            {
                "workspace_id": workspace_id,
                "type": type,
                "form_id": form_id,
                "record_id": record_id,
                "automation_id": automation_id,
                "payload": dict(payload or {}),
                "actor_id": actor_id,
                "source": source,
                "dedupe_key": dedupe_key,
                "fire": fire,
            }
        ],
    )


def emit_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert events in one statement, inside the caller's transaction.

    Rows with a ``dedupe_key`` already stored for the workspace are skipped (schedule
    ticks, date scans and back-fills are idempotent). The session's origin, if any, sets
    ``depth`` and ``caused_by_run_id``; an import's opt-out (``session.info[OPT_OUT_KEY]``)
    stores the events with ``fire=False``.
    """
    if not rows:
        return
    origin: Origin | None = session.info.get(ORIGIN_KEY)
    opted_out = bool(session.info.get(OPT_OUT_KEY))
    values = [
        {
            "form_id": None,
            "record_id": None,
            "automation_id": None,
            "payload": {},
            "actor_id": None,
            "source": "ui",
            "dedupe_key": None,
            "fire": True,
            **row,
            "depth": origin.depth + 1 if origin else 0,
            "caused_by_run_id": origin.run_id if origin else None,
        }
        for row in rows
    ]
    for value in values:
        if opted_out:
            value["fire"] = False
        if origin is not None:
            value["source"] = "automation"
    deduped = any(value["dedupe_key"] for value in values)
    if not deduped:
        session.execute(insert(Event), values)
    else:
        session.execute(
            dialect_insert(session, Event).on_conflict_do_nothing(
                index_elements=["workspace_id", "dedupe_key"]
            ),
            values,
        )
    if any(value["fire"] for value in values):
        session.info[PENDING_KEY] = True
