"""managed field indexes hold only their form's records on SQLite

Filter and link indexes (``fwx_f_*``, ``fwx_l_*``) become partial (``WHERE form_id =
N``), as ``services.indexes`` now creates them: writes to records of other forms no longer
evaluate their expressions. Rebuilt from their own DDL; PostgreSQL is left as it is.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _field_indexes() -> list[tuple[str, int, str]]:
    """(name, form id, DDL) of SQLite's managed link and filter indexes; none elsewhere."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return []
    rows = bind.execute(
        sa.text(
            "SELECT m.name, m.form_id, s.sql FROM managed_indexes AS m "
            "JOIN sqlite_master AS s ON s.type = 'index' AND s.name = m.name "
            "WHERE m.purpose IN ('filter', 'link') AND s.sql IS NOT NULL"
        )
    ).all()
    return [(name, int(form_id), sql) for name, form_id, sql in rows]


def _rebuild(name: str, ddl: str) -> None:
    op.execute(sa.text(f'DROP INDEX IF EXISTS "{name}"'))
    op.execute(sa.text(ddl))


def upgrade() -> None:
    for name, form_id, sql in _field_indexes():
        if " WHERE " not in sql.upper():
            _rebuild(name, f"{sql} WHERE form_id = {form_id}")


def downgrade() -> None:
    for name, form_id, sql in _field_indexes():
        suffix = f" WHERE form_id = {form_id}"
        if sql.endswith(suffix):
            _rebuild(name, sql[: -len(suffix)])
