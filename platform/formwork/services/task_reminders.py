"""Due reminders and overdue notices for follow-ups, across all workspaces.

The scheduler calls :func:`send_due_reminders` every minute. Each notice is sent once:
tasks are claimed by a conditional ``UPDATE … SET reminded_at = now WHERE reminded_at IS
NULL … RETURNING`` and the notifications (and overdue e-mails, through the outbox) are
inserted in the same transaction, so two schedulers or a second call never notify twice.
Snoozing a task clears the marks, so a snoozed task is reminded again at its new time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from babel.dates import format_datetime
from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from formwork.db import utcnow
from formwork.models import Membership, Notification, Task, User, Workspace
from formwork.services.errors import Invalid
from formwork.services.mailer import queue_email
from formwork.services.notifications import dialect_insert
from formwork.services.tasks import tasks_path

log = logging.getLogger(__name__)

BATCH = 500


def send_due_reminders(session: Session, now: datetime | None = None) -> int:
    """Notify assignees of reminders that came due and of tasks that became overdue.

    Commits after each batch. Returns the number of notifications created.
    """
    now = now or utcnow()
    created = 0
    while True:
        batch = _claim(session, now, "reminded_at", Task.remind_at <= now)
        if batch:
            # A task already past due gets the overdue notice instead (below).
            due = [
                row
                for row in batch
                if row.assignee_id and (row.due_at is None or row.due_at >= now)
            ]
            created += _notify(session, due, "task_due", now)
        session.commit()
        if len(batch) < BATCH:
            break
    while True:
        batch = _claim(session, now, "overdue_notified_at", Task.due_at < now)
        if batch:
            rows = [row for row in batch if row.assignee_id]
            created += _notify(session, rows, "task_overdue", now)
            _queue_overdue_emails(session, rows)
        session.commit()
        if len(batch) < BATCH:
            break
    return created


def _claim(session: Session, now: datetime, mark: str, condition: Any) -> Sequence[Any]:
    """Open tasks matching ``condition`` whose ``mark`` is empty; marked now, atomically.

    One UPDATE (a write from the transaction's first statement, so SQLite waits for the
    lock rather than failing to upgrade a read) over at most ``BATCH`` tasks. Commits
    what the session held before.
    """
    column = getattr(Task, mark)
    due = (
        select(Task.id)
        .where(Task.status == "open", column.is_(None), condition)
        .order_by(Task.id)
        .limit(BATCH)
    )
    # A read first, so a quiet minute never takes SQLite's write lock.
    anything = session.scalar(due.limit(1))
    session.commit()
    if anything is None:
        return []
    return session.execute(
        update(Task)
        .where(Task.id.in_(due.scalar_subquery()), Task.status == "open", column.is_(None))
        .values({mark: now})
        .returning(
            Task.id,
            Task.workspace_id,
            Task.assignee_id,
            Task.title,
            Task.due_at,
            Task.remind_at,
            Task.record_id,
        )
        .execution_options(synchronize_session=False)
    ).all()


def _notify(session: Session, rows: Sequence[Any], kind: str, now: datetime) -> int:
    """One notification per task and due time (a snoozed task is notified again)."""
    if not rows:
        return 0
    values = []
    for row in rows:
        moment = row.remind_at if kind == "task_due" else row.due_at
        stamp = int(moment.timestamp()) if moment is not None else 0
        values.append(
            {
                "workspace_id": row.workspace_id,
                "user_id": row.assignee_id,
                "kind": kind,
                "title": row.title,
                "body": "",
                "link": tasks_path(row.workspace_id),
                "idempotency_key": f"{kind}-{row.id}-{stamp}",
                "created_at": now,
            }
        )
    statement = (
        dialect_insert(session, Notification)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Notification.id)
    )
    return len(session.execute(statement).all())


def _queue_overdue_emails(session: Session, rows: Sequence[Any]) -> None:
    """An e-mail per overdue task to its assignee (still a member, active), in their
    language, with the due time in the workspace's zone."""
    if not rows:
        return
    pairs = {(row.assignee_id, row.workspace_id) for row in rows}
    people = {
        (user_id, workspace_id): (email, locale)
        for user_id, workspace_id, email, locale in session.execute(
            select(User.id, Membership.workspace_id, User.email, User.locale)
            .join(Membership, Membership.user_id == User.id)
            .where(
                User.id.in_({user_id for user_id, _ in pairs}),
                Membership.workspace_id.in_({workspace_id for _, workspace_id in pairs}),
                User.is_active.is_(True),
            )
        )
    }
    zones = {
        workspace.id: workspace.zone
        for workspace in session.scalars(
            select(Workspace).where(Workspace.id.in_({row.workspace_id for row in rows}))
        )
    }
    for row in rows:
        person = people.get((row.assignee_id, row.workspace_id))
        if person is None:
            continue
        email, locale = person
        subject, body = _overdue_text(row, zones[row.workspace_id], locale)
        try:
            queue_email(
                session,
                workspace_id=row.workspace_id,
                to=email,
                subject=subject,
                body=body,
                idempotency_key=f"task-overdue-{row.id}",
            )
        except Invalid:
            log.warning("task %s: assignee's address %r cannot take e-mail", row.id, email)


@contextmanager
def _language(locale: str | None) -> Iterator[str]:
    default = current_app.config["DEFAULT_LOCALE"] if has_app_context() else "en"
    languages = current_app.config["LANGUAGES"] if has_app_context() else ("en",)
    chosen = locale if locale in languages else default
    with force_locale(chosen):
        yield chosen


def _overdue_text(row: Any, zone: Any, locale: str | None) -> tuple[str, str]:
    with _language(locale) as chosen:
        due = format_datetime(row.due_at, "medium", tzinfo=zone, locale=chosen)
        base = current_app.config.get("BASE_URL", "") if has_app_context() else ""
        link = f"{str(base).rstrip('/')}{tasks_path(row.workspace_id)}"
        subject = _("Overdue follow-up: %(title)s", title=row.title)
        lines = [
            _("This follow-up is overdue:"),
            "",
            row.title,
            _("Due: %(when)s (%(zone)s)", when=due, zone=str(zone)),
            "",
            _("Open your tasks: %(link)s", link=link),
        ]
    return subject, "\n".join(lines)
