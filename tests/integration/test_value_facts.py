"""Order facts (``customer_order_facts``): equal to what the stored orders say (computed
here in Python from the records, not from our SQL) after a full refresh, after every kind
of order change through the records service, and after the settings name other fields;
stale facts are rebuilt, and the metrics read from them equal a pandas reference."""

from __future__ import annotations

import copy
from datetime import UTC, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import Record, ValueModel
from formwork.models.customer_value import CustomerOrderFact
from formwork.services import publishing, records
from formwork.value import facts
from formwork.value import settings as value_settings
from formwork.value.refresh import refresh_workspace
from tests.integration.forms_fixtures import ORDERS
from tests.integration.value_fixtures import TODAY, ValueCrm, configure, make_value_crm

Facts = dict[tuple[int, int], tuple[str, float]]


@pytest.fixture
def crm(app: Flask, factory: Any) -> ValueCrm:
    crm = make_value_crm(app, factory, customers=12, orders=90)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))
    return crm


def stored_facts(session: Session, workspace_id: int) -> Facts:
    session.expire_all()
    rows = session.scalars(
        select(CustomerOrderFact).where(CustomerOrderFact.workspace_id == workspace_id)
    )
    return {(r.customer_id, r.order_id): (r.day, float(r.amount)) for r in rows}


def expected_facts(
    session: Session, crm: ValueCrm, *, amount: str = "amount", date: str = "ordered_on"
) -> Facts:
    """From the stored orders: live ones, per linked customer, the date field's day or the
    created day (UTC), the amount when it is a number, else 0."""
    session.expire_all()
    expected: Facts = {}
    for order in session.scalars(select(Record).where(Record.form_id == crm.orders.id)):
        if order.deleted_at is not None:
            continue
        customer = order.data.get("customer")
        if not isinstance(customer, int):
            continue
        value = order.data.get(amount)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        day = order.data.get(date)
        if not (isinstance(day, str) and len(day) == 10 and day[4] == "-" and day[7] == "-"):
            day = order.created_at.astimezone(UTC).date().isoformat()
        expected[(customer, order.id)] = (day, float(value) if number else 0.0)
    return expected


def assert_current(session: Session, crm: ValueCrm, **fields: str) -> None:
    assert stored_facts(session, crm.workspace.id) == expected_facts(session, crm, **fields)


def facts_key(session: Session, workspace_id: int) -> str | None:
    session.expire_all()
    model = session.get(ValueModel, workspace_id)
    assert model is not None
    return model.facts_key


