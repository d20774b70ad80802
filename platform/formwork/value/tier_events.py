"""``tier_changed`` events for a batch of ``tier_changes`` rows, written set-based: shared
by tier scheme applies (``tier_apply``) and churn status changes (``churn``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    cast,
    exists,
    false,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from formwork.automation.outbox import OPT_OUT_KEY, ORIGIN_KEY, PENDING_KEY, Origin
from formwork.db import UTCDateTime
from formwork.models import Automation, Event, TierChange

EVENT_TYPE = "tier_changed"


def json_object(dialect: str, *pairs: tuple[str, Any]) -> ColumnElement[Any]:
    args: list[Any] = []
    for name, value in pairs:
        args += [cast(literal(name, String), Text), value]
    if dialect == "postgresql":
        return func.jsonb_build_object(*args)
    return func.json_object(*args)


def emit_tier_events(
    session: Session,
    *,
    workspace_id: int,
    form_id: int,
    scheme_key: str,
    batch: ColumnElement[bool],
    source: str,
    now: datetime,
) -> None:
    """One ``tier_changed`` event per ``tier_changes`` row of ``batch`` (payload
    ``{"scheme", "from", "to"}``), like ``outbox.emit_many`` would write them (origin
    depth, opt-out), in one INSERT … SELECT instead of a row per Python dict. ``source``
    is the events' source unless an automation's run made the change.

    When no enabled automation of the workspace listens to ``tier_changed`` on this form,
    the events are stored already dispatched (as the dispatcher would mark them, see
    ``dispatcher._settle_unwanted``): an apply to a million customers then writes its
    events once instead of writing and then updating each."""
    origin: Origin | None = session.info.get(ORIGIN_KEY)
    fire = not session.info.get(OPT_OUT_KEY)
    listened = fire and session.scalar(
        select(
            exists().where(
                Automation.workspace_id == workspace_id,
                Automation.enabled.is_(True),
                Automation.trigger_type == EVENT_TYPE,
                or_(Automation.form_id.is_(None), Automation.form_id == form_id),
            )
        )
    )
    dialect = session.get_bind().dialect.name
    payload = json_object(
        dialect,
        ("scheme", cast(literal(scheme_key, String), Text)),
        ("from", TierChange.from_tier),
        ("to", TierChange.to_tier),
    )
    session.execute(
        insert(Event).from_select(
            [
                "workspace_id",
                "type",
                "form_id",
                "record_id",
                "payload",
                "actor_id",
                "source",
                "depth",
                "caused_by_run_id",
                "fire",
                "created_at",
                "dispatched_at",
            ],
            select(
                TierChange.workspace_id,
                literal(EVENT_TYPE, String),
                literal(form_id, Integer),
                TierChange.record_id,
                payload,
                TierChange.actor_id,
                literal("automation" if origin else source, String),
                literal(origin.depth + 1 if origin else 0, Integer),
                literal(origin.run_id, Integer) if origin else cast(null(), Integer),
                true() if fire else false(),
                literal(now, UTCDateTime()),
                cast(null(), UTCDateTime()) if listened else literal(now, UTCDateTime()),
            ).where(batch),
        )
    )
    if listened:
        session.info[PENDING_KEY] = True
