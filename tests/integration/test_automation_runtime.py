"""The automation runtime on the inline executor: outbox, dispatcher, runner, actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from formwork import db
from formwork.automation import runner
from formwork.db import utcnow
from formwork.models import EmailMessage, Event, Notification, Record, Run, Step, Task
from formwork.services import records
from tests.integration.automation_fixtures import Crm, add_automation, make_crm, runs_by_status

VIP_FOLLOW_UP: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "field_changed", "form": "customers", "field": "level", "to": "vip"},
    "actions": [
        {
            "id": "follow_up",
            "type": "create_task",
            "title": "Call {{ record.name }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 3},
        }
    ],
}


@pytest.fixture
def crm(app: Flask, factory: Any) -> Crm:
    return make_crm(app, factory)


def test_a_matching_change_runs_the_automation_and_stores_each_step(crm: Crm) -> None:
    """Level becomes VIP → one run, one follow-up for the owner due in three days."""
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        automation = add_automation(session, actor, VIP_FOLLOW_UP)
        record = records.create_record(session, actor, crm.customers, {"name": "ACME"})
        assert runs_by_status(session) == {}
        records.update_record(
            session,
            actor,
            crm.customers,
            record.id,
            {"name": "ACME", "level": "vip", "vip_note": "key account"},
            expected_version=record.version,
        )
        assert runs_by_status(session, automation.id) == {"succeeded": 1}
        task = session.scalars(select(Task)).one()
        assert task.title == "Call ACME"
        assert task.assignee_id == crm.owner.id and task.record_id == record.id
        assert task.due_at is not None
        assert timedelta(days=2, hours=23) < task.due_at - utcnow() <= timedelta(days=3)
        step = session.scalars(select(Step)).one()
        assert step.status == "succeeded" and step.attempts == 1
        assert step.input["title"] == "Call ACME" and step.output["task_id"] == task.id
        assert step.started_at is not None and step.finished_at is not None


def test_a_change_that_does_not_match_starts_no_run(crm: Crm) -> None:
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, VIP_FOLLOW_UP)
        record = records.create_record(session, actor, crm.customers, {"name": "A"})
        records.update_record(
            session, actor, crm.customers, record.id, {"name": "B"}, expected_version=1
        )
        assert runs_by_status(session) == {}
        # Every event is dispatched all the same: nothing is left behind.
        assert session.scalar(select(func.count()).where(Event.dispatched_at.is_(None))) == 0


def test_the_condition_is_checked_on_the_values_of_the_change(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "condition": {"==": [{"var": "level"}, "vip"]},
        "actions": [
            {"id": "tag", "type": "update_record", "values": {"vip_note": "new VIP"}},
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        plain = records.create_record(session, actor, crm.customers, {"name": "Plain"})
        vip = records.create_record(
            session, actor, crm.customers, {"name": "V", "level": "vip", "vip_note": "x"}
        )
        assert runs_by_status(session) == {"succeeded": 1}
        session.expire_all()
        assert session.get(Record, vip.id).data["vip_note"] == "new VIP"  # type: ignore[union-attr]
        assert "vip_note" not in session.get(Record, plain.id).data  # type: ignore[union-attr]


def test_an_automation_that_triggers_itself_stops_at_the_depth_limit(crm: Crm) -> None:
    """Each run changes the record again; the chain ends with the reason recorded."""
    document = {
        "version": 1,
        "trigger": {"type": "record_updated", "form": "customers"},
        "actions": [
            {"id": "touch", "type": "update_record", "values": {"name": "{{ record.name }}!"}},
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        automation = add_automation(session, actor, document)
        record = records.create_record(session, actor, crm.customers, {"name": "Loop"})
        records.update_record(
            session, actor, crm.customers, record.id, {"name": "Loop2"}, expected_version=1
        )
        counts = runs_by_status(session, automation.id)
        assert counts == {"succeeded": 6, "skipped": 1}
        skipped = session.scalars(select(Run).where(Run.status == "skipped")).one()
        assert skipped.reason is not None and "limit" in skipped.reason
        session.expire_all()
        assert session.get(Record, record.id).data["name"] == "Loop2" + "!" * 6  # type: ignore[union-attr]


def test_an_import_fires_one_run_per_row_unless_it_opts_out(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "welcome",
                "type": "create_task",
                "title": "Welcome {{ record.name }}",
                "assignee": {"kind": "actor"},
                "due": {"days": 1},
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        automation = add_automation(session, actor, document)
        rows = [{"name": f"Customer {n}"} for n in range(1000)]
        records.bulk_create(session, actor, crm.customers, rows)
        assert runs_by_status(session, automation.id) == {"succeeded": 1000}
        assert session.scalar(select(func.count()).select_from(Task)) == 1000
        titles = set(session.scalars(select(Task.title)))
        assert "Welcome Customer 0" in titles and "Welcome Customer 999" in titles

        records.bulk_create(
            session, actor, crm.customers, [{"name": "Quiet"}], fire_automations=False
        )
        assert runs_by_status(session, automation.id) == {"succeeded": 1000}
        quiet = session.scalars(select(Event).where(Event.fire.is_(False))).one()
        assert quiet.type == "created"


def test_events_no_automation_listens_to_are_settled_in_bulk_without_runs(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Orders, updates and opted-out creations are settled set-based (in slices of the
    settle size); the customer creations the automation listens to still get one run
    each, in the same drains."""
    from formwork.automation import dispatcher

    monkeypatch.setattr(dispatcher, "SETTLE_SIZE", 7)
    settled: list[int] = []
    settle = dispatcher._settle_unwanted

    def spy(session: Any, now: Any) -> int:
        settled.append(settle(session, now))
        return settled[-1]

    monkeypatch.setattr(dispatcher, "_settle_unwanted", spy)
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [{"id": "tag", "type": "update_record", "values": {"vip_note": "welcome"}}],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        automation = add_automation(session, actor, document)
        customer = records.create_record(session, actor, crm.customers, {"name": "A"})
        records.bulk_create(
            session, actor, crm.orders, [{"customer": customer.id, "amount": n} for n in range(30)]
        )
        records.bulk_create(
            session, actor, crm.customers, [{"name": "Quiet"}], fire_automations=False
        )
        records.bulk_create(session, actor, crm.customers, [{"name": f"C{n}"} for n in range(5)])
        # 1 + 5 creations listened to; the automation's own updates are not.
        assert runs_by_status(session, automation.id) == {"succeeded": 6}
        assert session.scalar(select(func.count()).where(Event.dispatched_at.is_(None))) == 0
        order_events = select(func.count()).where(Event.form_id == crm.orders.id)
        assert session.scalar(order_events) == 30
        # The 30 orders and the opted-out creation never went through Python (nor did
        # the automation's own updates that were pending at a drain's start).
        assert sum(settled) >= 31 and max(settled) == 7
        # Disabled automations listen to nothing: their events are settled too.
        automation.enabled = False
        session.commit()
        records.create_record(session, actor, crm.customers, {"name": "Late"})
        assert runs_by_status(session, automation.id) == {"succeeded": 6}
        assert session.scalar(select(func.count()).where(Event.dispatched_at.is_(None))) == 0


