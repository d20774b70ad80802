"""Applying a tier scheme, set-based: the CASE of ``tier_sql.Tiering`` decides, and a
handful of statements write the result whatever the number of customers:

1. ``INSERT INTO tier_changes … SELECT`` the customers whose stored tier differs from
   the proposed one (from, to, rule, source, actor) — the batch is the rows after the
   table's highest id, for this scheme;
2. ``UPDATE records … FROM tier_changes`` writes the tier into the record data
   (``json_set`` / ``jsonb_set``), refreshes the search text, and bumps ``version`` and
   ``updated_at`` — only where the stored tier is still the one step 1 saw;
3. ``INSERT … SELECT`` the field-level revisions (action ``tiered``) and one
   ``tier_changed`` event per change (payload ``{"scheme", "from", "to"}``).

Why the version is bumped (unlike computed values, see ``services.computed``): the tier
field is an ordinary input field that edit pages show and post back. A person who opened
the record before the apply and saves after it would otherwise write the old tier back
without noticing; with the bump their save is refused as a conflict and the page shows
the stored and the attempted values side by side, so nothing anyone saved is lost. Edits
committed before the apply are kept: step 2 only sets the one key of the current data.
On PostgreSQL a save committing between steps 1 and 2 changes the stored tier; step 2's
guard then skips that record (its change row is removed), and the next apply sees it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from formwork.db import UTCDateTime, utcnow
from formwork.models import Record, RecordRevision, TierChange, TierScheme
from formwork.services.records import SEARCH_TEXT_MAX
from formwork.value.tier_documents import MAX_KEY, CompiledScheme
from formwork.value.tier_events import emit_tier_events, json_object
from formwork.value.tier_sql import Tiering, direction

REVISION_ACTION = "tiered"
# TierChange.source → Event.source
EVENT_SOURCES = {"apply": "ui", "schedule": "scheduler", "automation": "automation"}


@dataclass
class TierApplyResult:
    """What an apply changed: counts by direction and by (from, to)."""

    changed: int
    up: int
    down: int
    new: int
    moves: dict[tuple[str | None, str], int]
    applied_at: datetime


def apply_tiers(
    session: Session,
    scheme: TierScheme,
    compiled: CompiledScheme,
    *,
    actor_id: int | None,
    source: str,
    today: date,
) -> TierApplyResult:
    """Write the proposed tiers (see the module docstring); the caller commits.

    Records, revisions, history rows and events are written in the caller's transaction,
    so all of it commits together or not at all; the dispatcher is woken after the commit.
    """
    if source not in EVENT_SOURCES:
        raise ValueError(f"unknown tier change source {source!r}")
    session.flush()
    _serialize(session, scheme)
    now = utcnow()
    workspace_id = scheme.workspace_id
    tiering = Tiering(session, compiled, workspace_id, today)
    sub = tiering.base()
    watermark = session.scalar(select(func.coalesce(func.max(TierChange.id), 0)))
    batch = and_(
        TierChange.workspace_id == workspace_id,
        TierChange.scheme_id == scheme.id,
        TierChange.id > watermark,
    )
    actor = literal(actor_id, Integer) if actor_id is not None else cast(null(), Integer)
    stamp = literal(now, UTCDateTime())
    session.execute(
        insert(TierChange).from_select(
            [
                "workspace_id",
                "record_id",
                "scheme_id",
                "scheme_key",
                "from_tier",
                "to_tier",
                "rule_index",
                "source",
                "actor_id",
                "changed_at",
            ],
            select(
                literal(workspace_id, Integer),
                sub.c.record_id,
                literal(scheme.id, Integer),
                literal(scheme.key, String),
                func.substr(sub.c.current, 1, MAX_KEY),
                tiering.proposed(sub.c.rule),
                func.nullif(sub.c.rule, tiering.fallback_rank),
                literal(source, String),
                actor,
                stamp,
            ).where(tiering.changed(sub)),
        )
    )
    # Counted, not taken from rowcount: drivers need not report it for INSERT … SELECT.
    inserted = session.scalar(select(func.count()).select_from(TierChange).where(batch)) or 0
    if inserted:
        _update_records(session, tiering, batch, inserted, now)
        _revisions(session, tiering, batch, now)
        emit_tier_events(
            session,
            workspace_id=workspace_id,
            form_id=tiering.compiled.form.id,
            scheme_key=scheme.key,
            batch=batch,
            source=EVENT_SOURCES[source],
            now=now,
        )
        _expire_records(session)
    return _result(session, tiering, batch, now)


def _serialize(session: Session, scheme: TierScheme) -> None:
    """One apply of a scheme at a time: the batch is "rows after the highest id" (on
    SQLite the write lock already serializes writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(TierScheme.id).where(TierScheme.id == scheme.id).with_for_update())


