"""customer value: typed order facts (customer_order_facts) and what they were built from
(value_models.facts_key)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 19:12:30.274671
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_order_facts",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column(
            "amount",
            sa.Float().with_variant(sa.Numeric(asdecimal=False), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_customer_order_facts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "customer_id", "order_id", name=op.f("pk_customer_order_facts")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("value_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("facts_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("value_models", schema=None) as batch_op:
        batch_op.drop_column("facts_key")

    op.drop_table("customer_order_facts")
