"""Customer lifetime value stored per customer: historical (one SQL UPDATE) and predictive
(BG/NBD + Gamma-Gamma fitted with ``formwork.value.clv``, written back in one
executemany UPDATE).

Historical: ``clv_historical = avg_order_value * purchases_per_year * margin *
Σ_{y=1..Y} 1/(1+d)^y`` — a year's spend counted at the end of each year and discounted
at the annual rate ``d``. A fractional ``Y`` (e.g. 2.5) adds that fraction of the next
year's discounted spend (0.5/(1+d)^3), so the value grows smoothly with ``Y``; with
``d = 0`` it is ``AOV * PPY * Y * margin``.

Predictive: per customer, frequency = purchase days - 1, recency = last - first order
day and T = today - first order day, in weeks (days / 7), as in Fader, Hardie & Lee;
monetary = mean spend of the repeat purchase days (total - the first day's spend) /
frequency. BG/NBD is fitted on every customer with orders, Gamma-Gamma on the repeat
buyers; ``p_alive``, ``expected_purchases`` (over ``horizon_days``) and
``clv_predicted`` (discounted expected spend over the horizon, times the margin) are
stored. The fitted parameters, or the refusal (code and message in English and
Chinese), are kept in ``ValueModel.model_fit``; refused, the predictive columns are
NULL. An incremental refresh predicts with the stored parameters (no refit).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Collection
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Float, Integer, String, bindparam, case, cast, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from form_engine.messages import SUPPORTED_LOCALES
from formwork.db import utcnow
from formwork.models import CustomerMetrics, ValueModel
from formwork.value import clv, facts
from formwork.value.settings import ClvSettings, ValueSettings
from formwork.value.statements import (
    Shape,
    chunks,
    days_between,
    dialect_of,
    ids_param,
    shape_of,
    table_of,
)

TIME_UNIT: clv.TimeUnit = "weeks"
DAYS_PER_UNIT = 7.0
FIT_KEYS = ("as_of", "time_unit", "horizon_days", "bgnbd", "gamma_gamma", "refusal", "fitted_at")


def historical_factor(settings: ClvSettings) -> float:
    """``margin * Σ 1/(1+d)^y`` over the expected years (see the module notes)."""
    whole = math.floor(settings.expected_years)
    part = settings.expected_years - whole
    rate = 1 + settings.discount_rate
    factor = sum(rate**-year for year in range(1, whole + 1)) + part * rate ** -(whole + 1)
    return settings.margin * factor


def store_historical(
    session: Session, settings: ValueSettings, *, customer_ids: Collection[int] | None = None
) -> None:
    """Set ``clv_historical`` from the stored AOV and purchases per year (NULL without
    orders)."""
    table = table_of(CustomerMetrics)
    factor = historical_factor(settings.clv)
    value = table.c.avg_order_value * table.c.purchases_per_year * factor
    for ids in chunks(customer_ids):
        if ids == []:
            continue
        statement = update(table).where(
            table.c.workspace_id == settings.workspace_id,
            table.c.form_id == settings.customers_form_id,
        )
        if ids is not None:
            statement = statement.where(table.c.record_id.in_(ids))
        session.execute(statement.values(clv_historical=case((table.c.order_count > 0, value))))


def summaries(
    session: Session, settings: ValueSettings, ids: list[int] | None, today: date
) -> dict[str, np.ndarray]:
    """Per customer with orders: record id, frequency, recency, T (weeks), monetary."""
    shape = shape_of(settings, dialect_of(session), by_ids=ids is not None)
    params: dict[str, Any] = {"today": today.isoformat()}
    if ids is not None:
        params["ids"] = ids
    rows = session.execute(_summary_query(shape), params).all()
    columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
    return {
        "record_id": np.asarray(columns[0], dtype=np.int64),
        "frequency": np.asarray(columns[1], dtype=np.float64),
        "recency": np.asarray(columns[2], dtype=np.float64) / DAYS_PER_UNIT,
        "T": np.asarray(columns[3], dtype=np.float64) / DAYS_PER_UNIT,
        "monetary": np.maximum(np.asarray(columns[4], dtype=np.float64), 0.0),
    }


@functools.lru_cache(maxsize=128)
def _summary_query(shape: Shape) -> Any:
    metrics = table_of(CustomerMetrics)
    # The first purchase day's spend, from the order facts (current: the metrics stage,
    # which runs first, brought them up to date), never from the orders' JSON.
    fct = facts.facts_table().alias("fct")
    first_day = (
        select(fct.c.customer_id.label("cid"), func.sum(fct.c.amount).label("spent"))
        .join(metrics, metrics.c.record_id == fct.c.customer_id)
        .where(
            fct.c.workspace_id == shape.workspace_id,
            metrics.c.workspace_id == shape.workspace_id,
            fct.c.day == metrics.c.first_order_on,
        )
        .group_by(fct.c.customer_id)
    )
    if shape.by_ids:
        first_day = first_day.where(fct.c.customer_id.in_(ids_param()))
    first_day = first_day.subquery("first_day")
    repeat_spend = metrics.c.total_spent - func.coalesce(first_day.c.spent, 0)
    today = bindparam("today", type_=String)
    query = (
        select(
            metrics.c.record_id,
            metrics.c.purchase_days - 1,
            days_between(metrics.c.last_order_on, metrics.c.first_order_on, shape.dialect),
            days_between(today, metrics.c.first_order_on, shape.dialect),
            case(
                (
                    metrics.c.purchase_days > 1,
                    cast(repeat_spend, Float) / (metrics.c.purchase_days - 1),
                ),
                else_=0.0,
            ),
        )
        .select_from(metrics.outerjoin(first_day, first_day.c.cid == metrics.c.record_id))
        .where(
            metrics.c.workspace_id == shape.workspace_id,
            metrics.c.form_id == shape.customers_form_id,
            metrics.c.order_count > 0,
            metrics.c.first_order_on <= today,
        )
    )
    if shape.by_ids:
        query = query.where(metrics.c.record_id.in_(ids_param()))
    return query


def store_predictive(
    session: Session,
    settings: ValueSettings,
    *,
    customer_ids: Collection[int] | None = None,
    today: date,
) -> dict[str, Any]:
    """Fit (everyone) or reuse the stored fit (``customer_ids``), store the predictions
    and return the model's part of ``model_fit``."""
    session.flush()
    model = session.get(ValueModel, settings.workspace_id)
    stored = dict(model.model_fit or {}) if model is not None else {}
    for ids in chunks(customer_ids):
        if ids != []:
            _clear(session, settings, ids)
    if not settings.clv.predictive:
        fit: dict[str, Any] = {"predictive": False}
        if customer_ids is None:
            _save_fit(model, fit)
        return fit
    if customer_ids is None:
        data = summaries(session, settings, None, today)
        fit, bg, gg = _fit(data, settings, today)
        _save_fit(model, fit)
        _predict(session, data, bg, gg, settings)
        return fit
    bg, gg = _params(stored)
    for ids in chunks(customer_ids):
        if ids:
            _predict(session, summaries(session, settings, ids, today), bg, gg, settings)
    return {key: stored.get(key) for key in FIT_KEYS}


