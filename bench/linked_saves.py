"""Linked saves: saving one order for a customer who already has many orders, against the
same save for a customer with none (the reference, in the same run).

Orders look up the customer's phone and the customer sums its orders (a count and a
total), as in the Customer Asset CRM. A save recomputes the customer; it must not
recompute every other order of that customer, so the ratio should stay near 1 however
many orders the customer has.

    python bench/linked_saves.py [--full] [--sqlite-only]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.records import _postgres_database
from formwork import create_app, db
from formwork.automation.executors import executor_for
from formwork.migrate import upgrade
from formwork.services import accounts, apps, publishing, records, workspaces
from formwork.services.scope import actor_for

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
CUSTOMERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-order": ["name", "phone", "order_count", "total_spent"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "phone": {"type": "string", "title": "Phone", "x-field": "phone", "x-phone-region": "CN"},
        "order_count": {
            "type": "number",
            "title": "Orders",
            "readOnly": True,
            "x-field": "rollup",
            "x-rollup": {"form": "orders", "link": "customer", "agg": "count"},
        },
        "total_spent": {
            "type": "number",
            "title": "Total spent",
            "readOnly": True,
            "x-field": "rollup",
            "x-rollup": {"form": "orders", "link": "customer", "agg": "sum", "of": "amount"},
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}
ORDERS: dict[str, Any] = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": ["customer", "amount", "customer_phone"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "amount": {"type": "number", "title": "Amount", "minimum": 0, "x-field": "money"},
        "customer_phone": {
            "title": "Customer phone",
            "readOnly": True,
            "x-field": "lookup",
            "x-lookup": {"link": "customer", "field": "phone"},
        },
    },
    "additionalProperties": False,
}


def run_backend(url: str, instance: str, orders: int, saves: int) -> dict[str, float]:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
    upgrade(app)
    with app.app_context():
        session = db.session()
        user = accounts.create_user(
            session,
            email="bench@example.com",
            name="Bench",
            password="bench-Passw0rd",
            min_password_length=10,
        )
        workspace = workspaces.create_workspace(session, user, "Bench")
        actor = actor_for(session, user, workspace.id)
        app_id = apps.create_app(session, actor, "Bench").id
        documents = {"customers": CUSTOMERS, "orders": ORDERS}
        forms = {}
        # Both forms exist before either is published: each refers to the other.
        for key, document in documents.items():
            # The key comes from the title ("Customers" → customers), as links expect.
            forms[key] = apps.create_form(session, actor, app_id, document["title"])
            assert forms[key].key == key, forms[key].key
        for key, form in forms.items():
            publishing.save_draft(session, actor, form, documents[key], form.draft_revision)
            publishing.publish(session, actor, form, form.draft_revision)
        busy, new = (
            records.create_record(session, actor, forms["customers"], {"name": name})
            for name in ("Busy", "New")
        )
        history = [{"customer": busy.id, "amount": 10} for _ in range(orders)]
        for offset in range(0, len(history), 1000):
            records.bulk_create(session, actor, forms["orders"], history[offset : offset + 1000])

        def median_save_ms(customer_id: int) -> float:
            samples = []
            for _ in range(saves):
                started = time.perf_counter()
                records.create_record(
                    session, actor, forms["orders"], {"customer": customer_id, "amount": 5}
                )
                samples.append((time.perf_counter() - started) * 1000)
            return statistics.median(samples)

        figures = {"new_ms": median_save_ms(new.id), "busy_ms": median_save_ms(busy.id)}
    # Let the background executor finish its last wake-up before the database goes.
    executor_for(app).stop()
    app.extensions["formwork.engine"].dispose()
    return figures


def main(argv: list[str]) -> None:
    orders = 10_000 if "--full" in argv else 1_000
    saves = 30
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run_backend(f"sqlite:///{tmp}/bench.db", tmp, orders, saves)
        if "--sqlite-only" not in argv:
            with _postgres_database() as url:
                if url:
                    results["postgresql"] = run_backend(url, tmp, orders, saves)
    print(f"one order saved (median of {saves}); the busy customer has {orders:,} orders")
    print(f"{'backend':11} {'new customer ms':>16} {'busy customer ms':>17} {'ratio':>6}")
    for name, f in results.items():
        ratio = f["busy_ms"] / f["new_ms"]
        print(f"{name:11} {f['new_ms']:16.2f} {f['busy_ms']:17.2f} {ratio:6.2f}")
    summary = [
        f"{name}_busy_vs_new={f['busy_ms'] / f['new_ms']:.2f}" for name, f in results.items()
    ]
    print("bench linked_saves: " + " ".join(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
