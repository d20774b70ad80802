"""List views: search, filter, sort and page records in SQL (never in Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from form_engine.conditions import parse_condition
from form_engine.errors import FormEngineError
from formwork.models import Form, Record
from formwork.services.condition_sql import compile_condition
from formwork.services.errors import Invalid
from formwork.services.form_runtime import FormRuntime, runtime_for
from formwork.services.indexes import sortable_value
from formwork.services.scope import Actor, scoped

PAGE_SIZES = (20, 50, 100)
# Counting every match of a broad filter over a million records costs more than the page
# itself; past this many the list says "1,000+".
COUNT_CAP = 1_000
SEARCH_MAX = 200
# Sortable record columns besides form fields.
BUILTIN_SORTS = {
    "_id": Record.id,
    "_created_at": Record.created_at,
    "_updated_at": Record.updated_at,
}


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False


@dataclass(frozen=True)
class ListQuery:
    search: str = ""
    condition: dict[str, Any] | None = None
    sorts: tuple[Sort, ...] = ()
    page: int = 1
    page_size: int = 20
    deleted: bool = False  # the recycle bin instead of live records


@dataclass
class RecordPage:
    records: list[Record]
    page: int
    page_size: int
    total: int
    total_capped: bool
    has_next: bool
    sorts: tuple[Sort, ...] = field(default_factory=tuple)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def list_records(
    session: Session, actor: Actor, form: Form, query: ListQuery, *, count: bool = True
) -> RecordPage:
    """One page of the form's records matching ``query``.

    ``count=False`` skips the (capped) total, which on a broad filter over a large form
    costs more than the page itself; ``count_records`` gives it separately.

    Raises:
        Invalid: the filter or a sort names an unknown field or is malformed.
    """
    runtime = runtime_for(session, form)
    dialect = session.get_bind().dialect.name
    statement = filtered_records(actor, runtime, form, query, dialect)
    page_size = query.page_size if query.page_size in PAGE_SIZES else PAGE_SIZES[0]
    page = max(1, query.page)
    ordered = statement.order_by(*_order_by(runtime, query.sorts, dialect))
    rows = list(session.scalars(ordered.offset((page - 1) * page_size).limit(page_size + 1)))
    has_next = len(rows) > page_size
    if count:
        total = _capped_count(session, statement)
    else:  # at least what this page proves exists
        total = (page - 1) * page_size + min(len(rows), page_size) + (1 if has_next else 0)
    return RecordPage(
        records=rows[:page_size],
        page=page,
        page_size=page_size,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        has_next=has_next,
        sorts=query.sorts,
    )


def count_records(session: Session, actor: Actor, form: Form, query: ListQuery) -> tuple[int, bool]:
    """How many records match (up to COUNT_CAP) and whether the count was capped."""
    runtime = runtime_for(session, form)
    statement = filtered_records(actor, runtime, form, query, session.get_bind().dialect.name)
    total = _capped_count(session, statement)
    return min(total, COUNT_CAP), total > COUNT_CAP


def matching_ids(
    session: Session, actor: Actor, form: Form, query: ListQuery, *, limit: int
) -> list[int]:
    """Ids of the records matching ``query``'s search and filter (newest first, at most
    ``limit``): "all matching" in bulk actions, selected in SQL.

    Raises:
        Invalid: the filter is malformed or names an unknown field.
    """
    runtime = runtime_for(session, form)
    statement = filtered_records(actor, runtime, form, query, session.get_bind().dialect.name)
    ids = statement.with_only_columns(Record.id).order_by(Record.id.desc()).limit(limit)
    return list(session.scalars(ids))


def _capped_count(session: Session, statement: Select[tuple[Record]]) -> int:
    capped = select(func.count()).select_from(
        statement.with_only_columns(Record.id).limit(COUNT_CAP + 1).subquery()
    )
    return session.scalar(capped) or 0


def filtered_records(
    actor: Actor, runtime: FormRuntime, form: Form, query: ListQuery, dialect: str
) -> Select[tuple[Record]]:
    """The records of ``form`` that ``query`` selects (workspace, deleted or live, search,
    filters), unsorted: lists page it, reports and bulk actions aggregate it."""
    statement = scoped(Record, actor).where(Record.form_id == form.id)
    statement = statement.where(
        Record.deleted_at.is_not(None) if query.deleted else Record.deleted_at.is_(None)
    )
    search = query.search.strip().lower()[:SEARCH_MAX]
    for term in search.split():
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(Record.search_text.like(f"%{escaped}%", escape="\\"))
    if query.condition:
        try:
            condition = parse_condition(query.condition, fields=runtime.kinds)
        except FormEngineError as exc:
            raise Invalid(
                _l("This filter cannot be used: %(problem)s", problem=str(exc)), field="filter"
            ) from exc
        statement = statement.where(
            compile_condition(
                condition, Record.data, runtime.kinds, dialect_name=dialect, today=date.today()
            )
        )
    return statement


def _order_by(runtime: FormRuntime, sorts: tuple[Sort, ...], dialect: str) -> list[Any]:
    clauses: list[Any] = []
    for sort in sorts[:5]:
        if sort.key in BUILTIN_SORTS:
            column: Any = BUILTIN_SORTS[sort.key]
        elif sort.key in runtime.kinds:
            column = sortable_value(sort.key, runtime.kinds[sort.key], dialect)
        else:
            raise Invalid(_l("Unknown sort field “%(key)s”.", key=sort.key), field="sort")
        # Empty values last in both directions, as spreadsheets do.
        clauses.append(column.desc().nulls_last() if sort.descending else column.asc().nulls_last())
    clauses.append(Record.id.desc())  # newest first, and a stable order for paging
    return clauses
