"""Form documents and helpers shared by the forms/records integration tests."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import Form, User, Workspace
from formwork.services import apps, publishing
from formwork.services.scope import Actor, actor_for

SCHEMA = "https://json-schema.org/draft/2020-12/schema"

CUSTOMERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-titles": {"zh-CN": "客户档案"},
    "x-order": ["name", "phone", "level", "vip_note", "order_count", "total_spent", "label"],
    "properties": {
        "name": {
            "type": "string",
            "title": "Name",
            "maxLength": 100,
            "x-field": "text",
            "x-titles": {"zh-CN": "客户名称"},
        },
        "phone": {
            "type": "string",
            "title": "Phone",
            "x-field": "phone",
            "x-phone-region": "CN",
            "x-unique": True,
            "x-titles": {"zh-CN": "电话"},
        },
        "level": {
            "enum": ["normal", "vip"],
            "title": "Level",
            "x-field": "select",
            "x-option-titles": {
                "normal": {"en": "Normal", "zh-CN": "普通"},
                "vip": {"en": "VIP", "zh-CN": "贵宾"},
            },
        },
        "vip_note": {
            "type": "string",
            "title": "VIP note",
            "maxLength": 200,
            "x-field": "text",
            "x-visible-if": {"==": [{"var": "level"}, "vip"]},
            "x-required-if": {"==": [{"var": "level"}, "vip"]},
        },
        "order_count": {
            "type": "number",
            "title": "Orders",
            "readOnly": True,
            "x-field": "rollup",
            "x-rollup": {"form": "orders", "link": "customer", "agg": "count"},
        },
        "total_spent": {
            "type": "number",
            "title": "Total spent",
            "readOnly": True,
            "x-field": "rollup",
            "x-rollup": {"form": "orders", "link": "customer", "agg": "sum", "of": "amount"},
        },
        "label": {
            "type": "string",
            "title": "Label",
            "readOnly": True,
            "x-field": "formula",
            "x-formula": 'IF(total_spent >= 1000, "big", "small")',
            "x-result": "text",
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}

ORDERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": ["number", "customer", "customer_phone", "amount", "ordered_on"],
    "properties": {
        "number": {
            "type": "string",
            "title": "No.",
            "readOnly": True,
            "x-field": "autonumber",
            "x-autonumber": {"prefix": "SO-", "digits": 4},
        },
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "customer_phone": {
            "title": "Customer phone",
            "readOnly": True,
            "x-field": "lookup",
            "x-lookup": {"link": "customer", "field": "phone"},
        },
        "amount": {
            "type": "number",
            "title": "Amount",
            "minimum": 0,
            "x-field": "money",
            "x-currency": "CNY",
        },
        "ordered_on": {
            "type": "string",
            "format": "date",
            "title": "Ordered on",
            "x-field": "date",
        },
    },
    "required": ["customer", "amount"],
    "additionalProperties": False,
}


def actor(app: Flask, user: User, workspace: Workspace) -> Actor:
    session = db.session()
    return actor_for(session, session.merge(user), workspace.id)


def published_forms(
    session: Session, who: Actor, documents: dict[str, dict[str, Any]]
) -> dict[str, Form]:
    """Create one app with a form per ``key: document`` (they may refer to each other),
    then publish each in order."""
    app_id = apps.create_app(session, who, "CRM").id
    forms = {}
    for key, document in documents.items():
        form = apps.create_form(session, who, app_id, document["title"])
        form.key = key
        session.commit()
        forms[key] = form
    for key, form in forms.items():
        revision = publishing.save_draft(
            session, who, form, copy.deepcopy(documents[key]), form.draft_revision
        )
        publishing.publish(session, who, form, revision)
    return forms
