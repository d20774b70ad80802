"""Per-customer metrics: every figure equals a pandas reference computed from the same
generated records, on SQLite and PostgreSQL; incremental refreshes after order edits
equal a full recompute."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import CustomerMetrics, Record
from formwork.services import records, tasks
from formwork.value import settings as value_settings
from formwork.value.metrics import METRIC_COLUMNS, recompute_metrics
from formwork.value.refresh import refresh_customers, refresh_workspace
from tests.integration.forms_fixtures import published_forms
from tests.integration.value_fixtures import (
    TODAY,
    ValueCrm,
    configure,
    make_value_crm,
    reference_metrics,
    settings_doc,
)

COMPARED = [c for c in METRIC_COLUMNS if c != "as_of"]


@pytest.fixture
def crm(app: Flask, factory: Any) -> ValueCrm:
    crm = make_value_crm(app, factory)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))
    return crm


def stored(session: Session, workspace_id: int) -> dict[int, dict[str, Any]]:
    session.expire_all()
    rows = session.scalars(
        select(CustomerMetrics).where(CustomerMetrics.workspace_id == workspace_id)
    )
    return {
        row.record_id: {c: getattr(row, c) for c in (*METRIC_COLUMNS, "churn_status")}
        for row in rows
    }


def assert_rows_equal(
    actual: dict[int, dict[str, Any]], expected: dict[int, dict[str, Any]]
) -> None:
    """Equal row by row; sums may differ in the last bit (summation order)."""
    assert sorted(actual) == sorted(expected)
    for record_id, row in expected.items():
        for column, value in row.items():
            assert_same(actual[record_id][column], value, f"customer {record_id} {column}")


def assert_same(actual: Any, expected: Any, where: str) -> None:
    missing = expected is None or (isinstance(expected, float) and math.isnan(expected))
    if missing:
        assert actual is None, where
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9), where
    else:
        assert actual == expected, where


def assert_matches_reference(session: Session, crm: ValueCrm) -> dict[int, dict[str, Any]]:
    reference = reference_metrics(session, crm)
    rows = stored(session, crm.workspace.id)
    assert sorted(rows) == sorted(reference.index.tolist())
    for record_id, expected in reference.iterrows():
        for column in COMPARED:
            value = expected[column]
            value = value.item() if hasattr(value, "item") else value
            assert_same(rows[record_id][column], value, f"customer {record_id} {column}")
    return rows


def test_every_metric_equals_the_pandas_reference(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        settings = value_settings.load(session, crm.workspace.id, strict=True)
        assert settings is not None
        written = recompute_metrics(session, settings, today=TODAY)
        session.commit()
        rows = assert_matches_reference(session, crm)
        assert written == len(rows) == len(crm.customer_ids) - 1  # one customer deleted
        # The data really exercises each rule (a reference that cannot fail proves nothing).
        assert any(r["order_count"] == 0 for r in rows.values())
        assert any(r["purchase_days"] < r["order_count"] for r in rows.values())
        assert any(r["open_complaints"] > 0 for r in rows.values())
        assert any(r["latest_nps"] is not None for r in rows.values())
        assert any(r["last_follow_up_on"] is not None for r in rows.values())
        assert all(r["as_of"] == TODAY.isoformat() for r in rows.values())
        assert {r["churn_status"] for r in rows.values()} == {"none"}


def test_metrics_measured_on_another_day_follow_it(app: Flask, crm: ValueCrm) -> None:
    earlier = TODAY - timedelta(days=200)
    with app.app_context():
        session = db.session()
        settings = value_settings.load(session, crm.workspace.id)
        assert settings is not None
        recompute_metrics(session, settings, today=earlier)
        reference = reference_metrics(session, crm, earlier)
        rows = stored(session, crm.workspace.id)
        for record_id, expected in reference.iterrows():
            for column in ("order_count", "total_spent", "recency_days", "orders_90d"):
                value = expected[column]
                value = value.item() if hasattr(value, "item") else value
                assert_same(rows[record_id][column], value, f"{record_id} {column}")


def test_without_a_resolved_field_recent_complaints_count_as_open(
    app: Flask, crm: ValueCrm
) -> None:
    with app.app_context():
        session = db.session()
        doc = settings_doc()
        del doc["complaints"]["resolved"], doc["complaints"]["resolved_values"]
        configure(session, crm.actor(session), doc)
        settings = value_settings.load(session, crm.workspace.id, strict=True)
        assert settings is not None
        recompute_metrics(session, settings, today=TODAY)
        rows = stored(session, crm.workspace.id)
        assert any(r["complaints_90d"] for r in rows.values())
        assert all(r["open_complaints"] == r["complaints_90d"] for r in rows.values())


def test_incremental_refresh_after_order_changes_equals_a_full_recompute(
    app: Flask, crm: ValueCrm
) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        # The hooks measure on the workspace's real today; so does this refresh.
        refresh_workspace(session, crm.workspace.id)
        first, second, quiet = crm.customer_ids[0], crm.customer_ids[1], crm.customer_ids[-2]
        day = (TODAY - timedelta(days=3)).isoformat()
        new = records.create_record(
            session, actor, crm.orders, {"customer": quiet, "amount": 120.5, "ordered_on": day}
        )
        order = session.scalar(
            select(Record).where(
                Record.form_id == crm.orders.id,
                Record.deleted_at.is_(None),
                Record.data["customer"].as_integer() == first,
            )
        )
        assert order is not None
        records.update_record(
            session,
            actor,
            crm.orders,
            order.id,
            {**order.data, "customer": second, "amount": 999},
            expected_version=order.version,
            source="json",
        )
        records.delete_record(session, actor, crm.orders, new.id)
        records.restore_record(session, actor, crm.orders, new.id)
        records.bulk_create(
            session, actor, crm.orders, [{"customer": first, "amount": 5, "ordered_on": day}] * 2
        )
        incremental = stored(session, crm.workspace.id)
        refresh_workspace(session, crm.workspace.id)
        full = stored(session, crm.workspace.id)
        assert_rows_equal(incremental, full)
        assert full[quiet]["last_order_on"] >= day
        assert full[second]["total_spent"] > 999


def test_refresh_customers_equals_a_full_recompute_on_the_same_day(
    app: Flask, crm: ValueCrm
) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        before = stored(session, crm.workspace.id)
        # Change orders behind the services' back, then refresh just those customers.
        changed = crm.customer_ids[:3]
        for order in session.scalars(
            select(Record).where(Record.form_id == crm.orders.id, Record.deleted_at.is_(None))
        ):
            if order.data.get("customer") in changed:
                order.deleted_at = datetime.now(UTC)
        session.flush()
        refresh_customers(session, crm.workspace.id, changed, today=TODAY)
        incremental = stored(session, crm.workspace.id)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        full = stored(session, crm.workspace.id)
        assert_rows_equal(incremental, full)
        assert all(full[c]["order_count"] == 0 for c in changed)
        assert any(before[c]["order_count"] for c in changed)


def test_new_and_deleted_customers_get_and_lose_their_row(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        new = records.create_record(session, actor, crm.customers, {"name": "Newcomer"})
        rows = stored(session, crm.workspace.id)
        assert rows[new.id]["order_count"] == 0
        assert rows[new.id]["churn_status"] == "none"
        records.delete_record(session, actor, crm.customers, new.id)
        assert new.id not in stored(session, crm.workspace.id)
        records.restore_record(session, actor, crm.customers, new.id)
        assert new.id in stored(session, crm.workspace.id)


def test_completing_a_follow_up_task_updates_the_last_follow_up(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        refresh_workspace(session, crm.workspace.id)
        customer = session.get(Record, crm.customer_ids[5])
        assert customer is not None
        task = tasks.create_task(
            session, actor, title="Visit", assignee_id=actor.user_id, record=customer
        )
        tasks.complete_task(session, actor, task.id)
        today = datetime.now(UTC).date().isoformat()
        assert stored(session, crm.workspace.id)[customer.id]["last_follow_up_on"] == today
        tasks.reopen_task(session, actor, task.id)
        assert stored(session, crm.workspace.id)[customer.id]["last_follow_up_on"] != today


def test_a_workspace_without_settings_is_left_alone(app: Flask, factory: Any) -> None:
    crm = make_value_crm(app, factory, customers=5, orders=10)
    with app.app_context():
        session = db.session()
        assert value_settings.load(session, crm.workspace.id) is None
        actor = crm.actor(session)
        records.create_record(
            session, actor, crm.orders, {"customer": crm.customer_ids[0], "amount": 1}
        )
        assert stored(session, crm.workspace.id) == {}


TICKETS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-format": 1,
    "type": "object",
    "title": "Tickets",
    "x-order": ["customer", "solved"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "solved": {"type": "boolean", "title": "Solved", "x-field": "checkbox"},
    },
    "required": ["customer"],
    "additionalProperties": False,
}


def test_a_checkbox_says_which_complaints_are_resolved(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        tickets = published_forms(session, actor, {"tickets": TICKETS})["tickets"]
        first, second = crm.customer_ids[:2]
        rows = [
            {"customer": first, "solved": True},
            {"customer": first, "solved": False},
            {"customer": first},
            {"customer": second, "solved": True},
        ]
        records.bulk_create(session, actor, tickets, rows)
        doc = settings_doc(complaints={"form": "tickets", "link": "customer", "resolved": "solved"})
        configure(session, actor, doc)
        settings = value_settings.load(session, crm.workspace.id, strict=True)
        assert settings is not None and settings.complaints is not None
        assert settings.complaints.resolved_kind == "boolean"
        # No date field: the created day (the real today) counts.
        refresh_workspace(session, crm.workspace.id)
        metrics = stored(session, crm.workspace.id)
        assert (metrics[first]["open_complaints"], metrics[first]["complaints_90d"]) == (2, 3)
        assert (metrics[second]["open_complaints"], metrics[second]["complaints_90d"]) == (0, 1)