def test_notify_queues_one_e_mail_and_one_notification(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "tell",
                "type": "notify",
                "to": {"kind": "owner"},
                "title": "New customer {{ record.name }}",
                "body": "Owner: {{ record.owner.name }}",
                "email": True,
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        records.create_record(session, actor, crm.customers, {"name": "Zed"})
        note = session.scalars(select(Notification)).one()
        assert note.title == "New customer Zed" and note.body == "Owner: Olivia Owner"
        mail = session.scalars(select(EmailMessage)).one()
        assert mail.to_address == crm.owner.email and mail.subject == "New customer Zed"
        assert mail.idempotency_key is not None


def test_a_failing_step_is_retried_with_backoff_then_fails_the_run(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from formwork.automation import actions

    calls: list[int] = []

    def broken(call: Any) -> dict[str, Any]:
        calls.append(call.run.id)
        raise actions.ActionFailed("the CRM on the other side is down", retryable=True)

    monkeypatch.setitem(actions.HANDLERS, "update_record", broken)
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [{"id": "u", "type": "update_record", "values": {"vip_note": "x"}}],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        records.create_record(session, actor, crm.customers, {"name": "R"})
        run = session.scalars(select(Run)).one()
        assert run.status == "retrying" and run.not_before is not None
        first_delay = run.not_before - utcnow()
        assert timedelta(seconds=5) < first_delay <= timedelta(seconds=10)
        for expected_attempt in range(2, 6):
            session.execute(update(Run).values(not_before=utcnow() - timedelta(seconds=1)))
            session.commit()
            runner.sweep(crm.app)
            session.expire_all()
            step = session.scalars(select(Step)).one()
            assert step.attempts == expected_attempt
        run = session.scalars(select(Run)).one()
        assert run.status == "failed" and "down" in (run.reason or "")
        step = session.scalars(select(Step)).one()
        assert step.status == "failed" and step.error and "down" in step.error
        assert len(calls) == 5


def test_a_wait_step_parks_the_run_until_its_time(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {"id": "pause", "type": "wait", "hours": 2},
            {"id": "note", "type": "update_record", "values": {"vip_note": "after the wait"}},
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        record = records.create_record(
            session, actor, crm.customers, {"name": "W", "level": "vip", "vip_note": "x"}
        )
        run = session.scalars(select(Run)).one()
        assert run.status == "waiting" and run.next_step == 1
        runner.sweep(crm.app)  # not due yet: nothing happens
        session.expire_all()
        assert session.get(Run, run.id).status == "waiting"  # type: ignore[union-attr]
        session.execute(update(Run).values(not_before=utcnow() - timedelta(seconds=1)))
        session.commit()
        runner.sweep(crm.app)
        session.expire_all()
        assert session.get(Run, run.id).status == "succeeded"  # type: ignore[union-attr]
        assert session.get(Record, record.id).data["vip_note"] == "after the wait"  # type: ignore[union-attr]


def test_a_run_whose_worker_died_is_finished_by_the_sweep_exactly_once(crm: Crm) -> None:
    """A claimed run with an expired lease (its worker is gone) continues where it was."""
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "t",
                "type": "create_task",
                "title": "T",
                "assignee": {"kind": "owner"},
                "due": {"days": 1},
            }
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        executor = crm.app.extensions["formwork.executor"]
        executor.wake = lambda: None  # nobody picks the event up at once
        records.create_record(session, actor, crm.customers, {"name": "Orphan"})
        runner.drain_events(crm.app)
        run = session.scalars(select(Run)).one()
        assert run.status == "pending"
        session.execute(
            update(Run).values(
                status="running", worker="dead", lease_until=utcnow() - timedelta(seconds=1)
            )
        )
        session.commit()
        del executor.wake
        runner.sweep(crm.app)
        runner.sweep(crm.app)
        session.expire_all()
        assert session.get(Run, run.id).status == "succeeded"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Task)) == 1


