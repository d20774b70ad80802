"""Installed templates and the reports they (and people) add to a workspace."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class Report(Base):
    """A saved report of an app. ``kind`` says what ``document`` holds:

    - ``customer_asset``: nothing more; the report reads the customer-value settings;
    - ``survey_results``: ``{"form": key}``, the survey results page of that form;
    - ``summary``: ``{"form", "group_by", "measures": [{"agg", "field"?}], "filter"?}``,
      a grouped table computed in SQL (``formwork.services.reports``).
    """

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("workspace_id", "key"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="SET NULL"), index=True
    )
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    # Other languages of the name, e.g. {"zh-CN": "赢单/输单分析"}.
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    kind: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstalledTemplate(Base):
    """A template installed into a workspace, as one app.

    Install runs as numbered, idempotent steps (``step`` of ``steps_total``): a crash or a
    closed browser leaves it ``installing`` and running it again continues where it
    stopped. ``snapshot`` is the template's content as installed (keyed by template keys):
    an upgrade compares it with the new version and with the workspace's current parts, so
    it can tell a template change from a user edit. ``key_map`` maps template keys to what
    install made of them: ``{"forms": {tkey: form key}, "tier_schemes": {tkey: scheme key},
    "automations": {tkey: id}, "reports": {tkey: id}}``.
    """

    __tablename__ = "installed_templates"
    __table_args__ = (
        UniqueConstraint("workspace_id", "template_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    template_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id", ondelete="SET NULL"))
    # installing → installed ⇄ archived
    status: Mapped[str] = mapped_column(String(16), default="installing")
    source: Mapped[str] = mapped_column(String(16), default="library")  # library | import
    sample_locale: Mapped[str | None] = mapped_column(String(10))
    step: Mapped[int] = mapped_column(default=0)
    steps_total: Mapped[int] = mapped_column(default=0)
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    key_map: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Automations enabled when the app was archived: restoring enables them again.
    paused_automations: Mapped[list[Any]] = mapped_column(default=list)
    last_report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    installed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]
