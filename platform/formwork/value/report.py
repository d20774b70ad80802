"""The customer-asset report (客户资产报告): every figure is one aggregate query over the
workspace's customers, their orders, metrics, tier changes, surveys and follow-ups.

Definitions (the page states them too):

- Period: ``start`` to ``end`` inclusive, in the workspace's days; the previous period is the
  same number of days just before it. An order belongs to the day of its date field.
- Asset value: the sum of the predictive CLV when the model is fitted (and predictive CLV
  is switched on), else of the historical CLV.
- Pareto: customers who bought in the period, by revenue (highest first, ties by record
  id); "top 20%" is the first ceil(n * 20%) of them.
- Retention: bought in the previous period and again in this one ÷ bought in the previous
  period. Activity: bought in the period ÷ bought on or before its last day.
- NPS per month: % promoters (9-10) minus % detractors (0-6) of the answers in that month.
- Follow-up completion: tasks on customer records due in the period that are done ÷ all
  of them (cancelled ones are left out).
- The owner filter keeps the customers that member owns (and their orders, answers,
  tasks and churn history).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork.models import TierScheme, ValueModel, Workspace
from formwork.value import report_figures as figures
from formwork.value import report_sql as q
from formwork.value.report_figures import Bucket, MonthNps, Period, Ratio, TierRow

__all__ = [
    "AssetReport",
    "Bucket",
    "MonthNps",
    "Period",
    "Ratio",
    "TierRow",
    "build_report",
    "model_fitted",
    "preset_period",
]


@dataclass
class AssetReport:
    """What the report page and the workbook show."""

    period: Period
    owner_id: int | None
    configured: bool = False
    currency: str | None = None
    metrics_computed_at: datetime | None = None
    total_customers: int = 0
    asset_value: float = 0.0
    clv_basis: str = "historical"  # or "predictive"
    valued_customers: int = 0
    revenue: float = 0.0
    orders: int = 0
    buyers: int = 0
    schemes: list[TierScheme] = field(default_factory=list)
    scheme: TierScheme | None = None
    tiers: list[TierRow] = field(default_factory=list)
    pareto: list[tuple[float, float]] = field(default_factory=list)
    pareto_customers: int = 0
    top20_share: float | None = None
    clv_buckets: list[Bucket] = field(default_factory=list)
    rfm_cells: dict[str, int] = field(default_factory=dict)  # "RF" → customers
    grid: dict[str, str] = field(default_factory=dict)  # "RF" → segment key
    segments: dict[str, int] = field(default_factory=dict)
    retention: Ratio = field(default_factory=lambda: Ratio(0, 0))
    activity: Ratio = field(default_factory=lambda: Ratio(0, 0))
    reactivation: Ratio | None = None
    churn: dict[str, int] = field(default_factory=dict)
    surveys_configured: bool = False
    nps_months: list[MonthNps] = field(default_factory=list)
    follow_ups: Ratio = field(default_factory=lambda: Ratio(0, 0))

    @property
    def nps_total(self) -> MonthNps:
        return MonthNps(
            self.period.start,
            sum(m.responses for m in self.nps_months),
            sum(m.promoters for m in self.nps_months),
            sum(m.detractors for m in self.nps_months),
        )


def preset_period(preset: str, today: date) -> Period:
    """``30d``, ``90d``, ``365d`` (ending today) or ``year`` (1 January to today)."""
    if preset == "year":
        return Period(today.replace(month=1, day=1), today)
    days = {"30d": 30, "90d": 90, "365d": 365}[preset]
    return Period(today - timedelta(days=days - 1), today)


def build_report(
    session: Session,
    workspace_id: int,
    period: Period,
    *,
    owner_id: int | None = None,
    scheme_id: int | None = None,
) -> AssetReport:
    """Every figure of the report for ``period`` (and one owner's customers, if given).

    ``scheme_id`` picks the tier scheme (default: the first live scheme of the customer
    form, by name); a scheme of another form or workspace is never used.
    """
    report = AssetReport(period=period, owner_id=owner_id)
    config, model = q.resolve_config(session, workspace_id)
    if config is None or model is None:
        return report
    scope = q.Scope(config, session.get_bind().dialect.name, owner_id)
    report.configured = True
    report.currency = config.currency
    report.metrics_computed_at = model.computed_at
    report.grid = dict(config.grid)
    report.total_customers = (
        session.scalar(select(func.count()).select_from(q.customers(scope).subquery())) or 0
    )
    value = figures.asset_value(session, scope, model_fitted(model))
    report.asset_value, report.valued_customers = value.total, value.customers
    report.clv_basis = value.basis
    activity = figures.period_activity(session, scope, period)
    totals = activity.totals
    report.orders, report.revenue, report.buyers = totals.orders, totals.revenue, totals.buyers
    report.retention, report.activity = activity.retention, activity.activity
    report.schemes = q.customer_tier_schemes(session, config)
    chosen = [s for s in report.schemes if s.id == scheme_id] or report.schemes[:1]
    report.scheme = chosen[0] if chosen else None
    if report.scheme is not None:
        report.tiers = figures.tiers(session, scope, report.scheme, period)
    curve = figures.pareto(session, scope, period)
    report.pareto, report.pareto_customers = curve.points, curve.customers
    report.top20_share = curve.top20_share
    report.clv_buckets = figures.clv_histogram(session, scope, report.clv_basis)
    report.rfm_cells, report.segments = figures.rfm(session, scope)
    report.reactivation = figures.reactivation(session, scope, period)
    report.churn = figures.churn(session, scope)
    if config.surveys is not None:
        report.surveys_configured = True
        report.nps_months = figures.nps_months(session, scope, config.surveys, period)
    zone = session.get_one(Workspace, workspace_id).zone
    report.follow_ups = figures.follow_ups(session, scope, period, zone)
    return report


def model_fitted(model: ValueModel | None) -> bool:
    """Whether the predictive model's last fit produced both models' parameters (BG/NBD
    and Gamma-Gamma) rather than a refusal or "predictive CLV switched off"."""
    fit = model.model_fit if model is not None else None
    return (
        isinstance(fit, dict)
        and isinstance(fit.get("bgnbd"), dict)
        and isinstance(fit.get("gamma_gamma"), dict)
        and not fit.get("refusal")
    )