def test_assign_owner_round_robin_takes_turns(crm: Crm, factory: Any) -> None:
    from formwork.models import Role

    ann = factory.member(crm.workspace, Role.MEMBER, name="Ann")
    bob = factory.member(crm.workspace, Role.MEMBER, name="Bob")
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "assign",
                "type": "assign_owner",
                "mode": "round_robin",
                "members": [ann.id, bob.id],
            },
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        ids = [
            records.create_record(session, actor, crm.customers, {"name": f"C{n}"}).id
            for n in range(4)
        ]
        session.expire_all()
        owners = [session.get(Record, i).owner_id for i in ids]  # type: ignore[union-attr]
        assert owners == [ann.id, bob.id, ann.id, bob.id]


def test_later_steps_see_the_outputs_of_earlier_ones(crm: Crm) -> None:
    """Two steps in a row: the second reads the task id the first created."""
    document = {
        "version": 1,
        "trigger": {"type": "record_created", "form": "customers"},
        "actions": [
            {
                "id": "follow_up",
                "type": "create_task",
                "title": "Call {{ record.name }}",
                "assignee": {"kind": "owner"},
            },
            {
                "id": "note",
                "type": "update_record",
                "values": {"vip_note": "task {{ steps.follow_up.task_id }}"},
            },
        ],
    }
    with crm.app.app_context():
        session = db.session()
        actor = crm.actor(session)
        add_automation(session, actor, document)
        record = records.create_record(
            session, actor, crm.customers, {"name": "Two", "level": "vip", "vip_note": "x"}
        )
        assert runs_by_status(session) == {"succeeded": 1}
        task = session.scalars(select(Task)).one()
        session.expire_all()
        assert session.get(Record, record.id).data["vip_note"] == f"task {task.id}"  # type: ignore[union-attr]
        positions = [
            step.position for step in session.scalars(select(Step).order_by(Step.position))
        ]
        assert positions == [0, 1]