def _update_records(
    session: Session, tiering: Tiering, batch: ColumnElement[bool], expected: int, now: datetime
) -> None:
    key = tiering.compiled.field_key
    if tiering.dialect == "postgresql":
        path = literal([key], ARRAY(Text))
        new_data = func.jsonb_set(Record.data, path, func.to_jsonb(cast(TierChange.to_tier, Text)))
    else:
        new_data = func.json_set(Record.data, literal(f"$.{key}", String), TierChange.to_tier)
    guard = func.substr(tiering.current, 1, MAX_KEY).is_not_distinct_from(TierChange.from_tier)
    updated = session.execute(
        update(Record)
        .where(
            Record.id == TierChange.record_id,
            batch,
            Record.workspace_id == tiering.workspace_id,
            Record.deleted_at.is_(None),
            guard,
        )
        .values(
            data=new_data,
            version=Record.version + 1,
            updated_at=now,
            search_text=_search_text(session, tiering),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if updated != expected:
        # A record changed under us (PostgreSQL, between the two statements): forget
        # the changes that did not happen.
        still = exists(
            select(Record.id).where(
                Record.id == TierChange.record_id,
                Record.deleted_at.is_(None),
                tiering.current == TierChange.to_tier,
            )
        )
        session.execute(
            delete(TierChange).where(batch, ~still).execution_options(synchronize_session=False)
        )


def _search_text(session: Session, tiering: Tiering) -> ColumnElement[Any]:
    """``records.search_text`` for the new data, as ``services.records.search_text``
    computes it: the searchable fields' texts joined by spaces, lower-cased, truncated."""
    runtime = tiering.compiled.runtime
    if not runtime.searchable:
        return literal("", String)
    parts = []
    for key in runtime.searchable:
        value: ColumnElement[Any]
        if key == tiering.compiled.field_key:
            value = TierChange.to_tier
        elif tiering.dialect == "postgresql":
            value = Record.data.op("->>", return_type=Text)(literal(key, String))
        else:
            value = func.json_extract(Record.data, literal(f"$.{key}", String), type_=Text)
        empty = or_(value.is_(None), cast(value, Text) == "")
        parts.append(case((empty, literal("", String)), else_=literal(" ", String) + value))
    joined = functools.reduce(lambda a, b: a + b, parts)
    return func.substr(_lower(session, tiering.dialect, func.substr(joined, 2)), 1, SEARCH_TEXT_MAX)


def _lower(session: Session, dialect: str, text: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return func.lower(text)
    # SQLite's lower() folds ASCII only; search text is lower-cased by Python everywhere
    # else, so use Python's here too (registered on this connection).
    connection = session.connection().connection.driver_connection
    connection.create_function("fw_lower", 1, _py_lower, deterministic=True)  # type: ignore[union-attr]
    return func.fw_lower(text, type_=Text)


def _py_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _revisions(
    session: Session, tiering: Tiering, batch: ColumnElement[bool], now: datetime
) -> None:
    before_after = (
        func.jsonb_build_array(TierChange.from_tier, TierChange.to_tier)
        if tiering.dialect == "postgresql"
        else func.json_array(TierChange.from_tier, TierChange.to_tier)
    )
    changes = json_object(tiering.dialect, (tiering.compiled.field_key, before_after))
    session.execute(
        insert(RecordRevision).from_select(
            [
                "workspace_id",
                "record_id",
                "form_id",
                "action",
                "changes",
                "record_version",
                "actor_id",
                "created_at",
            ],
            select(
                TierChange.workspace_id,
                TierChange.record_id,
                Record.form_id,
                literal(REVISION_ACTION, String),
                changes,
                Record.version,
                TierChange.actor_id,
                literal(now, UTCDateTime()),
            )
            .join(Record, Record.id == TierChange.record_id)
            .where(batch),
        )
    )


def _expire_records(session: Session) -> None:
    """Records loaded in this session are stale now (data, version)."""
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Record):
            session.expire(instance)


def _result(
    session: Session, tiering: Tiering, batch: ColumnElement[bool], now: datetime
) -> TierApplyResult:
    held = case((TierChange.from_tier.in_(tiering.keys), TierChange.from_tier), else_=null())
    moved = select(held.label("held"), TierChange.to_tier.label("to_tier")).where(batch)
    sub = moved.subquery("moved")
    rows: Sequence[Any] = session.execute(
        select(sub.c.held, sub.c.to_tier, func.count()).group_by(sub.c.held, sub.c.to_tier)
    ).all()
    result = TierApplyResult(0, 0, 0, 0, {}, now)
    for before, after, count in rows:
        result.moves[(before, after)] = count
        result.changed += count
        way = direction(tiering.ranks, before, after)
        setattr(result, way, getattr(result, way) + count)
    return result
