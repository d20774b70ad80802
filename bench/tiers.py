"""Customer value at scale: per-customer metrics, RFM scores and a three-tier scheme
applied to every customer, on SQLite and PostgreSQL, beside pandas doing the same
computation from the same data (including loading it) in the same run; then the CLV fit
on CDNOW beside ``lifetimes`` (bench/clv.py).

Default: 200k customers / 2M orders; ``--full``: 1M / 10M. Goals: 1M customers in at
most 60 s on SQLite and faster than the pandas reference; the CLV fit at most half of
lifetimes' time.

    python bench/tiers.py [--full] [--sqlite-only] [--customers N] [--no-clv]
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
from sqlalchemy import func, select, text

from bench.records import _postgres_database
from formwork import create_app, db
from formwork.migrate import upgrade
from formwork.models import CustomerMetrics, Form, Record
from formwork.services import accounts, apps, publishing, workspaces
from formwork.services.scope import Actor, actor_for

TODAY = date(2026, 11, 1)
HISTORY_DAYS = 730
TIERS = ("gold", "silver", "bronze")
SCHEMA = "https://json-schema.org/draft/2020-12/schema"

CUSTOMERS_DOC: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-order": ["name", "tier"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "tier": {"enum": list(TIERS), "title": "Tier", "x-field": "select"},
    },
}
ORDERS_DOC: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": ["customer", "amount", "ordered_on"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "amount": {"type": "number", "title": "Amount", "minimum": 0, "x-field": "money"},
        "ordered_on": {"type": "string", "format": "date", "title": "Date", "x-field": "date"},
    },
    "required": ["customer", "amount", "ordered_on"],
}


@dataclass
class Dataset:
    """Generated customers and orders: order ``i`` belongs to customer ``customer[i]``."""

    customers: int
    customer: np.ndarray  # customer index per order
    day: np.ndarray  # days before TODAY (0 = today)
    amount: np.ndarray

    @property
    def orders(self) -> int:
        return len(self.customer)


def generate(customers: int, orders: int, seed: int = 11) -> Dataset:
    """Heterogeneous customers: a few buy often and much, many buy once or twice; each
    customer is active for a window of the last two years (so some have lapsed)."""
    rng = np.random.default_rng(seed)
    weight = rng.lognormal(0.0, 1.2, customers)
    customer = rng.choice(customers, size=orders, p=weight / weight.sum())
    start = rng.integers(0, HISTORY_DAYS, customers)
    length = rng.integers(1, HISTORY_DAYS, customers)
    end = np.maximum(start - length, 0)
    span = start[customer] - end[customer]
    day = end[customer] + (rng.random(orders) * (span + 1)).astype(np.int64)
    spend = rng.lognormal(4.5, 0.6, customers)
    amount = np.round(spend[customer] * rng.lognormal(0.0, 0.3, orders), 2)
    return Dataset(customers, customer, day, amount)


def write_csv(data: Dataset, folder: Path) -> tuple[Path, Path]:
    """The export the pandas reference starts from (as an analyst would)."""
    customers_csv = folder / "customers.csv"
    orders_csv = folder / "orders.csv"
    with customers_csv.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "name"])
        writer.writerows((i, f"Customer {i}") for i in range(data.customers))
    days = np.array([(TODAY - timedelta(days=int(d))).isoformat() for d in range(HISTORY_DAYS + 1)])
    with orders_csv.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_id", "amount", "ordered_on"])
        writer.writerows(
            zip(data.customer.tolist(), data.amount.tolist(), days[data.day], strict=True)
        )
    return customers_csv, orders_csv


# -- the platform --------------------------------------------------------------------------
def setup_workspace(session: Any) -> tuple[Actor, Form, Form]:
    user = accounts.create_user(
        session,
        email="bench@example.com",
        name="Bench",
        password="bench-Passw0rd",
        min_password_length=10,
    )
    workspace = workspaces.create_workspace(session, user, "Bench")
    actor = actor_for(session, user, workspace.id)
    app_id = apps.create_app(session, actor, "CRM").id
    forms = []
    for key, document in (("customers", CUSTOMERS_DOC), ("orders", ORDERS_DOC)):
        form = apps.create_form(session, actor, app_id, document["title"])
        form.key = key
        session.commit()
        publishing.save_draft(session, actor, form, document, form.draft_revision)
        publishing.publish(session, actor, form, form.draft_revision)
        forms.append(form)
    return actor, forms[0], forms[1]


def load(session: Any, actor: Actor, customers: Form, orders: Form, data: Dataset) -> int:
    """Bulk-load the generated records and their links through the driver (executemany on
    SQLite, COPY on PostgreSQL). Not timed: the benchmark is about computing value;
    bench/records.py measures validated inserts. Returns the first customer's id."""
    first = (session.scalar(select(func.max(Record.id))) or 0) + 1
    workspace = actor.workspace_id
    order_first = first + data.customers
    dates = [(TODAY - timedelta(days=d)).isoformat() for d in range(HISTORY_DAYS + 1)]
    customer_ids = (data.customer + first).tolist()
    amounts = data.amount.tolist()
    days = data.day.tolist()
    records = [
        (first + i, customers.id, json.dumps({"name": f"C{i}"})) for i in range(data.customers)
    ]
    records += [
        (
            order_first + i,
            orders.id,
            json.dumps(
                {"customer": customer_ids[i], "amount": amounts[i], "ordered_on": dates[days[i]]}
            ),
        )
        for i in range(data.orders)
    ]
    links = [(order_first + i, "customer", customer_ids[i]) for i in range(data.orders)]
    connection = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        stamp = "2026-11-01 00:00:00+00"
        with connection.cursor() as cursor:
            columns = "id, workspace_id, form_id, data, form_version, created_at, updated_at, "
            columns += "version, search_text"
            with cursor.copy(f"COPY records ({columns}) FROM STDIN") as copy:
                for rid, form_id, doc in records:
                    copy.write_row((rid, workspace, form_id, doc, 1, stamp, stamp, 1, ""))
            columns = "source_id, field_key, target_id, workspace_id, source_form_id"
            with cursor.copy(f"COPY record_links ({columns}) FROM STDIN") as copy:
                for source, key, target in links:
                    copy.write_row((source, key, target, workspace, orders.id))
        session.commit()
        session.execute(text("ANALYZE"))
    else:
        stamp = "2026-11-01 00:00:00.000000"
        cursor = connection.cursor()
        cursor.executemany(
            "INSERT INTO records (id, workspace_id, form_id, data, form_version, created_at, "
            "updated_at, version, search_text) VALUES (?, ?, ?, ?, 1, ?, ?, 1, '')",
            [(rid, workspace, form_id, doc, stamp, stamp) for rid, form_id, doc in records],
        )
        cursor.executemany(
            "INSERT INTO record_links (source_id, field_key, target_id, workspace_id, "
            "source_form_id) VALUES (?, ?, ?, ?, ?)",
            [(*link, workspace, orders.id) for link in links],
        )
        session.commit()
        session.execute(text("ANALYZE"))
    session.commit()
    return first


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


