"""Churn warnings (流失预警): each customer's status from its metrics, the history of
status changes, ``tier_changed`` events, and the reactivation rate (盘活率).

Status, first rule that holds (a SQL ``CASE`` over ``customer_metrics``):

1. ``none``: no orders yet.
2. ``dormant``: ``recency_days >= dormant_days``.
3. ``at_risk``: ``recency_days >= min(at_risk_days, interval_multiple *
   usual_interval_days)`` (the second only when the customer has a usual interval), or
   ``open_complaints >= complaints_at_risk`` (a setting of 0 switches that rule off).
4. ``active``.

A change of status is written set-based: ``INSERT … SELECT`` into ``tier_changes``
(scheme key ``churn``, source ``metrics``), an ``UPDATE`` of ``churn_status`` /
``churn_since``, and one ``tier_changed`` event per changed customer (payload
``{"scheme": "churn", "from", "to"}``) so automations can react ("when churn becomes
at_risk, create a reactivation task"). A customer's first status with orders is a change
from ``none`` too: it is the start of the history the reactivation rate reads.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    distinct,
    false,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from formwork.db import UTCDateTime, utcnow
from formwork.models import CustomerMetrics, Record, TierChange, Workspace
from formwork.value.catalog import CHURN_SCHEME_KEY
from formwork.value.settings import ChurnSettings, ValueSettings
from formwork.value.statements import chunks, ids_param, table_of
from formwork.value.tier_events import emit_tier_events

REACTIVATED_TO = ("active", "at_risk")


@dataclass(frozen=True)
class ChurnResult:
    """How many customers changed status, and how many are in each status now."""

    changed: int
    by_status: dict[str, int] = field(default_factory=dict)


def status_case(rules: ChurnSettings, table: Any = None) -> ColumnElement[str]:
    """The churn status of each ``customer_metrics`` row under the rules."""
    m = table if table is not None else table_of(CustomerMetrics)
    by_interval = m.c.usual_interval_days * rules.interval_multiple
    threshold = case(
        (
            m.c.usual_interval_days.is_not(None) & (by_interval < rules.at_risk_days),
            by_interval,
        ),
        else_=float(rules.at_risk_days),
    )
    complaints = (
        m.c.open_complaints >= rules.complaints_at_risk if rules.complaints_at_risk > 0 else false()
    )
    return case(
        (m.c.order_count == 0, "none"),
        (m.c.recency_days >= rules.dormant_days, "dormant"),
        (or_(m.c.recency_days >= threshold, complaints), "at_risk"),
        else_="active",
    )


def update_churn(
    session: Session,
    settings: ValueSettings,
    *,
    customer_ids: Collection[int] | None = None,
    today: date,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> ChurnResult:
    """Set every customer's (or ``customer_ids``') churn status; record and announce the
    changes in this transaction (events carry the session's automation origin, so chains
    stay depth-limited). Reads the metric columns: run it after ``recompute_metrics``.

    ``by_status`` of the result is counted for a full run only (it reads every row).
    """
    session.flush()
    m = table_of(CustomerMetrics)
    record, update = _statements(
        settings.workspace_id, settings.customers_form_id, settings.churn, customer_ids is not None
    )
    now = now or utcnow()
    params: dict[str, Any] = {"actor_id": actor_id, "now": now, "since": today.isoformat()}
    watermark = session.scalar(select(func.coalesce(func.max(TierChange.id), 0)))
    for ids in chunks(customer_ids):
        if ids == []:
            continue
        if ids is not None:
            params["ids"] = ids
        session.execute(record, params)
        session.execute(update, params)
    # This call's rows: after the watermark and stamped with its ``now`` (on PostgreSQL
    # a concurrent refresh may commit rows after the watermark, never with this stamp).
    batch = and_(
        TierChange.workspace_id == settings.workspace_id,
        TierChange.scheme_key == CHURN_SCHEME_KEY,
        TierChange.id > watermark,
        TierChange.changed_at == now,
    )
    changed = session.scalar(select(func.count()).select_from(TierChange).where(batch)) or 0
    if changed:
        emit_tier_events(
            session,
            workspace_id=settings.workspace_id,
            form_id=settings.customers_form_id,
            scheme_key=CHURN_SCHEME_KEY,
            batch=batch,
            source="computed",
            now=now,
        )
    by_status: dict[str, int] = {}
    if customer_ids is None:
        by_status = dict(
            session.execute(
                select(m.c.churn_status, func.count())
                .where(
                    m.c.workspace_id == settings.workspace_id,
                    m.c.form_id == settings.customers_form_id,
                )
                .group_by(m.c.churn_status)
            ).all()
        )
    return ChurnResult(changed=changed, by_status=by_status)


@functools.lru_cache(maxsize=128)
def _statements(
    workspace_id: int, form_id: int, rules: ChurnSettings, by_ids: bool
) -> tuple[Any, Any]:
    """(INSERT … SELECT the changes into tier_changes, UPDATE the statuses),
    built once per rules (parameters: ``actor_id``, ``now``, ``since``, ``ids``)."""
    m = table_of(CustomerMetrics)
    changes = table_of(TierChange)
    new = status_case(rules)
    where = [m.c.workspace_id == workspace_id, m.c.form_id == form_id, m.c.churn_status != new]
    if by_ids:
        where.append(m.c.record_id.in_(ids_param()))
    source = select(
        literal(workspace_id, Integer),
        m.c.record_id,
        literal(CHURN_SCHEME_KEY, String),
        m.c.churn_status,
        new,
        literal("metrics", String),
        bindparam("actor_id", type_=Integer),
        bindparam("now", type_=UTCDateTime()),
    ).where(*where)
    names = [
        "workspace_id",
        "record_id",
        "scheme_key",
        "from_tier",
        "to_tier",
        "source",
        "actor_id",
        "changed_at",
    ]
    record = changes.insert().from_select(names, source)
    update = (
        m.update()
        .where(*where)
        .values(churn_status=new, churn_since=bindparam("since", type_=String))
    )
    return record, update


def reactivation_rate(
    session: Session, workspace_id: int, start: date, end: date, *, owner_id: int | None = None
) -> tuple[int, int, float | None]:
    """盘活率 of the days ``start``..``end`` (inclusive, the workspace's days):
    ``(reactivated, dormant, reactivated / dormant)``; the rate is None without dormant
    customers. With ``owner_id``, only the customers that person owns now count.

    Dormant: live customers dormant when the period began (their last churn change before
    it went to ``dormant``) or who became dormant within it. Reactivated: those of them
    who changed from ``dormant`` to ``active`` or ``at_risk`` within the period.
    """
    workspace = session.get(Workspace, workspace_id)
    zone = workspace.zone if workspace is not None else UTC
    begin = datetime.combine(start, time.min, zone)
    finish = datetime.combine(end + timedelta(days=1), time.min, zone)
    tc = table_of(TierChange)
    churn = [tc.c.workspace_id == workspace_id, tc.c.scheme_key == CHURN_SCHEME_KEY]
    within = [tc.c.changed_at >= begin, tc.c.changed_at < finish]
    last_before = (
        select(func.max(tc.c.id).label("last_id"))
        .where(*churn, tc.c.changed_at < begin)
        .group_by(tc.c.record_id)
        .subquery("last_before")
    )
    earlier = tc.alias("earlier")
    dormant_at_start = select(earlier.c.record_id).where(
        earlier.c.workspace_id == workspace_id,
        earlier.c.id.in_(select(last_before.c.last_id)),
        earlier.c.to_tier == "dormant",
    )
    became_dormant = select(tc.c.record_id).where(*churn, *within, tc.c.to_tier == "dormant")
    dormant = union(dormant_at_start, became_dormant).subquery("dormant")
    live = select(Record.id).where(Record.workspace_id == workspace_id, Record.deleted_at.is_(None))
    if owner_id is not None:
        live = live.where(Record.owner_id == owner_id)
    dormant_count = session.scalar(
        select(func.count()).select_from(dormant).where(dormant.c.record_id.in_(live))
    )
    reactivated_count = session.scalar(
        select(func.count(distinct(tc.c.record_id))).where(
            *churn,
            *within,
            tc.c.from_tier == "dormant",
            tc.c.to_tier.in_(REACTIVATED_TO),
            tc.c.record_id.in_(live),
        )
    )
    dormant_n, reactivated_n = int(dormant_count or 0), int(reactivated_count or 0)
    return reactivated_n, dormant_n, (reactivated_n / dormant_n if dormant_n else None)
