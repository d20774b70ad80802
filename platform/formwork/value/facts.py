"""Order facts (``customer_order_facts``): each live order's day and amount per customer it
links to, as typed columns, so a full recompute of the metrics aggregates an index
instead of reading every order's JSON (SQLite 3.40 parses a record's JSON again for
every value read from it).

Kept current two ways, both set-based:

- **Incremental**, in the transaction of every order change: the records service calls
  ``refresh.on_records_changed``, which refreshes the customers the change touches; their
  metrics refresh first rebuilds all their facts (:func:`refresh_customers`: delete
  theirs, insert from their linked live orders). So a created, edited, deleted or
  restored order, a changed link, amount or date are all in the facts before the
  customer's figures are read from them.
- **Whole**, before a full recompute (:func:`ensure_current`): when the facts were not
  built for the current settings revision, order form version and fields (``facts_key``
  of ``value_models``), i.e. the first refresh after the upgrade, after the settings or
  the order form changed (a published conversion rewrites values without the records
  service), or after an order change was saved while the settings did not fit the forms
  (the hook then clears the key: :func:`invalidate`). When the amount or date field is
  computed (formula, rollup, lookup), its values change without an order save, so every
  full recompute rebuilds the facts.

The day is the date field's day (a datetime's UTC date) or, when empty, the record's
created day (``statements.field_day``); the amount is the number, 0 when empty or not a
number — exactly what the metrics read from the JSON before.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Text, cast, delete, func, literal, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from form_engine.conditions.parser import FIELD_KEY
from formwork.models import Form, ValueModel
from formwork.models.customer_value import CustomerOrderFact
from formwork.services.condition_sql import json_value
from formwork.services.form_runtime import runtime_for
from formwork.value.settings import Source, ValueSettings
from formwork.value.statements import Shape, dialect_of, ids_param, source_rows, table_of


@dataclass(frozen=True)
class _FactsShape:
    dialect: str
    workspace_id: int
    orders: Source
    by_ids: bool


def facts_table() -> Any:
    return table_of(CustomerOrderFact)


def order_amount(data: Any, key: str, dialect: str) -> ColumnElement[Any]:
    """The amount of an order: the number in field ``key``, else 0.

    On SQLite in one JSON read: ``data -> '$.key'`` is the value's JSON text, and the
    cast of a JSON number's text is that number, while the text of anything else (a
    string starts with a quote; true, false, null, arrays and objects with a letter or a
    bracket) casts to 0. (``json_value`` reads it twice: its type, then its value.)
    """
    if dialect == "postgresql":
        return func.coalesce(json_value(data, key, "number", dialect), literal(0))
    if not FIELD_KEY.fullmatch(key):
        raise ValueError(f"not a field key: {key!r}")
    raw = data.op("->", return_type=Text)(literal_column(f"'$.{key}'", Text))
    return func.coalesce(cast(raw, Float), literal(0.0, Float))


@functools.lru_cache(maxsize=128)
def _statements(shape: _FactsShape) -> tuple[Any, Any]:
    """(delete the facts in scope, upsert them from the orders) of a shape."""
    table = facts_table()
    scope = [table.c.workspace_id == shape.workspace_id]
    if shape.by_ids:
        scope.append(table.c.customer_id.in_(ids_param()))
    remove = delete(table).where(*scope)
    orders = shape.orders
    assert orders.amount is not None
    # (The customer form plays no part in the rows of a source.)
    rows_shape = Shape(shape.dialect, shape.workspace_id, 0, orders, None, None, None, shape.by_ids)
    src, cid, day, query = source_rows(rows_shape, orders)
    query = query.add_columns(
        src.c.id.label("order_id"),
        cid.label("customer_id"),
        literal(shape.workspace_id).label("workspace_id"),
        day.label("day"),
        order_amount(src.c.data, orders.amount, shape.dialect).label("amount"),
    )
    if not shape.by_ids and shape.dialect == "sqlite":
        # In the primary key's order: SQLite sorts once and appends to the clustered
        # table, instead of inserting 2M rows at random places of its b-tree.
        query = query.order_by(cid, src.c.id)
    insert: Any = (pg_insert if shape.dialect == "postgresql" else sqlite_insert)(table)
    insert = insert.from_select(["order_id", "customer_id", "workspace_id", "day", "amount"], query)
    # (A concurrent save may write the same row on PostgreSQL.)
    upsert = insert.on_conflict_do_update(
        index_elements=[table.c.workspace_id, table.c.customer_id, table.c.order_id],
        set_={
            "workspace_id": insert.excluded.workspace_id,
            "day": insert.excluded.day,
            "amount": insert.excluded.amount,
        },
    )
    return remove, upsert


def refresh_customers(session: Session, settings: ValueSettings, customer_ids: list[int]) -> None:
    """Rebuild every fact of these customers from their live linked orders (no commit;
    call with at most ``statements.CHUNK`` ids)."""
    if not customer_ids:
        return
    shape = _FactsShape(dialect_of(session), settings.workspace_id, settings.orders, True)
    remove, upsert = _statements(shape)
    session.execute(remove, {"ids": customer_ids})
    session.execute(upsert, {"ids": customer_ids})


def rebuild(session: Session, settings: ValueSettings) -> None:
    """Rebuild every fact of the workspace (no commit)."""
    shape = _FactsShape(dialect_of(session), settings.workspace_id, settings.orders, False)
    remove, upsert = _statements(shape)
    session.execute(remove)
    session.execute(upsert)


def facts_key(session: Session, settings: ValueSettings) -> str | None:
    """What the facts depend on, as text; None when they cannot be trusted between two
    full recomputes (the amount or date field is computed)."""
    orders = settings.orders
    form = session.get(Form, orders.form_id)
    if form is None or form.published_version is None:
        return None
    runtime = runtime_for(session, form)
    computed = set(runtime.formulas) | set(runtime.rollups) | set(runtime.lookups)
    if {orders.amount, orders.date, orders.link} & computed:
        return None
    return json.dumps(
        {
            "revision": settings.revision,
            "form": orders.form_id,
            "version": form.published_version,
            "link": orders.link,
            "date": orders.date,
            "date_kind": orders.date_kind,
            "amount": orders.amount,
        },
        sort_keys=True,
    )


def ensure_current(session: Session, settings: ValueSettings) -> bool:
    """Rebuild the workspace's facts unless they were built for the current settings and
    order form; returns whether they were rebuilt (no commit)."""
    model = session.get(ValueModel, settings.workspace_id)
    key = facts_key(session, settings)
    if model is not None and key is not None and model.facts_key == key:
        return False
    rebuild(session, settings)
    if model is not None:
        model.facts_key = key
    session.flush()
    return True


def invalidate(session: Session, workspace_id: int) -> None:
    """The facts may miss a change (it was saved while the settings did not fit the
    forms): the next full recompute rebuilds them."""
    model = session.get(ValueModel, workspace_id)
    if model is not None and model.facts_key is not None:
        model.facts_key = None
