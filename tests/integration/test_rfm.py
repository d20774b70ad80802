"""RFM scores and segments: quantile scores equal pandas' with the same tie rule (record
id), threshold scores follow the cut points, grid edits change segments, customers with no
orders get none, and incremental scoring uses the stored cut points."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from formwork import db
from formwork.models import CustomerMetrics, ValueModel
from formwork.services import records
from formwork.value.catalog import DEFAULT_SEGMENT_GRID
from formwork.value.refresh import refresh_customers, refresh_workspace
from formwork.value.rfm import BOUNDS_KEY
from tests.integration.value_fixtures import (
    TODAY,
    ValueCrm,
    configure,
    make_value_crm,
    reference_metrics,
    settings_doc,
)


@pytest.fixture
def crm(app: Flask, factory: Any) -> ValueCrm:
    crm = make_value_crm(app, factory, customers=60, orders=500, seed=3)
    with app.app_context():
        session = db.session()
        configure(session, crm.actor(session))
    return crm


def ntile(values: np.ndarray, ids: np.ndarray, *, descending: bool = False) -> np.ndarray:
    """SQL's NTILE(5) OVER (ORDER BY value [DESC], id): the first n % 5 buckets hold one
    more row."""
    order = np.lexsort((ids, -values if descending else values))
    n = len(order)
    size, extra = divmod(n, 5)
    sizes = [size + (1 if k < extra else 0) for k in range(5)]
    scores = np.empty(n, dtype=np.int64)
    scores[order] = np.repeat(np.arange(1, 6), sizes)
    return scores


def scores(session: Session, workspace_id: int) -> dict[int, tuple[Any, ...]]:
    session.expire_all()
    rows = session.execute(
        select(
            CustomerMetrics.record_id,
            CustomerMetrics.r_score,
            CustomerMetrics.f_score,
            CustomerMetrics.m_score,
            CustomerMetrics.rfm_segment,
        ).where(CustomerMetrics.workspace_id == workspace_id)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


def test_quantile_scores_equal_pandas_with_the_same_tie_rule(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        reference = reference_metrics(session, crm)
        buyers = reference[reference["order_count"] > 0]
        ids = buyers.index.to_numpy()
        expected_r = ntile(buyers["recency_days"].to_numpy(), ids, descending=True)
        expected_f = ntile(buyers["order_count"].to_numpy(), ids)
        expected_m = ntile(buyers["total_spent"].to_numpy(), ids)
        stored = scores(session, crm.workspace.id)
        for i, record_id in enumerate(ids.tolist()):
            r, f, m, segment = stored[record_id]
            assert (r, f, m) == (expected_r[i], expected_f[i], expected_m[i]), record_id
            assert segment == DEFAULT_SEGMENT_GRID[f"{r}{f}"]
        # Ties exist (so the tie rule is exercised), and every score is used.
        assert buyers["order_count"].duplicated().any()
        assert {s[0] for s in stored.values() if s[0]} == {1, 2, 3, 4, 5}
        for record_id in reference.index[reference["order_count"] == 0]:
            assert stored[record_id] == (None, None, None, None)


def test_threshold_scores_follow_the_cut_points(app: Flask, crm: ValueCrm) -> None:
    thresholds = {
        "recency_days": [30, 90, 180, 365],
        "frequency": [2, 4, 8, 12],
        "monetary": [100, 500, 1000, 2500],
    }
    with app.app_context():
        session = db.session()
        configure(
            session,
            crm.actor(session),
            settings_doc(rfm={"method": "thresholds", "thresholds": thresholds}),
        )
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        stored = scores(session, crm.workspace.id)
        reference = reference_metrics(session, crm)
        for record_id, row in reference[reference["order_count"] > 0].iterrows():
            r = 1 + sum(row["recency_days"] <= cut for cut in thresholds["recency_days"])
            f = 1 + sum(row["order_count"] >= cut for cut in thresholds["frequency"])
            m = 1 + sum(row["total_spent"] >= cut for cut in thresholds["monetary"])
            assert stored[record_id][:3] == (r, f, m), record_id
        assert len({s[1] for s in stored.values() if s[1]}) > 2


def test_editing_the_grid_changes_segments(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        before = scores(session, crm.workspace.id)
        cell_of = {rid: f"{s[0]}{s[1]}" for rid, s in before.items() if s[0]}
        busiest = max(set(cell_of.values()), key=list(cell_of.values()).count)
        grid = {busiest: "cant_lose" if DEFAULT_SEGMENT_GRID[busiest] != "cant_lose" else "new"}
        configure(session, crm.actor(session), settings_doc(rfm={"grid": grid}))
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        after = scores(session, crm.workspace.id)
        for record_id, cell in cell_of.items():
            expected = grid[busiest] if cell == busiest else DEFAULT_SEGMENT_GRID[cell]
            assert after[record_id][3] == expected
            assert after[record_id][:3] == before[record_id][:3]


def test_the_cut_points_of_the_quantiles_are_kept(app: Flask, crm: ValueCrm) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None
        bounds = model.model_fit[BOUNDS_KEY]
        stored = session.scalars(
            select(CustomerMetrics).where(CustomerMetrics.workspace_id == crm.workspace.id)
        ).all()
        for k, cut in zip((5, 4, 3, 2), bounds["recency_days"], strict=True):
            assert cut == max(m.recency_days for m in stored if m.r_score == k)
        for k, cut in zip((2, 3, 4, 5), bounds["frequency"], strict=True):
            assert cut == min(m.order_count for m in stored if m.f_score == k)
        assert bounds["monetary"] == sorted(bounds["monetary"])


def test_an_incremental_refresh_scores_against_the_kept_cut_points(
    app: Flask, crm: ValueCrm
) -> None:
    with app.app_context():
        session = db.session()
        refresh_workspace(session, crm.workspace.id, today=TODAY)
        before = scores(session, crm.workspace.id)
        model = session.get(ValueModel, crm.workspace.id)
        assert model is not None
        bounds = model.model_fit[BOUNDS_KEY]
        customer = next(rid for rid, s in before.items() if s[0] is None)  # never ordered
        actor = crm.actor(session)
        day = (TODAY - timedelta(days=10)).isoformat()
        for amount in (400, 800):
            records.create_record(
                session,
                actor,
                crm.orders,
                {"customer": customer, "amount": amount, "ordered_on": day},
                commit=False,
            )
        refresh_customers(session, crm.workspace.id, [customer], today=TODAY)
        after = scores(session, crm.workspace.id)
        recency, orders, spent = 10, 2, 1200
        r = 1 + sum(recency <= cut for cut in bounds["recency_days"])
        f = 1 + sum(orders >= cut for cut in bounds["frequency"])
        m = 1 + sum(spent >= cut for cut in bounds["monetary"])
        assert after[customer] == (r, f, m, DEFAULT_SEGMENT_GRID[f"{r}{f}"])
        assert {k: v for k, v in after.items() if k != customer} == {
            k: v for k, v in before.items() if k != customer
        }
