"""Records of every form in one table (DESIGN §3), their revisions and links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class Record(Base):
    """One entry of a form. ``data`` holds field values by key (JSONB on PostgreSQL).

    ``version`` is the optimistic-concurrency counter: an update names the version it was
    based on and fails with a conflict when someone saved in between. ``form_version`` is
    the form version the data was last written with. ``search_text`` is the lower-cased
    text of the record for full-text search in SQL.
    """

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_form_live", "workspace_id", "form_id", "deleted_at", "id"),
        Index("ix_records_form_updated", "workspace_id", "form_id", "updated_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]]
    form_version: Mapped[int]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    deleted_at: Mapped[datetime | None]
    search_text: Mapped[str] = mapped_column(Text, default="")


class RecordRevision(Base):
    """Field-level before/after of one change to a record, with who and when."""

    __tablename__ = "record_revisions"
    __table_args__ = (Index("ix_record_revisions_record", "workspace_id", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    # created | updated | deleted | restored | recomputed
    action: Mapped[str] = mapped_column(String(16))
    # {field key: [before, after]}
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    record_version: Mapped[int]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordLink(Base):
    """One value of a link field: ``source`` record's ``field_key`` points at ``target``.

    Kept in step with ``records.data`` by the records service so that lookups, rollups and
    "records linking here" are plain indexed joins on both databases.
    """

    __tablename__ = "record_links"
    __table_args__ = (Index("ix_record_links_target", "workspace_id", "target_id", "field_key"),)

    source_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    field_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    target_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    source_form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))


class SavedView(Base):
    """A named list view: search, filter condition, sorts, columns, page size.

    ``owner_id`` set: personal; empty: shared with the workspace.
    """

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_form", "workspace_id", "form_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ManagedIndex(Base):
    """An expression index the platform created on ``records`` for one form field.

    Its DDL lives outside Alembic (it depends on user forms); Alembic's comparison skips
    indexes named ``fwx_*`` (see migrations/env.py).
    """

    __tablename__ = "managed_indexes"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    field_key: Mapped[str] = mapped_column(String(63))
    # filter | unique | link
    purpose: Mapped[str] = mapped_column(String(16))
    sql_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
