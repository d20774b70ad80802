"""The customer-asset report: every figure equals a pandas reference computed from the same
generated records and stored metrics, on SQLite and PostgreSQL, with the period and owner
filters; an empty or unconfigured workspace gives zeros without errors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import (
    CustomerMetrics,
    Record,
    Role,
    Task,
    TierChange,
    TierScheme,
    User,
    ValueModel,
)
from formwork.services import records
from formwork.value import settings as value_settings
from formwork.value.catalog import CHURN_SCHEME_KEY
from formwork.value.refresh import refresh_workspace
from formwork.value.report import AssetReport, Period, build_report, model_fitted, preset_period
from tests.conftest import Factory
from tests.integration.automation_fixtures import make_crm
from tests.integration.value_fixtures import (
    TODAY,
    ValueCrm,
    configure,
    make_value_crm,
    stored_records,
)

YEAR = Period(date(2025, 7, 1), TODAY)
QUARTER = Period(date(2026, 4, 1), TODAY)
LEVELS = ("vip", "normal", None)


@dataclass
class ReportCrm:
    crm: ValueCrm
    member: User
    scheme_id: int

    @property
    def workspace_id(self) -> int:
        return int(self.crm.workspace.id)


def tier_document() -> dict[str, Any]:
    return {
        "tiers": [
            {
                "key": "vip",
                "name": {"en": "VIP", "zh-CN": "贵宾"},
                "color": "#d63384",
                "condition": {">=": [{"var": "metrics.total_spent"}, 1000]},
            }
        ],
        "fallback": {
            "key": "normal",
            "name": {"en": "Normal", "zh-CN": "普通"},
            "color": "#6c757d",
        },
    }


def build_report_crm(app: Flask, factory: Factory, *, name: str = "Acme") -> ReportCrm:
    """The generated CRM plus: tiers in the customers' ``level`` field, every second
    customer owned by a member, follow-up tasks due around the periods, churn history."""
    crm = make_value_crm(app, factory, name=name)
    member = factory.member(crm.workspace, Role.MEMBER, name="Mia Member")
    with app.app_context():
        session = db.session()
        customers = stored_records(session, crm.customers)
        for index, record in enumerate(customers):
            level = LEVELS[index % 3]
            if level is not None:
                record.data = {**record.data, "level": level, "vip_note": "key account"}
        ids = [record.id for record in customers]
        session.execute(update(Record).where(Record.id.in_(ids[::2])).values(owner_id=member.id))
        _tasks(session, crm, ids)
        session.commit()
        configure(session, crm.actor(session))
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        scheme = TierScheme(
            workspace_id=crm.workspace.id,
            key="level",
            name="Level",
            titles={"zh-CN": "等级"},
            form_id=crm.customers.id,
            field_key="level",
            document=tier_document(),
        )
        session.add(scheme)
        _churn_history(session, crm, ids)
        session.commit()
        return ReportCrm(crm, member, scheme.id)


def _tasks(session: Session, crm: ValueCrm, ids: list[int]) -> None:
    statuses = ("done", "open", "cancelled", "done", "open")
    for index, customer in enumerate(ids):
        due = datetime.combine(TODAY, time(10), UTC) - timedelta(days=index * 17)
        session.add(
            Task(
                workspace_id=crm.workspace.id,
                title=f"Follow up {index}",
                record_id=customer,
                form_id=crm.customers.id,
                due_at=due,
                status=statuses[index % len(statuses)],
            )
        )


def _churn_history(session: Session, crm: ValueCrm, ids: list[int]) -> None:
    """Dormant before the period and back in it; dormant within it; dormant and still."""
    ws = crm.workspace.id

    def change(record_id: int, before: str | None, after: str, day: date) -> None:
        session.add(
            TierChange(
                workspace_id=ws,
                record_id=record_id,
                scheme_key=CHURN_SCHEME_KEY,
                from_tier=before,
                to_tier=after,
                source="metrics",
                changed_at=datetime.combine(day, time(3), UTC),
            )
        )

    change(ids[0], "active", "dormant", date(2026, 1, 5))
    change(ids[0], "dormant", "active", date(2026, 5, 2))
    change(ids[1], "at_risk", "dormant", date(2026, 4, 20))
    change(ids[2], "active", "dormant", date(2025, 12, 1))
    change(ids[3], "active", "dormant", date(2025, 3, 1))
    change(ids[3], "dormant", "at_risk", date(2026, 2, 1))


@pytest.fixture
def rcrm(app: Flask, factory: Factory) -> ReportCrm:
    return build_report_crm(app, factory)


# -- the pandas reference -----------------------------------------------------------------


def frames(session: Session, rc: ReportCrm) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(customers, orders, answers) as stored: live records only."""
    crm = rc.crm
    people = [
        {"cid": r.id, "owner": r.owner_id, "level": r.data.get("level")}
        for r in stored_records(session, crm.customers)
        if r.deleted_at is None
    ]
    customers = pd.DataFrame(people).set_index("cid")

    def linked(form_key: str, date_key: str, value_key: str) -> pd.DataFrame:
        rows = []
        for record in stored_records(session, crm.forms[form_key]):
            cid = record.data.get("customer")
            if record.deleted_at is not None or cid not in customers.index:
                continue
            value = record.data.get(date_key)
            day = (
                value[:10]
                if isinstance(value, str)
                else record.created_at.astimezone(UTC).date().isoformat()
            )
            rows.append({"cid": cid, "day": day, "value": record.data.get(value_key)})
        frame = pd.DataFrame(rows, columns=["cid", "day", "value"])
        return frame.join(customers, on="cid")

    orders = linked("orders", "ordered_on", "amount")
    orders["value"] = orders["value"].astype(float)
    return customers, orders, linked("nps", "answered_on", "score")


