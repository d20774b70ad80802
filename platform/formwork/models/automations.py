"""Automations, the event outbox, runs and their steps (DESIGN §5, docs/automations.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class Automation(Base):
    """A trigger, an optional condition and ordered actions, as one JSON document.

    ``trigger_type`` and ``form_id`` repeat what the document says so that the dispatcher
    finds the automations an event concerns with one indexed query. Runs act with the
    rights of ``run_as`` (the admin who last saved the automation).
    """

    __tablename__ = "automations"
    __table_args__ = (
        Index("ix_automations_dispatch", "workspace_id", "enabled", "trigger_type"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    document: Mapped[dict[str, Any]]
    enabled: Mapped[bool] = mapped_column(default=False)
    trigger_type: Mapped[str] = mapped_column(String(32))
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id", ondelete="SET NULL"))
    # Bumped on every save; a run keeps the document it started with.
    revision: Mapped[int] = mapped_column(default=1)
    run_as_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last local date a date-relative scan completed for (YYYY-MM-DD).
    last_scan_on: Mapped[str | None] = mapped_column(String(10))


class Event(Base):
    """The transactional outbox: one row per change, written with the change itself.

    ``payload`` holds ``before``/``after`` values and the changed keys, plus what the
    event type needs (tier names, the schedule's fire time). ``automation_id`` is set for
    events aimed at one automation (schedule ticks, date scans, manual runs, back-fills).
    ``dedupe_key`` makes scheduled events idempotent: two schedulers, or a retried scan,
    cannot raise the same tick twice.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_pending", "dispatched_at", "id"),
        UniqueConstraint("workspace_id", "dedupe_key"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    form_id: Mapped[int | None] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    automation_id: Mapped[int | None] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE")
    )
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # ui | api | import | automation | computed | scheduler
    source: Mapped[str] = mapped_column(String(16), default="ui")
    # How many automation runs led to this change (0: a person did it).
    depth: Mapped[int] = mapped_column(default=0)
    # The run whose action made this change, if any.
    caused_by_run_id: Mapped[int | None]
    # False when an import opted out of automations: stored, never dispatched.
    fire: Mapped[bool] = mapped_column(default=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]


class Run(Base):
    """One execution of an automation for one event; unique per automation and event.

    A worker claims a run by setting ``lease_until``; a run whose lease ran out (its
    worker died) is handed out again by the sweep and continues at ``next_step``.
    ``not_before`` is when a retrying or waiting run may continue.
    """

    __tablename__ = "automation_runs"
    __table_args__ = (
        UniqueConstraint("automation_id", "event_id"),
        Index("ix_automation_runs_due", "status", "not_before"),
        Index("ix_automation_runs_automation", "workspace_id", "automation_id", "id"),
        Index("ix_automation_runs_record", "workspace_id", "record_id", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    automation_id: Mapped[int] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    # pending | running | waiting | retrying | succeeded | failed | cancelled | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    depth: Mapped[int] = mapped_column(default=0)
    # The automation document as it was when the run was created.
    document: Mapped[dict[str, Any]]
    automation_revision: Mapped[int] = mapped_column(default=1)
    next_step: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Step(Base):
    """One action of a run: its input (rendered), output, timing, attempts and error."""

    __tablename__ = "automation_steps"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(ForeignKey("automation_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    action_id: Mapped[str] = mapped_column(String(32))
    action_type: Mapped[str] = mapped_column(String(32))
    # pending | running | succeeded | failed | skipped | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AutomationCounter(Base):
    """A per-automation counter (round-robin position), advanced atomically in SQL."""

    __tablename__ = "automation_counters"

    automation_id: Mapped[int] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(default=0)


class SchedulerLock(Base):
    """A lease: the one scheduler that may run jobs renews it; others stay idle.

    APScheduler 3 allows one scheduler per job store; this row is how a second
    ``formwork scheduler`` (or web worker) learns it must wait.
    """

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