# -- the pandas reference -------------------------------------------------------------------
def ntile(order: np.ndarray, buckets: int = 5) -> np.ndarray:
    """SQL's NTILE(buckets) for rows already sorted by ``order`` (positions → 1..buckets):
    the first ``n % buckets`` buckets hold one row more."""
    n = len(order)
    size, extra = divmod(n, buckets)
    position = np.arange(n)
    big = extra * (size + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = (position - big) // max(size, 1) + extra + 1
    scores = np.where(position < big, position // (size + 1) + 1, tail)
    result = np.empty(n, dtype=np.int64)
    result[order] = scores
    return result


def pandas_tiers(customers_csv: Path, orders_csv: Path, gold_spent: float) -> Any:
    """Load the export and compute what the platform computes from the orders — every
    order metric of ``customer_metrics`` (count, purchase days, sums, first and last day,
    recency, purchases per year, usual interval, 90- and 365-day windows), the RFM
    scores and the tiers — with pandas (imported before the clock starts)."""
    customers = pd.read_csv(customers_csv)
    orders = pd.read_csv(orders_csv)
    orders["ordered_on"] = pd.to_datetime(orders["ordered_on"], format="%Y-%m-%d")
    today = pd.Timestamp(TODAY)
    age = (today - orders["ordered_on"]).dt.days
    recent, year = age < 90, age < 365  # day > today - 90, day > today - 365
    orders["n90"], orders["n365"] = recent, year
    orders["s90"] = orders["amount"].where(recent, 0.0)
    orders["s365"] = orders["amount"].where(year, 0.0)
    grouped = orders.groupby("customer_id").agg(
        order_count=("amount", "size"),
        purchase_days=("ordered_on", "nunique"),
        total_spent=("amount", "sum"),
        first_order=("ordered_on", "min"),
        last_order=("ordered_on", "max"),
        orders_90d=("n90", "sum"),
        spent_90d=("s90", "sum"),
        orders_365d=("n365", "sum"),
        spent_365d=("s365", "sum"),
    )
    table = customers.set_index("customer_id").join(grouped)
    for column in ("order_count", "purchase_days", "orders_90d", "orders_365d"):
        table[column] = table[column].fillna(0).astype("int64")
    # Rounded like the platform's sums, so summation order never changes a rank.
    for column in ("total_spent", "spent_90d", "spent_365d"):
        table[column] = table[column].fillna(0.0).round(6)
    count = table["order_count"].where(table["order_count"] > 0)
    table["avg_order_value"] = table["total_spent"] / count
    table["recency_days"] = (today - table["last_order"]).dt.days
    life = (today - table["first_order"]).dt.days
    table["purchases_per_year"] = np.where(life > 365.25, count * 365.25 / life, count)
    span = (table["last_order"] - table["first_order"]).dt.days
    days = table["purchase_days"]
    table["usual_interval_days"] = (span / (days - 1)).where(days >= 2)
    buyers = table[table["order_count"] > 0].reset_index()
    ids = buyers["customer_id"].to_numpy()
    # Ties broken by id, like the SQL (ORDER BY value, id).
    r_order = np.lexsort((ids, -buyers["recency_days"].to_numpy()))
    f_order = np.lexsort((ids, buyers["order_count"].to_numpy()))
    m_order = np.lexsort((ids, buyers["total_spent"].to_numpy()))
    buyers["r_score"] = ntile(r_order)
    buyers["f_score"] = ntile(f_order)
    buyers["m_score"] = ntile(m_order)
    table = table.join(buyers.set_index("customer_id")[["r_score", "f_score", "m_score"]])
    gold = (table["total_spent"] >= gold_spent) & (table["recency_days"] <= 180)
    silver = (table["order_count"] >= 5) | (table["r_score"] >= 4)
    table["tier"] = np.select([gold, silver], ["gold", "silver"], default="bronze")
    return table


# -- one backend ---------------------------------------------------------------------------
def scheme_document(gold_spent: float) -> dict[str, Any]:
    """Gold: spent a lot and bought in the last 180 days; silver: frequent or recent."""
    spent = {">=": [{"var": "metrics.total_spent"}, gold_spent]}
    recent = {"<=": [{"var": "metrics.recency_days"}, 180]}
    frequent = {">=": [{"var": "metrics.order_count"}, 5]}
    r_high = {">=": [{"var": "metrics.r_score"}, 4]}
    return {
        "tiers": [
            {
                "key": "gold",
                "name": {"en": "Gold", "zh-CN": "金卡"},
                "color": "#d4a017",
                "condition": {"and": [spent, recent]},
            },
            {
                "key": "silver",
                "name": {"en": "Silver", "zh-CN": "银卡"},
                "color": "#a0a0a0",
                "condition": {"or": [frequent, r_high]},
            },
        ],
        "fallback": {
            "key": "bronze",
            "name": {"en": "Bronze", "zh-CN": "铜卡"},
            "color": "#cd7f32",
        },
    }


SCAN = text(
    "SELECT count(*), sum(n), sum(total) FROM (SELECT customer_id, count(*) AS n, "
    "sum(amount) AS total, max(day) AS last FROM customer_order_facts "
    "WHERE workspace_id = :ws GROUP BY customer_id) AS per_customer"
)


def run_backend(url: str, instance: str, data: Dataset, gold_spent: float) -> dict[str, Any]:
    from formwork.value import facts, metrics, rfm, settings, tiers
    from formwork.value.refresh import refresh_workspace

    # Inline executor: the tier_changed events an apply raises are dispatched in the
    # apply's own thread, so their cost is counted and no background thread competes for
    # SQLite's write lock.
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance, "EXECUTOR": "inline"})
    upgrade(app)
    figures: dict[str, Any] = {}
    with app.app_context():
        session = db.session()
        actor, customers, orders = setup_workspace(session)
        figures["load_s"], first = timed(lambda: load(session, actor, customers, orders, data))
        settings.save(session, actor, settings.default_settings(), revision=0)
        value = settings.load(session, actor.workspace_id)
        assert value is not None
        scheme = tiers.save_scheme(
            session,
            actor,
            key="abc",
            name="ABC",
            form_id=customers.id,
            field_key="tier",
            document=scheme_document(gold_spent),
        )

        def build_facts() -> None:
            # The order facts: kept current by every order save, rebuilt in full only
            # after an upgrade or a settings / order form change. The bulk load above
            # bypassed the records service, so this is that first build.
            facts.ensure_current(session, value)
            session.commit()

        def compute_metrics() -> None:
            metrics.recompute_metrics(session, value, today=TODAY)
            session.commit()

        def score() -> None:
            rfm.score_rfm(session, value)
            session.commit()

        def apply() -> Any:
            result = tiers.apply_scheme(session, scheme, actor_id=None, source="apply", today=TODAY)
            session.commit()
            return result

        figures["facts_s"], _ = timed(build_facts)
        # The floor of any recompute in this database: read every order fact once and
        # group it per customer, writing nothing (what pandas' groupby does in memory).
        figures["scan_s"], _ = timed(lambda: session.execute(SCAN, {"ws": actor.workspace_id}))
        figures["metrics_s"], _ = timed(compute_metrics)
        figures["rfm_s"], _ = timed(score)
        figures["apply_s"], applied = timed(apply)
        figures["changed"] = applied.changed
        figures["tiers"] = dict(
            session.execute(
                select(Record.id, Record.data["tier"].as_string()).where(
                    Record.form_id == customers.id
                )
            ).all()
        )
        figures["first_id"] = first
        figures["metrics"] = {
            row[0]: tuple(row[1:])
            for row in session.execute(
                select(CustomerMetrics.record_id, *(getattr(CustomerMetrics, c) for c in COMPARED))
            )
        }
        # The whole nightly refresh (metrics, RFM, historical and predictive CLV, churn),
        # for information: pandas is not asked to fit BG/NBD here.
        figures["refresh_s"], refreshed = timed(
            lambda: refresh_workspace(session, actor.workspace_id, today=TODAY)
        )
        figures["refresh_stages"] = refreshed.timings_ms
    return figures


