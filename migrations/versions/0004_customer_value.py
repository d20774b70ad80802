"""customer value: settings, metrics, tier schemes, tier changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 14:28:23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import formwork.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "value_models",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", formwork.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_at", formwork.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "model_fit",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_value_models_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_value_models_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_value_models")),
    )
    op.create_table(
        "tier_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "titles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("field_key", sa.String(length=63), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("schedule", sa.String(length=100), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", formwork.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", formwork.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_applied_at", formwork.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", formwork.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_tier_schemes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["forms.id"],
            name=op.f("fk_tier_schemes_form_id_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tier_schemes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_schemes")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_tier_schemes_workspace_id_key")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customer_metrics",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.String(length=10), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("purchase_days", sa.Integer(), nullable=False),
        sa.Column("total_spent", sa.Float(), nullable=False),
        sa.Column("avg_order_value", sa.Float(), nullable=True),
        sa.Column("first_order_on", sa.String(length=10), nullable=True),
        sa.Column("last_order_on", sa.String(length=10), nullable=True),
        sa.Column("recency_days", sa.Integer(), nullable=True),
        sa.Column("purchases_per_year", sa.Float(), nullable=True),
        sa.Column("usual_interval_days", sa.Float(), nullable=True),
        sa.Column("orders_90d", sa.Integer(), nullable=False),
        sa.Column("spent_90d", sa.Float(), nullable=False),
        sa.Column("orders_365d", sa.Integer(), nullable=False),
        sa.Column("spent_365d", sa.Float(), nullable=False),
        sa.Column("complaints_90d", sa.Integer(), nullable=False),
        sa.Column("open_complaints", sa.Integer(), nullable=False),
        sa.Column("latest_nps", sa.Integer(), nullable=True),
        sa.Column("latest_nps_on", sa.String(length=10), nullable=True),
        sa.Column("last_follow_up_on", sa.String(length=10), nullable=True),
        sa.Column("r_score", sa.Integer(), nullable=True),
        sa.Column("f_score", sa.Integer(), nullable=True),
        sa.Column("m_score", sa.Integer(), nullable=True),
        sa.Column("rfm_segment", sa.String(length=32), nullable=True),
        sa.Column("clv_historical", sa.Float(), nullable=True),
        sa.Column("clv_predicted", sa.Float(), nullable=True),
        sa.Column("p_alive", sa.Float(), nullable=True),
        sa.Column("expected_purchases", sa.Float(), nullable=True),
        sa.Column("churn_status", sa.String(length=16), nullable=False),
        sa.Column("churn_since", sa.String(length=10), nullable=True),
        sa.Column("computed_at", formwork.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["forms.id"],
            name=op.f("fk_customer_metrics_form_id_forms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_customer_metrics_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_customer_metrics_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_customer_metrics")),
    )
    with op.batch_alter_table("customer_metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customer_metrics_churn", ["workspace_id", "churn_status"], unique=False
        )
        batch_op.create_index("ix_customer_metrics_form", ["workspace_id", "form_id"], unique=False)

    op.create_table(
        "tier_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=True),
        sa.Column("scheme_key", sa.String(length=64), nullable=False),
        sa.Column("from_tier", sa.String(length=64), nullable=True),
        sa.Column("to_tier", sa.String(length=64), nullable=False),
        sa.Column("rule_index", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", formwork.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_tier_changes_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["records.id"],
            name=op.f("fk_tier_changes_record_id_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["tier_schemes.id"],
            name=op.f("fk_tier_changes_scheme_id_tier_schemes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tier_changes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tier_changes_record", ["workspace_id", "record_id", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tier_changes_scheme", ["workspace_id", "scheme_key", "changed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tier_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_tier_changes_scheme")
        batch_op.drop_index("ix_tier_changes_record")

    op.drop_table("tier_changes")
    with op.batch_alter_table("customer_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_metrics_form")
        batch_op.drop_index("ix_customer_metrics_churn")

    op.drop_table("customer_metrics")
    op.drop_table("tier_schemes")
    op.drop_table("value_models")
