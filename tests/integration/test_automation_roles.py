"""Automations that name roles instead of user ids, and surveys sent to a linked record,
run for real on the inline executor: notify by role, a follow-up for one role holder,
owner pools by role (round-robin, least-loaded) and send_survey through a link."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork import db
from formwork.automation.runner import execute_run, sweep
from formwork.automation.scheduler import raise_schedule_tick
from formwork.models import (
    EmailMessage,
    Form,
    Membership,
    Notification,
    Record,
    Role,
    Run,
    Step,
    SurveyInvitation,
    Task,
    User,
    Workspace,
)
from formwork.services import records
from formwork.services.scope import Actor, actor_for
from tests.conftest import Factory
from tests.integration.automation_fixtures import add_automation, runs_by_status
from tests.integration.forms_fixtures import SCHEMA, published_forms
from tests.integration.survey_fixtures import (
    CUSTOMERS,
    SurveyCrm,
    link_in,
    mails,
    make_survey_crm,
)


@dataclass
class Team:
    """A workspace whose members hold every role; ``ids`` maps a role to its user id."""

    app: Flask
    owner: User
    workspace: Workspace
    customers: Form
    ids: dict[str, int]

    def actor(self, session: Session) -> Actor:
        return actor_for(session, session.merge(self.owner), self.workspace.id)


@pytest.fixture
def team(app: Flask, factory: Factory) -> Team:
    """The viewer signs up first and has the lowest user id: roles must still skip them."""
    viewer = factory.user(name="Vera Viewer")
    member = factory.user(name="Mia Member")
    owner = factory.user(name="Olivia Owner")
    workspace = factory.workspace(owner, name="Acme")
    admin = factory.member(workspace, Role.ADMIN, name="Adam Admin")
    with app.app_context():
        session = db.session()
        session.add_all(
            [
                Membership(workspace_id=workspace.id, user_id=viewer.id, role=Role.VIEWER),
                Membership(workspace_id=workspace.id, user_id=member.id, role=Role.MEMBER),
            ]
        )
        session.commit()
        actor = actor_for(session, session.merge(owner), workspace.id)
        forms = published_forms(session, actor, {"customers": CUSTOMERS})
    ids = {"viewer": viewer.id, "member": member.id, "owner": owner.id, "admin": admin.id}
    assert ids["viewer"] < ids["member"] < ids["owner"] < ids["admin"]
    return Team(app, owner, workspace, forms["customers"], ids)


def notify_admins(*, email: bool = True) -> dict[str, Any]:
    return {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "tell",
                "type": "notify",
                "to": {"kind": "role", "role": "admin"},
                "title": "New customer {{ record.name }}",
                "email": email,
            }
        ],
    }


def notified(session: Session) -> list[int]:
    session.rollback()
    return sorted(session.scalars(select(Notification.user_id)))


# -- notify ---------------------------------------------------------------------------------


def test_notify_by_role_reaches_the_admins_and_owners_but_not_members_or_viewers(
    team: Team,
) -> None:
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, notify_admins())
        records.create_record(session, actor, team.customers, {"name": "Zed"})
        assert notified(session) == sorted([team.ids["owner"], team.ids["admin"]])
        titles = set(session.scalars(select(Notification.title)))
        assert titles == {"New customer Zed"}
        addresses = {m.to_address for m in session.scalars(select(EmailMessage))}
        emails = {
            u.id: u.email
            for u in session.scalars(select(User).where(User.id.in_(team.ids.values())))
        }
        assert addresses == {emails[team.ids["owner"]], emails[team.ids["admin"]]}
        step = session.scalars(select(Step)).one()
        assert step.status == "succeeded"
        assert step.output == {
            "user_ids": [team.ids["owner"], team.ids["admin"]],
            "emails_queued": 2,
        }


def test_a_retried_role_notification_notifies_and_mails_nobody_twice(team: Team) -> None:
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, notify_admins())
        records.create_record(session, actor, team.customers, {"name": "Zed"})
        (run,) = session.scalars(select(Run))
        # As if the step's outcome were lost: the run goes back to its first step.
        session.execute(update(Run).values(status="retrying", next_step=0, not_before=None))
        session.execute(update(Step).values(status="failed"))
        session.commit()
    assert execute_run(team.app, run.id, worker="test") == "succeeded"
    with team.app.app_context():
        session = db.session()
        assert notified(session) == sorted([team.ids["owner"], team.ids["admin"]])
        assert len(mails(session)) == 2
        step = session.scalars(select(Step)).one()
        assert step.output["emails_queued"] == 0


def test_notify_by_member_role_leaves_out_only_the_viewers(team: Team) -> None:
    document = notify_admins(email=False)
    document["actions"][0]["to"] = {"kind": "role", "role": "member"}
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, document)
        records.create_record(session, actor, team.customers, {"name": "Zed"})
        expected = sorted(team.ids[r] for r in ("member", "owner", "admin"))
        assert notified(session) == expected
        assert mails(session) == []


def test_a_schedule_can_notify_a_role_without_any_record(team: Team) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "schedule", "cron": "0 9 * * *"},
        "actions": [
            {
                "id": "weekly",
                "type": "notify",
                "to": {"kind": "role", "role": "owner"},
                "title": "Review the pipeline of {{ workspace.name }}",
            }
        ],
    }
    with team.app.app_context():
        session = db.session()
        automation = add_automation(session, team.actor(session), document)
    assert raise_schedule_tick(team.app, automation.id, datetime(2026, 11, 16, 9, 0, 5, tzinfo=UTC))
    sweep(team.app)
    with team.app.app_context():
        session = db.session()
        assert runs_by_status(session, automation.id) == {"succeeded": 1}
        assert notified(session) == [team.ids["owner"]]
        (note,) = session.scalars(select(Notification))
        assert note.title == "Review the pipeline of Acme" and note.link is None


# -- create_task ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "assignee"),
    [("member", "member"), ("admin", "owner"), ("owner", "owner")],
)
def test_a_follow_up_for_a_role_goes_to_its_holder_with_the_lowest_user_id(
    team: Team, role: str, assignee: str
) -> None:
    """The viewer's id is lower still, but a viewer is never chosen."""
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "call",
                "type": "create_task",
                "title": "Call {{ record.name }}",
                "assignee": {"kind": "role", "role": role},
                "due": {"days": 1},
            }
        ],
    }
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, document)
        record = records.create_record(session, actor, team.customers, {"name": "Zed"})
        (task,) = session.scalars(select(Task))
        assert task.assignee_id == team.ids[assignee] and task.record_id == record.id
        step = session.scalars(select(Step)).one()
        assert step.output["assignee_id"] == team.ids[assignee]


