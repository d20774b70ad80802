"""Record validation throughput: jsonschema-rs against the jsonschema reference, and a
form compiled once against one rebuilt for every record.

A record-sized document (a 12-field customer form) is validated through
``CompiledForm.validate`` on both backends; the bare validators of each library on the
same schema show what the engine adds (requiredness, value rules, error mapping).

    python bench/validation.py [--full]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jsonschema_rs
from jsonschema import Draft202012Validator

from form_engine.dialect import add_field, new_form
from form_engine.fields.formats import FORMAT_CHECKS, for_any_value, format_checker
from form_engine.validation import compile_form


def customer_form() -> dict[str, Any]:
    doc = new_form("Customers", {"zh-CN": "客户档案"})
    for key, kind, options in [
        ("name", "text", {"required": True, "max_length": 100}),
        ("email", "email", {}),
        ("phone", "phone", {}),
        ("tier", "select", {"options": ["A", "B", "C", "D"]}),
        ("tags", "tags", {}),
        ("spent", "money", {"minimum": 0}),
        ("orders", "number", {"minimum": 0}),
        ("last_order", "date", {}),
        ("vip", "checkbox", {}),
        ("nps", "nps", {}),
        ("owner", "member", {}),
        ("addr", "address", {}),
    ]:
        required = options.pop("required", False)
        doc = add_field(doc, key, kind, required=required, **options)
    return doc


def records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "name": f"客户 {n}",
            "email": f"user{n}@example.com",
            "phone": f"138{rng.randrange(10**8):08d}",
            "tier": rng.choice("ABCD"),
            "tags": rng.sample(["vip", "老客户", "华南", "电商"], 2),
            "spent": round(rng.uniform(0, 50000), 2),
            "orders": rng.randrange(100),
            "last_order": f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "vip": rng.random() < 0.2,
            "nps": rng.randrange(11),
            "owner": rng.randrange(1, 50),
            "addr": {"province": "广东省", "city": "深圳市", "detail": f"科技园路{n}号"},
        }
        for n in range(count)
    ]


def _rate(call: Callable[[dict[str, Any]], object], data: list[dict[str, Any]]) -> float:
    """Validations per second over ``data`` (after a short warm-up)."""
    for record in data[:50]:
        call(record)
    start = time.perf_counter()
    for record in data:
        call(record)
    return len(data) / (time.perf_counter() - start)


def main(argv: list[str]) -> None:
    full = "--full" in argv
    many = 200_000 if full else 20_000
    few = 2_000 if full else 200
    doc = customer_form()
    data = records(many)
    fast = compile_form(doc, "rs")
    reference = compile_form(doc, "reference")
    assert fast.validate(data[0]) == [] and reference.validate(data[0]) == []
    invalid = [{**r, "phone": "12345", "tier": "Z", "spent": -1} for r in data[: many // 10]]
    assert len(fast.validate(invalid[0])) == 3

    formats = {name: for_any_value(check) for name, check in FORMAT_CHECKS.items()}
    bare_rs = jsonschema_rs.validator_for(fast.schema, validate_formats=True, formats=formats)
    bare_reference = Draft202012Validator(fast.schema, format_checker=format_checker())

    rows: list[tuple[str, int, float]] = [
        ("jsonschema bare is_valid (reference lib)", few * 10, _rate(
            lambda r: bare_reference.is_valid(r), data[: few * 10])),
        ("CompiledForm.validate reference", few * 10, _rate(reference.validate, data[: few * 10])),
        ("jsonschema-rs bare is_valid", many, _rate(lambda r: bare_rs.is_valid(r), data)),
        ("CompiledForm.validate rs", many, _rate(fast.validate, data)),
        ("CompiledForm.validate rs, invalid records", len(invalid), _rate(fast.validate, invalid)),
        ("compile_form(doc) per record (cache hit) rs", many // 4, _rate(
            lambda r: compile_form(doc).validate(r), data[: many // 4])),
        ("rebuilt per record rs", few, _rate(
            lambda r: compile_form(doc, "rs", cache=False).validate(r), data[:few])),
        ("rebuilt per record reference", few, _rate(
            lambda r: compile_form(doc, "reference", cache=False).validate(r), data[:few])),
    ]  # fmt: skip
    reference_rate = rows[1][2]
    print(f"{'path (12-field record)':46} {'records':>8} {'per s':>10} {'us each':>9} {'x ref':>7}")
    for name, count, rate in rows:
        print(f"{name:46} {count:8d} {rate:10.0f} {1e6 / rate:9.2f} {rate / reference_rate:7.1f}")
    rs_rate, rebuilt_rs = rows[3][2], rows[6][2]
    print(
        "bench validation: "
        f"rs_validations_per_s={rs_rate:.0f} "
        f"reference_validations_per_s={reference_rate:.0f} "
        f"ratio_rs_vs_reference={rs_rate / reference_rate:.1f} "
        f"invalid_rs_validations_per_s={rows[4][2]:.0f} "
        f"bare_rs_validations_per_s={rows[2][2]:.0f} "
        f"engine_overhead_us={1e6 / rs_rate - 1e6 / rows[2][2]:.2f} "
        f"cache_hit_validations_per_s={rows[5][2]:.0f} "
        f"rebuilt_rs_validations_per_s={rebuilt_rs:.0f} "
        f"ratio_compiled_vs_rebuilt={rs_rate / rebuilt_rs:.0f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
