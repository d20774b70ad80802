"""Expression indexes on ``records`` for the fields lists filter and sort on, link fields,
and unique fields (enforced by the database, not by a check-then-insert race).

The DDL depends on user forms, so it lives here rather than in Alembic; every index the
platform creates is recorded in ``managed_indexes`` and named ``fwx_*`` (Alembic skips
those names).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from formwork.migrate import MANAGED_INDEX_PREFIX
from formwork.models import ManagedIndex, Record, SavedView
from formwork.services.condition_sql import json_value
from formwork.services.errors import Invalid
from formwork.services.form_runtime import FormRuntime


@dataclass(frozen=True)
class WantedIndex:
    field_key: str
    purpose: str  # filter | unique | link
    sql_kind: str


def index_name(purpose: str, form_id: int, key: str) -> str:
    """``fwx_u_12_phone``; long keys are shortened with a hash to fit PostgreSQL's 63."""
    name = f"{MANAGED_INDEX_PREFIX}{purpose[0]}_{form_id}_{key}"
    if len(name) <= 63:
        return name
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]  # noqa: S324 - a name, not security
    return f"{name[:54]}_{digest}"


def wanted_indexes(session: Session, runtime: FormRuntime) -> set[WantedIndex]:
    """Unique fields, link fields, and fields that saved views filter or sort on."""
    wanted = {WantedIndex(key, "unique", runtime.kinds[key]) for key in runtime.unique}
    wanted |= {
        WantedIndex(key, "link", runtime.kinds[key])
        for key in runtime.links
        if key not in runtime.multi_links
    }
    used: set[str] = set()
    for definition in session.scalars(
        select(SavedView.definition).where(SavedView.form_id == runtime.form_id)
    ):
        used.update(sort.get("key", "") for sort in definition.get("sorts", []))
        used.update(definition.get("filter_fields", []))
    wanted |= {
        WantedIndex(key, "filter", runtime.kinds[key])
        for key in used
        if key in runtime.kinds and runtime.kinds[key] != "json"
    }
    return wanted


def sync_indexes(
    session: Session, runtime: FormRuntime, extra: Iterable[WantedIndex] = ()
) -> list[str]:
    """Create missing and drop unneeded managed indexes of one form; returns created names.

    Raises:
        Invalid: a unique index cannot be built because stored values repeat.
    """
    dialect = session.get_bind().dialect.name
    wanted = wanted_indexes(session, runtime) | set(extra)
    if dialect == "postgresql":
        # PostgreSQL reads a btree backwards as DESC NULLS FIRST; lists sort empty values
        # last in both directions, so descending sorts need their own index.
        wanted |= {
            WantedIndex(w.field_key, "desc", w.sql_kind) for w in wanted if w.purpose == "filter"
        }
    by_name = {index_name(w.purpose, runtime.form_id, w.field_key): w for w in wanted}
    existing = {
        row.name: row
        for row in session.scalars(
            select(ManagedIndex).where(ManagedIndex.form_id == runtime.form_id)
        ).all()
    }
    for name in set(existing) - set(by_name):
        session.execute(text(f"DROP INDEX IF EXISTS {name}"))
        session.delete(existing[name])
    created = []
    for name, want in sorted(by_name.items()):
        row = existing.get(name)
        if row is not None and row.sql_kind == want.sql_kind:
            continue
        if row is not None:  # the field's type changed: rebuild with the new cast
            session.execute(text(f"DROP INDEX IF EXISTS {name}"))
            session.delete(row)
        _create(session, runtime, name, want, dialect)
        session.add(
            ManagedIndex(
                name=name,
                workspace_id=runtime.workspace_id,
                form_id=runtime.form_id,
                field_key=want.field_key,
                purpose=want.purpose,
                sql_kind=want.sql_kind,
            )
        )
        created.append(name)
    session.flush()
    return created


def sortable_value(key: str, sql_kind: str, dialect: str) -> Any:
    """The typed value of a field as filters compare it and lists sort it.

    On PostgreSQL text compares under the "C" collation (code-point order, as on SQLite),
    which is what the condition compiler emits; indexes must use the same expression.
    """
    expression = json_value(Record.data, key, sql_kind, dialect_name=dialect)
    if dialect == "postgresql" and sql_kind == "text":
        return expression.collate("C")
    return expression


def _create(
    session: Session, runtime: FormRuntime, name: str, want: WantedIndex, dialect: str
) -> None:
    expression = sortable_value(want.field_key, want.sql_kind, dialect)
    sql = str(
        expression.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
    )
    # The column is written bare ("data"), as queries on records render it.
    sql = sql.replace("records.data", "data")
    if want.purpose == "unique":
        statement = (
            f"CREATE UNIQUE INDEX {name} ON records (({sql})) "
            f"WHERE form_id = {int(runtime.form_id)} AND deleted_at IS NULL"
        )
    elif want.purpose == "desc":
        statement = (
            f"CREATE INDEX {name} ON records (workspace_id, form_id, ({sql}) DESC NULLS LAST)"
        )
    else:
        statement = f"CREATE INDEX {name} ON records (workspace_id, form_id, ({sql}))"
        statement += only_this_form(runtime.form_id, dialect)
    try:
        with session.begin_nested():
            session.execute(text(statement))
    except (IntegrityError, OperationalError, ProgrammingError) as exc:
        if want.purpose == "unique":
            raise Invalid(
                _l(
                    "“%(field)s” cannot be made unique: some stored records share a value.",
                    field=want.field_key,
                ),
                field=want.field_key,
            ) from exc
        raise


def only_this_form(form_id: int, dialect: str) -> str:
    """The WHERE clause that makes a filter or link index hold only its form's records, on
    SQLite: a write to a record of any other form (a tier apply to a million customers,
    say) then skips the index instead of evaluating its expression — a JSON parse — for
    the old and the new row. SQLite still uses the index for statements that bind
    ``form_id`` to this form: it re-plans for the bound value. PostgreSQL keeps whole
    indexes: its generic plans for ``form_id = $1`` could not use a partial one."""
    return f" WHERE form_id = {int(form_id)}" if dialect == "sqlite" else ""


def drop_workspace_indexes(session: Session, workspace_id: int) -> None:
    """Before a workspace's forms are deleted: their indexes would outlive them."""
    # Materialised first: SQLite cannot drop an index while a cursor reads the table.
    for row in session.scalars(
        select(ManagedIndex).where(ManagedIndex.workspace_id == workspace_id)
    ).all():
        session.execute(text(f"DROP INDEX IF EXISTS {row.name}"))
        session.delete(row)
