"""Follow-up tasks (跟进任务): create, list, complete (with recurrence), reopen, snooze,
reassign.

Every query is scoped to the actor's workspace. Members and above change tasks; viewers
only look. A task can be changed by its assignee (负责人), its creator or an admin;
reassigning is for admins and the current assignee. "Today" is the workspace's day, in
its time zone (``Workspace.timezone``). Reminders and overdue notices are sent by
:mod:`formwork.services.task_reminders` (the scheduler calls it every minute).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from form_engine.conditions import ConditionError, EvalContext, evaluate, parse_condition
from formwork.db import dialect_insert, utcnow
from formwork.models import Form, Membership, Record, Role, Task, User, Workspace
from formwork.services.errors import Forbidden, Invalid, NotFound
from formwork.services.form_runtime import runtime_for
from formwork.services.notifications import notify
from formwork.services.scope import Actor, scoped
from formwork.value import refresh as value_refresh

log = logging.getLogger(__name__)

TITLE_MAX = 300
NOTES_MAX = 10_000
REPEAT_MAX_DAYS = 3660
OPEN_LIMIT = 500
DONE_LIMIT = 20


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` starts in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def tasks_path(workspace_id: int) -> str:
    """My tasks, as a path inside Formwork (for notification links and e-mails)."""
    return f"/w/{workspace_id}/tasks"


@dataclass(frozen=True)
class TaskItem:
    """A task with what a list shows beside it."""

    task: Task
    assignee_name: str | None
    form_title: str | None
    record_deleted: bool


@dataclass
class MyTasks:
    overdue: list[TaskItem] = field(default_factory=list)
    today: list[TaskItem] = field(default_factory=list)
    upcoming: list[TaskItem] = field(default_factory=list)
    no_date: list[TaskItem] = field(default_factory=list)
    done: list[TaskItem] = field(default_factory=list)


# -- creating ------------------------------------------------------------------------------


def assignable_members(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Members who can hold tasks (viewers cannot change tasks, so they get none)."""
    rows = session.execute(
        select(User.id, User.name)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.workspace_id == actor.workspace_id,
            Membership.role.in_([Role.OWNER, Role.ADMIN, Role.MEMBER]),
        )
        .order_by(User.name, User.id)
    )
    return [(user_id, name) for user_id, name in rows]


def _check_assignee(session: Session, actor: Actor, assignee_id: Any) -> int:
    membership = (
        session.get(Membership, (actor.workspace_id, assignee_id))
        if isinstance(assignee_id, int) and not isinstance(assignee_id, bool)
        else None
    )
    if membership is None or not membership.role.at_least(Role.MEMBER):
        raise Invalid(
            _l("Assignee: choose a member of this workspace who can edit (not a viewer)."),
            field="assignee_id",
        )
    return membership.user_id


def _clean_title(title: str) -> str:
    cleaned = " ".join(str(title or "").split())
    if not cleaned:
        raise Invalid(_l("Title: enter what needs to be done."), field="title")
    if len(cleaned) > TITLE_MAX:
        raise Invalid(
            _l("Title: use at most %(count)d characters.", count=TITLE_MAX), field="title"
        )
    return cleaned


def _record_kinds(session: Session, form_id: int | None) -> dict[str, str] | None:
    form = session.get(Form, form_id) if form_id else None
    if form is None or form.published_version is None:
        return None
    return runtime_for(session, form).kinds


