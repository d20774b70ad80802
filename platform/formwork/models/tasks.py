"""Follow-up tasks, in-app notifications and the outgoing e-mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class Task(Base):
    """A follow-up (跟进任务): who, by when, about which record, and whether it is done.

    A recurring follow-up (``repeat_every_days``) makes its next occurrence when it is
    completed, as long as ``repeat_while`` (a condition on the record) still holds.
    ``idempotency_key`` is set when an automation step created the task, so a retried
    step never makes a second one.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_assignee", "workspace_id", "assignee_id", "status", "due_at"),
        Index("ix_tasks_record", "workspace_id", "record_id"),
        Index("ix_tasks_due", "status", "due_at"),
        UniqueConstraint("idempotency_key"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    notes: Mapped[str] = mapped_column(Text, default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"))
    due_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    overdue_notified_at: Mapped[datetime | None]
    # open | done | cancelled
    status: Mapped[str] = mapped_column(String(16), default="open")
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    repeat_every_days: Mapped[int | None]
    repeat_while: Mapped[dict[str, Any] | None]
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_runs.id", ondelete="SET NULL")
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """An in-app message for one user; unread ones make the badge in the navigation."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user", "user_id", "read_at", "id"),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # automation | task_due | task_overdue | task_assigned | …
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    # A path inside Formwork (never an outside address).
    link: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class EmailMessage(Base):
    """The e-mail outbox: queued in the transaction that decided to send, sent later.

    ``idempotency_key`` (run and step) makes queueing exactly-once; the mailer marks a
    message ``sending`` before it talks to the SMTP server, so a crash leaves it
    ``sending`` (shown as "outcome unknown") instead of sending it twice.
    """

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_status", "status", "id"),
        UniqueConstraint("idempotency_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # queued | sending | sent | logged | failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
