"""Action handlers: what each automation step does to the platform.

Each handler gets a :class:`~formwork.automation.runner.Call` (session, acting admin, run,
record, rendered inputs, idempotency key), makes its changes through the services in
the runner's open transaction — it never commits — and returns the step's output.
Handlers register themselves in ``HANDLERS``; ``AVAILABLE_ACTIONS`` (what the builder
offers) is filled from it, so an action without a handler is never offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from formwork.automation.context import AVAILABLE_ACTIONS, linked_record
from formwork.automation.people import people, person, role_members
from formwork.db import dialect_insert
from formwork.models import AutomationCounter, Form, Membership, Record, User, Workspace
from formwork.services import records
from formwork.services.errors import PlatformError
from formwork.services.form_runtime import runtime_for

if TYPE_CHECKING:
    from formwork.automation.runner import Call

Handler = Callable[["Call"], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


class ActionFailed(PlatformError):
    """A step cannot do what it was asked; ``retryable`` says whether trying later helps."""

    def __init__(self, message: Any, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


def handler(action_type: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[action_type] = function
        AVAILABLE_ACTIONS.add(action_type)
        return function

    return register


# webhook and wait are run by the runner itself (they leave the transaction).
AVAILABLE_ACTIONS.update({"webhook", "wait"})


def _need_record(call: Call) -> Record:
    if call.record is None:
        raise ActionFailed(_l("This action needs a record, and this trigger has none."))
    return call.record


def _form_of(session: Session, record: Record) -> Form:
    form = session.get(Form, record.form_id)
    assert form is not None
    return form


def _target(call: Call) -> Record:
    """The record the action works on: the trigger's, or with ``record: {"link": …}``
    the live record its single-link field points at (in this workspace)."""
    record = _need_record(call)
    spec = call.planned.inputs.get("record")
    link = spec.get("link") if isinstance(spec, dict) else None
    if not link:
        return record
    target = linked_record(call.session, call.run.workspace_id, record, link)
    if target is None:
        raise ActionFailed(
            _l("The record linked through “%(field)s” does not exist or was deleted.", field=link)
        )
    return target


@handler("update_record")
def update_record(call: Call) -> dict[str, Any]:
    record = _target(call)
    values = dict(call.planned.inputs.get("values") or {})
    before = dict(record.data)
    updated = records.update_record(
        call.session,
        call.actor,
        _form_of(call.session, record),
        record.id,
        values,
        expected_version=record.version,
        source="json",
        partial=True,
        commit=False,
    )
    changed = sorted(records.diff_values(before, updated.data))
    return {"record_id": record.id, "changed": changed}


@handler("create_record")
def create_record(call: Call) -> dict[str, Any]:
    inputs = call.planned.inputs
    form = call.session.scalar(
        select(Form).where(Form.workspace_id == call.run.workspace_id, Form.key == inputs["form"])
    )
    if form is None or form.published_version is None:
        raise ActionFailed(_l("The form to create the record in no longer exists."))
    values = dict(inputs.get("values") or {})
    link_field = inputs.get("link_field")
    if link_field:
        record = _need_record(call)
        runtime = runtime_for(call.session, form)
        values[link_field] = [record.id] if link_field in runtime.multi_links else record.id
    created = records.create_record(
        call.session, call.actor, form, values, source="json", commit=False
    )
    return {"record_id": created.id, "form": form.key, "form_id": form.id}


@handler("assign_owner")
def assign_owner(call: Call) -> dict[str, Any]:
    record = _need_record(call)
    inputs = call.planned.inputs
    if "role" in inputs:
        # Resolved now, so members who joined or left since the automation was saved count.
        members = role_members(call.session, call.run.workspace_id, inputs["role"])
    else:
        members = [
            m
            for m in inputs.get("members") or []
            if call.session.get(Membership, (call.run.workspace_id, m)) is not None
        ]
    if not members:
        raise ActionFailed(_l("None of the chosen members belongs to the workspace any more."))
    mode = inputs.get("mode", "fixed")
    if mode == "round_robin":
        position = _advance_counter(call, "round_robin")
        chosen = members[(position - 1) % len(members)]
    elif mode == "least_loaded":
        chosen = _least_loaded(call.session, record, members)
    else:
        chosen = members[0]
    records.assign_owner(
        call.session, call.actor, _form_of(call.session, record), record.id, chosen, commit=False
    )
    return {"record_id": record.id, "owner_id": chosen}


def _advance_counter(call: Call, name: str) -> int:
    """Atomically add one to a per-automation counter and return the new value."""
    session = call.session
    statement = dialect_insert(session, AutomationCounter).values(
        automation_id=call.run.automation_id,
        name=name,
        workspace_id=call.run.workspace_id,
        value=1,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["automation_id", "name"],
        set_={"value": AutomationCounter.value + 1},
    ).returning(AutomationCounter.value)
    return int(session.execute(statement).scalar_one())


def _least_loaded(session: Session, record: Record, members: list[int]) -> int:
    """The member owning the fewest live records of this form (ties: list order)."""
    counts = dict(
        session.execute(
            select(Record.owner_id, func.count())
            .where(
                Record.workspace_id == record.workspace_id,
                Record.form_id == record.form_id,
                Record.deleted_at.is_(None),
                Record.owner_id.in_(members),
                Record.id != record.id,
            )
            .group_by(Record.owner_id)
        ).all()
    )
    return min(members, key=lambda member: (counts.get(member, 0), members.index(member)))


@handler("create_task")
def create_task(call: Call) -> dict[str, Any]:
    from formwork.services import tasks

    inputs = call.planned.inputs
    record = _target(call) if inputs.get("record") else call.record
    assignee = person(call, inputs.get("assignee"), record)
    if assignee is None:
        raise ActionFailed(_l("Nobody to assign the follow-up to (the person is not a member)."))
    task = tasks.create_task(
        call.session,
        call.actor,
        title=str(inputs.get("title") or "")[:300] or str(_l("Follow-up")),
        notes=str(inputs.get("notes") or ""),
        assignee_id=assignee,
        record=record,
        due_at=_when(inputs.get("due_at")),
        remind_at=_when(inputs.get("remind_at")),
        repeat_every_days=inputs.get("repeat_every_days"),
        repeat_while=inputs.get("repeat_while"),
        run_id=call.run.id,
        idempotency_key=call.key,
        commit=False,
    )
    return {"task_id": task.id, "assignee_id": assignee}


@handler("notify")
def notify(call: Call) -> dict[str, Any]:
    from formwork.services import mailer, notifications

    inputs = call.planned.inputs
    spec = inputs.get("to")
    by_role = isinstance(spec, dict) and spec.get("kind") == "role"
    recipients = people(call, spec)
    if not recipients:
        raise ActionFailed(_l("Nobody to notify (the person is not a member)."))
    link = call.context.get("record", {}).get("url") if call.record is not None else None
    title = str(inputs.get("title") or "")[:300]
    body = str(inputs.get("body") or "")
    workspace = call.session.get(Workspace, call.run.workspace_id) if inputs.get("email") else None
    queued = 0
    for user_id in recipients:
        # One key per recipient (the step's key for a single person, as before): a retry
        # of the step notifies and e-mails nobody twice.
        key = f"{call.key}-user-{user_id}" if by_role else call.key
        notifications.notify(
            call.session,
            workspace_id=call.run.workspace_id,
            user_id=user_id,
            kind="automation",
            title=title,
            body=body,
            link=link,
            idempotency_key=key,
        )
        if inputs.get("email"):
            user = call.session.get(User, user_id)
            assert user is not None
            queued += mailer.queue_email(
                call.session,
                workspace_id=call.run.workspace_id,
                to=user.email,
                subject=title,
                body=body
                + (f"\n\n{current_app.config.get('BASE_URL', '')}{link}" if link else "")
                + (f"\n\n— {workspace.name}" if workspace else ""),
                idempotency_key=key,
            )
    if by_role:
        return {"user_ids": recipients, "emails_queued": queued}
    return {"user_id": recipients[0], "email_queued": bool(queued)}


def _tags(call: Call, *, add: bool) -> dict[str, Any]:
    record = _need_record(call)
    field = call.planned.inputs["field"]
    tag = call.planned.inputs["tag"]
    current = record.data.get(field) or []
    if not isinstance(current, list):
        current = []
    if add:
        wanted = current if tag in current else [*current, tag]
    else:
        wanted = [t for t in current if t != tag]
    if wanted == current:
        return {"record_id": record.id, "changed": False}
    records.update_record(
        call.session,
        call.actor,
        _form_of(call.session, record),
        record.id,
        {field: wanted},
        expected_version=record.version,
        source="json",
        partial=True,
        commit=False,
    )
    return {"record_id": record.id, "changed": True, field: wanted}


@handler("add_tag")
def add_tag(call: Call) -> dict[str, Any]:
    return _tags(call, add=True)


@handler("remove_tag")
def remove_tag(call: Call) -> dict[str, Any]:
    return _tags(call, add=False)


@handler("send_survey")
def send_survey(call: Call) -> dict[str, Any]:
    """Invite the trigger's record (or with ``record: {"link": …}`` the record it links
    to, e.g. an order's customer) to a survey; the step's key makes a retry send nothing."""
    from formwork.services import surveys

    inputs = call.planned.inputs
    record = _target(call) if inputs.get("record") else _need_record(call)
    form = call.session.scalar(
        select(Form).where(
            Form.workspace_id == call.run.workspace_id,
            Form.key == inputs.get("form"),
            Form.archived_at.is_(None),
        )
    )
    if form is None or form.published_version is None:
        raise ActionFailed(_l("The survey form no longer exists or is not published."))
    result = surveys.invite(
        call.session,
        call.actor,
        form.id,
        [record.id],
        expires_days=inputs.get("expires_days") or 14,
        remind_after_days=inputs.get("remind_after_days"),
        source="automation",
        run_id=call.run.id,
        idempotency_key=call.key,
        commit=False,
    )
    sent = result.sent[0][0] if result.sent else None
    skipped = [reason for _rid, reason, _message in result.skipped]
    return {
        "record_id": record.id,
        "form": form.key,
        "invitation_id": sent.id if sent is not None else None,
        "emailed": sent is not None and not ({"no_email", "bad_email"} & set(skipped)),
        "skipped": skipped,
    }


@handler("recompute_tiers")
def recompute_tiers(call: Call) -> dict[str, Any]:
    """Apply the named tier scheme to every record of its form (source ``automation``).

    The changes, their history and their tier_changed events join the run's transaction;
    events raised here carry the run's depth, so a scheme that re-triggers itself stops.
    """
    from formwork.models import TierScheme
    from formwork.value import tiers
    from formwork.value.tier_documents import SchemeProblems

    key = call.planned.inputs.get("scheme")
    scheme = call.session.scalar(
        select(TierScheme).where(
            TierScheme.workspace_id == call.run.workspace_id, TierScheme.key == key
        )
    )
    if scheme is None or scheme.archived_at is not None:
        raise ActionFailed(
            _l("The tier scheme “%(key)s” no longer exists or is archived.", key=str(key))
        )
    try:
        result = tiers.apply_scheme(
            call.session,
            scheme,
            actor_id=call.actor.user_id,
            source="automation",
            today=call.local_now.date(),
        )
    except SchemeProblems as exc:
        raise ActionFailed(
            _l(
                "The tier scheme “%(key)s” no longer fits its form: %(problem)s",
                key=scheme.key,
                problem=exc.problems[0].message_in(str(call.actor.user.locale or "en")),
            )
        ) from exc
    return {
        "scheme": scheme.key,
        "changed": result.changed,
        "up": result.up,
        "down": result.down,
        "new": result.new,
    }


def call_webhook(call: Call, *, allow_private: bool) -> dict[str, Any]:
    """POST the rendered payload; runs outside any open transaction (see the runner)."""
    from formwork.services import webhooks

    inputs = call.planned.inputs
    result = webhooks.deliver(
        inputs["url"],
        inputs.get("payload") or {},
        secret=call.config.get("secret") or None,
        idempotency_key=call.key,
        allow_private=allow_private,
    )
    return {
        "status": result.status,
        "elapsed_ms": result.elapsed_ms,
        "response": result.response_excerpt,
    }


def _when(value: Any) -> Any:
    from datetime import datetime

    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    return datetime.fromisoformat(text)