def _fit(
    data: dict[str, np.ndarray], settings: ValueSettings, today: date
) -> tuple[dict[str, Any], clv.BgNbdParams | None, clv.GammaGammaParams | None]:
    fit: dict[str, Any] = {
        "as_of": today.isoformat(),
        "time_unit": TIME_UNIT,
        "horizon_days": settings.clv.horizon_days,
        "bgnbd": None,
        "gamma_gamma": None,
        "refusal": None,
        "fitted_at": utcnow().isoformat(),
    }
    bg = gg = None
    stage = "bgnbd"
    try:
        bg = clv.fit_bgnbd(data["frequency"], data["recency"], data["T"])
        fit["bgnbd"] = dataclasses.asdict(bg)
        stage = "gamma_gamma"
        gg = clv.fit_gamma_gamma(data["frequency"], data["monetary"])
        fit["gamma_gamma"] = dataclasses.asdict(gg)
    except clv.ClvRefused as refused:
        fit["refusal"] = {
            "model": stage,
            "code": refused.code,
            "params": {k: _jsonable(v) for k, v in refused.params.items()},
            "message": {locale: refused.message_in(locale) for locale in SUPPORTED_LOCALES},
        }
    return fit, bg, gg


def _predict(
    session: Session,
    data: dict[str, np.ndarray],
    bg: clv.BgNbdParams | None,
    gg: clv.GammaGammaParams | None,
    settings: ValueSettings,
) -> None:
    """One executemany UPDATE with the predictions of the customers in ``data``."""
    if bg is None or not len(data["record_id"]):
        return
    x, tx, age = data["frequency"], data["recency"], data["T"]
    horizon = settings.clv.horizon_days
    alive = clv.probability_alive(bg, x, tx, age)
    expected = clv.expected_purchases(bg, horizon / DAYS_PER_UNIT, x, tx, age)
    value: Any = [None] * len(x)
    if gg is not None:
        value = clv.customer_value(
            bg,
            gg,
            x,
            tx,
            age,
            data["monetary"],
            horizon=float(horizon),
            discount_rate=settings.clv.discount_rate,
            time_unit=TIME_UNIT,
            margin=settings.clv.margin,
        ).tolist()
    _write(session, data["record_id"].tolist(), alive.tolist(), expected.tolist(), value)