# -- assign_owner ---------------------------------------------------------------------------


def pool(mode: str, role: str) -> dict[str, Any]:
    return {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [{"id": "assign", "type": "assign_owner", "mode": mode, "role": role}],
    }


def owners_of(session: Session, ids: list[int]) -> list[int | None]:
    session.expire_all()
    return [session.get(Record, record_id).owner_id for record_id in ids]  # type: ignore[union-attr]


def test_round_robin_over_a_role_rotates_through_its_holders_in_user_id_order(
    team: Team,
) -> None:
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, pool("round_robin", "member"))
        made = [
            records.create_record(session, actor, team.customers, {"name": f"C{n}"}).id
            for n in range(4)
        ]
        order = [team.ids["member"], team.ids["owner"], team.ids["admin"]]
        assert owners_of(session, made) == [*order, order[0]]
        assert runs_by_status(session) == {"succeeded": 4}


def test_a_role_pool_is_read_when_the_step_runs_so_newcomers_join_the_rotation(
    team: Team, factory: Factory
) -> None:
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        add_automation(session, actor, pool("round_robin", "admin"))
        first = records.create_record(session, actor, team.customers, {"name": "A"}).id
    newcomer = factory.member(team.workspace, Role.ADMIN, name="Nia New")
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        made = [
            records.create_record(session, actor, team.customers, {"name": n}).id for n in "BCD"
        ]
        # Pool owner < admin < newcomer; the counter goes on from where it was.
        assert owners_of(session, [first, *made]) == [
            team.ids["owner"],
            team.ids["admin"],
            newcomer.id,
            team.ids["owner"],
        ]


