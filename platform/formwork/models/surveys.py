"""Surveys and public forms (DESIGN §7): public links, personal invitations, opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class PublicLink(Base):
    """A form published at an anonymous URL ``/p/<slug>``: when it is open, how many
    responses it takes, the thank-you text, and which fields URL parameters may fill.

    ``prefill`` lists field keys a signed URL parameter may set; ``hidden`` those of them
    not shown to the respondent (e.g. a campaign code). The signature (see
    ``formwork.services.public_forms``) covers the link and the values, so a respondent
    cannot change them. ``response_count`` is advanced atomically in SQL with each
    response so the limit holds under concurrent posts.
    """

    __tablename__ = "public_links"
    __table_args__ = (
        UniqueConstraint("slug"),
        Index("ix_public_links_form", "workspace_id", "form_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    # Random, unguessable (secrets.token_urlsafe); the URL names nothing else.
    slug: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    response_limit: Mapped[int | None]
    response_count: Mapped[int] = mapped_column(default=0)
    # {"en": "...", "zh-CN": "..."}
    thank_you: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prefill: Mapped[list[Any]] = mapped_column(default=list)
    hidden: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyInvitation(Base):
    """A personal, single-use invitation to answer a survey form about one customer.

    Only the SHA-256 of the token is stored; the token itself is in the e-mail and the
    copyable link. ``used_at`` is set in the same statement that checks it is unset, so
    a token answers once even under concurrent posts. ``response_id`` is the record the
    answer created (linked to the customer through the survey form's link field).
    """

    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        UniqueConstraint("idempotency_key"),
        Index("ix_survey_invitations_form", "workspace_id", "form_id", "created_at"),
        Index("ix_survey_invitations_record", "workspace_id", "record_id"),
        Index("ix_survey_invitations_reminder", "used_at", "reminded_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    # The customer (or other) record the survey is about.
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    email: Mapped[str | None] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    response_id: Mapped[int | None] = mapped_column(ForeignKey("records.id", ondelete="SET NULL"))
    # Days after sending to remind a non-responder once (None: no reminder).
    remind_after_days: Mapped[int | None]
    reminded_at: Mapped[datetime | None]
    # ui | bulk | automation
    source: Mapped[str] = mapped_column(String(16), default="ui")
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_runs.id", ondelete="SET NULL")
    )
    # Set when an automation step created it (run and step), so a retry never sends twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyOptOut(Base):
    """An address that asked not to receive survey invitations from this workspace."""

    __tablename__ = "survey_opt_outs"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Lower-cased e-mail address.
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
