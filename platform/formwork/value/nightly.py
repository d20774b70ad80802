"""The nightly refresh of customer value: at 02:30 in each workspace's time zone, every
workspace with customer-value settings gets its metrics, RFM, CLV and churn recomputed
(``formwork.value.refresh.refresh_workspace``), before the morning's tier schedules.

The scheduler calls :func:`refresh_due_workspaces` every few minutes. A workspace is due
once its local clock has passed 02:30 and it was not refreshed since (a refresh an admin
started by hand after 02:30 counts). A refresh that fails is logged and not retried
until the next night, so a broken setting cannot make the job spin.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork.models import ValueModel, Workspace
from formwork.models.workspaces import zone_named

log = logging.getLogger(__name__)

REFRESH_AT = time(2, 30)
# (workspace id, local day) already attempted by this process.
_attempted: set[tuple[int, date]] = set()


def due_workspaces(session: Session, now: datetime) -> list[tuple[int, date]]:
    """Workspaces whose nightly refresh is due at ``now``, with their local day."""
    rows = session.execute(
        select(ValueModel.workspace_id, ValueModel.computed_at, Workspace.timezone).join(
            Workspace, Workspace.id == ValueModel.workspace_id
        )
    ).all()
    due = []
    for workspace_id, computed_at, zone_name in rows:
        zone = zone_named(zone_name)
        local = now.astimezone(zone)
        if local.time() < REFRESH_AT:
            continue
        since = datetime.combine(local.date(), REFRESH_AT, tzinfo=zone)
        if computed_at is None or computed_at.astimezone(zone) < since:
            due.append((workspace_id, local.date()))
    return due


def refresh_due_workspaces(session: Session, now: datetime) -> list[int]:
    """Refresh every due workspace, each in its own transaction; returns their ids."""
    from formwork.value.refresh import refresh_workspace

    done = []
    due = due_workspaces(session, now)
    session.rollback()
    for workspace_id, local_day in due:
        if (workspace_id, local_day) in _attempted:
            continue
        _attempted.add((workspace_id, local_day))
        try:
            refresh_workspace(session, workspace_id, today=local_day)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("nightly customer-value refresh of workspace %s failed", workspace_id)
            continue
        done.append(workspace_id)
    if len(_attempted) > 10_000:
        _attempted.clear()
    return done
