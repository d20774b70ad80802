"""Templates are read from folders and zips and checked against the meta-schema, the form
dialect and their own cross-references; every library template passes, and its sample
CSV files are exactly what its generator writes."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from templates_library import (
    LIBRARY_DIR,
    TemplateError,
    available_templates,
    bundle_from_files,
    load,
    load_zip,
    upgrade_path,
)
from templates_library.samples import render_samples

SCHEMA = "https://json-schema.org/draft/2020-12/schema"
CUSTOMERS = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Customers",
    "x-order": ["name", "tier"],
    "properties": {
        "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text"},
        "tier": {"enum": ["a", "b"], "title": "Tier", "x-field": "select"},
    },
    "required": ["name"],
    "additionalProperties": False,
}
ORDERS = {
    "$schema": SCHEMA,
    "x-format": 1,
    "type": "object",
    "title": "Orders",
    "x-order": ["customer", "amount"],
    "properties": {
        "customer": {
            "type": "integer",
            "title": "Customer",
            "x-field": "link",
            "x-link": {"form": "customers"},
        },
        "amount": {"type": "number", "title": "Amount", "x-field": "money"},
    },
    "additionalProperties": False,
}
MANIFEST: dict[str, Any] = {
    "format": 1,
    "id": "mini_crm",
    "version": "1.1.0",
    "titles": {"en": "Mini CRM", "zh-CN": "迷你客户管理"},
    "descriptions": {"en": "Customers and orders.", "zh-CN": "客户和订单。"},
    "forms": ["customers", "orders"],
    "tier_schemes": ["ab"],
    "sample_data": {"as_of": "2026-11-01", "locales": ["en"], "forms": ["customers", "orders"]},
    "upgrades": [{"from": "1.0.0", "to": "1.1.0", "notes": {"en": "Orders.", "zh-CN": "订单。"}}],
}
SCHEME = {
    "key": "ab",
    "name": {"en": "A/B", "zh-CN": "A/B"},
    "form": "customers",
    "field": "tier",
    "document": {
        "version": 1,
        "tiers": [
            {
                "key": "a",
                "name": {"en": "A", "zh-CN": "A"},
                "color": "#112233",
                "condition": {">=": [{"var": "metrics.total_spent"}, 100]},
            }
        ],
        "fallback": {"key": "b", "name": {"en": "B", "zh-CN": "B"}, "color": "#445566"},
    },
}


def _files(**changes: Any) -> dict[str, bytes]:
    files = {
        "template.json": MANIFEST,
        "forms/customers.json": CUSTOMERS,
        "forms/orders.json": ORDERS,
        "tier_schemes/ab.json": SCHEME,
        "sample/en/customers.csv": "_key,name\nc1,Ann\n",
        "sample/en/orders.csv": "_key,customer,amount\no1,c1,12.5\n",
    }
    files.update(changes)
    return {
        path: value.encode() if isinstance(value, str) else json.dumps(value).encode()
        for path, value in files.items()
        if value is not None
    }


def _problems(**changes: Any) -> list[str]:
    with pytest.raises(TemplateError) as caught:
        bundle_from_files(_files(**changes), origin="mini")
    return caught.value.problems


def test_a_good_template_loads_with_its_parts_in_order() -> None:
    bundle = bundle_from_files(_files(), origin="mini")
    assert bundle.id == "mini_crm" and list(bundle.forms) == ["customers", "orders"]
    assert bundle.sample_rows("en", "orders") == [
        {"_key": "o1", "customer": "c1", "amount": "12.5"}
    ]
    assert upgrade_path(bundle, "1.0.0") == MANIFEST["upgrades"]
    assert upgrade_path(bundle, "1.1.0") == [] and upgrade_path(bundle, "0.1.0") is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"template.json": {**MANIFEST, "id": "Bad Id"}},
            "template.json: id: 'Bad Id' does not match",
        ),
        ({"template.json": {**MANIFEST, "titles": {"en": "x"}}}, "'zh-CN' is a required property"),
        ({"template.json": {**MANIFEST, "format": 2}}, "format: 1 was expected"),
        ({"forms/orders.json": None}, "forms/orders.json: the file is missing"),
        ({"forms/orders.json": "{oops"}, "forms/orders.json: not valid JSON (line 1, column 2)"),
        ({"forms/orders.json": {"type": "object"}}, "forms/orders.json: /properties"),
        ({"tier_schemes/ab.json": {**SCHEME, "key": "other"}}, "differs from the file name"),
        ({"tier_schemes/ab.json": {**SCHEME, "field": "name"}}, "are not options of field 'name'"),
        ({"sample/en/orders.csv": "_key,colour\no1,red\n"}, "column 'colour' is not a field"),
        ({"sample/en/orders.csv": None}, "sample/en/orders.csv: the file is missing"),
        (
            {
                "template.json": {
                    **MANIFEST,
                    "upgrades": [{**MANIFEST["upgrades"][0], "to": "1.0.5"}],
                }
            },
            "the last step must end at this version",
        ),
    ],
)
def test_every_problem_names_its_file_and_place(changes: dict[str, Any], expected: str) -> None:
    problems = _problems(**changes)
    assert any(expected in problem for problem in problems), problems


def test_references_must_stay_inside_the_template() -> None:
    orders = copy.deepcopy(ORDERS)
    orders["properties"]["customer"]["x-link"]["form"] = "clients"
    problems = _problems(**{"forms/orders.json": orders})
    assert any("'clients' is not a form of this template" in p for p in problems), problems


def test_zips_load_from_a_folder_inside_and_refuse_escapes(tmp_path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path, data in _files().items():
            archive.writestr(f"mini_crm/{path}", data)
    assert load_zip(out.getvalue()).id == "mini_crm"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("template.json", b" " * (21 * 1024 * 1024))
    with pytest.raises(TemplateError, match="larger than 20 MB"):
        load_zip(bomb.getvalue())


def test_folders_load_like_zips(tmp_path: Path) -> None:
    for path, data in _files().items():
        target = tmp_path / "mini" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    assert load(tmp_path / "mini").files() == bundle_from_files(_files(), "x").files() | {
        "template.json": load(tmp_path / "mini").files()["template.json"]
    }


def test_library_templates_are_valid_and_bilingual() -> None:
    bundles = available_templates()
    assert len(bundles) >= 4
    for bundle in bundles:
        for key, document in bundle.forms.items():
            assert document.get("x-titles", {}).get("zh-CN"), (bundle.id, key)
            for field, schema in document["properties"].items():
                assert schema.get("x-titles", {}).get("zh-CN"), (bundle.id, key, field)
                for option in schema.get("enum") or []:
                    titles = (schema.get("x-option-titles") or {}).get(option, {})
                    assert titles.get("en") and titles.get("zh-CN"), (bundle.id, key, option)
        for part in [*bundle.automations.values(), *bundle.tier_schemes.values()]:
            assert part["name"]["en"] and part["name"]["zh-CN"]


@pytest.mark.parametrize(
    "folder", sorted(p.parent.name for p in LIBRARY_DIR.glob("*/template.json"))
)
def test_sample_files_are_what_the_generator_writes(folder: str) -> None:
    for path, text in render_samples(LIBRARY_DIR / folder).items():
        assert path.read_text("utf-8") == text, f"{path}: run python -m templates_library.samples"
