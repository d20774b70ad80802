"""Per-customer metrics (``customer_metrics``), recomputed set-based in SQL.

One ``INSERT … SELECT … ON CONFLICT DO UPDATE`` per call: every live record of the
customer form gets a row. Order figures are aggregated from the typed order facts
(``formwork.value.facts``: each live order's day and amount per linked customer; an empty
or wrong-typed amount counts as 0, an empty date falls back to the record's created day),
brought up to date first: rebuilt whole when stale on a full recompute, the given
customers' rebuilt on an incremental one. Complaints, surveys and follow-ups are read
from the live records that link to the customer through ``record_links`` (indexed on
workspace, target, field) with ``condition_sql.json_value``.

Definitions (``today`` is the workspace's day the figures are measured at):

- Records dated after ``today`` are left out of every figure: the metrics describe the
  customer as of ``today`` (a recompute with an earlier ``today`` reproduces the past).
- ``purchase_days``: distinct order days (several orders on one day are one purchase).
- ``recency_days`` = today - last order day.
- ``purchases_per_year`` = order_count x 365.25 / max(days from the first order to today,
  365.25): orders per year over the customer's life so far, but at least one year, so a
  new customer's two orders in a week are not annualised into a hundred.
- ``usual_interval_days`` = (last - first order day) / (purchase_days - 1), when the
  customer bought on at least two days.
- Windows (``orders_90d`` …): order day > today - N. Sums of amounts are rounded to 6
  decimal places, so they do not depend on the order the database added them in.
- ``open_complaints``: complaints not resolved (see the settings' ``resolved`` field);
  without a ``resolved`` field, complaints of the last 90 days count as open.
- ``latest_nps``: the score of the latest survey answer by day, then record id (rounded
  to a whole number).
- ``last_follow_up_on``: the latest follow-up record or completed follow-up task
  (``tasks.record_id`` = the customer), by UTC day.

Columns owned by later stages (RFM scores, CLV, churn status) are never touched here; a
new row starts with churn status ``none``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from formwork.db import UTCDateTime, utcnow
from formwork.models import CustomerMetrics, Record, Task
from formwork.services.condition_sql import json_value
from formwork.value import facts
from formwork.value.settings import Source, ValueSettings
from formwork.value.statements import (
    Shape,
    chunks,
    days_between,
    dialect_of,
    ids_param,
    later_of,
    shape_of,
    source_rows,
    table_of,
    utc_day,
)

YEAR_DAYS = 365.25
# Sums of money are rounded to this many decimal places (see ``_orders``).
MONEY_DECIMALS = 6
COMPLAINT_WINDOW_DAYS = 90

# The metric columns this stage writes (the rest belong to RFM, CLV and churn).
METRIC_COLUMNS = (
    "as_of",
    "order_count",
    "purchase_days",
    "total_spent",
    "avg_order_value",
    "first_order_on",
    "last_order_on",
    "recency_days",
    "purchases_per_year",
    "usual_interval_days",
    "orders_90d",
    "spent_90d",
    "orders_365d",
    "spent_365d",
    "complaints_90d",
    "open_complaints",
    "latest_nps",
    "latest_nps_on",
    "last_follow_up_on",
)


def day_params(today: date) -> dict[str, str]:
    """Values of the day parameters of the statements."""
    return {
        "today": today.isoformat(),
        "d90": (today - timedelta(days=COMPLAINT_WINDOW_DAYS)).isoformat(),
        "d365": (today - timedelta(days=365)).isoformat(),
    }


def _day(name: str) -> Any:
    return bindparam(name, type_=String)


def _orders(shape: Shape) -> Any:
    """Per customer: order count, purchase days, sums and first/last day, aggregated from
    the typed order facts (``formwork.value.facts``; current when this runs) along their
    index (workspace, customer, day, amount), without reading any JSON."""
    fct = facts.facts_table().alias("fct")
    recent = fct.c.day > _day("d90")
    year = fct.c.day > _day("d365")
    amount: Any = fct.c.amount

    def money(total: Any) -> Any:
        # Rounded so the order in which doubles were added never shows (382.16 and
        # 382.15999999999997 must tie in RFM ranks and compare equal in tier rules).
        # (PostgreSQL's amounts are NUMERIC: exact sums, rounded all the same.)
        return cast(func.round(total, MONEY_DECIMALS), Float)

    query = (
        select(
            fct.c.customer_id.label("cid"),
            func.count().label("n"),
            func.count(fct.c.day.distinct()).label("days"),
            money(func.sum(amount)).label("total"),
            func.min(fct.c.day).label("first"),
            func.max(fct.c.day).label("last"),
            func.sum(case((recent, 1), else_=0)).label("n90"),
            money(func.sum(case((recent, amount), else_=0))).label("s90"),
            func.sum(case((year, 1), else_=0)).label("n365"),
            money(func.sum(case((year, amount), else_=0))).label("s365"),
        )
        .where(fct.c.workspace_id == shape.workspace_id, fct.c.day <= _day("today"))
        .group_by(fct.c.customer_id)
    )
    if shape.by_ids:
        query = query.where(fct.c.customer_id.in_(ids_param()))
    return query.subquery("ord")


def _complaints(shape: Shape, source: Source) -> Any:
    src, cid, day, base = source_rows(shape, source)
    recent = day > _day("d90")
    if source.resolved is None:
        open_ = recent
    elif source.resolved_kind == "boolean":
        flag = json_value(src.c.data, source.resolved, "boolean", shape.dialect)
        open_ = or_(flag.is_(None), flag.is_not(true()))
    else:
        value = json_value(src.c.data, source.resolved, "text", shape.dialect)
        open_ = or_(value.is_(None), not_(value.in_(list(source.resolved_values))))
    return (
        base.add_columns(
            cid.label("cid"),
            func.sum(case((recent, 1), else_=0)).label("n90"),
            func.sum(case((open_, 1), else_=0)).label("open"),
        )
        .where(day <= _day("today"))
        .group_by(cid)
        .subquery("cmp")
    )


def _surveys(shape: Shape, source: Source) -> Any:
    src, cid, day, base = source_rows(shape, source)
    assert source.score is not None
    score = json_value(src.c.data, source.score, "number", shape.dialect)
    ranked = (
        base.add_columns(
            cid.label("cid"),
            day.label("day"),
            cast(func.round(score), Integer).label("score"),
            func.row_number()
            .over(partition_by=cid, order_by=(day.desc(), src.c.id.desc()))
            .label("rn"),
        )
        .where(day <= _day("today"), score.is_not(None))
        .subquery("ranked")
    )
    return (
        select(ranked.c.cid, ranked.c.score, ranked.c.day).where(ranked.c.rn == 1).subquery("nps")
    )


def _follow_ups(shape: Shape) -> tuple[Any, Any]:
    """Latest follow-up day per customer: from the follow-up form, and from done tasks."""
    form = None
    if shape.follow_ups is not None:
        _src, cid, day, base = source_rows(shape, shape.follow_ups)
        form = (
            base.add_columns(cid.label("cid"), func.max(day).label("last"))
            .where(day <= _day("today"))
            .group_by(cid)
            .subquery("fup")
        )
    task = table_of(Task)
    done_day = utc_day(task.c.completed_at, shape.dialect)
    tasks = (
        select(task.c.record_id.label("cid"), func.max(done_day).label("last"))
        .where(
            task.c.workspace_id == shape.workspace_id,
            task.c.status == "done",
            task.c.record_id.is_not(None),
            task.c.completed_at.is_not(None),
            done_day <= _day("today"),
        )
        .group_by(task.c.record_id)
    )
    if shape.by_ids:
        tasks = tasks.where(task.c.record_id.in_(ids_param()))
    return form, tasks.subquery("tsk")


def metrics_select(shape: Shape) -> Select[Any]:
    """One row per live customer with every metric column (named as in the table)."""
    customer = table_of(Record).alias("cust")
    ord_ = _orders(shape)
    today = _day("today")
    age = days_between(today, ord_.c.first, shape.dialect)
    span = days_between(ord_.c.last, ord_.c.first, shape.dialect)
    n = cast(ord_.c.n, Float)
    joined: Any = customer.outerjoin(ord_, ord_.c.cid == customer.c.id)
    columns: dict[str, ColumnElement[Any]] = {
        "record_id": customer.c.id,
        "workspace_id": literal(shape.workspace_id, Integer),
        "form_id": literal(shape.customers_form_id, Integer),
        "as_of": today,
        "order_count": func.coalesce(ord_.c.n, 0),
        "purchase_days": func.coalesce(ord_.c.days, 0),
        "total_spent": func.coalesce(ord_.c.total, 0.0),
        "avg_order_value": ord_.c.total / n,
        "first_order_on": ord_.c.first,
        "last_order_on": ord_.c.last,
        "recency_days": days_between(today, ord_.c.last, shape.dialect),
        "purchases_per_year": case(
            (age > YEAR_DAYS, n * YEAR_DAYS / cast(age, Float)),
            else_=n,
        ),
        "usual_interval_days": case(
            (ord_.c.days >= 2, cast(span, Float) / cast(ord_.c.days - 1, Float))
        ),
        "orders_90d": func.coalesce(ord_.c.n90, 0),
        "spent_90d": func.coalesce(ord_.c.s90, 0.0),
        "orders_365d": func.coalesce(ord_.c.n365, 0),
        "spent_365d": func.coalesce(ord_.c.s365, 0.0),
        "complaints_90d": literal(0, Integer),
        "open_complaints": literal(0, Integer),
        "latest_nps": literal(None, Integer),
        "latest_nps_on": literal(None, String),
    }
    if shape.complaints is not None:
        cmp = _complaints(shape, shape.complaints)
        joined = joined.outerjoin(cmp, cmp.c.cid == customer.c.id)
        columns["complaints_90d"] = func.coalesce(cmp.c.n90, 0)
        columns["open_complaints"] = func.coalesce(cmp.c.open, 0)
    if shape.surveys is not None:
        nps = _surveys(shape, shape.surveys)
        joined = joined.outerjoin(nps, nps.c.cid == customer.c.id)
        columns["latest_nps"] = nps.c.score
        columns["latest_nps_on"] = nps.c.day
    form, tasks = _follow_ups(shape)
    joined = joined.outerjoin(tasks, tasks.c.cid == customer.c.id)
    last_follow_up: ColumnElement[Any] = tasks.c.last
    if form is not None:
        joined = joined.outerjoin(form, form.c.cid == customer.c.id)
        last_follow_up = later_of(form.c.last, tasks.c.last)
    columns["last_follow_up_on"] = last_follow_up
    query = (
        select(*(value.label(name) for name, value in columns.items()))
        .select_from(joined)
        .where(
            customer.c.workspace_id == shape.workspace_id,
            customer.c.form_id == shape.customers_form_id,
            customer.c.deleted_at.is_(None),
        )
    )
    if shape.by_ids:
        query = query.where(customer.c.id.in_(ids_param()))
    return query


@functools.lru_cache(maxsize=128)
def _statements(shape: Shape) -> tuple[Any, Any, Any]:
    """(remove the rows of records no longer live customers, upsert, count) of a shape."""
    table = table_of(CustomerMetrics)
    scope = [table.c.workspace_id == shape.workspace_id]
    if shape.by_ids:
        scope.append(table.c.record_id.in_(ids_param()))
    live = exists().where(
        Record.id == table.c.record_id,
        Record.form_id == shape.customers_form_id,
        Record.deleted_at.is_(None),
    )
    remove = delete(table).where(*scope, ~live)
    query = metrics_select(shape)
    names = [column.name for column in query.selected_columns]
    query = query.add_columns(
        literal("none", String).label("churn_status"),
        bindparam("now", type_=UTCDateTime()).label("computed_at"),
    )
    insert: Any = (pg_insert if shape.dialect == "postgresql" else sqlite_insert)(table)
    insert = insert.from_select([*names, "churn_status", "computed_at"], query)
    updates = {name: insert.excluded[name] for name in (*METRIC_COLUMNS, "form_id", "computed_at")}
    upsert = insert.on_conflict_do_update(index_elements=[table.c.record_id], set_=updates)
    # (The driver's rowcount is not reliable for an upsert that starts with WITH.)
    count = (
        select(func.count())
        .select_from(table)
        .where(*scope, table.c.form_id == shape.customers_form_id)
    )
    return remove, upsert, count


def recompute_metrics(
    session: Session,
    settings: ValueSettings,
    *,
    customer_ids: Collection[int] | None = None,
    today: date,
) -> int:
    """Recompute the metric columns of every customer (or of ``customer_ids``) as of
    ``today``; rows of records that are no longer live customers are removed.

    Returns the number of customer rows written.
    """
    session.flush()
    shape = shape_of(settings, dialect_of(session), by_ids=customer_ids is not None)
    remove, upsert, count = _statements(shape)
    if customer_ids is None:
        facts.ensure_current(session, settings)
    written = 0
    for ids in chunks(customer_ids):
        if ids == []:
            continue
        if ids is not None:
            facts.refresh_customers(session, settings, ids)
        params: dict[str, Any] = {**day_params(today), "now": utcnow()}
        if ids is not None:
            params["ids"] = ids
        session.execute(remove, {"ids": ids} if ids is not None else {})
        session.execute(upsert, params)
        written += session.scalar(count, {"ids": ids} if ids is not None else {}) or 0
    return written
