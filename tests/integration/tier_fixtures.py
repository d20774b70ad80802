"""Helpers for tier scheme tests: a CRM whose customers have a tier field, metrics rows
written directly (``customer_metrics`` is a plain table), and scheme documents."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import CustomerMetrics, Form, User, Workspace
from formwork.services import records
from formwork.services.scope import Actor, actor_for
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms

TODAY = date(2026, 11, 15)
TIER_KEYS = ("gold", "silver", "bronze")

TIERED_CUSTOMERS: dict[str, Any] = copy.deepcopy(CUSTOMERS)
TIERED_CUSTOMERS["x-order"] = [*CUSTOMERS["x-order"], "tier", "grade", "city"]
TIERED_CUSTOMERS["properties"].update(
    {
        "tier": {
            "enum": [*TIER_KEYS, "vip"],
            "title": "Tier",
            "x-field": "select",
            "x-titles": {"zh-CN": "客户等级"},
            "x-option-titles": {
                "gold": {"en": "Gold", "zh-CN": "金卡"},
                "silver": {"en": "Silver", "zh-CN": "银卡"},
                "bronze": {"en": "Bronze", "zh-CN": "铜卡"},
            },
        },
        "grade": {"type": "string", "title": "Grade", "maxLength": 20, "x-field": "text"},
        "city": {"type": "string", "title": "City", "maxLength": 50, "x-field": "text"},
    }
)

GOLD = {">=": [{"var": "metrics.total_spent"}, 5000]}
SILVER = {
    "or": [{">=": [{"var": "metrics.order_count"}, 5]}, {">=": [{"var": "metrics.r_score"}, 4]}]
}


def tier(key: str, condition: Any | None = None, color: str = "#336699") -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": key,
        "name": {"en": key.title(), "zh-CN": f"{key}级"},
        "color": color,
    }
    if condition is not None:
        entry["condition"] = condition
    return entry


def scheme_doc(*tiers: tuple[str, Any], fallback: str = "bronze") -> dict[str, Any]:
    return {
        "version": 1,
        "tiers": [tier(key, condition) for key, condition in tiers],
        "fallback": tier(fallback, color="#cd7f32"),
    }


THREE_TIERS = scheme_doc(("gold", GOLD), ("silver", SILVER))


@dataclass
class TierCrm:
    app: Flask
    owner: User
    workspace: Workspace
    customers: Form
    orders: Form

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)


def make_tier_crm(app: Flask, factory: Any, name: str = "Acme") -> TierCrm:
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name=name)
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(
            session, actor, {"customers": copy.deepcopy(TIERED_CUSTOMERS), "orders": ORDERS}
        )
        return TierCrm(app, owner, workspace, forms["customers"], forms["orders"])


def add_customers(
    session: Session, actor: Actor, form: Form, rows: list[dict[str, Any]]
) -> list[int]:
    return list(records.bulk_create(session, actor, form, rows, fire_automations=False))


def set_metrics(session: Session, crm: TierCrm, record_id: int, **values: Any) -> None:
    """A customer's metrics row (the columns not given keep their defaults)."""
    session.merge(
        CustomerMetrics(
            record_id=record_id,
            workspace_id=crm.workspace.id,
            form_id=crm.customers.id,
            as_of=TODAY.isoformat(),
            **values,
        )
    )
    session.commit()