def metrics_frame(session: Session, rc: ReportCrm) -> pd.DataFrame:
    session.expire_all()
    rows = session.scalars(
        select(CustomerMetrics).where(CustomerMetrics.workspace_id == rc.workspace_id)
    )
    columns = ("record_id", "clv_historical", "clv_predicted", "r_score", "f_score")
    columns += ("rfm_segment", "churn_status")
    frame = pd.DataFrame([{c: getattr(row, c) for c in columns} for row in rows])
    return frame.set_index("record_id")


def in_period(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    return frame[
        (frame["day"] >= period.start.isoformat()) & (frame["day"] <= period.end.isoformat())
    ]


def expected_pareto(
    orders: pd.DataFrame, period: Period
) -> tuple[list[tuple[float, float]], float]:
    revenue = in_period(orders, period).groupby("cid")["value"].sum()
    revenue = revenue[revenue > 0].reset_index()
    revenue = revenue.sort_values(["value", "cid"], ascending=[False, True])
    n, total = len(revenue), revenue["value"].sum()
    cumulative = revenue["value"].cumsum().tolist()
    points = [(0.0, 0.0)] + [
        (rn / n, cumulative[rn - 1] / total)
        for rn in range(1, n + 1)
        if rn * 100 // n > (rn - 1) * 100 // n
    ]
    top = revenue["value"].iloc[: math.ceil(n / 5)].sum()
    return points, top / total


def reactivation_reference(
    session: Session, rc: ReportCrm, period: Period, owner: int | None = None
) -> tuple[int, int]:
    begin = datetime.combine(period.start, time(0), UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(0), UTC)
    changes = list(
        session.scalars(
            select(TierChange)
            .where(TierChange.workspace_id == rc.workspace_id, TierChange.scheme_key == "churn")
            .order_by(TierChange.id)
        )
    )
    live = {
        r.id
        for r in stored_records(session, rc.crm.customers)
        if r.deleted_at is None and (owner is None or r.owner_id == owner)
    }
    last_before: dict[int, str] = {}
    dormant: set[int] = set()
    back: set[int] = set()
    for c in changes:
        if c.changed_at < begin:
            last_before[c.record_id] = c.to_tier
        elif c.changed_at < end:
            if c.to_tier == "dormant":
                dormant.add(c.record_id)
            if c.from_tier == "dormant" and c.to_tier in ("active", "at_risk"):
                back.add(c.record_id)
    dormant |= {rid for rid, tier in last_before.items() if tier == "dormant"}
    dormant &= live
    return len(back & dormant), len(dormant)


def report_for(app: Flask, rc: ReportCrm, period: Period, owner: int | None = None) -> AssetReport:
    with app.app_context():
        session = db.session()
        return build_report(
            session, rc.workspace_id, period, owner_id=owner, scheme_id=rc.scheme_id
        )


# -- figures -------------------------------------------------------------------------------


@pytest.mark.parametrize("period", [YEAR, QUARTER], ids=["year", "quarter"])
@pytest.mark.parametrize("by_owner", [False, True], ids=["everyone", "one-owner"])
def test_every_figure_equals_the_pandas_reference(
    app: Flask, rcrm: ReportCrm, period: Period, by_owner: bool
) -> None:
    owner = rcrm.member.id if by_owner else None
    report = report_for(app, rcrm, period, owner)
    with app.app_context():
        session = db.session()
        customers, orders, answers = frames(session, rcrm)
        metrics = metrics_frame(session, rcrm)
        fitted = model_fitted(session.get(ValueModel, rcrm.workspace_id))
        reactivation = reactivation_reference(session, rcrm, period, owner)
    if owner is not None:
        customers = customers[customers["owner"] == owner]
        orders = orders[orders["owner"] == owner]
        answers = answers[answers["owner"] == owner]
    metrics = metrics[metrics.index.isin(customers.index)]
    now = in_period(orders, period)
    assert report.configured
    assert report.total_customers == len(customers)
    assert report.orders == len(now)
    assert report.revenue == pytest.approx(now["value"].sum())
    assert report.buyers == now["cid"].nunique()

    basis = (
        "clv_predicted" if fitted and metrics["clv_predicted"].notna().any() else "clv_historical"
    )
    assert report.clv_basis == basis.removeprefix("clv_").replace("predicted", "predictive")
    assert report.asset_value == pytest.approx(metrics[basis].sum())
    assert report.valued_customers == metrics[basis].notna().sum()

    tiers = {t.key: t for t in report.tiers}
    assert list(tiers) == ["vip", "normal", None]
    levels = customers["level"].fillna("-")
    by_tier = now.groupby(now["level"].fillna("-"))["value"].sum()
    for key, tier in tiers.items():
        assert tier.customers == (levels == (key or "-")).sum(), key
        assert tier.revenue == pytest.approx(by_tier.get(key or "-", 0.0)), key
    assert sum(t.customers for t in report.tiers) == len(customers)
    assert tiers["vip"].names["zh-CN"] == "贵宾"

    points, top20 = expected_pareto(orders, period)
    assert len(report.pareto) == len(points)
    for got, want in zip(report.pareto, points, strict=True):
        assert got == pytest.approx(want)
    assert report.top20_share == pytest.approx(top20)
    assert 2 <= len(report.pareto) <= 101

    values = metrics[basis].dropna()
    assert sum(b.count for b in report.clv_buckets) == len(values)
    for bucket in report.clv_buckets[:-1]:
        inside = values[(values >= bucket.low) & (values < bucket.high)]
        assert bucket.count == len(inside), bucket
    last = report.clv_buckets[-1]
    assert last.count == ((values >= last.low) & (values <= last.high)).sum()
    assert report.clv_buckets[0].low <= values.min() and values.max() <= last.high

    scored = metrics.dropna(subset=["r_score", "f_score"])
    cells = scored.groupby([scored["r_score"].astype(int), scored["f_score"].astype(int)]).size()
    assert report.rfm_cells == {f"{r}{f}": n for (r, f), n in cells.items()}
    assert report.segments == metrics["rfm_segment"].dropna().value_counts().to_dict()
    assert report.churn == {
        status: int((metrics["churn_status"] == status).sum())
        for status in ("none", "active", "at_risk", "dormant")
    }

    before = period.previous()
    until_end = orders[orders["day"] <= period.end.isoformat()]
    ever = set(until_end["cid"])
    now_buyers = set(now["cid"])
    before_buyers = set(in_period(orders, before)["cid"])
    assert (report.retention.numerator, report.retention.denominator) == (
        len(before_buyers & now_buyers),
        len(before_buyers),
    )
    assert (report.activity.numerator, report.activity.denominator) == (len(now_buyers), len(ever))

    assert report.reactivation is not None
    assert (report.reactivation.numerator, report.reactivation.denominator) == reactivation

    scored_answers = in_period(answers, period).dropna(subset=["value"])
    assert report.surveys_configured
    assert [m.month for m in report.nps_months] == period.months()
    for month in report.nps_months:
        rows = scored_answers[scored_answers["day"].str[:7] == month.month.isoformat()[:7]]
        assert month.responses == len(rows)
        assert month.promoters == (rows["value"] >= 9).sum()
        assert month.detractors == (rows["value"] <= 6).sum()
        if len(rows):
            expected = ((rows["value"] >= 9).sum() - (rows["value"] <= 6).sum()) * 100 / len(rows)
            assert month.nps == pytest.approx(expected)
        else:
            assert month.nps is None
    assert report.nps_total.responses == len(scored_answers)


def test_follow_up_completion_counts_tasks_due_in_the_period(app: Flask, rcrm: ReportCrm) -> None:
    report = report_for(app, rcrm, QUARTER)
    mine = report_for(app, rcrm, QUARTER, rcrm.member.id)
    with app.app_context():
        session = db.session()
        live = {
            r.id: r.owner_id
            for r in stored_records(session, rcrm.crm.customers)
            if r.deleted_at is None
        }
        begin = datetime.combine(QUARTER.start, time(0), UTC)
        end = datetime.combine(QUARTER.end + timedelta(days=1), time(0), UTC)
        due = [
            t
            for t in session.scalars(select(Task).where(Task.workspace_id == rcrm.workspace_id))
            if t.due_at is not None
            and begin <= t.due_at < end
            and t.record_id in live
            and t.status != "cancelled"
        ]
    assert report.follow_ups.denominator == len(due) > 0
    assert report.follow_ups.numerator == sum(t.status == "done" for t in due)
    member_due = [t for t in due if live[t.record_id] == rcrm.member.id]
    assert mine.follow_ups.denominator == len(member_due)
    assert mine.follow_ups.numerator == sum(t.status == "done" for t in member_due)


def test_a_deleted_order_leaves_the_revenue(app: Flask, rcrm: ReportCrm) -> None:
    before = report_for(app, rcrm, YEAR)
    with app.app_context():
        session = db.session()
        order = next(
            r
            for r in stored_records(session, rcrm.crm.orders)
            if r.deleted_at is None
            and YEAR.start.isoformat() <= str(r.data.get("ordered_on")) <= YEAR.end.isoformat()
        )
        records.delete_record(session, rcrm.crm.actor(session), rcrm.crm.orders, order.id)
        amount = float(order.data["amount"])
    after = report_for(app, rcrm, YEAR)
    assert after.orders == before.orders - 1
    assert after.revenue == pytest.approx(before.revenue - amount)


def test_an_unconfigured_workspace_reports_zeros(app: Flask, factory: Factory) -> None:
    owner = factory.user()
    workspace = factory.workspace(owner)
    with app.app_context():
        report = build_report(db.session(), workspace.id, YEAR)
    assert not report.configured
    assert (report.total_customers, report.asset_value, report.revenue) == (0, 0.0, 0.0)
    assert report.tiers == [] and report.pareto == [] and report.top20_share is None
    assert report.retention.value is None and report.follow_ups.value is None


def test_a_configured_workspace_without_orders_reports_zeros(app: Flask, factory: Factory) -> None:
    crm = make_crm(app, factory)
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        for name in ("Zhang San", "Li Si"):
            records.create_record(session, actor, crm.customers, {"name": name})
        value_settings.save(session, actor, value_settings.default_settings(), revision=0)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        report = build_report(session, crm.workspace.id, YEAR)
    assert report.configured and report.total_customers == 2
    assert (report.orders, report.revenue, report.buyers) == (0, 0.0, 0)
    assert report.pareto == [] and report.top20_share is None
    assert report.clv_buckets == [] and report.schemes == [] and report.scheme is None
    assert report.churn["none"] == 2 and report.activity.value is None
    assert not report.surveys_configured and report.nps_months == []


def test_another_workspace_never_shows(app: Flask, factory: Factory, rcrm: ReportCrm) -> None:
    other = build_report_crm(app, factory, name="Other")
    mine = report_for(app, rcrm, YEAR)
    theirs = report_for(app, other, YEAR)
    assert mine.total_customers == theirs.total_customers  # the same generated data
    assert mine.revenue == pytest.approx(theirs.revenue)
    with app.app_context():
        # A scheme of the other workspace is never chosen.
        report = build_report(db.session(), rcrm.workspace_id, YEAR, scheme_id=other.scheme_id)
    assert report.scheme is not None and report.scheme.id == rcrm.scheme_id


@pytest.mark.parametrize(
    ("preset", "start"),
    [("30d", date(2026, 6, 1)), ("90d", date(2026, 4, 2)), ("365d", date(2025, 7, 1)),
     ("year", date(2026, 1, 1))],
)  # fmt: skip
def test_presets_end_today(preset: str, start: date) -> None:
    assert preset_period(preset, TODAY) == Period(start, TODAY)
    assert Period(start, TODAY).previous().end == start - timedelta(days=1)


FITTED = {
    "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "customers": 2357},
    "gamma_gamma": {"p": 6.25, "q": 3.74, "v": 15.45, "customers": 946},
    "refusal": None,
}


def test_predictive_clv_is_summed_when_the_model_is_fitted(app: Flask, rcrm: ReportCrm) -> None:
    with app.app_context():
        session = db.session()
        rows = session.scalars(
            select(CustomerMetrics).where(CustomerMetrics.workspace_id == rcrm.workspace_id)
        ).all()
        predicted = {}
        for index, row in enumerate(rows):
            row.clv_predicted = None if index % 4 == 0 else 100.0 + index * 37.5
            predicted[row.record_id] = row.clv_predicted
        model = session.get_one(ValueModel, rcrm.workspace_id)
        model.model_fit = FITTED
        session.commit()
    report = report_for(app, rcrm, YEAR)
    values = [v for v in predicted.values() if v is not None]
    assert report.clv_basis == "predictive"
    assert report.asset_value == pytest.approx(sum(values))
    assert report.valued_customers == len(values)
    assert sum(b.count for b in report.clv_buckets) == len(values)
    with app.app_context():
        session = db.session()
        model = session.get_one(ValueModel, rcrm.workspace_id)
        model.model_fit = {**FITTED, "refusal": {"code": "clv_too_few_customers"}}
        session.commit()
    assert report_for(app, rcrm, YEAR).clv_basis == "historical"
    with app.app_context():
        session = db.session()
        model = session.get_one(ValueModel, rcrm.workspace_id)
        model.model_fit = FITTED
        model.settings = {**model.settings, "clv": {**model.settings["clv"], "predictive": False}}
        session.commit()
    assert report_for(app, rcrm, YEAR).clv_basis == "historical"
