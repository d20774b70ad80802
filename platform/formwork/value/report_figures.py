"""The customer-asset report's figures: their shapes and the one aggregate query each.

Every function takes a :class:`~formwork.value.report_sql.Scope` (workspace, customer
form, optional owner) and runs set-based SQL; only small aggregated results come back.
Definitions are in :mod:`formwork.value.report`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from formwork.models import CustomerMetrics, Record, Task, TierScheme
from formwork.value import report_sql as q
from formwork.value.catalog import CHURN_STATUSES
from formwork.value.churn import reactivation_rate

PARETO_POINTS = 100
HISTOGRAM_BUCKETS = 10
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def months(self) -> list[date]:
        """The first day of every month the period touches."""
        found, month = [], self.start.replace(day=1)
        while month <= self.end:
            found.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        return found


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass
class TierRow:
    key: str | None
    names: dict[str, str]
    color: str | None
    customers: int = 0
    revenue: float = 0.0


@dataclass(frozen=True)
class Bucket:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class MonthNps:
    month: date
    responses: int
    promoters: int
    detractors: int

    @property
    def nps(self) -> float | None:
        if not self.responses:
            return None
        return (self.promoters - self.detractors) * 100.0 / self.responses


@dataclass(frozen=True)
class AssetValue:
    """The sum of CLV, how many customers have one, and which CLV it is."""

    total: float
    customers: int
    basis: str  # "predictive" or "historical"


@dataclass(frozen=True)
class OrderTotals:
    orders: int
    revenue: float
    buyers: int


@dataclass(frozen=True)
class PeriodActivity:
    totals: OrderTotals
    retention: Ratio
    activity: Ratio


@dataclass(frozen=True)
class Pareto:
    """(share of customers, cumulative share of revenue) points from (0, 0) to (1, 1)."""

    points: list[tuple[float, float]]
    customers: int
    top20_share: float | None


# -- figures ----------------------------------------------------------------------------


def metrics_query(scope: q.Scope, *columns: Any) -> Any:
    """``SELECT columns FROM customer_metrics`` joined to the customers in scope."""
    people = q.customers(scope).subquery()
    return (
        select(*columns)
        .select_from(CustomerMetrics)
        .join(people, people.c.customer_id == CustomerMetrics.record_id)
        .where(CustomerMetrics.workspace_id == scope.workspace_id)
    )


def asset_value(session: Session, scope: q.Scope, fitted: bool) -> AssetValue:
    """Sum of predictive CLV when ``fitted`` (and some customer has one), else historical."""
    m = CustomerMetrics
    row = session.execute(
        metrics_query(
            scope,
            func.sum(m.clv_predicted),
            func.count(m.clv_predicted),
            func.sum(m.clv_historical),
            func.count(m.clv_historical),
        )
    ).one()
    predictive = scope.config.predictive_wanted and fitted and row[1] > 0
    total, count = (row[0], row[1]) if predictive else (row[2], row[3])
    return AssetValue(
        float(total or 0), int(count or 0), "predictive" if predictive else "historical"
    )


def in_period(rows: Any, period: Period) -> Any:
    return and_(rows.c.day >= q.iso(period.start), rows.c.day <= q.iso(period.end))


def tiers(session: Session, scope: q.Scope, scheme: TierScheme, period: Period) -> list[TierRow]:
    """Customers per tier now, and the period's revenue by the customer's current tier."""
    doc = scheme.document if isinstance(scheme.document, dict) else {}
    entries = [t for t in doc.get("tiers") or [] if isinstance(t, dict)]
    if isinstance(doc.get("fallback"), dict):
        entries.append(doc["fallback"])
    rows: dict[str | None, TierRow] = {}
    for entry in entries:
        key = str(entry.get("key") or "")
        names = entry.get("name") if isinstance(entry.get("name"), dict) else {}
        rows.setdefault(
            key, TierRow(key, {str(k): str(v) for k, v in names.items()}, entry.get("color"))
        )
    people = q.customers(scope, q.tier_value(scope, Record.data, scheme.field_key).label("tier"))
    counted = people.subquery()
    for tier, count in session.execute(
        select(counted.c.tier, func.count()).group_by(counted.c.tier)
    ):
        rows.setdefault(_known(tier, rows), TierRow(None, {}, None)).customers += count
    orders = q.linked_rows(scope, scope.config.orders, tier_field=scheme.field_key).subquery()
    for tier, revenue in session.execute(
        select(orders.c.tier, func.sum(orders.c.value))
        .where(in_period(orders, period))
        .group_by(orders.c.tier)
    ):
        rows.setdefault(_known(tier, rows), TierRow(None, {}, None)).revenue += float(revenue or 0)
    return list(rows.values())


def _known(tier: Any, rows: dict[str | None, TierRow]) -> str | None:
    """A tier key of the scheme, or None for customers without one (or with a stale one)."""
    return tier if isinstance(tier, str) and tier in rows else None


def pareto(session: Session, scope: q.Scope, period: Period) -> Pareto:
    """The cumulative revenue curve of the period's buyers (window functions), at most
    PARETO_POINTS + 1 points, and the share of the top 20% of them."""
    orders = q.linked_rows(scope, scope.config.orders).subquery()
    revenue = (
        select(orders.c.customer_id, func.sum(orders.c.value).label("revenue"))
        .where(in_period(orders, period))
        .group_by(orders.c.customer_id)
        .having(func.sum(orders.c.value) > 0)
        .subquery()
    )
    order = (revenue.c.revenue.desc(), revenue.c.customer_id)
    ranked = select(
        revenue.c.revenue,
        func.row_number().over(order_by=order).label("rn"),
        func.sum(revenue.c.revenue).over(order_by=order, rows=(None, 0)).label("cum"),
        func.count().over().label("n"),
        func.sum(revenue.c.revenue).over().label("total"),
    ).subquery()
    # One row where the share of customers crosses each 1/PARETO_POINTS step.
    points = session.execute(
        select(ranked.c.rn, ranked.c.n, ranked.c.cum, ranked.c.total)
        .where(
            (ranked.c.rn * PARETO_POINTS) // ranked.c.n
            > ((ranked.c.rn - 1) * PARETO_POINTS) // ranked.c.n
        )
        .order_by(ranked.c.rn)
    ).all()
    if not points:
        return Pareto([], 0, None)
    curve = [(0.0, 0.0)] + [(rn / n, float(cum) / float(total)) for rn, n, cum, total in points]
    top, total = session.execute(
        select(
            func.sum(case(((ranked.c.rn - 1) * 5 < ranked.c.n, ranked.c.revenue), else_=0)),
            func.max(ranked.c.total),
        )
    ).one()
    return Pareto(curve, int(points[0].n), float(top) / float(total) if total else None)


def clv_histogram(session: Session, scope: q.Scope, basis: str) -> list[Bucket]:
    column = (
        CustomerMetrics.clv_predicted if basis == "predictive" else CustomerMetrics.clv_historical
    )
    low, high, count = session.execute(
        metrics_query(scope, func.min(column), func.max(column), func.count(column))
    ).one()
    if not count:
        return []
    low, high = float(low), float(high)
    if high == low:
        return [Bucket(low, high, count)]
    step = nice_step((high - low) / HISTOGRAM_BUCKETS)
    start = math.floor(low / step) * step
    buckets = max(1, math.ceil((high - start) / step))
    index = q.floor_int((cast(column, Float) - literal(start)) / literal(step), scope.dialect)
    counts = [0] * buckets
    for position, number in session.execute(
        metrics_query(scope, index.label("bucket"), func.count())
        .where(column.is_not(None))
        .group_by(index)
    ):
        # The top value sits exactly on the last edge: it belongs to the last bucket.
        counts[min(max(int(position), 0), buckets - 1)] += number
    return [Bucket(start + i * step, start + (i + 1) * step, c) for i, c in enumerate(counts)]


def nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``raw``."""
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(s * magnitude for s in NICE_STEPS if s * magnitude >= raw * (1 - 1e-12))


