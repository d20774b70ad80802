"""The SQL the customer-asset report is made of: which forms play which part (read from the
workspace's value settings) and the row sources every figure aggregates.

Everything here builds set-based statements over ``records``, ``record_links``,
``customer_metrics`` and ``tasks``, each filtered by ``workspace_id``; the report module
only runs them and shapes their (small, aggregated) results. Record values are read with
``condition_sql.json_value``, so SQLite and PostgreSQL read them the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, String, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from formwork.models import Form, Record, RecordLink, TierScheme, ValueModel
from formwork.services.condition_sql import json_value
from formwork.services.form_runtime import runtime_for
from formwork.value import settings as value_settings
from formwork.value.catalog import DEFAULT_SEGMENT_GRID

DATE_KINDS = ("date", "datetime")


@dataclass(frozen=True)
class Source:
    """A form whose records link to customers: orders, surveys (value = amount, score)."""

    form_id: int
    link: str
    value_key: str | None
    # None: the record's creation day stands for its date.
    date_key: str | None
    date_kind: str = "date"


@dataclass(frozen=True)
class ReportConfig:
    """The parts of the value settings the report reads, resolved to ids and kinds."""

    workspace_id: int
    customer_form_id: int
    customer_form_key: str
    orders: Source
    surveys: Source | None
    currency: str | None
    grid: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEGMENT_GRID))
    predictive_wanted: bool = True


@dataclass(frozen=True)
class Scope:
    """Who the figures are about: a workspace's customers, optionally one owner's."""

    config: ReportConfig
    dialect: str
    owner_id: int | None = None

    @property
    def workspace_id(self) -> int:
        return self.config.workspace_id


def resolve_config(
    session: Session, workspace_id: int
) -> tuple[ReportConfig | None, ValueModel | None]:
    """The workspace's value settings resolved for the report; None when there are none or
    they name forms or fields that are not (or no longer) there."""
    model = session.get(ValueModel, workspace_id)
    if model is None:
        return None, None
    resolved = value_settings.load(session, workspace_id)
    if resolved is None or resolved.orders.date is None:
        return None, model
    orders = resolved.orders
    surveys = resolved.surveys
    order_form = session.get_one(Form, orders.form_id)
    properties = runtime_for(session, order_form).document.get("properties", {})
    currency = (properties.get(orders.amount) or {}).get("x-currency")
    config = ReportConfig(
        workspace_id=workspace_id,
        customer_form_id=resolved.customers_form_id,
        customer_form_key=resolved.customers_form_key,
        orders=Source(orders.form_id, orders.link, orders.amount, orders.date, _kind(orders)),
        surveys=(
            Source(surveys.form_id, surveys.link, surveys.score, surveys.date, _kind(surveys))
            if surveys is not None
            else None
        ),
        currency=currency if isinstance(currency, str) else None,
        grid={**DEFAULT_SEGMENT_GRID, **resolved.rfm.grid},
        predictive_wanted=resolved.clv.predictive,
    )
    return config, model


def _kind(source: value_settings.Source) -> str:
    return source.date_kind if source.date_kind in DATE_KINDS else "date"


def customer_tier_schemes(session: Session, config: ReportConfig) -> list[TierScheme]:
    """Live tier schemes that write a field of the customer form, by name."""
    return list(
        session.scalars(
            select(TierScheme)
            .where(
                TierScheme.workspace_id == config.workspace_id,
                TierScheme.form_id == config.customer_form_id,
                TierScheme.archived_at.is_(None),
            )
            .order_by(TierScheme.name, TierScheme.id)
        )
    )


# -- row sources ------------------------------------------------------------------------


def customers(scope: Scope, *columns: Any) -> Select[Any]:
    """``SELECT id AS customer_id, … FROM records`` of the live customers in scope."""
    query = select(Record.id.label("customer_id"), *columns).where(
        Record.workspace_id == scope.workspace_id,
        Record.form_id == scope.config.customer_form_id,
        Record.deleted_at.is_(None),
    )
    if scope.owner_id is not None:
        query = query.where(Record.owner_id == scope.owner_id)
    return query


def tier_value(scope: Scope, data: Any, field_key: str) -> ColumnElement[Any]:
    """The tier a customer record holds in ``field_key`` (text; NULL when none)."""
    return json_value(data, field_key, "text", scope.dialect)


def linked_rows(scope: Scope, source: Source, *, tier_field: str | None = None) -> Select[Any]:
    """``(customer_id, day, value[, tier])`` of the live records of ``source`` linked to a
    live customer in scope; ``day`` is ISO ``YYYY-MM-DD`` text (NULL when unreadable)."""
    row = aliased(Record, name="src")
    customer = aliased(Record, name="cust")
    link = aliased(RecordLink, name="lnk")
    ws = scope.workspace_id
    if source.date_key is None:
        day = created_day(row.created_at, scope.dialect)
    elif source.date_kind == "date":
        # Already YYYY-MM-DD (the value is checked against the date shape): the plain
        # expression, so an expression index on the field can serve the period filter.
        day = json_value(row.data, source.date_key, "date", scope.dialect)
    else:  # a datetime (UTC, "…Z"): its day
        day = func.substr(json_value(row.data, source.date_key, "datetime", scope.dialect), 1, 10)
    value = (
        json_value(row.data, source.value_key, "number", scope.dialect)
        if source.value_key
        else None
    )
    columns: list[Any] = [link.target_id.label("customer_id"), day.label("day")]
    columns.append((value if value is not None else func.nullif(1, 1)).label("value"))
    if tier_field is not None:
        columns.append(tier_value(scope, customer.data, tier_field).label("tier"))
    query = (
        select(*columns)
        .select_from(row)
        .join(
            link,
            and_(
                link.source_id == row.id,
                link.workspace_id == ws,
                link.field_key == source.link,
                link.source_form_id == source.form_id,
            ),
        )
        .join(
            customer,
            and_(
                customer.id == link.target_id,
                customer.workspace_id == ws,
                customer.form_id == scope.config.customer_form_id,
                customer.deleted_at.is_(None),
            ),
        )
        .where(row.workspace_id == ws, row.form_id == source.form_id, row.deleted_at.is_(None))
    )
    if scope.owner_id is not None:
        query = query.where(customer.owner_id == scope.owner_id)
    return query


def created_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC day of a timestamp column as ``YYYY-MM-DD`` text."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as "YYYY-MM-DD HH:MM:SS…" text.
    return func.substr(cast(column, String), 1, 10)


def floor_int(value: Any, dialect: str) -> ColumnElement[Any]:
    """⌊value⌋ for a non-negative number (SQLite may lack floor(); CAST truncates there,
    while PostgreSQL's CAST would round)."""
    if dialect == "postgresql":
        return cast(func.floor(value), Integer)
    return cast(value, Integer)


def iso(day: date) -> str:
    return day.isoformat()
