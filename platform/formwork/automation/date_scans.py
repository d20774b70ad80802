"""Date-relative triggers: once a day, raise a ``date_due`` event per record whose date is due.

A ``date_relative`` automation fires ``offset_days`` after (negative: before) the date in
``date_field``, at ``at`` o'clock in the workspace's time zone. The scheduler calls
:func:`scan_due` every few minutes; for each automation whose local ``at`` has passed and
whose day has not been scanned yet, one set-based query finds the due records and
:func:`~formwork.automation.outbox.emit_many` raises their events. Each event carries a
dedupe key (automation, record, date), so a repeated or concurrent scan raises nothing
twice. ``Automation.last_scan_on`` remembers the last local day scanned; days missed while
the scheduler was down are scanned late (up to :data:`CATCH_UP_DAYS` back) instead of
being skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, and_, literal, select
from sqlalchemy.orm import Session, sessionmaker

from form_engine.conditions.values import DATETIME_MAX_SUFFIX
from formwork.automation.outbox import emit_many
from formwork.db import write_sessions
from formwork.models import Automation, Form, Record, Workspace
from formwork.models.workspaces import zone_named
from formwork.services.condition_sql import json_value
from formwork.services.form_runtime import runtime_for

logger = logging.getLogger(__name__)

TRIGGER_TYPE = "date_relative"
EVENT_TYPE = "date_due"
# How far back a scan catches up on days the scheduler missed (it was down).
CATCH_UP_DAYS = 7
# Events per INSERT statement: a big form's scan stays a few statements, not one huge one.
BATCH_SIZE = 1000


class DateTriggerError(ValueError):
    """The automation's date-relative trigger cannot be scanned (bad keys, field, form)."""


def parse_at(value: Any) -> time:
    """``"HH:MM"`` as a time of day; raises :class:`DateTriggerError` otherwise."""
    try:
        hours, minutes = str(value).split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError(value)
        return time(int(hours), int(minutes))
    except ValueError as exc:
        raise DateTriggerError(f"'at' must be HH:MM, not {value!r}") from exc


def due_days(local_now: datetime, at: time, last_scan_on: str | None) -> list[date]:
    """The local days to scan now, oldest first.

    Day D is due once the local clock passed ``at`` on D. A new automation (never scanned)
    starts with today; otherwise every day after ``last_scan_on`` that is due is scanned,
    at most :data:`CATCH_UP_DAYS` back, so a day the scheduler was down is late, not lost.
    """
    today = local_now.date()
    latest = today if local_now.time() >= at else today - timedelta(days=1)
    last: date | None = None
    if last_scan_on:
        try:
            last = date.fromisoformat(last_scan_on)
        except ValueError:
            logger.warning("ignoring malformed last_scan_on %r", last_scan_on)
    if last is None:
        return [today] if latest == today else []
    first = max(last + timedelta(days=1), today - timedelta(days=CATCH_UP_DAYS))
    return [first + timedelta(days=n) for n in range((latest - first).days + 1)]