def rfm(session: Session, scope: q.Scope) -> tuple[dict[str, int], dict[str, int]]:
    """Customers per R-by-F cell ("RF" → count) and per segment."""
    m = CustomerMetrics
    cells = session.execute(
        metrics_query(scope, m.r_score, m.f_score, func.count())
        .where(m.r_score.is_not(None), m.f_score.is_not(None))
        .group_by(m.r_score, m.f_score)
    )
    by_cell = {f"{r}{f}": count for r, f, count in cells}
    segments = session.execute(
        metrics_query(scope, m.rfm_segment, func.count())
        .where(m.rfm_segment.is_not(None))
        .group_by(m.rfm_segment)
    )
    return by_cell, {str(segment): int(count) for segment, count in segments}


def period_activity(session: Session, scope: q.Scope, period: Period) -> PeriodActivity:
    """Orders, revenue and buyers of the period, retention and activity: one pass over the
    orders up to the period's end, grouped by customer."""
    before = period.previous()
    orders = q.linked_rows(scope, scope.config.orders).subquery()
    now = in_period(orders, period)
    per_customer = (
        select(
            func.sum(case((now, 1), else_=0)).label("orders"),
            func.sum(case((now, orders.c.value), else_=0)).label("revenue"),
            func.max(case((now, 1), else_=0)).label("now"),
            func.max(case((in_period(orders, before), 1), else_=0)).label("before"),
        )
        .where(orders.c.day <= q.iso(period.end))
        .group_by(orders.c.customer_id)
        .subquery()
    )
    c = per_customer.c
    ever, count, revenue, buyers, earlier, kept = session.execute(
        select(
            func.count(),
            func.sum(c.orders),
            func.sum(c.revenue),
            func.sum(c.now),
            func.sum(c.before),
            func.sum(c.now * c.before),
        )
    ).one()
    return PeriodActivity(
        totals=OrderTotals(int(count or 0), float(revenue or 0), int(buyers or 0)),
        retention=Ratio(int(kept or 0), int(earlier or 0)),
        activity=Ratio(int(buyers or 0), int(ever or 0)),
    )


