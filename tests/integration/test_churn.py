"""Churn warnings: statuses by the rules, the history of changes, tier_changed events that
run automations, and the reactivation rate (盘活率)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from formwork import db
from formwork.models import CustomerMetrics, Event, Record, Task, TierChange
from formwork.services import records
from formwork.value.churn import reactivation_rate
from formwork.value.refresh import refresh_workspace, workspace_today
from tests.integration.automation_fixtures import add_automation, runs_by_status
from tests.integration.value_fixtures import (
    TODAY,
    ValueCrm,
    configure,
    make_value_crm,
    settings_doc,
)

RULES = {"interval_multiple": 2.0, "at_risk_days": 90, "dormant_days": 180, "complaints_at_risk": 2}


@pytest.fixture
def crm(app: Flask, factory: Any) -> ValueCrm:
    crm = make_value_crm(app, factory, customers=50, orders=400, seed=5)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session), settings_doc(churn=RULES))
    return crm


def expected_status(m: CustomerMetrics) -> str:
    if m.order_count == 0:
        return "none"
    assert m.recency_days is not None
    if m.recency_days >= RULES["dormant_days"]:
        return "dormant"
    limit = RULES["at_risk_days"]
    if m.usual_interval_days is not None:
        limit = min(limit, RULES["interval_multiple"] * m.usual_interval_days)
    if m.recency_days >= limit or m.open_complaints >= RULES["complaints_at_risk"]:
        return "at_risk"
    return "active"


def metrics(session: Any, workspace_id: int) -> list[CustomerMetrics]:
    session.expire_all()
    return list(
        session.scalars(select(CustomerMetrics).where(CustomerMetrics.workspace_id == workspace_id))
    )


def churn_changes(session: Any, workspace_id: int) -> list[TierChange]:
    return list(
        session.scalars(
            select(TierChange)
            .where(TierChange.workspace_id == workspace_id, TierChange.scheme_key == "churn")
            .order_by(TierChange.id)
        )
    )


def test_statuses_follow_the_rules_and_changes_are_recorded(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        result = refresh_workspace(session, crm.workspace.id, today=TODAY)
        rows = metrics(session, crm.workspace.id)
        for m in rows:
            assert m.churn_status == expected_status(m), m.record_id
        statuses = {m.churn_status for m in rows}
        assert statuses == {"none", "active", "at_risk", "dormant"}
        # Each rule decides somewhere: the usual interval and complaints too.
        assert any(
            m.churn_status == "at_risk" and m.recency_days < RULES["at_risk_days"] for m in rows
        )
        changed = [m for m in rows if m.churn_status != "none"]
        assert result.churn.changed == len(changed)
        assert result.churn.by_status == {
            s: sum(m.churn_status == s for m in rows) for s in statuses
        }
        history = churn_changes(session, crm.workspace.id)
        assert {(c.record_id, c.from_tier, c.to_tier) for c in history} == {
            (m.record_id, "none", m.churn_status) for m in changed
        }
        assert all(c.source == "metrics" and c.scheme_id is None for c in history)
        assert all(m.churn_since == TODAY.isoformat() for m in changed)
        events = session.scalars(select(Event).where(Event.type == "tier_changed")).all()
        assert {(e.record_id, e.payload["from"], e.payload["to"]) for e in events} == {
            (m.record_id, "none", m.churn_status) for m in changed
        }
        assert all(e.payload["scheme"] == "churn" and e.form_id == crm.customers.id for e in events)
        # The same day again changes nothing and announces nothing.
        again = refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert again.churn.changed == 0
        assert len(churn_changes(session, crm.workspace.id)) == len(history)


def test_time_passing_moves_customers_towards_dormant(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        before = {m.record_id: m.churn_status for m in metrics(session, crm.workspace.id)}
        later = TODAY + timedelta(days=120)
        refresh_workspace(session, crm.workspace.id, today=later)
        after = metrics(session, crm.workspace.id)
        for m in after:
            assert m.churn_status == expected_status(m)
        moved = {m.record_id for m in after if m.churn_status != before[m.record_id]}
        assert moved
        last = {}
        for change in churn_changes(session, crm.workspace.id):
            last[change.record_id] = change
        for m in after:
            if m.record_id in moved:
                assert (last[m.record_id].from_tier, last[m.record_id].to_tier) == (
                    before[m.record_id],
                    m.churn_status,
                )
                assert m.churn_since == later.isoformat()


def test_an_automation_on_churn_becoming_at_risk_runs(app: Flask, crm: ValueCrm) -> None:
    document = {
        "version": 1,
        "trigger": {
            "type": "tier_changed",
            "form": "customers",
            "scheme": "churn",
            "to": "at_risk",
        },
        "actions": [
            {
                "id": "reactivate",
                "type": "create_task",
                "title": "Win back {{ record.name }}",
                "assignee": {"kind": "owner"},
                "due": {"days": 2},
            }
        ],
    }
    with app.app_context():
        session = db.session()
        automation = add_automation(session, crm.actor(session), document)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        at_risk = {
            m.record_id for m in metrics(session, crm.workspace.id) if m.churn_status == "at_risk"
        }
        assert at_risk
        assert runs_by_status(session, automation.id) == {"succeeded": len(at_risk)}
        made = session.scalars(select(Task).where(Task.title.like("Win back%"))).all()
        assert {task.record_id for task in made} == at_risk


def test_a_new_order_from_a_dormant_customer_reactivates_them(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        today = workspace_today(session, crm.workspace.id)
        refresh_workspace(session, crm.workspace.id)  # today: the orders are months old
        rows = metrics(session, crm.workspace.id)
        # The one coming back first has no complaints open (else at risk, not active).
        dormant = [
            m.record_id
            for m in sorted(rows, key=lambda m: m.open_complaints)
            if m.churn_status == "dormant"
        ]
        assert len(dormant) >= 3
        records.create_record(
            session,
            actor,
            crm.orders,
            {"customer": dormant[0], "amount": 50, "ordered_on": today.isoformat()},
        )
        session.expire_all()
        row = session.get(CustomerMetrics, dormant[0])
        assert row is not None and row.churn_status == "active"
        assert churn_changes(session, crm.workspace.id)[-1].from_tier == "dormant"
        reactivated, count, rate = reactivation_rate(
            session, crm.workspace.id, today - timedelta(days=1), today + timedelta(days=1)
        )
        assert (reactivated, count) == (1, len(dormant))
        assert rate == pytest.approx(1 / len(dormant))
        # A period starting after it: the reactivated customer is no longer dormant.
        tomorrow = today + timedelta(days=1)
        assert reactivation_rate(session, crm.workspace.id, tomorrow, tomorrow) == (
            0,
            len(dormant) - 1,
            0.0,
        )


def test_reactivation_rate_reads_the_history_of_the_period(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        session.execute(delete(TierChange))
        ids = crm.customer_ids

        def change(record_id: int, old: str, new: str, day: date) -> None:
            moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            session.add(
                TierChange(
                    workspace_id=crm.workspace.id,
                    record_id=record_id,
                    scheme_key="churn",
                    from_tier=old,
                    to_tier=new,
                    source="metrics",
                    changed_at=moment,
                )
            )
            session.flush()

        start, end = date(2026, 3, 1), date(2026, 3, 31)
        change(ids[0], "none", "dormant", date(2026, 1, 5))  # dormant at the start
        change(ids[0], "dormant", "active", date(2026, 3, 10))  # … reactivated within
        change(ids[1], "none", "dormant", date(2026, 2, 1))  # dormant all along
        change(ids[2], "active", "dormant", date(2026, 3, 15))  # became dormant within
        change(ids[2], "dormant", "at_risk", date(2026, 3, 31))  # … and back on the last day
        change(ids[3], "none", "dormant", date(2026, 1, 1))  # dormant, but came back before
        change(ids[3], "dormant", "active", date(2026, 2, 27))
        change(ids[4], "active", "dormant", date(2026, 4, 1))  # after the period
        change(ids[5], "none", "dormant", date(2026, 1, 1))  # a deleted customer
        session.execute(
            Record.__table__.update()
            .where(Record.id == ids[5])
            .values(deleted_at=datetime.now(UTC))
        )
        session.commit()
        assert reactivation_rate(session, crm.workspace.id, start, end) == (2, 3, 2 / 3)
        assert reactivation_rate(session, crm.workspace.id, date(2025, 1, 1), date(2025, 1, 2)) == (
            0,
            0,
            None,
        )
        total = session.scalar(select(func.count()).select_from(TierChange))
        assert total == 9