# The metric columns compared with pandas, customer by customer (with the tier).
COMPARED = (
    "order_count",
    "purchase_days",
    "total_spent",
    "avg_order_value",
    "recency_days",
    "purchases_per_year",
    "usual_interval_days",
    "orders_90d",
    "spent_90d",
    "orders_365d",
    "spent_365d",
    "r_score",
    "f_score",
    "m_score",
)


def check_agreement(figures: dict[str, Any], reference: Any) -> int:
    """How many customers the platform and pandas disagree on (the tier, or a compared
    metric beyond 1e-6 relative)."""
    first = figures["first_id"]
    wrong = 0
    tiers = reference["tier"].to_numpy()
    expected = reference[list(COMPARED)].to_numpy(dtype=float)
    for index in range(len(tiers)):
        record_id = first + index
        if figures["tiers"].get(record_id) != tiers[index]:
            wrong += 1
            continue
        got = np.array(
            [np.nan if v is None else v for v in figures["metrics"].get(record_id, ())],
            dtype=float,
        )
        if got.shape != expected[index].shape or not np.allclose(
            got, expected[index], rtol=1e-6, atol=1e-9, equal_nan=True
        ):
            wrong += 1
    return wrong


def main(argv: list[str]) -> None:
    full = "--full" in argv
    customers = 1_000_000 if full else 200_000
    if "--customers" in argv:
        customers = int(argv[argv.index("--customers") + 1])
    orders = customers * 10
    data = generate(customers, orders)
    totals = np.bincount(data.customer, weights=data.amount, minlength=customers)
    gold_spent = float(np.round(np.quantile(totals[totals > 0], 0.8), 2))
    print(f"{customers:,} customers, {orders:,} orders; gold tier from {gold_spent} spent")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers_csv, orders_csv = write_csv(data, folder)
        pandas_s, reference = timed(lambda: pandas_tiers(customers_csv, orders_csv, gold_spent))
        results["sqlite"] = run_backend(f"sqlite:///{tmp}/bench.db", tmp, data, gold_spent)
        if "--sqlite-only" not in argv:
            with _postgres_database() as url:
                if url:
                    results["postgresql"] = run_backend(url, tmp, data, gold_spent)
    print(
        f"{'backend':11} {'load s':>7} {'facts s':>8} {'scan s':>7} {'metrics s':>10} {'rfm s':>6} "
        f"{'apply s':>8} "
        f"{'total s':>8} {'pandas s':>9} {'ratio':>6} {'changed':>9} {'disagree':>9} "
        f"{'refresh s':>10}"
    )
    summary = [f"customers={customers}", f"orders={orders}", f"pandas_s={pandas_s:.2f}"]
    for name, f in results.items():
        total = f["metrics_s"] + f["rfm_s"] + f["apply_s"]
        wrong = check_agreement(f, reference)
        print(
            f"{name:11} {f['load_s']:7.1f} {f['facts_s']:8.2f} {f['scan_s']:7.2f} "
            f"{f['metrics_s']:10.2f} "
            f"{f['rfm_s']:6.2f} "
            f"{f['apply_s']:8.2f} {total:8.2f} {pandas_s:9.2f} {total / pandas_s:6.2f} "
            f"{f['changed']:9d} {wrong:9d} {f['refresh_s']:10.2f}"
        )
        summary += [
            f"{name}_facts_s={f['facts_s']:.2f}",
            f"{name}_scan_s={f['scan_s']:.2f}",
            f"{name}_scan_ratio_vs_pandas={f['scan_s'] / pandas_s:.2f}",
            f"{name}_metrics_s={f['metrics_s']:.2f}",
            f"{name}_rfm_s={f['rfm_s']:.2f}",
            f"{name}_apply_s={f['apply_s']:.2f}",
            f"{name}_total_s={total:.2f}",
            f"{name}_ratio_vs_pandas={total / pandas_s:.2f}",
            f"{name}_disagreements={wrong}",
            f"{name}_refresh_s={f['refresh_s']:.2f}",
        ]
    for name, f in results.items():
        stages = ", ".join(f"{k} {v / 1000:.1f} s" for k, v in f["refresh_stages"].items())
        print(f"{name} full refresh stages: {stages}")
    print(
        "scan: one read of every order fact grouped per customer (count, sum, last day), "
        "nothing written — the least any recompute in that database does."
    )
    print(
        "pandas: read both CSV files, the order metrics per customer, NTILE-equivalent RFM "
        "scores, np.select for the tiers — the same answers (tier and 14 metric columns), "
        "checked customer by customer."
    )
    if "--no-clv" not in argv:
        from bench import clv

        fit = clv.run()
        summary += [f"clv_{k}={v}" for k, v in fit.items() if isinstance(v, int | float)]
    print("bench tiers: " + " ".join(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