def create_task(
    session: Session,
    actor: Actor,
    *,
    title: str,
    notes: str = "",
    assignee_id: int,
    record: Record | None = None,
    due_at: datetime | None = None,
    remind_at: datetime | None = None,
    repeat_every_days: int | None = None,
    repeat_while: Mapping[str, Any] | None = None,
    run_id: int | None = None,
    idempotency_key: str | None = None,
    commit: bool = True,
) -> Task:
    """Create a follow-up; the assignee is notified unless they created it themselves.

    With ``idempotency_key`` (an automation step), a second call returns the first task.

    Raises:
        Forbidden: the actor is a viewer.
        Invalid: a field is missing or wrong; ``field`` names it.
        NotFound: ``record`` belongs to another workspace.
    """
    actor.require(Role.MEMBER)
    clean_title = _clean_title(title)
    notes = str(notes or "")
    if len(notes) > NOTES_MAX:
        raise Invalid(
            _l("Notes: use at most %(count)d characters.", count=NOTES_MAX), field="notes"
        )
    assignee = _check_assignee(session, actor, assignee_id)
    if record is not None and record.workspace_id != actor.workspace_id:
        raise NotFound(_l("This record does not exist or was deleted."))
    if repeat_every_days is not None and not (
        isinstance(repeat_every_days, int) and 1 <= repeat_every_days <= REPEAT_MAX_DAYS
    ):
        raise Invalid(
            _l("Repeat: enter a number of days from 1 to %(max)d.", max=REPEAT_MAX_DAYS),
            field="repeat_every_days",
        )
    if repeat_while is not None:
        kinds = _record_kinds(session, record.form_id) if record is not None else None
        try:
            parse_condition(dict(repeat_while), fields=kinds)
        except ConditionError as exc:
            raise Invalid(
                _l("Repeat while: the condition is not valid (%(error)s).", error=str(exc)),
                field="repeat_while",
            ) from exc
    now = utcnow()
    values = {
        "workspace_id": actor.workspace_id,
        "title": clean_title,
        "notes": notes,
        "assignee_id": assignee,
        "record_id": record.id if record is not None else None,
        "form_id": record.form_id if record is not None else None,
        "due_at": due_at,
        "remind_at": remind_at,
        "status": "open",
        "repeat_every_days": repeat_every_days,
        "repeat_while": dict(repeat_while) if repeat_while is not None else None,
        "run_id": run_id,
        "idempotency_key": idempotency_key,
        "created_by_id": actor.user_id,
        "created_at": now,
        "updated_at": now,
    }
    task = _insert(session, values)
    if task is None:  # a concurrent call with the same key won the insert
        existing = _by_key(session, actor, idempotency_key)
        if existing is None:
            raise NotFound(_l("This task does not exist."))
        return existing
    if assignee != actor.user_id:
        notify(
            session,
            workspace_id=actor.workspace_id,
            user_id=assignee,
            kind="task_assigned",
            title=task.title,
            link=tasks_path(actor.workspace_id),
            idempotency_key=f"task-assigned-{task.id}-{assignee}",
        )
    if commit:
        session.commit()
    return task


def _by_key(session: Session, actor: Actor, key: str | None) -> Task | None:
    return session.scalar(scoped(Task, actor).where(Task.idempotency_key == key))


def _insert(session: Session, values: Mapping[str, Any]) -> Task | None:
    """INSERT … ON CONFLICT (idempotency_key) DO NOTHING; the new task or None."""
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get(dialect)
    if statement is None:  # built once per database kind: automations insert many
        statement = _INSERTS[dialect] = (
            dialect_insert(session, Task)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(Task)
        )
    return session.scalars(statement, [dict(values)]).one_or_none()


_INSERTS: dict[str, Any] = {}


# -- reading -------------------------------------------------------------------------------


def _with_details(query: Any) -> Any:
    """Add the assignee's name, the linked form's title and whether the record is deleted."""
    return (
        query.add_columns(User.name, Form.title, Record.deleted_at)
        .outerjoin(User, User.id == Task.assignee_id)
        .outerjoin(Form, Form.id == Task.form_id)
        .outerjoin(Record, Record.id == Task.record_id)
    )


def _items(session: Session, query: Any) -> list[TaskItem]:
    rows = session.execute(_with_details(query))
    return [TaskItem(task, name, title, deleted is not None) for task, name, title, deleted in rows]


def get_task(session: Session, actor: Actor, task_id: int) -> Task:
    task = session.scalar(scoped(Task, actor).where(Task.id == task_id))
    if task is None:
        raise NotFound(_l("This task does not exist."))
    return task


