"""Records: validated bulk inserts vs raw executemany, single creates, and a filtered,
sorted first page over many records with and without the managed expression index.

Runs on SQLite (a temporary file) and, when 127.0.0.1:5432 answers, on a throw-away
PostgreSQL database. Default sizes finish in a few minutes on 2 cores; ``--full`` uses
the sizes of the goals (1M records for the page query).

    python bench/records.py [--full] [--sqlite-only]
"""

from __future__ import annotations

import random
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

from formwork import create_app, db
from formwork.migrate import upgrade
from formwork.models import Record
from formwork.services import accounts, apps, publishing, records, workspaces
from formwork.services.form_runtime import runtime_for
from formwork.services.indexes import WantedIndex, sync_indexes
from formwork.services.record_query import ListQuery, Sort, list_records
from formwork.services.scope import actor_for

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
LEVELS = ["normal", "silver", "gold", "vip"]
CITIES = ["上海", "北京", "深圳", "杭州", "Chengdu", "Wuhan"]

DOCUMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": [
        "customer",
        "phone",
        "email",
        "city",
        "level",
        "amount",
        "quantity",
        "ordered_on",
        "paid",
        "note",
        "rating",
        "tags",
    ],
    "properties": {
        "customer": {"type": "string", "title": "Customer", "maxLength": 100, "x-field": "text"},
        "phone": {"type": "string", "title": "Phone", "x-field": "phone", "x-phone-region": "CN"},
        "email": {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "title": "E-mail",
            "x-field": "email",
        },
        "city": {"type": "string", "title": "City", "maxLength": 50, "x-field": "text"},
        "level": {"enum": LEVELS, "title": "Level", "x-field": "select"},
        "amount": {
            "type": "number",
            "title": "Amount",
            "minimum": 0,
            "x-field": "money",
            "x-currency": "CNY",
        },
        "quantity": {"type": "number", "title": "Quantity", "minimum": 0, "x-field": "number"},
        "ordered_on": {
            "type": "string",
            "format": "date",
            "title": "Ordered on",
            "x-field": "date",
        },
        "paid": {"type": "boolean", "title": "Paid", "x-field": "checkbox"},
        "note": {"type": "string", "title": "Note", "maxLength": 2000, "x-field": "textarea"},
        "rating": {
            "type": "integer",
            "minimum": 1,
            "maximum": 5,
            "title": "Rating",
            "x-field": "rating",
        },
        "tags": {
            "type": "array",
            "items": {"type": "string", "maxLength": 50},
            "uniqueItems": True,
            "title": "Tags",
            "x-field": "tags",
        },
    },
    "required": ["customer", "amount"],
    "additionalProperties": False,
}


