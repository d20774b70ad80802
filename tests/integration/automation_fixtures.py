"""Helpers for automation tests: a CRM with customers and orders, automations, waiting."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork import db
from formwork.automation.context import catalog_for
from formwork.models import Automation, Form, Run, User, Workspace
from formwork.services.scope import Actor, actor_for
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, published_forms
from workflow_engine.documents import check_automation


@dataclass
class Crm:
    app: Flask
    owner: User
    workspace: Workspace
    customers: Form
    orders: Form

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)


def make_crm(app: Flask, factory: Any) -> Crm:
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name="Acme")
    with app.app_context():
        session = db.session()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, {"customers": CUSTOMERS, "orders": ORDERS})
        return Crm(app, owner, workspace, forms["customers"], forms["orders"])


def add_automation(
    session: Session, actor: Actor, document: dict[str, Any], *, name: str = "Automation"
) -> Automation:
    """Store an enabled automation after checking its document like the builder does."""
    problems = check_automation(document, catalog_for(session, actor.workspace_id))
    assert not problems, [p.message_in("en") for p in problems]
    form_key = document["trigger"].get("form")
    form_id = (
        session.scalar(
            select(Form.id).where(Form.workspace_id == actor.workspace_id, Form.key == form_key)
        )
        if form_key
        else None
    )
    automation = Automation(
        workspace_id=actor.workspace_id,
        name=name,
        document=document,
        enabled=True,
        trigger_type=document["trigger"]["type"],
        form_id=form_id,
        run_as_id=actor.user_id,
        created_by_id=actor.user_id,
    )
    session.add(automation)
    session.commit()
    return automation


def runs_by_status(session: Session, automation_id: int | None = None) -> dict[str, int]:
    query = select(Run.status, func.count()).group_by(Run.status)
    if automation_id is not None:
        query = query.where(Run.automation_id == automation_id)
    session.rollback()  # a fresh snapshot: other threads and processes commit meanwhile
    return {status: count for status, count in session.execute(query)}


def wait_for(condition: Callable[[], bool], *, timeout: float = 30.0, every: float = 0.1) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")