def tasks_for_record(session: Session, actor: Actor, record_id: int) -> list[TaskItem]:
    """A record's follow-ups: open ones by due date first, then done ones."""
    query = (
        scoped(Task, actor)
        .where(Task.record_id == record_id, Task.status != "cancelled")
        .order_by(
            case((Task.status == "open", 0), else_=1),
            Task.due_at.asc().nulls_last(),
            Task.id.desc(),
        )
        .limit(200)
    )
    return _items(session, query)


def my_tasks(
    session: Session,
    actor: Actor,
    *,
    now: datetime,
    assignee_id: int | None = None,
    everyone: bool = False,
) -> MyTasks:
    """The actor's tasks in buckets (overdue, today, upcoming, no date, recently done).

    Buckets are decided in SQL against the workspace's midnight; admins may look at one
    member's tasks (``assignee_id``) or everyone's.

    Raises:
        Forbidden: a non-admin asked for someone else's tasks.
    """
    if everyone or (assignee_id is not None and assignee_id != actor.user_id):
        actor.require_admin()
    who = None if everyone else (assignee_id or actor.user_id)
    zone = actor.workspace.zone
    tomorrow = local_midnight(now.astimezone(zone).date() + timedelta(days=1), zone)
    bucket = case(
        (Task.due_at.is_(None), "no_date"),
        (Task.due_at < now, "overdue"),
        (Task.due_at < tomorrow, "today"),
        else_="upcoming",
    ).label("bucket")
    base = scoped(Task, actor)
    if who is not None:
        base = base.where(Task.assignee_id == who)
    open_query = (
        base.where(Task.status == "open")
        .add_columns(bucket)
        .order_by(Task.due_at.asc().nulls_last(), Task.id.desc())
        .limit(OPEN_LIMIT)
    )
    result = MyTasks()
    for task, kind, name, title, deleted in session.execute(_with_details(open_query)):
        getattr(result, kind).append(TaskItem(task, name, title, deleted is not None))
    done_query = (
        base.where(Task.status == "done")
        .order_by(Task.completed_at.desc(), Task.id.desc())
        .limit(DONE_LIMIT)
    )
    result.done = _items(session, done_query)
    return result


# -- changing ------------------------------------------------------------------------------


def _may_change(actor: Actor, task: Task) -> None:
    actor.require(Role.MEMBER)
    if actor.role.at_least(Role.ADMIN) or actor.user_id in {task.assignee_id, task.created_by_id}:
        return
    raise Forbidden(_l("Only the assignee, the creator or an admin can change this task."))


def _record_of(session: Session, task: Task) -> Record | None:
    if task.record_id is None:
        return None
    return session.scalar(
        select(Record).where(Record.id == task.record_id, Record.workspace_id == task.workspace_id)
    )


def _shift_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """``days`` later on the workspace's wall clock (09:00 stays 09:00 across DST)."""
    local = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _keeps_repeating(session: Session, task: Task, today: date) -> bool:
    record = _record_of(session, task)
    if task.record_id is not None and (record is None or record.deleted_at is not None):
        return False
    if task.repeat_while is None:
        return True
    try:
        condition = parse_condition(task.repeat_while, fields=_record_kinds(session, task.form_id))
    except ConditionError:
        log.warning("task %s: repeat_while no longer fits the form; not repeating", task.id)
        return False
    data = record.data if record is not None else {}
    return evaluate(condition, data, context=EvalContext(today=today))


