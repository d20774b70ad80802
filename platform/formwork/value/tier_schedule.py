"""Tier schemes on a schedule, and what automations know of the workspace's schemes.

The scheduler calls :func:`apply_due` every minute: a scheme whose crontab (in its
workspace's time zone) named a time since it was last applied (or saved) is applied once,
in its own transaction, with source ``schedule``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork.db import begin_write
from formwork.models import Form, TierScheme, Workspace
from formwork.models.workspaces import zone_named
from formwork.services import audit
from formwork.value.catalog import CHURN_SCHEME_KEY, CHURN_STATUSES
from formwork.value.tier_documents import SchemeProblems
from formwork.value.tiers import apply_scheme
from workflow_engine.cron import compile_cron
from workflow_engine.model import TierShape

log = logging.getLogger(__name__)

# A scheduled scheme that missed its time (the scheduler was down) is applied late,
# once, if the time is at most this far back.
CATCH_UP = timedelta(days=8)


def scheme_shapes(session: Session, workspace_id: int) -> dict[str, TierShape]:
    """Live schemes by key (with their form key and tier keys), plus ``churn``."""
    rows = session.execute(
        select(TierScheme.key, TierScheme.document, Form.key)
        .join(Form, Form.id == TierScheme.form_id)
        .where(TierScheme.workspace_id == workspace_id, TierScheme.archived_at.is_(None))
    ).all()
    shapes = {}
    for key, document, form_key in rows:
        tiers = [*(document.get("tiers") or []), document.get("fallback") or {}]
        keys = tuple(t["key"] for t in tiers if isinstance(t, Mapping) and "key" in t)
        shapes[key] = TierShape(form_key, keys)
    shapes[CHURN_SCHEME_KEY] = TierShape(None, tuple(CHURN_STATUSES), recomputable=False)
    return shapes


def latest_fire(cron: str, after: datetime, now: datetime) -> datetime | None:
    """The latest time in ``(after, now]`` the crontab names, in ``now``'s zone, or None.

    Days are walked back from ``now`` (at most ``CATCH_UP``), and within a day only the
    hours and minutes the crontab allows, so a daily schedule costs a few checks.
    """
    spec = compile_cron(cron)
    zone = now.tzinfo
    floor = max(after, now - CATCH_UP)
    day = now.date()
    while day >= floor.date():
        for hour in sorted(spec.hours, reverse=True):
            for minute in sorted(spec.minutes, reverse=True):
                moment = datetime.combine(day, time(hour, minute), tzinfo=zone)
                if moment > now or not spec.matches(moment):
                    continue
                return moment if moment > floor else None
        day -= timedelta(days=1)
    return None


def apply_due(session: Session, now: datetime) -> list[int]:
    """Apply every live scheme whose schedule came due since it was last applied (or
    last saved), in its workspace's time zone; one transaction per scheme.

    A scheme is claimed by moving ``last_applied_at`` with a conditional UPDATE, so two
    schedulers during a hand-over apply it once. Returns the ids of the applied schemes.
    """
    session.rollback()
    due = session.execute(
        select(
            TierScheme.id,
            TierScheme.revision,
            TierScheme.schedule,
            TierScheme.last_applied_at,
            TierScheme.updated_at,
            Workspace.timezone,
        )
        .join(Workspace, Workspace.id == TierScheme.workspace_id)
        .where(TierScheme.schedule.is_not(None), TierScheme.archived_at.is_(None))
    ).all()
    session.rollback()
    applied = []
    for scheme_id, revision, cron, last, updated, zone_name in due:
        if (scheme_id, revision, updated) in _failed:
            continue
        zone = zone_named(zone_name)
        try:
            fire = latest_fire(cron, (last or updated).astimezone(zone), now.astimezone(zone))
        except Exception:
            log.warning("tier scheme %s has an unusable schedule %r", scheme_id, cron)
            continue
        if fire is None:
            continue
        if _apply_scheduled(session, (scheme_id, revision, updated), last, now, zone_name):
            applied.append(scheme_id)
    return applied


# Schemes (id, revision, saved at) that no longer fit their form: not retried every minute
# until someone saves them again. Per process; the audit log says why.
_failed: set[tuple[int, int, datetime]] = set()


def _apply_scheduled(
    session: Session,
    version: tuple[int, int, datetime],
    last: datetime | None,
    now: datetime,
    zone_name: str,
) -> bool:
    scheme_id = version[0]
    begin_write(session)
    try:
        claimed = session.execute(
            update(TierScheme)
            .where(
                TierScheme.id == scheme_id,
                TierScheme.last_applied_at.is_(None)
                if last is None
                else TierScheme.last_applied_at == last,
            )
            .values(last_applied_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            session.rollback()
            return False
        scheme = session.get(TierScheme, scheme_id)
        assert scheme is not None
        today = now.astimezone(zone_named(zone_name)).date()
        result = apply_scheme(session, scheme, actor_id=None, source="schedule", today=today)
        session.commit()
    except SchemeProblems as exc:
        session.rollback()
        _failed.add(version)
        _report_failure(session, scheme_id, exc.problems[0].message_in("en"))
        return False
    except Exception:
        session.rollback()
        log.exception("applying tier scheme %s on schedule failed", scheme_id)
        return False
    log.info("tier scheme %s applied on schedule: %s changes", scheme_id, result.changed)
    return True


def _report_failure(session: Session, scheme_id: int, reason: str) -> None:
    begin_write(session)
    scheme = session.get(TierScheme, scheme_id)
    if scheme is None:
        session.rollback()
        return
    audit.record(
        session,
        "tier_scheme.schedule_failed",
        actor_id=None,
        workspace_id=scheme.workspace_id,
        target=scheme.name,
        scheme=scheme.id,
        revision=scheme.revision,
        reason=reason,
    )
    session.commit()
    log.warning("tier scheme %s not applied on schedule: %s", scheme_id, reason)
