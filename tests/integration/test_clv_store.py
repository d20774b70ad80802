"""CLV stored per customer: the historical formula, the predictive model fitted on the
summary of the stored orders (checked against a pandas summary), refusals kept visible,
incremental predictions with the stored fit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from formwork import db
from formwork.models import CustomerMetrics, ValueModel
from formwork.services import records
from formwork.value import clv
from formwork.value.clv_store import historical_factor
from formwork.value.refresh import refresh_customers, refresh_workspace
from formwork.value.settings import ClvSettings
from tests.integration.value_fixtures import (
    TODAY,
    ValueCrm,
    configure,
    make_value_crm,
    settings_doc,
    stored_records,
)

CLV = {
    "margin": 0.4,
    "expected_years": 2.5,
    "discount_rate": 0.08,
    "predictive": True,
    "horizon_days": 180,
}


def rows(session: Any, workspace_id: int) -> dict[int, CustomerMetrics]:
    session.expire_all()
    found = session.scalars(
        select(CustomerMetrics).where(CustomerMetrics.workspace_id == workspace_id)
    )
    return {m.record_id: m for m in found}


def pandas_summary(session: Any, crm: ValueCrm) -> Any:
    """frequency, recency, T (weeks) and monetary per customer from the stored orders."""
    import pandas as pd

    data = []
    for order in stored_records(session, crm.orders):
        day = order.data.get("ordered_on")
        if order.deleted_at is None and day and day <= TODAY.isoformat():
            data.append((order.data["customer"], day, float(order.data["amount"])))
    orders = pd.DataFrame(data, columns=["cid", "day", "amount"])
    daily = orders.groupby(["cid", "day"], as_index=False)["amount"].sum()
    daily["date"] = pd.to_datetime(daily["day"])
    grouped = daily.sort_values("date").groupby("cid")
    summary = pd.DataFrame(
        {
            "frequency": grouped.size() - 1,
            "first": grouped["date"].min(),
            "last": grouped["date"].max(),
            "spent": grouped["amount"].sum(),
            "first_spent": grouped["amount"].first(),
        }
    )
    summary["recency"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["T"] = (pd.Timestamp(TODAY) - summary["first"]).dt.days / 7
    summary["monetary"] = (
        (summary["spent"] - summary["first_spent"]) / summary["frequency"]
    ).where(summary["frequency"] > 0, 0.0)
    return summary


def test_historical_factor_discounts_each_year_and_a_fraction() -> None:
    plain = ClvSettings(
        margin=0.5, expected_years=3, discount_rate=0, predictive=False, horizon_days=1
    )
    assert historical_factor(plain) == pytest.approx(1.5)
    rate = ClvSettings(
        margin=1, expected_years=2.5, discount_rate=0.1, predictive=False, horizon_days=1
    )
    assert historical_factor(rate) == pytest.approx(1 / 1.1 + 1 / 1.1**2 + 0.5 / 1.1**3)


def test_predictive_and_historical_clv_are_stored(app: Flask, factory: Any) -> None:
    crm = make_value_crm(app, factory, customers=90, orders=900, seed=11)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session), settings_doc(clv=CLV))
        result = refresh_workspace(session, crm.workspace.id, today=TODAY)
        fit = result.model_fit
        assert fit["refusal"] is None and fit["time_unit"] == "weeks"
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None and model.model_fit["bgnbd"] == fit["bgnbd"]
        assert model.computed_at is not None
        summary = pandas_summary(session, crm)
        x, tx, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
        money = summary["monetary"].to_numpy()
        bg = clv.fit_bgnbd(x, tx, age)
        gg = clv.fit_gamma_gamma(x, money)
        for name in ("r", "alpha", "a", "b"):
            assert fit["bgnbd"][name] == pytest.approx(getattr(bg, name), rel=1e-6)
        for name in ("p", "q", "v"):
            assert fit["gamma_gamma"][name] == pytest.approx(getattr(gg, name), rel=1e-6)
        alive = clv.probability_alive(bg, x, tx, age)
        expected = clv.expected_purchases(bg, 180 / 7, x, tx, age)
        value = clv.customer_value(
            bg,
            gg,
            x,
            tx,
            age,
            money,
            horizon=180,
            discount_rate=0.08,
            time_unit="weeks",
            margin=0.4,
        )
        stored = rows(session, crm.workspace.id)
        factor = historical_factor(ClvSettings(**CLV))
        for i, record_id in enumerate(summary.index.tolist()):
            m = stored[record_id]
            assert m.p_alive == pytest.approx(alive[i], rel=1e-5)
            assert m.expected_purchases == pytest.approx(expected[i], rel=1e-5)
            assert m.clv_predicted == pytest.approx(value[i], rel=1e-5)
            assert m.clv_historical == pytest.approx(
                m.avg_order_value * m.purchases_per_year * factor
            )
        for m in stored.values():
            if m.order_count == 0:
                assert (m.clv_historical, m.clv_predicted, m.p_alive) == (None, None, None)
        assert len({round(v, 6) for v in np.asarray(value)}) > 10


def test_an_incremental_refresh_predicts_with_the_stored_fit(app: Flask, factory: Any) -> None:
    crm = make_value_crm(app, factory, customers=90, orders=900, seed=11)
    with app.app_context():
        session = db.session()
        actor = crm.actor(session)
        configure(session, actor, settings_doc(clv=CLV))
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        fit = session.get(ValueModel, crm.workspace.id).model_fit  # type: ignore[union-attr]
        customer = crm.customer_ids[2]
        day = (TODAY - timedelta(days=1)).isoformat()
        records.create_record(
            session, actor, crm.orders, {"customer": customer, "amount": 77, "ordered_on": day}
        )
        refresh_customers(session, crm.workspace.id, [customer], today=TODAY)
        m = rows(session, crm.workspace.id)[customer]
        bg = clv.BgNbdParams(**fit["bgnbd"])
        first = m.first_order_on
        assert first is not None
        age = (TODAY - type(TODAY).fromisoformat(first)).days / 7
        recency = (TODAY - timedelta(days=1) - type(TODAY).fromisoformat(first)).days / 7
        alive = clv.probability_alive(bg, [m.purchase_days - 1], [recency], [age])
        assert m.p_alive == pytest.approx(alive[0], rel=1e-9)
        refreshed = session.get(ValueModel, crm.workspace.id)
        assert refreshed is not None and refreshed.model_fit["bgnbd"] == fit["bgnbd"]


def test_a_refused_fit_is_kept_visible_and_leaves_predictions_empty(
    app: Flask, factory: Any
) -> None:
    crm = make_value_crm(app, factory, customers=4, orders=12, seed=2)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))
        result = refresh_workspace(session, crm.workspace.id, today=TODAY)
        refusal = result.model_fit["refusal"]
        assert refusal["model"] == "bgnbd" and refusal["code"] == "clv_too_few_customers"
        assert refusal["params"]["count"] == 3
        assert "20" in refusal["message"]["en"] and refusal["message"]["zh-CN"]
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None and model.model_fit["refusal"] == refusal
        assert model.model_fit["bgnbd"] is None
        stored = rows(session, crm.workspace.id)
        assert all(m.clv_predicted is None and m.p_alive is None for m in stored.values())
        assert any(m.clv_historical for m in stored.values())


def test_predictive_clv_switched_off_stores_nothing(app: Flask, factory: Any) -> None:
    crm = make_value_crm(app, factory, customers=30, orders=200, seed=4)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session), settings_doc(clv={**CLV, "predictive": False}))
        result = refresh_workspace(session, crm.workspace.id, today=TODAY)
        assert result.model_fit == {"predictive": False}
        stored = rows(session, crm.workspace.id)
        assert all(
            m.clv_predicted is None and m.expected_purchases is None for m in stored.values()
        )
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None and "rfm_bounds" in model.model_fit