def reactivation(session: Session, scope: q.Scope, period: Period) -> Ratio:
    """盘活率 from the churn history, of the scope's customers (one owner's, if set)."""
    reactivated, dormant, _rate = reactivation_rate(
        session, scope.workspace_id, period.start, period.end, owner_id=scope.owner_id
    )
    return Ratio(int(reactivated), int(dormant))


def churn(session: Session, scope: q.Scope) -> dict[str, int]:
    m = CustomerMetrics
    counts = dict.fromkeys(CHURN_STATUSES, 0)
    for status, count in session.execute(
        metrics_query(scope, m.churn_status, func.count()).group_by(m.churn_status)
    ):
        counts[status] = counts.get(status, 0) + count
    return counts


def nps_months(
    session: Session, scope: q.Scope, surveys: q.Source, period: Period
) -> list[MonthNps]:
    answers = q.linked_rows(scope, surveys).subquery()
    month = func.substr(answers.c.day, 1, 7)
    found = {
        key: (total, promoters or 0, detractors or 0)
        for key, total, promoters, detractors in session.execute(
            select(
                month,
                func.count(),
                func.sum(case((answers.c.value >= 9, 1), else_=0)),
                func.sum(case((answers.c.value <= 6, 1), else_=0)),
            )
            .where(in_period(answers, period), answers.c.value.is_not(None))
            .group_by(month)
        )
    }
    return [
        MonthNps(first, *found.get(first.isoformat()[:7], (0, 0, 0))) for first in period.months()
    ]


def follow_ups(session: Session, scope: q.Scope, period: Period, zone: ZoneInfo) -> Ratio:
    start = datetime.combine(period.start, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    people = q.customers(scope).subquery()
    total, done = session.execute(
        select(func.count(), func.sum(case((Task.status == "done", 1), else_=0)))
        .select_from(Task)
        .join(people, people.c.customer_id == Task.record_id)
        .where(
            Task.workspace_id == scope.workspace_id,
            Task.status != "cancelled",
            Task.due_at >= start,
            Task.due_at < end,
        )
    ).one()
    return Ratio(int(done or 0), int(total or 0))