def test_least_loaded_over_a_role_picks_the_holder_with_the_fewest_records(team: Team) -> None:
    with team.app.app_context():
        session = db.session()
        actor = team.actor(session)
        # The owner already owns two customers, the admin none.
        for name in ("Old 1", "Old 2"):
            records.create_record(session, actor, team.customers, {"name": name})
        add_automation(session, actor, pool("least_loaded", "admin"))
        made = [
            records.create_record(session, actor, team.customers, {"name": f"N{n}"}).id
            for n in range(3)
        ]
        # admin 0 → admin (1); admin 1 vs owner 2 → admin (2); tie 2-2 → user-id order: owner.
        assert owners_of(session, made) == [team.ids["admin"], team.ids["admin"], team.ids["owner"]]


# -- send_survey through a link -------------------------------------------------------------

ORDERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": ["customer", "amount"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "amount": {"type": "number", "title": "Amount", "minimum": 0, "x-field": "money"},
    },
    "additionalProperties": False,
}

SURVEY_THE_BUYER: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "record_created", "form": "orders"},
    "actions": [
        {
            "id": "survey",
            "type": "send_survey",
            "form": "nps",
            "record": {"link": "customer"},
            "expires_days": 7,
        }
    ],
}


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    """E-mails carry absolute links: the app knows its address."""
    return make_app(BASE_URL="https://crm.example.com")


@pytest.fixture
def shop(app: Flask, factory: Factory) -> tuple[SurveyCrm, Form]:
    """The survey CRM (customers with e-mails, an NPS survey linked to them) plus orders."""
    crm = make_survey_crm(app, factory)
    with app.app_context():
        session = db.session()
        orders = published_forms(session, crm.actor(session), {"orders": ORDERS})["orders"]
        add_automation(session, crm.actor(session), SURVEY_THE_BUYER, name="Survey the buyer")
    return crm, orders


def test_send_survey_through_a_link_invites_the_orders_customer(
    shop: tuple[SurveyCrm, Form],
) -> None:
    crm, orders = shop
    ada = crm.people["Ada Wang"]
    with crm.app.app_context():
        session = db.session()
        order = records.create_record(
            session, crm.actor(session), orders, {"customer": ada, "amount": 120}
        )
        (message,) = mails(session, "ada@example.com")
        (made,) = session.scalars(select(SurveyInvitation))
        (run,) = session.scalars(select(Run))
        step = session.scalars(select(Step)).one()
    assert made.record_id == ada != order.id
    assert made.form_id == crm.survey.id and made.source == "automation"
    assert made.run_id == run.id and made.email == "ada@example.com"
    assert step.input["record"] == {"link": "customer"}
    assert step.output["record_id"] == ada and step.output["invitation_id"] == made.id
    assert step.output["emailed"] is True
    assert link_in(message).startswith("/s/")


def test_a_retried_linked_survey_step_never_sends_twice(shop: tuple[SurveyCrm, Form]) -> None:
    crm, orders = shop
    with crm.app.app_context():
        session = db.session()
        records.create_record(
            session, crm.actor(session), orders, {"customer": crm.people["Bo Li"], "amount": 5}
        )
        (run,) = session.scalars(select(Run))
        session.execute(update(Run).values(status="retrying", next_step=0, not_before=None))
        session.execute(update(Step).values(status="failed"))
        session.commit()
    assert execute_run(crm.app, run.id, worker="test") == "succeeded"
    with crm.app.app_context():
        session = db.session()
        assert len(list(session.scalars(select(SurveyInvitation)))) == 1
        assert len(mails(session)) == 1
        step = session.scalars(select(Step)).one()
    assert step.output["skipped"] == ["already_sent"] and step.output["invitation_id"] is None


def test_an_order_without_a_customer_fails_the_step_and_invites_nobody(
    shop: tuple[SurveyCrm, Form],
) -> None:
    crm, orders = shop
    with crm.app.app_context():
        session = db.session()
        records.create_record(session, crm.actor(session), orders, {"amount": 5})
        (run,) = session.scalars(select(Run))
        step = session.scalars(select(Step)).one()
        assert run.status == "failed"
        assert step.error is not None and "customer" in step.error
        assert list(session.scalars(select(SurveyInvitation))) == []