def scan_automation(session: Session, automation: Automation, local_today: date) -> int:
    """Raise ``date_due`` events for the records of ``automation`` due on ``local_today``.

    A record is due when its date field's date is ``local_today - offset_days``. Nothing
    is committed; events already raised for the same automation, record and date are
    skipped by their dedupe key.

    Returns:
        The number of due records (events for some may already have existed).

    Raises:
        DateTriggerError: the trigger's keys, form or field cannot be used.
    """
    trigger = _trigger(automation.document)
    date_field = trigger.get("date_field")
    offset = trigger.get("offset_days")
    if not isinstance(date_field, str) or not date_field:
        raise DateTriggerError("date_field is missing")
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise DateTriggerError(f"offset_days must be a whole number, not {offset!r}")
    form = _form(session, automation, trigger)
    try:
        kind = runtime_for(session, form).kinds.get(date_field)
    except LookupError as exc:
        raise DateTriggerError(f"form {form.key!r} is not published") from exc
    if kind not in ("date", "datetime"):
        raise DateTriggerError(f"{date_field!r} is not a date or datetime field of {form.key!r}")

    target = (local_today - timedelta(days=offset)).isoformat()
    dialect = session.get_bind().dialect.name
    value = json_value(Record.data, date_field, kind, dialect)
    matches: ColumnElement[bool]
    if kind == "date":
        matches = value == literal(target)
    else:
        # Datetimes are stored in UTC ("…Z"): this compares the stored UTC date, not the
        # workspace-local one. A range on the text (as the condition compiler does for
        # days_since) keeps an expression index on the field usable.
        matches = and_(
            value >= literal(target + "T00:00:00Z"),
            value <= literal(target + DATETIME_MAX_SUFFIX),
        )
    record_ids = session.scalars(
        select(Record.id)
        .where(
            Record.workspace_id == automation.workspace_id,
            Record.form_id == form.id,
            Record.deleted_at.is_(None),
            matches,
        )
        .order_by(Record.id)
    ).all()
    rows = [
        {
            "workspace_id": automation.workspace_id,
            "type": EVENT_TYPE,
            "form_id": form.id,
            "record_id": record_id,
            "automation_id": automation.id,
            "payload": {"date": target, "date_field": date_field},
            "source": "scheduler",
            "dedupe_key": f"date:{automation.id}:{record_id}:{target}",
        }
        for record_id in record_ids
    ]
    for start in range(0, len(rows), BATCH_SIZE):
        emit_many(session, rows[start : start + BATCH_SIZE])
    return len(rows)


def scan_due(app: Flask, now: datetime) -> int:
    """Scan every enabled date-relative automation whose local day is due (one commit each).

    An automation that cannot be scanned (bad document, unpublished form) is logged and
    skipped; the others still run.

    Returns:
        The number of due records found over all automations.
    """
    sessions: sessionmaker[Session] = app.extensions["formwork.sessionmaker"]
    with sessions() as session:
        automation_ids = session.scalars(
            select(Automation.id)
            .where(Automation.enabled.is_(True), Automation.trigger_type == TRIGGER_TYPE)
            .order_by(Automation.id)
        ).all()
    total = 0
    writers = write_sessions(app)
    for automation_id in automation_ids:
        with writers() as session:
            try:
                total += _scan_one(session, automation_id, now)
                session.commit()
            except DateTriggerError as exc:
                session.rollback()
                logger.warning("date scan of automation %s skipped: %s", automation_id, exc)
            except Exception:
                session.rollback()
                logger.exception("date scan of automation %s failed", automation_id)
    return total


def _scan_one(session: Session, automation_id: int, now: datetime) -> int:
    # The row lock serialises two overlapping scans of one automation on PostgreSQL
    # (SQLite has one writer anyway); the dedupe keys would also absorb the overlap.
    found = session.execute(
        select(Automation, Workspace.timezone)
        .join(Workspace, Workspace.id == Automation.workspace_id)
        .where(Automation.id == automation_id)
        .with_for_update(of=Automation)
    ).first()
    if found is None:
        return 0
    automation, zone_name = found
    if not automation.enabled or automation.trigger_type != TRIGGER_TYPE:
        return 0
    at = parse_at(_trigger(automation.document).get("at", "00:00"))
    days = due_days(now.astimezone(zone_named(zone_name)), at, automation.last_scan_on)
    count = 0
    for day in days:
        count += scan_automation(session, automation, day)
    if days:
        automation.last_scan_on = days[-1].isoformat()
    return count


def _trigger(document: Any) -> Mapping[str, Any]:
    trigger = document.get("trigger") if isinstance(document, Mapping) else None
    if not isinstance(trigger, Mapping) or trigger.get("type") != TRIGGER_TYPE:
        raise DateTriggerError("the document has no date_relative trigger")
    return trigger


def _form(session: Session, automation: Automation, trigger: Mapping[str, Any]) -> Form:
    if automation.form_id is not None:
        form = session.get(Form, automation.form_id)
    else:
        form = session.scalar(
            select(Form).where(
                Form.workspace_id == automation.workspace_id, Form.key == trigger.get("form")
            )
        )
    if form is None or form.workspace_id != automation.workspace_id:
        raise DateTriggerError(f"form {trigger.get('form')!r} does not exist")
    return form
