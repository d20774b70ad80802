"""A generated CRM for customer-value tests: customers, orders over two years, complaints,
NPS answers, visits and completed follow-up tasks, from a fixed seed; plus a pandas
reference of every metric, computed from the stored records (not from our SQL).

    crm = make_value_crm(app, factory)            # records created through the services
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))    # stores the settings document
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import Form, Record, Task, ValueModel
from formwork.services import records
from formwork.services.scope import Actor, actor_for
from formwork.value import settings as value_settings
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, SCHEMA, published_forms

# Fixed "today" of the figures. Records without a date fall back to their created day
# (the real today), which is later: they are left out, as the metrics define.
TODAY = date(2026, 6, 30)
HISTORY_DAYS = 730


def _link(title: str) -> dict[str, Any]:
    return {
        "type": "integer",
        "title": title,
        "x-field": "link",
        "x-link": {"form": "customers"},
    }


COMPLAINTS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Complaints",
    "x-order": ["customer", "opened_on", "status", "summary"],
    "properties": {
        "customer": _link("Customer"),
        "opened_on": {"type": "string", "format": "date", "title": "Opened", "x-field": "date"},
        "status": {
            "enum": ["open", "in_progress", "resolved", "closed"],
            "title": "Status",
            "x-field": "select",
        },
        "summary": {"type": "string", "title": "Summary", "maxLength": 200, "x-field": "text"},
    },
    "required": ["customer"],
    "additionalProperties": False,
}
SURVEYS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "NPS",
    "x-order": ["customer", "score", "answered_on"],
    "properties": {
        "customer": _link("Customer"),
        "score": {
            "type": "integer",
            "minimum": 0,
            "maximum": 10,
            "title": "Score",
            "x-field": "nps",
        },
        "answered_on": {
            "type": "string",
            "format": "date",
            "title": "Answered",
            "x-field": "date",
        },
    },
    "required": ["customer"],
    "additionalProperties": False,
}
VISITS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Visits",
    "x-order": ["customer", "visited_at"],
    "properties": {
        "customer": _link("Customer"),
        "visited_at": {
            "type": "string",
            "format": "date-time",
            "title": "Visited at",
            "x-field": "datetime",
        },
    },
    "required": ["customer"],
    "additionalProperties": False,
}
DOCUMENTS = {
    "customers": CUSTOMERS,
    "orders": ORDERS,
    "complaints": COMPLAINTS,
    "nps": SURVEYS,
    "visits": VISITS,
}


def settings_doc(**overrides: Any) -> dict[str, Any]:
    """The settings of the generated CRM (every part configured); ``overrides`` replace
    top-level parts, e.g. ``settings_doc(rfm={"method": "thresholds"})``."""
    doc = value_settings.default_settings()
    doc["complaints"] = {
        "form": "complaints",
        "link": "customer",
        "date": "opened_on",
        "resolved": "status",
        "resolved_values": ["resolved", "closed"],
    }
    doc["surveys"] = {"form": "nps", "link": "customer", "score": "score", "date": "answered_on"}
    doc["follow_ups"] = {"form": "visits", "link": "customer", "date": "visited_at"}
    doc.update(copy.deepcopy(overrides))
    return doc


@dataclass
class ValueCrm:
    app: Flask
    owner: Any
    workspace: Any
    forms: dict[str, Form]
    customer_ids: list[int] = field(default_factory=list)

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)

    @property
    def customers(self) -> Form:
        return self.forms["customers"]

    @property
    def orders(self) -> Form:
        return self.forms["orders"]


def make_value_crm(
    app: Flask,
    factory: Any,
    *,
    customers: int = 40,
    orders: int = 400,
    seed: int = 7,
    name: str = "Acme",
) -> ValueCrm:
    """Publish the five forms and generate records through the records service.

    Heterogeneous customers: a few buy often, several never; order days spread over the
    two years before :data:`TODAY` (a few after it, a few without a date), integer and
    decimal amounts, several orders on one day, some deleted orders and customers;
    complaints with every status; NPS answers (some on the same day); visits with times;
    completed follow-up tasks at chosen times.
    """
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name=name)
    rng = random.Random(seed)
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, copy.deepcopy(DOCUMENTS))
        ids = records.bulk_create(
            session, actor, forms["customers"], [{"name": f"C{i:03d}"} for i in range(customers)]
        )
        crm = ValueCrm(app, owner, workspace, forms, list(ids))
        buyers = ids[: int(customers * 0.85)]  # the rest never order
        weight = [rng.lognormvariate(0, 1.0) for _ in buyers]
        start = {c: rng.randrange(0, HISTORY_DAYS) for c in buyers}
        level = {c: rng.lognormvariate(4.5, 0.8) for c in buyers}  # each one's usual spend
        # Half the buyers lapse: they stop buying some time before TODAY.
        stop = {c: rng.randrange(0, start[c] + 1) if rng.random() < 0.5 else 0 for c in buyers}
        rows = []
        for _ in range(orders):
            customer = rng.choices(buyers, weight)[0]
            row: dict[str, Any] = {"customer": customer}
            back = rng.randrange(stop[customer], start[customer] + 1)
            spend = level[customer] * rng.lognormvariate(0, 0.4)
            row["amount"] = rng.choice([max(1, round(spend)), round(spend, 2)])
            kind = rng.random()
            if kind < 0.03:
                pass  # no date: the created day (after TODAY)
            elif kind < 0.06:
                row["ordered_on"] = (TODAY + timedelta(days=rng.randrange(1, 20))).isoformat()
            else:
                row["ordered_on"] = (TODAY - timedelta(days=back)).isoformat()
            rows.append(row)
            if rng.random() < 0.05:  # a second order the same day
                rows.append({**row, "amount": rng.randrange(1, 50)})
        order_ids = records.bulk_create(session, actor, forms["orders"], rows)
        for record_id in rng.sample(order_ids, len(order_ids) // 50):
            records.delete_record(session, actor, forms["orders"], record_id)
        _complaints(session, actor, forms["complaints"], buyers, rng)
        _surveys(session, actor, forms["nps"], ids, rng)
        _visits(session, actor, forms["visits"], ids, rng)
        _tasks(session, actor, ids, rng)
        gone = ids[-1]  # a deleted customer (with no orders) has no metrics
        records.delete_record(session, actor, forms["customers"], gone)
        session.commit()
    return crm


def _complaints(session: Session, actor: Actor, form: Form, ids: list[int], rng: Any) -> None:
    rows = []
    for customer in rng.sample(ids, len(ids) // 2):
        for _ in range(rng.randrange(1, 4)):
            row = {"customer": customer, "summary": "late delivery"}
            if rng.random() < 0.9:
                row["opened_on"] = (TODAY - timedelta(days=rng.randrange(0, 200))).isoformat()
            if rng.random() < 0.85:
                row["status"] = rng.choice(["open", "in_progress", "resolved", "closed"])
            rows.append(row)
    if rows:
        records.bulk_create(session, actor, form, rows)


def _surveys(session: Session, actor: Actor, form: Form, ids: list[int], rng: Any) -> None:
    rows = []
    for customer in rng.sample(ids, len(ids) * 2 // 3):
        day = TODAY - timedelta(days=rng.randrange(0, 700))
        for _ in range(rng.randrange(1, 4)):
            row: dict[str, Any] = {"customer": customer, "answered_on": day.isoformat()}
            if rng.random() < 0.9:
                row["score"] = rng.randrange(0, 11)
            rows.append(row)
            if rng.random() < 0.6:  # otherwise another answer on the same day
                day = day + timedelta(days=rng.randrange(1, 90))
    if rows:
        records.bulk_create(session, actor, form, rows)


def _visits(session: Session, actor: Actor, form: Form, ids: list[int], rng: Any) -> None:
    rows = []
    for customer in rng.sample(ids, len(ids) // 2):
        moment = datetime.combine(TODAY, time(23, 30), UTC) - timedelta(
            days=rng.randrange(0, 300), minutes=rng.randrange(0, 600)
        )
        rows.append({"customer": customer, "visited_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")})
    if rows:
        records.bulk_create(session, actor, form, rows)


def _tasks(session: Session, actor: Actor, ids: list[int], rng: Any) -> None:
    for customer in rng.sample(ids, len(ids) // 3):
        done = rng.random() < 0.8
        completed = datetime.combine(TODAY, time(12), UTC) - timedelta(days=rng.randrange(0, 400))
        session.add(
            Task(
                workspace_id=actor.workspace_id,
                title="Call back",
                assignee_id=actor.user_id,
                record_id=customer,
                status="done" if done else "open",
                completed_at=completed if done else None,
            )
        )
    session.flush()


def configure(session: Session, actor: Actor, doc: dict[str, Any] | None = None) -> ValueModel:
    """Save the settings (the generated CRM's by default) through the settings service."""
    current = session.get(ValueModel, actor.workspace_id)
    return value_settings.save(
        session,
        actor,
        doc if doc is not None else settings_doc(),
        revision=current.revision if current is not None else 0,
    )


# -- the pandas reference ------------------------------------------------------------------


def stored_records(session: Session, form: Form) -> list[Record]:
    return list(
        session.scalars(select(Record).where(Record.form_id == form.id).order_by(Record.id))
    )


def _day(record: Record, key: str | None) -> str:
    value = record.data.get(key) if key else None
    if isinstance(value, str) and len(value) >= 10:
        return value[:10]
    return record.created_at.astimezone(UTC).date().isoformat()


def reference_metrics(session: Session, crm: ValueCrm, today: date = TODAY) -> Any:
    """Every metric column per live customer, computed with pandas from the records."""
    import pandas as pd

    def events(form_key: str, date_key: str | None, **values: Any) -> Any:
        rows = []
        for record in stored_records(session, crm.forms[form_key]):
            if record.deleted_at is not None or record.data.get("customer") is None:
                continue
            day = _day(record, date_key)
            if day > today.isoformat():
                continue
            row = {"cid": record.data["customer"], "day": day, "id": record.id}
            row.update({name: get(record.data) for name, get in values.items()})
            rows.append(row)
        columns = ["cid", "day", "id", *values]
        return pd.DataFrame(rows, columns=columns)

    customers = [r.id for r in stored_records(session, crm.customers) if r.deleted_at is None]
    table = pd.DataFrame(index=pd.Index(customers, name="record_id"))
    orders = events("orders", "ordered_on", amount=lambda d: float(d.get("amount") or 0))
    orders["date"] = pd.to_datetime(orders["day"])
    now = pd.Timestamp(today)
    grouped = orders.groupby("cid")
    table["order_count"] = grouped.size()
    table["purchase_days"] = grouped["day"].nunique()
    table["total_spent"] = grouped["amount"].sum()
    table["first_order_on"] = grouped["day"].min()
    table["last_order_on"] = grouped["day"].max()
    for days in (90, 365):
        recent = orders[orders["date"] > now - pd.Timedelta(days=days)].groupby("cid")
        table[f"orders_{days}d"] = recent.size()
        table[f"spent_{days}d"] = recent["amount"].sum()
    for column in ("order_count", "purchase_days", "orders_90d", "orders_365d"):
        table[column] = table[column].fillna(0).astype("int64")
    for column in ("total_spent", "spent_90d", "spent_365d"):
        table[column] = table[column].fillna(0.0)
    first = pd.to_datetime(table["first_order_on"])
    last = pd.to_datetime(table["last_order_on"])
    table["avg_order_value"] = table["total_spent"] / table["order_count"].where(
        table["order_count"] > 0
    )
    table["recency_days"] = (now - last).dt.days
    age = (now - first).dt.days
    table["purchases_per_year"] = (table["order_count"] * 365.25 / age.clip(lower=365.25)).where(
        table["order_count"] > 0
    )
    table["usual_interval_days"] = ((last - first).dt.days / (table["purchase_days"] - 1)).where(
        table["purchase_days"] >= 2
    )
    complaints = events(
        "complaints",
        "opened_on",
        resolved=lambda d: d.get("status") in ("resolved", "closed"),
    )
    recent = complaints[pd.to_datetime(complaints["day"]) > now - pd.Timedelta(days=90)]
    table["complaints_90d"] = recent.groupby("cid").size()
    unresolved = ~complaints["resolved"].astype(bool)
    table["open_complaints"] = complaints[unresolved].groupby("cid").size()
    for column in ("complaints_90d", "open_complaints"):
        table[column] = table[column].fillna(0).astype("int64")
    answers = events("nps", "answered_on", score=lambda d: d.get("score"))
    answers = answers[answers["score"].notna()].sort_values(["cid", "day", "id"])
    latest = answers.groupby("cid").tail(1).set_index("cid")
    table["latest_nps"] = latest["score"]
    table["latest_nps_on"] = latest["day"]
    visits = events("visits", "visited_at").groupby("cid")["day"].max()
    done = [
        (task.record_id, task.completed_at.astimezone(UTC).date().isoformat())
        for task in session.scalars(select(Task).where(Task.status == "done"))
        if task.completed_at is not None and task.record_id is not None
    ]
    done_days = pd.DataFrame(done, columns=["cid", "day"])
    done_days = done_days[done_days["day"] <= today.isoformat()].groupby("cid")["day"].max()
    follow = pd.concat([visits, done_days], axis=1, keys=["a", "b"]).max(axis=1)
    table["last_follow_up_on"] = follow
    return table
