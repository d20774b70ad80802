# ruff: noqa: RUF001 - Chinese labels carry Chinese punctuation
"""A CRM with a satisfaction survey: customers (with an e-mail and a follow-up flag) and
an NPS survey linked to them, published through the services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import EmailMessage, Form, User, Workspace
from formwork.services import records
from formwork.services.scope import Actor, actor_for
from tests.integration.forms_fixtures import SCHEMA, published_forms

CUSTOMERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-titles": {"zh-CN": "客户档案"},
    "x-order": ["name", "email", "level", "needs_attention"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "email": {
            "type": "string",
            "title": "E-mail",
            "format": "email",
            "maxLength": 254,
            "x-field": "email",
        },
        "level": {
            "enum": ["normal", "vip"],
            "title": "Level",
            "x-field": "select",
        },
        "needs_attention": {"type": "boolean", "title": "Needs attention", "x-field": "checkbox"},
    },
    "required": ["name"],
    "additionalProperties": False,
}

NPS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Satisfaction survey",
    "x-titles": {"zh-CN": "满意度调查"},
    "x-order": ["customer", "score", "comment", "channel", "campaign", "assessor"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "score": {
            "type": "integer",
            "title": "How likely are you to recommend us to a friend?",
            "x-titles": {"zh-CN": "您向朋友推荐我们的可能性有多大？"},
            "minimum": 0,
            "maximum": 10,
            "x-field": "nps",
        },
        "comment": {
            "type": "string",
            "title": "What could we do better?",
            "x-titles": {"zh-CN": "我们可以在哪些方面做得更好？"},
            "maxLength": 2000,
            "x-field": "textarea",
        },
        "channel": {
            "enum": ["web", "store"],
            "title": "Where did you buy?",
            "x-field": "select",
        },
        "campaign": {"type": "string", "title": "Campaign", "maxLength": 50, "x-field": "text"},
        "assessor": {"type": "integer", "title": "Assessor", "minimum": 1, "x-field": "member"},
    },
    "required": ["score"],
    "additionalProperties": False,
}


# The closed loop (DESIGN §7): a detractor's answer becomes a follow-up for the
# customer's owner and flags the customer.
CLOSED_LOOP: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "survey_submitted", "form": "nps"},
    "condition": {"<=": [{"var": "score"}, 6]},
    "actions": [
        {
            "id": "follow_up",
            "type": "create_task",
            "record": {"link": "customer"},
            "title": "Detractor (NPS {{ record.score }}): {{ record.comment }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 1},
        },
        {
            "id": "flag",
            "type": "update_record",
            "record": {"link": "customer"},
            "values": {"needs_attention": True},
        },
    ],
}


@dataclass
class SurveyCrm:
    app: Flask
    owner: User
    workspace: Workspace
    customers: Form
    survey: Form
    # name → record id
    people: dict[str, int]

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)


PEOPLE = [
    {"name": "Ada Wang", "email": "ada@example.com", "level": "vip"},
    {"name": "Bo Li", "email": "Bo.Li@Example.com", "level": "normal"},
    {"name": "Chen Jie", "level": "normal"},  # no e-mail address
]


def make_survey_crm(app: Flask, factory: Any, *, workspace_name: str = "Tea House") -> SurveyCrm:
    """An owner, a workspace, published Customers + survey, and three customers."""
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name=workspace_name)
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, {"customers": CUSTOMERS, "nps": NPS})
        people = {
            row["name"]: records.create_record(session, actor, forms["customers"], row).id
            for row in PEOPLE
        }
        return SurveyCrm(app, owner, workspace, forms["customers"], forms["nps"], people)


TOKEN_IN_URL = re.compile(r"/s/([A-Za-z0-9_.\-]+)")


def mails(session: Session, to: str | None = None) -> list[EmailMessage]:
    """Queued e-mails, oldest first (optionally to one address)."""
    session.rollback()
    query = select(EmailMessage).order_by(EmailMessage.id)
    if to is not None:
        query = query.where(EmailMessage.to_address == to)
    return list(session.scalars(query))


def link_in(message: EmailMessage) -> str:
    """The answer link's path in an e-mail (``/s/<token>``, the first link in it)."""
    match = TOKEN_IN_URL.search(message.body)
    assert match is not None, message.body
    return f"/s/{match.group(1)}"