def _rows(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    return [
        {
            "customer": f"客户 {n}",
            "phone": f"13{rng.randrange(10**9):09d}",
            "email": f"c{n}@example.com",
            "city": rng.choice(CITIES),
            "level": rng.choice(LEVELS),
            "amount": round(rng.uniform(1, 5000), 2),
            "quantity": rng.randrange(1, 20),
            "ordered_on": (start + timedelta(days=rng.randrange(700))).isoformat(),
            "paid": rng.random() < 0.7,
            "note": "备注 " * rng.randrange(0, 5),
            "rating": rng.randrange(1, 6),
            "tags": rng.sample(["new", "vip", "web", "shop"], 2),
        }
        for n in range(count)
    ]


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def _timed(call: Callable[[], object], repeat: int) -> list[float]:
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    try:
        socket.create_connection(("127.0.0.1", 5432), 1).close()
    except OSError:
        yield None
        return
    name = f"formwork_bench_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_backend(
    name: str, url: str, instance: str, bulk_rows: int, page_rows: int
) -> dict[str, float]:
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": instance})
    upgrade(app)
    figures: dict[str, float] = {}
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
        forms = []
        for title in ("Orders", "Raw orders"):
            form = apps.create_form(session, actor, app_id, title)
            publishing.save_draft(session, actor, form, DOCUMENT, form.draft_revision)
            publishing.publish(session, actor, form, form.draft_revision)
            forms.append(form)
        validated, raw_form = forms
        rows = _rows(bulk_rows)

        started = time.perf_counter()
        for offset in range(0, len(rows), 1000):
            records.bulk_create(session, actor, validated, rows[offset : offset + 1000])
        figures["bulk_rows_per_s"] = len(rows) / (time.perf_counter() - started)

        runtime = runtime_for(session, raw_form)
        cleaned = [runtime.compiled.clean(row, "json")[0] for row in rows]
        payload = [
            {
                "workspace_id": workspace.id,
                "form_id": raw_form.id,
                "data": data,
                "form_version": 1,
                "version": 1,
                "search_text": "",
            }
            for data in cleaned
        ]
        started = time.perf_counter()
        for offset in range(0, len(payload), 1000):
            session.execute(insert(Record), payload[offset : offset + 1000])
            session.commit()
        figures["raw_rows_per_s"] = len(payload) / (time.perf_counter() - started)

        single = _rows(200, seed=11)
        samples = []
        for row in single:
            began = time.perf_counter()
            records.create_record(session, actor, validated, row, source="json")
            samples.append((time.perf_counter() - began) * 1000)
        figures["single_create_p50_ms"] = statistics.median(samples)

        # Grow the validated form to page_rows with raw inserts of valid data (the bulk
        # path is measured above; this only builds the haystack faster).
        more = page_rows - bulk_rows - len(single)
        extra = _rows(max(0, more), seed=13)
        cleaned = [runtime.compiled.clean(row, "json")[0] for row in extra]
        for offset in range(0, len(cleaned), 5000):
            session.execute(
                insert(Record),
                [
                    {
                        "workspace_id": workspace.id,
                        "form_id": validated.id,
                        "data": data,
                        "form_version": 1,
                        "version": 1,
                        "search_text": "",
                    }
                    for data in cleaned[offset : offset + 5000]
                ],
            )
            session.commit()
        if url.startswith("postgresql"):
            session.execute(text("ANALYZE records"))
            session.commit()
        query = ListQuery(
            condition={
                "and": [{"==": [{"var": "level"}, "vip"]}, {">=": [{"var": "amount"}, 1000]}]
            },
            sorts=(Sort("amount", descending=True),),
            page_size=20,
        )
        runs = 30

        def page() -> object:
            return list_records(session, actor, validated, query, count=False)

        def page_and_count() -> object:
            return list_records(session, actor, validated, query, count=True)

        plain = _timed(page, runs)
        sync_indexes(
            session,
            runtime_for(session, validated),
            extra=[
                WantedIndex("amount", "filter", "number"),
                WantedIndex("level", "filter", "text"),
            ],
        )
        session.commit()
        if url.startswith("postgresql"):
            session.execute(text("ANALYZE records"))
            session.commit()
        indexed = _timed(page, runs)
        counted = _timed(page_and_count, 10)
        figures["page_p50_ms"] = statistics.median(plain)
        figures["page_p95_ms"] = _p95(plain)
        figures["page_indexed_p50_ms"] = statistics.median(indexed)
        figures["page_indexed_p95_ms"] = _p95(indexed)
        figures["page_count_p50_ms"] = statistics.median(counted)
        figures["records"] = page_rows
    app.extensions["formwork.engine"].dispose()
    return figures


def main(argv: list[str]) -> None:
    full = "--full" in argv
    bulk_rows = 100_000 if full else 10_000
    page_rows = 1_000_000 if full else 50_000
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run_backend(
            "sqlite", f"sqlite:///{tmp}/bench.db", tmp, bulk_rows, page_rows
        )
        if "--sqlite-only" not in argv:
            with _postgres_database() as url:
                if url:
                    results["postgresql"] = run_backend(
                        "postgresql", url, tmp, bulk_rows, page_rows
                    )
    print(
        f"{'backend':11} {'bulk rows/s':>12} {'raw rows/s':>11} {'ratio':>6} "
        f"{'create ms':>10} {'records':>9} {'page p50':>9} {'page p95':>9} "
        f"{'idx p50':>8} {'idx p95':>8} {'+count p50':>11}"
    )
    for name, f in results.items():
        print(
            f"{name:11} {f['bulk_rows_per_s']:12.0f} {f['raw_rows_per_s']:11.0f} "
            f"{f['bulk_rows_per_s'] / f['raw_rows_per_s']:6.2f} "
            f"{f['single_create_p50_ms']:10.2f} {f['records']:9.0f} {f['page_p50_ms']:9.2f} "
            f"{f['page_p95_ms']:9.2f} {f['page_indexed_p50_ms']:8.2f} "
            f"{f['page_indexed_p95_ms']:8.2f} {f['page_count_p50_ms']:11.2f}"
        )
    summary = []
    for name, f in results.items():
        summary += [
            f"{name}_bulk_rows_per_s={f['bulk_rows_per_s']:.0f}",
            f"{name}_ratio_bulk_vs_raw={f['bulk_rows_per_s'] / f['raw_rows_per_s']:.2f}",
            f"{name}_create_p50_ms={f['single_create_p50_ms']:.2f}",
            f"{name}_page_p95_ms={f['page_p95_ms']:.2f}",
            f"{name}_page_indexed_p95_ms={f['page_indexed_p95_ms']:.2f}",
            f"{name}_page_with_count_p50_ms={f['page_count_p50_ms']:.2f}",
        ]
    print("bench records: " + " ".join(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
