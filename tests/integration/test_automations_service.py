"""The automations service: save and check documents (every problem, in the actor's
language), roles, workspace isolation, dry-run (writes nothing, agrees with back-fill),
idempotent back-fill, manual runs, the run log, retry and cancel."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork import db
from formwork.db import Base, utcnow
from formwork.models import (
    AuditEvent,
    Automation,
    Event,
    Form,
    Record,
    Role,
    Run,
    Step,
    User,
    Workspace,
)
from formwork.services import automations, records
from formwork.services.automations import AutomationInvalid
from formwork.services.errors import Conflict, Forbidden, Invalid, NotFound
from formwork.services.scope import Actor
from tests.conftest import Factory
from tests.integration.forms_fixtures import CUSTOMERS, ORDERS, actor, published_forms

VIP_FOLLOW_UP: dict[str, Any] = {
    "version": 1,
    "trigger": {"type": "field_changed", "form": "customers", "field": "level", "to": "vip"},
    "actions": [
        {
            "id": "a1",
            "type": "create_task",
            "title": "Call {{ record.name }}",
            "assignee": {"kind": "owner"},
            "due": {"days": 3},
        }
    ],
}
CUSTOMER_ROWS = [
    {"name": "Ada", "level": "vip", "vip_note": "key"},
    {"name": "Bo", "level": "normal"},
    {"name": "Cy", "level": "vip", "vip_note": "new"},
    {"name": "Di"},
    {"name": "Ed", "level": "vip", "vip_note": "old"},
]


@dataclass
class Crm:
    app: Flask
    factory: Factory
    owner: User
    workspace: Workspace
    forms: dict[str, Form]
    ids: dict[str, int]

    def actor(self, user: User | None = None) -> Actor:
        return actor(self.app, user or self.owner, self.workspace)

    def member(self, role: Role) -> User:
        return self.factory.member(self.workspace, role, name=f"A {role.value}")


@pytest.fixture
def crm(app: Flask, factory: Factory, db_session: Session) -> Crm:
    owner = factory.user(name="Owner")
    workspace = factory.workspace(owner)
    who = actor(app, owner, workspace)
    forms = published_forms(db_session, who, {"customers": CUSTOMERS, "orders": ORDERS})
    created = records.bulk_create(db_session, who, forms["customers"], CUSTOMER_ROWS)
    ids = {row["name"]: rid for row, rid in zip(CUSTOMER_ROWS, created, strict=True)}
    return Crm(app, factory, owner, workspace, forms, ids)


def doc(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(VIP_FOLLOW_UP)
    document.update(changes)
    return document


def save(crm: Crm, document: dict[str, Any] | None = None, **kwargs: Any) -> Automation:
    return automations.save_automation(
        db.session(),
        crm.actor(),
        name=kwargs.pop("name", "VIP follow-up"),
        document=document or doc(),
        **kwargs,
    )


def table_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


# -- saving ---------------------------------------------------------------------------


def test_saving_stores_the_trigger_form_revision_and_run_as_and_stays_disabled(crm: Crm) -> None:
    automation = save(crm)
    assert automation.enabled is False
    assert automation.trigger_type == "field_changed"
    assert automation.form_id == crm.forms["customers"].id
    assert automation.revision == 1 and automation.run_as_id == crm.owner.id
    again = save(crm, automation_id=automation.id, name="  VIP   follow-up 2 ")
    assert again.id == automation.id and again.revision == 2 and again.name == "VIP follow-up 2"
    audit = db.session().scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert audit[-2:] == ["automation.created", "automation.updated"]


def test_a_schedule_automation_has_no_form(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "schedule", "cron": "0 9 * * 1"},
        "actions": [
            {
                "id": "a1",
                "type": "notify",
                "to": {"kind": "user", "id": crm.owner.id},
                "title": "Weekly check",
            }
        ],
    }
    automation = save(crm, document)
    assert automation.trigger_type == "schedule" and automation.form_id is None


def test_an_invalid_document_reports_every_problem_by_pointer_and_saves_nothing(
    crm: Crm,
) -> None:
    bad = doc(
        trigger={"type": "field_changed", "form": "customers", "field": "levle"},
        actions=[
            {"id": "a1", "type": "create_task", "title": "Call", "assignee": {"kind": "boss"}},
            {"id": "a1", "type": "explode"},
        ],
    )
    with pytest.raises(AutomationInvalid) as caught:
        save(crm, bad, name="")
    problems = caught.value.problems
    paths = [p["path"] for p in problems]
    assert {"field": "name", "path": ""}.items() <= problems[0].items()
    assert "/trigger/field" in paths
    assert any(p.startswith("/actions/0/assignee") for p in paths)
    assert any(p.startswith("/actions/1") for p in paths)
    assert len(problems) >= 4
    assert all(isinstance(p["message"], str) and p["message"] for p in problems)
    assert db.session().scalar(select(func.count()).select_from(Automation)) == 0


def test_problems_are_in_the_actors_language(crm: Crm) -> None:
    crm.owner.locale = "zh_CN"
    bad = doc(trigger={"type": "field_changed", "form": "customers", "field": "levle"})
    with pytest.raises(AutomationInvalid) as caught:
        save(crm, bad)
    [problem] = caught.value.problems
    assert problem["path"] == "/trigger/field"
    assert "表单" in problem["message"] and "level" in problem["message"], problem
    with pytest.raises(AutomationInvalid) as caught:
        save(crm, bad, locale="en")
    assert caught.value.problems[0]["message"].startswith("The form")


def test_garbage_documents_are_refused_with_a_message(crm: Crm) -> None:
    for garbage in (None, [], "x", {"version": 1}, {"version": 99, "trigger": {}}):
        with pytest.raises(AutomationInvalid) as caught:
            automations.save_automation(db.session(), crm.actor(), name="x", document=garbage)
        assert caught.value.problems, garbage
    huge = doc()
    huge["actions"][0]["notes"] = "x" * 200_000
    with pytest.raises(AutomationInvalid):
        save(crm, huge)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_only_admins_write_or_read_automations(crm: Crm, role: Role) -> None:
    automation = save(crm)
    who = crm.actor(crm.member(role))
    session = db.session()
    with pytest.raises(Forbidden):
        automations.save_automation(session, who, name="x", document=doc())
    with pytest.raises(Forbidden):
        automations.set_enabled(session, who, automation.id, True)
    with pytest.raises(Forbidden):
        automations.list_automations(session, who)
    with pytest.raises(Forbidden):
        automations.dry_run(session, who, doc())
    with pytest.raises(Forbidden):
        automations.backfill(session, who, automation.id)
    with pytest.raises(Forbidden):
        automations.delete_automation(session, who, automation.id)
    with pytest.raises(Forbidden):
        automations.list_runs(session, who)


def test_an_admin_of_another_workspace_gets_not_found_for_every_id(crm: Crm) -> None:
    stranger = crm.factory.user(name="Stranger")
    elsewhere = crm.factory.workspace(stranger, name="Elsewhere")
    automation = save(crm)
    automations.set_enabled(db.session(), crm.actor(), automation.id, True)
    automations.backfill(db.session(), crm.actor(), automation.id)
    run_id = db.session().scalars(select(Run.id)).first()
    assert run_id is not None
    other = actor(crm.app, stranger, elsewhere)
    session = db.session()
    calls = [
        lambda: automations.get_automation(session, other, automation.id),
        lambda: automations.save_automation(
            session, other, automation_id=automation.id, name="x", document=doc()
        ),
        lambda: automations.set_enabled(session, other, automation.id, False),
        lambda: automations.delete_automation(session, other, automation.id),
        lambda: automations.backfill(session, other, automation.id),
        lambda: automations.trigger_manual(session, other, automation.id, crm.ids["Ada"]),
        lambda: automations.list_runs(session, other, automation_id=automation.id),
        lambda: automations.list_runs(session, other, record_id=crm.ids["Ada"]),
        lambda: automations.get_run(session, other, run_id),
        lambda: automations.retry_run(session, other, run_id),
        lambda: automations.cancel_run(session, other, run_id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert automations.list_automations(session, other) == []
    # Their forms are not ours either: the trigger's form key does not resolve.
    with pytest.raises(AutomationInvalid):
        automations.save_automation(session, other, name="x", document=doc())


def test_enabling_rechecks_the_document(crm: Crm) -> None:
    automation = save(crm)
    session = db.session()
    stored = session.get(Automation, automation.id)
    assert stored is not None
    broken = doc()
    broken["trigger"]["field"] = "gone"
    stored.document = broken
    session.commit()
    with pytest.raises(AutomationInvalid) as caught:
        automations.set_enabled(session, crm.actor(), automation.id, True)
    assert caught.value.problems[0]["path"] == "/trigger/field"
    assert session.get(Automation, automation.id).enabled is False  # type: ignore[union-attr]


def test_delete_refuses_while_a_run_is_running_and_then_removes_runs(crm: Crm) -> None:
    automation = save(crm)
    session = db.session()
    automations.set_enabled(session, crm.actor(), automation.id, True)
    automations.backfill(session, crm.actor(), automation.id)
    run = session.scalars(select(Run).where(Run.automation_id == automation.id)).first()
    assert run is not None
    run.status = "running"
    session.commit()
    with pytest.raises(Conflict):
        automations.delete_automation(session, crm.actor(), automation.id)
    run.status = "succeeded"
    session.commit()
    automations.delete_automation(session, crm.actor(), automation.id)
    assert session.scalar(select(func.count()).select_from(Run)) == 0
    assert session.scalar(select(func.count()).select_from(Automation)) == 0


# -- dry-run and back-fill ------------------------------------------------------------


def test_dry_run_lists_matching_records_with_planned_actions_and_writes_nothing(
    crm: Crm,
) -> None:
    session = db.session()
    before = table_counts(session)
    result = automations.dry_run(session, crm.actor(), doc())
    assert table_counts(session) == before
    assert result.total == 3
    assert [r.record_id for r in result.records] == [crm.ids["Ada"], crm.ids["Cy"], crm.ids["Ed"]]
    first = result.records[0]
    assert first.title == f"Ada · #{crm.ids['Ada']}"
    step = first.steps[0]
    assert step.type == "create_task" and step.inputs["title"] == "Call Ada"
    assert "Call Ada" in step.summary
    chinese = automations.dry_run(session, crm.actor(), doc(), locale="zh-CN")
    assert "跟进" in chinese.records[0].steps[0].summary
    limited = automations.dry_run(session, crm.actor(), doc(), limit=1)
    assert limited.total == 3 and len(limited.records) == 1


def test_dry_run_applies_the_condition_in_sql(crm: Crm) -> None:
    document = doc(condition={"in": ["e", {"var": "vip_note"}]})
    result = automations.dry_run(db.session(), crm.actor(), document)
    assert [r.record_id for r in result.records] == [crm.ids["Ada"], crm.ids["Cy"]]
    assert result.scanned is None


def test_dry_run_of_a_changed_condition_checks_records_as_created_and_says_so(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "record_updated", "form": "customers"},
        "condition": {"changed": "vip_note"},
        "actions": VIP_FOLLOW_UP["actions"],
    }
    result = automations.dry_run(db.session(), crm.actor(), document)
    assert result.total == 3 and result.scanned == 5 and not result.partial
    assert result.notes


def test_dry_run_of_a_schedule_plans_once_without_a_record(crm: Crm) -> None:
    document = {
        "version": 1,
        "trigger": {"type": "schedule", "cron": "0 9 * * *"},
        "actions": [
            {
                "id": "a1",
                "type": "notify",
                "to": {"kind": "user", "id": crm.owner.id},
                "title": "Report for {{ today }}",
            }
        ],
    }
    result = automations.dry_run(db.session(), crm.actor(), document)
    assert result.recordless and result.total == 1
    assert result.records[0].record_id is None
    assert result.records[0].steps[0].inputs["title"].startswith("Report for 20")


def test_dry_run_of_an_invalid_document_lists_the_problems(crm: Crm) -> None:
    with pytest.raises(AutomationInvalid) as caught:
        automations.dry_run(db.session(), crm.actor(), doc(actions=[]))
    assert caught.value.problems


def test_backfill_needs_the_automation_enabled(crm: Crm) -> None:
    automation = save(crm)
    with pytest.raises(Conflict):
        automations.backfill(db.session(), crm.actor(), automation.id)


def test_backfill_emits_one_event_per_dry_run_match_and_repeating_it_does_nothing(
    crm: Crm,
) -> None:
    session = db.session()
    automation = save(crm)
    automations.set_enabled(session, crm.actor(), automation.id, True)
    dry = automations.dry_run(session, crm.actor(), automation.document)
    assert automations.backfill(session, crm.actor(), automation.id) == dry.total == 3
    events = session.scalars(select(Event).where(Event.type == "backfill")).all()
    assert sorted(e.record_id for e in events) == sorted(r.record_id for r in dry.records)
    assert {e.automation_id for e in events} == {automation.id}
    assert {e.dedupe_key for e in events} == {
        f"backfill:{automation.id}:1:{r.record_id}" for r in dry.records
    }
    assert automations.backfill(session, crm.actor(), automation.id) == 0
    assert session.scalar(
        select(func.count()).select_from(Event).where(Event.type == "backfill")
    ) == 3  # fmt: skip
    # A new revision may be back-filled again.
    save(crm, automation_id=automation.id)
    assert automations.backfill(session, crm.actor(), automation.id) == 3
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "automation.backfilled")
    ).all()
    assert [a.details["records"] for a in audit] == [3, 0, 3]


def test_backfill_with_a_changed_condition_matches_the_dry_run(crm: Crm) -> None:
    session = db.session()
    document = {
        "version": 1,
        "trigger": {"type": "record_updated", "form": "customers"},
        "condition": {"changed": "vip_note"},
        "actions": VIP_FOLLOW_UP["actions"],
    }
    automation = save(crm, document)
    automations.set_enabled(session, crm.actor(), automation.id, True)
    total = automations.dry_run(session, crm.actor(), document).total
    assert automations.backfill(session, crm.actor(), automation.id) == total == 3


def test_backfilled_runs_appear_in_the_run_log(crm: Crm) -> None:
    session = db.session()
    automation = save(crm)
    automations.set_enabled(session, crm.actor(), automation.id, True)
    automations.backfill(session, crm.actor(), automation.id)
    page = automations.list_runs(session, crm.actor(), automation_id=automation.id)
    assert page.total == 3 and page.names == {automation.id: "VIP follow-up"}
    stats = automations.run_stats(session, crm.actor(), [automation.id])[automation.id]
    assert stats.total == 3 and stats.last_status is not None


# -- manual runs and the run log ------------------------------------------------------


def manual_doc() -> dict[str, Any]:
    return {
        "version": 1,
        "trigger": {"type": "manual", "form": "customers", "label": "Welcome"},
        "actions": [
            {
                "id": "a1",
                "type": "create_task",
                "title": "Welcome {{ record.name }}",
                "assignee": {"kind": "actor"},
            }
        ],
    }


def test_members_press_manual_buttons_and_read_the_record_runs(crm: Crm) -> None:
    session = db.session()
    people = crm.member(Role.MEMBER), crm.member(Role.VIEWER)
    member, viewer = (crm.actor(person) for person in people)
    automation = save(crm, manual_doc())
    assert automations.manual_automations(session, member, crm.forms["customers"]) == []
    with pytest.raises(NotFound):  # switched off
        automations.trigger_manual(session, member, automation.id, crm.ids["Bo"])
    automations.set_enabled(session, crm.actor(), automation.id, True)
    buttons = automations.manual_automations(session, member, crm.forms["customers"])
    assert [b.id for b in buttons] == [automation.id]
    automations.trigger_manual(session, member, automation.id, crm.ids["Bo"])
    event = session.scalars(select(Event).where(Event.type == "manual")).one()
    assert (event.automation_id, event.record_id, event.actor_id) == (
        automation.id,
        crm.ids["Bo"],
        member.user_id,
    )
    page = automations.list_runs(session, member, record_id=crm.ids["Bo"])
    assert [r.automation_id for r in page.runs] == [automation.id]
    run, _steps = automations.get_run(session, member, page.runs[0].id)
    assert run.record_id == crm.ids["Bo"]
    panel = automations.record_panel(
        session, member, crm.forms["customers"], session.get(Record, crm.ids["Bo"])
    )
    assert panel["manual_automations"] == buttons and panel["record_runs"] == page.runs
    with pytest.raises(Forbidden):
        automations.trigger_manual(session, viewer, automation.id, crm.ids["Bo"])
    with pytest.raises(Forbidden):
        automations.retry_run(session, member, run.id)


def test_manual_runs_refuse_records_of_another_form_or_deleted_ones(crm: Crm) -> None:
    session = db.session()
    automation = save(crm, manual_doc())
    automations.set_enabled(session, crm.actor(), automation.id, True)
    order = records.create_record(
        session, crm.actor(), crm.forms["orders"], {"customer": crm.ids["Ada"], "amount": 5}
    )
    with pytest.raises(NotFound):
        automations.trigger_manual(session, crm.actor(), automation.id, order.id)
    records.delete_record(session, crm.actor(), crm.forms["customers"], crm.ids["Di"])
    with pytest.raises(NotFound):
        automations.trigger_manual(session, crm.actor(), automation.id, crm.ids["Di"])
    with pytest.raises(NotFound):  # a schedule automation has no button
        automations.trigger_manual(session, crm.actor(), save(crm).id, crm.ids["Ada"])


def test_the_run_log_filters_by_status_and_refuses_unknown_ones(crm: Crm) -> None:
    session = db.session()
    run = make_run(crm, "failed")
    page = automations.list_runs(session, crm.actor(), status="failed")
    assert [r.id for r in page.runs] == [run.id]
    assert automations.list_runs(session, crm.actor(), status="succeeded").runs == []
    with pytest.raises(Invalid):
        automations.list_runs(session, crm.actor(), status="exploded")


# -- retry and cancel -----------------------------------------------------------------


def make_run(crm: Crm, status: str, step_statuses: tuple[str, ...] = ("failed",)) -> Run:
    """A run of a disabled automation in ``status`` with steps (the runner never sees it)."""
    session = db.session()
    automation = save(crm)
    event = Event(workspace_id=crm.workspace.id, type="manual", payload={}, fire=False)
    session.add(event)
    session.flush()
    run = Run(
        workspace_id=crm.workspace.id,
        automation_id=automation.id,
        event_id=event.id,
        record_id=crm.ids["Ada"],
        status=status,
        reason="Boom" if status == "failed" else None,
        document=automation.document,
        finished_at=utcnow() if status == "failed" else None,
    )
    session.add(run)
    session.flush()
    for position, step_status in enumerate(step_statuses):
        session.add(
            Step(
                workspace_id=crm.workspace.id,
                run_id=run.id,
                position=position,
                action_id=f"a{position + 1}",
                action_type="create_task",
                status=step_status,
                attempts=5 if step_status == "failed" else 0,
                error="Boom" if step_status == "failed" else None,
            )
        )
    session.commit()
    return run


def test_retry_puts_a_failed_run_and_its_failed_step_back_to_pending(
    crm: Crm, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[list[int]] = []
    monkeypatch.setattr(
        automations, "_submit_after_commit", lambda session, ids: submitted.append(ids)
    )
    run = make_run(crm, "failed", ("succeeded", "failed", "pending"))
    session = db.session()
    retried = automations.retry_run(session, crm.actor(), run.id)
    assert (retried.status, retried.reason, retried.finished_at, retried.not_before) == (
        "pending",
        None,
        None,
        None,
    )
    steps = automations.get_run(session, crm.actor(), run.id)[1]
    assert [(s.status, s.attempts) for s in steps] == [
        ("succeeded", 0),
        ("pending", 5),
        ("pending", 0),
    ]
    assert submitted == [[run.id]]
    with pytest.raises(Conflict):
        automations.retry_run(session, crm.actor(), run.id)


@pytest.mark.parametrize("status", ["pending", "waiting", "retrying"])
def test_cancel_stops_an_unfinished_run_and_its_pending_steps(crm: Crm, status: str) -> None:
    run = make_run(crm, status, ("succeeded", "pending"))
    session = db.session()
    cancelled = automations.cancel_run(session, crm.actor(), run.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    steps = automations.get_run(session, crm.actor(), run.id)[1]
    assert [s.status for s in steps] == ["succeeded", "cancelled"]
    with pytest.raises(Conflict):
        automations.cancel_run(session, crm.actor(), run.id)


@pytest.mark.parametrize("status", ["running", "succeeded", "failed", "cancelled", "skipped"])
def test_cancel_refuses_runs_that_are_running_or_finished(crm: Crm, status: str) -> None:
    run = make_run(crm, status)
    with pytest.raises(Conflict):
        automations.cancel_run(db.session(), crm.actor(), run.id)
    assert db.session().get(Run, run.id).status == status  # type: ignore[union-attr]
