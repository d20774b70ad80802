"""Building blocks of the customer-value statements, for SQLite and PostgreSQL: the
statements' shape (cached per shape), the live records of a linked form, days (the day
of a date field or timestamp, whole days between two days, the later of two days).

Days are ISO text (``YYYY-MM-DD``) everywhere, like dates in record data and the
``customer_metrics`` columns, so they compare as text. A datetime field or a timestamp
counts on its UTC date (record data stores datetimes in UTC; SQLite cannot convert to a
named time zone, and both databases must give the same figures).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from form_engine.conditions.parser import FIELD_KEY
from form_engine.conditions.values import DATE_GLOB, DATETIME_GLOB
from formwork.models import Record, RecordLink
from formwork.services.condition_sql import json_value
from formwork.value.settings import Source, ValueSettings

# Customer ids per statement when recomputing a list (bound parameters stay well below
# SQLite's limit of 32,766).
CHUNK = 5_000


@dataclass(frozen=True)
class Shape:
    """What the metric statements depend on. Hashable: statements are built once per
    shape and reused (building them costs more than running them for a few customers);
    the day and the customer ids are bound parameters (``today``, ``d90``, ``d365``,
    ``ids``)."""

    dialect: str
    workspace_id: int
    customers_form_id: int
    orders: Source
    complaints: Source | None
    surveys: Source | None
    follow_ups: Source | None
    by_ids: bool


def shape_of(settings: ValueSettings, dialect: str, *, by_ids: bool) -> Shape:
    return Shape(
        dialect,
        settings.workspace_id,
        settings.customers_form_id,
        settings.orders,
        settings.complaints,
        settings.surveys,
        settings.follow_ups,
        by_ids,
    )


def ids_param() -> Any:
    """The customer ids of an incremental statement (an expanding IN list)."""
    return bindparam("ids", expanding=True)


def table_of(model: type[Any]) -> Table:
    """A model's table, typed as one (``__table__`` is typed as any FromClause)."""
    table: Table = model.__table__
    return table


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def chunks(ids: Collection[int] | None) -> Iterator[list[int] | None]:
    """``None`` once (everyone), else the ids in slices of :data:`CHUNK`."""
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def source_rows(
    shape: Shape, source: Source
) -> tuple[Any, ColumnElement[int], ColumnElement[str], Select[Any]]:
    """The live records of ``source`` that link to customers (of ``ids`` when the shape
    is by ids): returns ``(src, cid, day, select)`` where ``src`` is the records alias
    (add columns from ``src.c.data``), ``cid`` the customer id and ``day`` the record's
    day."""
    src = table_of(Record).alias("src")
    link = table_of(RecordLink).alias("lnk")
    day = field_day(src.c.data, source.date, source.date_kind, src.c.created_at, shape.dialect)
    if not shape.by_ids:
        # Everyone: read the form's records in id order (ix_records_form_live) and find
        # each one's link by primary key. Going through the links' target index instead
        # would visit the records in customer order, i.e. at random (15x slower on
        # SQLite); "+ 0" keeps SQLite's planner off that index. (PostgreSQL hash-joins
        # either way, and needs the plain column for its row estimate.)
        joined = src.join(link, and_(link.c.source_id == src.c.id, link.c.field_key == source.link))
        link_workspace: Any = link.c.workspace_id
        if shape.dialect == "sqlite":
            link_workspace = link_workspace + 0
    else:
        # A few customers: their links by the target index, then their records.
        joined = link.join(src, and_(src.c.id == link.c.source_id, link.c.field_key == source.link))
        link_workspace = link.c.workspace_id
    query = (
        select()
        .select_from(joined)
        .where(
            link_workspace == shape.workspace_id,
            link.c.source_form_id == source.form_id,
            src.c.workspace_id == shape.workspace_id,
            src.c.form_id == source.form_id,
            src.c.deleted_at.is_(None),
        )
    )
    if shape.by_ids:
        query = query.where(link.c.target_id.in_(ids_param()))
    return src, link.c.target_id, day, query


def utc_day(timestamp: Any, dialect: str) -> ColumnElement[str]:
    """The UTC day of a timestamp column (``created_at``, ``completed_at``)."""
    if dialect == "postgresql":
        utc = func.timezone(literal("UTC", String), timestamp)
        return func.to_char(utc, literal("YYYY-MM-DD", String), type_=String)
    # SQLite stores UTC timestamps as "YYYY-MM-DD HH:MM:SS.ffffff" text.
    return func.substr(timestamp, 1, 10, type_=String)


def field_day(
    data: Any, key: str | None, kind: str | None, created_at: Any, dialect: str
) -> ColumnElement[str]:
    """The day of date field ``key`` (the date part of a datetime); the record's created
    day when no field is configured or the value is empty or not a date."""
    created = utc_day(created_at, dialect)
    if key is None or kind not in ("date", "datetime"):
        return created
    if dialect == "sqlite":
        value = _sqlite_day(data, key, kind)
    else:
        value = json_value(data, key, kind, dialect)
        if kind == "datetime":
            value = func.substr(value, 1, 10, type_=String)
    return func.coalesce(value, created, type_=String)


def _sqlite_day(data: Any, key: str, kind: str) -> ColumnElement[str]:
    """``json_value``'s date (the day of a datetime) in two JSON reads instead of three:
    ``data ->> '$.key'`` is the SQL value, and only a JSON string can match the date
    pattern (a number's or boolean's text has no dashes where the pattern has them; an
    array's or object's text starts with a bracket)."""
    if not FIELD_KEY.fullmatch(key):
        raise ValueError(f"not a field key: {key!r}")
    raw = data.op("->>", return_type=String)(literal_column(f"'$.{key}'", String))
    pattern = literal_column(f"'{DATE_GLOB if kind == 'date' else DATETIME_GLOB}'", String)
    shaped = raw.op("GLOB", is_comparison=True)(pattern)
    if kind == "datetime":
        return case((shaped, func.substr(raw, 1, 10, type_=String)))
    return case((shaped, raw))


def days_between(later: Any, earlier: Any, dialect: str) -> ColumnElement[int]:
    """Whole days from ``earlier`` to ``later`` (ISO day texts); NULL when one is NULL."""
    if dialect == "postgresql":
        return type_coerce(cast(later, Date) - cast(earlier, Date), Integer)
    # julianday() of two midnights differs by a whole number.
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def later_of(first: Any, second: Any) -> ColumnElement[str]:
    """The later of two day texts, ignoring NULLs (SQLite's max() of a NULL is NULL)."""
    return case(
        (first.is_(None), second),
        (second.is_(None), first),
        (first > second, first),
        else_=second,
    )
