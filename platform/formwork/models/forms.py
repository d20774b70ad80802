"""Apps, forms and their published versions (each version is one JSON Schema document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from formwork.db import Base, utcnow


class App(Base):
    """A named group of forms (with, later, their automations and reports)."""

    __tablename__ = "apps"
    # Ids are never reused on SQLite either: caches and audit entries key on them.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # Other languages of the name, e.g. {"zh-CN": "客户管理"}.
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    forms: Mapped[list[Form]] = relationship(back_populates="app", order_by="Form.position")


class Form(Base):
    """A form: its published version number and the builder's working draft.

    ``key`` is how other forms (link fields, rollups) and templates refer to it; like field
    keys it never changes. ``draft_revision`` makes concurrent builder saves conflict
    instead of overwriting each other.
    """

    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("workspace_id", "key"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    published_version: Mapped[int | None]
    draft: Mapped[dict[str, Any] | None]
    draft_revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None]

    app: Mapped[App] = relationship(back_populates="forms")


class FormVersion(Base):
    """An immutable published version of a form's document."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AutonumberCounter(Base):
    """The last number handed out per auto-number field; bumped with a row lock."""

    __tablename__ = "autonumber_counters"

    form_id: Mapped[int] = mapped_column(
        ForeignKey("forms.id", ondelete="CASCADE"), primary_key=True
    )
    field_key: Mapped[str] = mapped_column(String(63), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(default=0)


Index("ix_form_versions_workspace_id", FormVersion.workspace_id)