def test_a_full_refresh_builds_the_facts_once(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        # The orders were created before the settings: no facts yet.
        assert stored_facts(session, crm.workspace.id) == {}
        assert facts_key(session, crm.workspace.id) is None
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert_current(session, crm)
        assert len(stored_facts(session, crm.workspace.id)) > 50
        key = facts_key(session, crm.workspace.id)
        assert key is not None
        settings = value_settings.load(session, crm.workspace.id)
        assert settings is not None
        # Current: a second full refresh does not rebuild them.
        assert facts.ensure_current(session, settings) is False
        assert facts_key(session, crm.workspace.id) == key


def test_order_changes_keep_the_facts_current(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        first, second = crm.customer_ids[0], crm.customer_ids[1]
        day = (TODAY - timedelta(days=5)).isoformat()
        # Created.
        new = records.create_record(
            session, actor, crm.orders, {"customer": first, "amount": 42.25, "ordered_on": day}
        )
        assert stored_facts(session, crm.workspace.id)[(first, new.id)] == (day, 42.25)
        assert_current(session, crm)
        # Amount and date changed.
        new = session.get(Record, new.id)
        assert new is not None
        records.update_record(
            session,
            actor,
            crm.orders,
            new.id,
            {**new.data, "amount": 7, "ordered_on": "2025-01-02"},
            expected_version=new.version,
            source="json",
        )
        assert stored_facts(session, crm.workspace.id)[(first, new.id)] == ("2025-01-02", 7.0)
        assert_current(session, crm)
        # Link changed: the fact moves to the other customer.
        new = session.get(Record, new.id)
        assert new is not None
        records.update_record(
            session,
            actor,
            crm.orders,
            new.id,
            {**new.data, "customer": second},
            expected_version=new.version,
            source="json",
        )
        current = stored_facts(session, crm.workspace.id)
        assert (first, new.id) not in current
        assert current[(second, new.id)] == ("2025-01-02", 7.0)
        assert_current(session, crm)
        # Date emptied: the created day counts.
        new = session.get(Record, new.id)
        assert new is not None
        data = {k: v for k, v in new.data.items() if k != "ordered_on"}
        records.update_record(
            session, actor, crm.orders, new.id, data, expected_version=new.version, source="json"
        )
        created = new.created_at.astimezone(UTC).date().isoformat()
        assert stored_facts(session, crm.workspace.id)[(second, new.id)] == (created, 7.0)
        assert_current(session, crm)
        # Deleted, restored.
        records.delete_record(session, actor, crm.orders, new.id)
        assert (second, new.id) not in stored_facts(session, crm.workspace.id)
        assert_current(session, crm)
        records.restore_record(session, actor, crm.orders, new.id)
        assert (second, new.id) in stored_facts(session, crm.workspace.id)
        assert_current(session, crm)
        # Imported in bulk.
        ids = records.bulk_create(
            session,
            actor,
            crm.orders,
            [{"customer": first, "amount": 3, "ordered_on": day}] * 3,
        )
        assert all((first, i) in stored_facts(session, crm.workspace.id) for i in ids)
        assert_current(session, crm)
        # None of this invalidated the facts: the next full refresh does not rebuild.
        settings = value_settings.load(session, crm.workspace.id)
        assert settings is not None
        assert facts.ensure_current(session, settings) is False


def test_wrong_typed_values_count_as_zero_and_the_created_day(app: Flask, crm: ValueCrm) -> None:
    """Values written behind the services' back (as an old import might have): a text
    amount counts 0, a malformed or non-text date falls back to the created day — the
    same as the metrics read from JSON."""
    with app.app_context():
        session = db.session()
        orders = session.scalars(
            select(Record)
            .where(Record.form_id == crm.orders.id, Record.deleted_at.is_(None))
            .order_by(Record.id)
            .limit(6)
        ).all()
        odd: list[tuple[Any, Any]] = [
            ("12.5", "2025-13-45x"),
            (True, 20250101),
            (None, ["2025-01-01"]),
            ([5], {"d": "2025-01-01"}),
            (-3.5, "2025-02-03T10:00:00Z"),
            (1e3, None),
        ]
        for order, (amount, day) in zip(orders, odd, strict=True):
            data = copy.deepcopy(order.data)
            data["amount"] = amount
            data["ordered_on"] = day
            session.execute(update(Record).where(Record.id == order.id).values(data=data))
        session.commit()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert_current(session, crm)
        stored = stored_facts(session, crm.workspace.id)
        by_order = {order_id: value for (_c, order_id), value in stored.items()}
        assert by_order[orders[4].id][1] == -3.5
        assert by_order[orders[5].id][1] == 1000.0
        assert by_order[orders[0].id][1] == 0.0


def test_facts_are_rebuilt_when_the_settings_name_other_fields(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        old_key = facts_key(session, crm.workspace.id)
        # A new version of the order form with a net amount and a shipping date.
        document = copy.deepcopy(ORDERS)
        document["x-order"] = [*document["x-order"], "net", "shipped_on"]
        document["properties"]["net"] = {"type": "number", "title": "Net", "x-field": "money"}
        document["properties"]["shipped_on"] = {
            "type": "string",
            "format": "date",
            "title": "Shipped on",
            "x-field": "date",
        }
        form = crm.orders
        form = session.merge(form)
        publishing.save_draft(session, actor, form, document, form.draft_revision)
        publishing.publish(session, actor, form, form.draft_revision)
        order = session.scalar(
            select(Record)
            .where(Record.form_id == form.id, Record.deleted_at.is_(None))
            .order_by(Record.id)
        )
        assert order is not None
        records.update_record(
            session,
            actor,
            form,
            order.id,
            {**order.data, "net": 80, "shipped_on": "2026-01-15"},
            expected_version=order.version,
            source="json",
        )
        # Settings naming the new fields: the next full refresh rebuilds every fact.
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None
        doc = copy.deepcopy(model.settings)
        doc["orders"] = {**doc["orders"], "amount": "net", "date": "shipped_on"}
        value_settings.save(session, actor, doc, revision=model.revision)
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert_current(session, crm, amount="net", date="shipped_on")
        stored = stored_facts(session, crm.workspace.id)
        customer = order.data["customer"]
        assert stored[(customer, order.id)] == ("2026-01-15", 80.0)
        new_key = facts_key(session, crm.workspace.id)
        assert new_key is not None and new_key != old_key
        # And kept current under the new settings.
        order = session.get(Record, order.id)
        assert order is not None
        records.update_record(
            session,
            actor,
            form,
            order.id,
            {**order.data, "net": 81.5},
            expected_version=order.version,
            source="json",
        )
        assert stored_facts(session, crm.workspace.id)[(customer, order.id)][1] == 81.5
        assert_current(session, crm, amount="net", date="shipped_on")


def test_stale_facts_are_rebuilt_by_the_next_full_refresh(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        # Facts damaged behind everyone's back and marked stale (as the records hook
        # does when an order changes while the settings do not fit the forms).
        session.execute(update(CustomerOrderFact).values(amount=0, day="2000-01-01"))
        facts.invalidate(session, crm.workspace.id)
        session.commit()
        assert facts_key(session, crm.workspace.id) is None
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert_current(session, crm)
        assert facts_key(session, crm.workspace.id) is not None