def _write(
    session: Session, ids: list[int], alive: list[float], expected: list[float], value: list[Any]
) -> None:
    """One statement: an executemany UPDATE (SQLite, in-process, fast), or on PostgreSQL
    one UPDATE joined to the unnested arrays (an executemany there is one round trip per
    row)."""
    table = table_of(CustomerMetrics)
    if dialect_of(session) == "postgresql":
        rows = (
            func.unnest(
                bindparam("ids", ids, ARRAY(Integer)),
                bindparam("alive", alive, ARRAY(Float)),
                bindparam("expected", expected, ARRAY(Float)),
                bindparam("value", value, ARRAY(Float)),
            )
            .table_valued("rid", "alive", "expected", "value")
            .render_derived(name="predicted")
        )
        session.execute(
            update(table)
            .where(table.c.record_id == rows.c.rid)
            .values(
                p_alive=rows.c.alive,
                expected_purchases=rows.c.expected,
                clv_predicted=rows.c.value,
            )
        )
        return
    statement = (
        update(table)
        .where(table.c.record_id == bindparam("rid"))
        .values(
            p_alive=bindparam("alive"),
            expected_purchases=bindparam("expected"),
            clv_predicted=bindparam("value"),
        )
    )
    params = [
        {"rid": rid, "alive": a, "expected": e, "value": v}
        for rid, a, e, v in zip(ids, alive, expected, value, strict=True)
    ]
    session.connection().execute(statement, params)


def _clear(session: Session, settings: ValueSettings, ids: list[int] | None) -> None:
    table = table_of(CustomerMetrics)
    statement = update(table).where(
        table.c.workspace_id == settings.workspace_id,
        table.c.form_id == settings.customers_form_id,
        table.c.p_alive.is_not(None) | table.c.clv_predicted.is_not(None),
    )
    if ids is not None:
        statement = statement.where(table.c.record_id.in_(ids))
    session.execute(statement.values(p_alive=None, expected_purchases=None, clv_predicted=None))


def _save_fit(model: ValueModel | None, fit: dict[str, Any]) -> None:
    if model is None:
        return
    kept = {k: v for k, v in (model.model_fit or {}).items() if k not in (*FIT_KEYS, "predictive")}
    model.model_fit = {**kept, **fit}


def _params(
    stored: dict[str, Any],
) -> tuple[clv.BgNbdParams | None, clv.GammaGammaParams | None]:
    try:
        bg = clv.BgNbdParams(**stored["bgnbd"]) if stored.get("bgnbd") else None
        gg = clv.GammaGammaParams(**stored["gamma_gamma"]) if stored.get("gamma_gamma") else None
    except TypeError:  # stored by another version of the model
        return None, None
    return bg, gg


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
