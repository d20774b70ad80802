"""Customer value (DESIGN §6): which forms play customer and order, the per-customer
metrics computed from them, tier schemes, and the history of tier and churn changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formwork.db import Base, utcnow


class ValueModel(Base):
    """A workspace's customer-value settings, one JSON document (see
    ``formwork.value.settings`` for its shape and checks): the customer form, which form,
    link, amount and date fields are orders, optional complaint, survey and follow-up
    forms, CLV assumptions, RFM method and segment map, churn rules.

    ``revision`` makes two admins' concurrent saves conflict instead of overwriting.
    """

    __tablename__ = "value_models"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When metrics, RFM, CLV and churn were last recomputed in bulk, and the predictive
    # model's fitted parameters then ({} when it was refused; ``refusal`` says why).
    computed_at: Mapped[datetime | None]
    model_fit: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What ``customer_order_facts`` of the workspace were built from (the order form, its
    # published version, the fields, the settings' revision; see ``formwork.value.facts``);
    # None: never built, or possibly stale (a change was saved while the settings did not
    # fit the forms), so the next full refresh rebuilds them.
    facts_key: Mapped[str | None] = mapped_column(Text)


class CustomerMetrics(Base):
    """The measured figures of one customer record, recomputed set-based in SQL.

    Dates are ISO text (``YYYY-MM-DD``) like dates in record data, so the condition
    compiler compares them the same way. Money is a double, like numbers in record data.
    Tier conditions read these columns as ``metrics.<column>``.
    """

    __tablename__ = "customer_metrics"
    __table_args__ = (
        Index("ix_customer_metrics_form", "workspace_id", "form_id"),
        Index("ix_customer_metrics_churn", "workspace_id", "churn_status"),
    )

    record_id: Mapped[int] = mapped_column(
        ForeignKey("records.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    # The day the day-relative figures (recency, windows) were measured at.
    as_of: Mapped[str] = mapped_column(String(10))

    order_count: Mapped[int] = mapped_column(default=0)
    # Distinct order days: several orders on one day are one purchase (BG/NBD's unit).
    purchase_days: Mapped[int] = mapped_column(default=0)
    total_spent: Mapped[float] = mapped_column(Float, default=0.0)
    avg_order_value: Mapped[float | None] = mapped_column(Float)
    first_order_on: Mapped[str | None] = mapped_column(String(10))
    last_order_on: Mapped[str | None] = mapped_column(String(10))
    recency_days: Mapped[int | None]
    purchases_per_year: Mapped[float | None] = mapped_column(Float)
    usual_interval_days: Mapped[float | None] = mapped_column(Float)
    orders_90d: Mapped[int] = mapped_column(default=0)
    spent_90d: Mapped[float] = mapped_column(Float, default=0.0)
    orders_365d: Mapped[int] = mapped_column(default=0)
    spent_365d: Mapped[float] = mapped_column(Float, default=0.0)
    complaints_90d: Mapped[int] = mapped_column(default=0)
    open_complaints: Mapped[int] = mapped_column(default=0)
    latest_nps: Mapped[int | None]
    latest_nps_on: Mapped[str | None] = mapped_column(String(10))
    last_follow_up_on: Mapped[str | None] = mapped_column(String(10))

    r_score: Mapped[int | None]
    f_score: Mapped[int | None]
    m_score: Mapped[int | None]
    rfm_segment: Mapped[str | None] = mapped_column(String(32))

    clv_historical: Mapped[float | None] = mapped_column(Float)
    clv_predicted: Mapped[float | None] = mapped_column(Float)
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)

    # none (never ordered) | active | at_risk | dormant
    churn_status: Mapped[str] = mapped_column(String(16), default="none")
    churn_since: Mapped[str | None] = mapped_column(String(10))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerOrderFact(Base):
    """One order as it counts in its customer's figures: the order's day (ISO text, the
    date field's day or the record's created day) and amount (0 when empty), per customer
    it links to. Kept current in the transaction of every order change
    (``formwork.value.refresh.on_records_changed``) and rebuilt set-based when the settings
    or the order form change, so a full recompute aggregates typed columns instead of
    reading every order's JSON (``formwork.value.facts``).

    The primary key is in aggregation order (workspace, customer, order); on SQLite the
    table is clustered on it (``WITHOUT ROWID``), so a recompute reads it front to back.
    No foreign keys to ``records``: records are only soft-deleted (a hard delete comes
    with their form or workspace), a cascade through columns not leading an index would
    scan this table once per record, and rows of vanished records are never read (ids
    are not reused) and go at the next rebuild.
    """

    __tablename__ = "customer_order_facts"
    __table_args__ = {"sqlite_with_rowid": False}

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    order_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[str] = mapped_column(String(10))
    # A double on SQLite (like numbers in record data); NUMERIC on PostgreSQL, where sums
    # of amounts stay exact as when they were read from JSONB.
    amount: Mapped[float] = mapped_column(
        Float().with_variant(Numeric(asdecimal=False), "postgresql"), default=0.0
    )


class TierScheme(Base):
    """An ordered list of tiers over one form: the first tier whose condition holds wins,
    else the fallback. The result is written to ``field_key`` on each record.

    ``document``: ``{"tiers": [{"key", "name": {"en", "zh-CN"}, "color", "condition"}],
    "fallback": {"key", "name", "color"}}`` (checked by ``formwork.value.tiers``).
    ``schedule`` is a crontab line in the workspace's time zone, or None (apply by hand).
    """

    __tablename__ = "tier_schemes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    titles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    field_key: Mapped[str] = mapped_column(String(63))
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule: Mapped[str | None] = mapped_column(String(100))
    revision: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_applied_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]


class TierChange(Base):
    """One customer moving between tiers of a scheme, or between churn statuses
    (``scheme_key`` ``churn``, no ``scheme_id``): from, to, when and by which rule."""

    __tablename__ = "tier_changes"
    __table_args__ = (
        Index("ix_tier_changes_record", "workspace_id", "record_id", "id"),
        Index("ix_tier_changes_scheme", "workspace_id", "scheme_key", "changed_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    scheme_id: Mapped[int | None] = mapped_column(
        ForeignKey("tier_schemes.id", ondelete="SET NULL")
    )
    scheme_key: Mapped[str] = mapped_column(String(64))
    from_tier: Mapped[str | None] = mapped_column(String(64))
    to_tier: Mapped[str] = mapped_column(String(64))
    # Position of the tier rule that matched (None: the fallback or a churn rule).
    rule_index: Mapped[int | None]
    # apply | schedule | automation | metrics
    source: Mapped[str] = mapped_column(String(16), default="apply")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