def _next_occurrence(session: Session, task: Task, now: datetime) -> Task | None:
    days = task.repeat_every_days
    if not days:
        return None
    zone = session.get_one(Workspace, task.workspace_id).zone
    if not _keeps_repeating(session, task, now.astimezone(zone).date()):
        return None
    base = task.due_at or now
    # From the due date, so the rhythm holds; skipped periods are not piled up.
    periods = max(1, (now - base).days // days + 1) if base < now else 1
    due = _shift_days(base, days * periods, zone)
    while due <= now:
        periods += 1
        due = _shift_days(base, days * periods, zone)
    remind = None
    if task.remind_at is not None and task.due_at is not None:
        remind = due - (task.due_at - task.remind_at)
    values = {
        "workspace_id": task.workspace_id,
        "title": task.title,
        "notes": task.notes,
        "assignee_id": task.assignee_id,
        "record_id": task.record_id,
        "form_id": task.form_id,
        "due_at": due,
        "remind_at": remind,
        "status": "open",
        "repeat_every_days": days,
        "repeat_while": task.repeat_while,
        "run_id": task.run_id,
        # One next occurrence per task, however often it is completed or reopened.
        "idempotency_key": f"task-{task.id}-next",
        "created_by_id": task.created_by_id,
        "created_at": now,
        "updated_at": now,
    }
    return _insert(session, values)


def complete_task(
    session: Session, actor: Actor, task_id: int, *, now: datetime | None = None
) -> tuple[Task, Task | None]:
    """Mark a task done; a recurring one gets its next occurrence (returned second).

    Completing a task that is already done changes nothing.
    """
    now = now or utcnow()
    task = get_task(session, actor, task_id)
    _may_change(actor, task)
    changed = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.workspace_id == actor.workspace_id, Task.status == "open")
        .values(status="done", completed_at=now, completed_by_id=actor.user_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return get_task(session, actor, task_id), None
    session.refresh(task)
    following = _next_occurrence(session, task, now)
    value_refresh.on_task_changed(session, task.workspace_id, task.form_id, task.record_id)
    session.commit()
    return task, following


def reopen_task(session: Session, actor: Actor, task_id: int) -> Task:
    task = get_task(session, actor, task_id)
    _may_change(actor, task)
    if task.status != "open":
        task.status = "open"
        task.completed_at = None
        task.completed_by_id = None
        task.updated_at = utcnow()
        value_refresh.on_task_changed(session, task.workspace_id, task.form_id, task.record_id)
        session.commit()
    return task


def snooze_task(
    session: Session, actor: Actor, task_id: int, until: datetime, *, now: datetime | None = None
) -> Task:
    """Move the due time to ``until`` (the reminder moves with it) and re-arm notices."""
    now = now or utcnow()
    task = get_task(session, actor, task_id)
    _may_change(actor, task)
    if task.status != "open":
        raise Invalid(_l("Only open tasks can be snoozed."), field="until")
    if until.tzinfo is None or until <= now:
        raise Invalid(_l("Snooze until: choose a time in the future."), field="until")
    remind = until
    if task.due_at is not None and task.remind_at is not None:
        remind = max(until - (task.due_at - task.remind_at), now)
    task.due_at = until
    task.remind_at = remind
    task.reminded_at = None
    task.overdue_notified_at = None
    task.updated_at = now
    session.commit()
    return task


def reassign_task(session: Session, actor: Actor, task_id: int, assignee_id: int) -> Task:
    """Give the task to another member (admins and the current assignee may)."""
    task = get_task(session, actor, task_id)
    actor.require(Role.MEMBER)
    if not (actor.role.at_least(Role.ADMIN) or task.assignee_id == actor.user_id):
        raise Forbidden(_l("Only the assignee or an admin can reassign this task."))
    new_assignee = _check_assignee(session, actor, assignee_id)
    if new_assignee == task.assignee_id:
        return task
    task.assignee_id = new_assignee
    task.updated_at = utcnow()
    if new_assignee != actor.user_id:
        notify(
            session,
            workspace_id=actor.workspace_id,
            user_id=new_assignee,
            kind="task_assigned",
            title=task.title,
            link=tasks_path(actor.workspace_id),
        )
    session.commit()
    return task


def send_due_reminders(session: Session, now: datetime | None = None) -> int:
    """Reminders and overdue notices for every workspace (see :mod:`.task_reminders`)."""
    from formwork.services.task_reminders import send_due_reminders as send

    return send(session, now)
