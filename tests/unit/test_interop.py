# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Plain JSON Schema ↔ form documents: import maps, warns and never crashes; export is plain."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for

from form_engine.evolution import plain_schema
from form_engine.interop import (
    ImportResult,
    InteropError,
    export_json_schema,
    import_json_schema,
)

KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")
DRAFTS = {
    "4": "http://json-schema.org/draft-04/schema#",
    "6": "http://json-schema.org/draft-06/schema#",
    "7": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}


def imported(prop: Mapping[str, Any], *, draft: str = "2020-12", **root: Any) -> ImportResult:
    """Import a schema whose only property is ``value``."""
    schema = {"$schema": DRAFTS[draft], "type": "object", "properties": {"value": prop}, **root}
    return import_json_schema(schema)


def codes(result: ImportResult) -> list[str]:
    return [issue.code for issue in result.warnings]


def _walk_keys(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield key
            yield from _walk_keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_keys(item)


def assert_sound(doc: Mapping[str, Any]) -> None:
    """The structural promises of docs/form-documents.md that import must keep."""
    assert doc["$schema"] == DRAFTS["2020-12"] and doc["x-format"] == 1
    assert doc["type"] == "object" and doc["additionalProperties"] is False
    for container in [
        doc,
        *(f["items"] for f in doc["properties"].values() if f["x-field"] == "subform"),
    ]:
        assert container["x-order"] == list(container["properties"])
        assert set(container["required"]) <= set(container["properties"])
        for key, fragment in container["properties"].items():
            assert KEY.match(key), key
            assert isinstance(fragment.get("x-field"), str)
    Draft202012Validator.check_schema(doc)
    Draft202012Validator.check_schema(export_json_schema(doc))


# --- import: one property at a time ---------------------------------------------------

FIELD_CASES = [
    (
        "text",
        {"type": "string", "maxLength": 80, "minLength": 2, "pattern": "^[A-Z]"},
        {"type": "string", "x-field": "text", "maxLength": 80, "minLength": 2, "pattern": "^[A-Z]"},
    ),
    ("no max stays unbounded", {"type": "string"}, {"type": "string", "x-field": "text"}),
    (
        "long text",
        {"type": "string", "maxLength": 2000},
        {"type": "string", "x-field": "textarea", "maxLength": 2000},
    ),
    (
        "500 is still text",
        {"type": "string", "maxLength": 500},
        {"type": "string", "x-field": "text", "maxLength": 500},
    ),
    (
        "email",
        {"type": "string", "format": "email"},
        {"type": "string", "x-field": "email", "format": "email"},
    ),
    (
        "date",
        {"type": "string", "format": "date"},
        {"type": "string", "x-field": "date", "format": "date"},
    ),
    (
        "datetime",
        {"type": "string", "format": "date-time"},
        {"type": "string", "x-field": "datetime", "format": "date-time"},
    ),
    (
        "url",
        {"type": "string", "format": "uri"},
        {"type": "string", "x-field": "url", "format": "uri"},
    ),
    (
        "other format kept on text",
        {"type": "string", "format": "uuid"},
        {"type": "string", "x-field": "text", "format": "uuid"},
    ),
    (
        "number",
        {"type": "number", "minimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.5},
        {
            "type": "number",
            "x-field": "number",
            "minimum": 0,
            "exclusiveMaximum": 10,
            "multipleOf": 0.5,
        },
    ),
    (
        "integer steps by one",
        {"type": "integer", "maximum": 5},
        {"type": "number", "x-field": "number", "maximum": 5, "multipleOf": 1, "x-decimals": 0},
    ),
    (
        "integer keeps a whole step",
        {"type": "integer", "multipleOf": 5},
        {"type": "number", "x-field": "number", "multipleOf": 5, "x-decimals": 0},
    ),
    (
        "integer with a step that divides one",
        {"type": "integer", "multipleOf": 0.5},
        {"type": "number", "x-field": "number", "multipleOf": 1, "x-decimals": 0},
    ),
    (
        "boolean",
        {"type": "boolean", "default": True},
        {"type": "boolean", "x-field": "checkbox", "default": True},
    ),
    ("enum", {"enum": ["a", "b", "a"]}, {"enum": ["a", "b"], "x-field": "select"}),
    (
        "typed enum",
        {"type": "string", "enum": ["a", "b"]},
        {"enum": ["a", "b"], "x-field": "select"},
    ),
    (
        "enum keeps only what the schema accepts",
        {"type": "string", "enum": ["ab", "abcd"], "maxLength": 3},
        {"enum": ["ab"], "x-field": "select"},
    ),
    ("const", {"const": "yes"}, {"enum": ["yes"], "x-field": "select"}),
    (
        "oneOf consts with titles",
        {"oneOf": [{"const": "p", "title": "Person"}, {"const": "c"}]},
        {"enum": ["p", "c"], "x-field": "select", "x-option-titles": {"p": {"en": "Person"}}},
    ),
    (
        "multiselect",
        {"type": "array", "items": {"enum": ["x", "y"]}, "uniqueItems": True, "maxItems": 2},
        {
            "type": "array",
            "items": {"enum": ["x", "y"]},
            "uniqueItems": True,
            "x-field": "multiselect",
            "maxItems": 2,
        },
    ),
    (
        "tags",
        {"type": "array", "items": {"type": "string", "maxLength": 20}, "uniqueItems": True},
        {
            "type": "array",
            "items": {"type": "string", "maxLength": 20},
            "uniqueItems": True,
            "x-field": "tags",
        },
    ),
    (
        "labels kept",
        {"type": "string", "title": "Name", "description": "Full name", "default": "-"},
        {
            "type": "string",
            "x-field": "text",
            "title": "Name",
            "description": "Full name",
            "default": "-",
        },
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in FIELD_CASES], ids=[c[0] for c in FIELD_CASES]
)
def test_each_plain_property_becomes_the_matching_field(
    source: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = imported(source)
    assert result.document["properties"] == {"value": expected}
    assert result.warnings == ()
    assert_sound(result.document)


def test_an_array_of_objects_becomes_a_subform_with_flattened_row_objects() -> None:
    rows = {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "required": ["sku", "price"],
            "properties": {
                "sku": {"type": "string"},
                "qty": {"type": "integer", "minimum": 1},
                "price": {
                    "type": "object",
                    "required": ["amount"],
                    "properties": {"amount": {"type": "number"}, "currency": {"enum": ["CNY"]}},
                },
            },
        },
    }
    field = imported(rows).document["properties"]["value"]
    assert field["x-field"] == "subform" and field["minItems"] == 1
    assert field["items"]["x-order"] == ["sku", "qty", "price_amount", "price_currency"]
    assert field["items"]["required"] == ["sku", "price_amount"]
    assert field["items"]["properties"]["price_amount"]["x-source-path"] == "/price/amount"


def test_nested_objects_are_flattened_with_their_source_path() -> None:
    result = import_json_schema(
        {
            "type": "object",
            "required": ["address"],
            "properties": {
                "address": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {
                        "city": {"type": "string"},
                        "geo": {"type": "object", "properties": {"lat": {"type": "number"}}},
                    },
                },
                "note": {"type": "object", "properties": {"a/b~c": {"type": "string"}}},
            },
        }
    )
    props = result.document["properties"]
    assert list(props) == ["address_city", "address_geo_lat", "note_a_b_c"]
    assert [p["x-source-path"] for p in props.values()] == [
        "/address/city",
        "/address/geo/lat",
        "/note/a~1b~0c",
    ]
    assert result.document["required"] == ["address_city"]
    assert_sound(result.document)


def test_names_that_are_not_keys_get_generated_keys_aliases_and_titles() -> None:
    names = [
        "客户名称",
        "firstName",
        "First Name",
        "first_name",
        "2nd",
        "Ünïcode",
        "x" * 80,
        "电话",
    ]
    result = import_json_schema(
        {"type": "object", "properties": {n: {"type": "string"} for n in names}}
    )
    props = result.document["properties"]
    assert list(props) == [
        "field_1",
        "first_name_2",
        "first_name_3",
        "first_name",
        "f_2nd",
        "unicode",
        "x" * 63,
        "field_2",
    ]
    assert props["field_1"]["x-aliases"] == ["客户名称"] and props["field_1"]["title"] == "客户名称"
    assert props["first_name_3"]["x-aliases"] == ["First Name"]
    assert props["first_name_2"]["x-source-path"] == "/firstName"
    assert "x-aliases" not in props["first_name"]  # a name that is a key keeps it
    assert_sound(result.document)


@pytest.mark.parametrize("draft", list(DRAFTS))
def test_every_draft_is_read_the_same_way(draft: str) -> None:
    defs = "definitions" if draft in ("4", "6", "7") else "$defs"
    schema = {
        "$schema": DRAFTS[draft],
        "type": "object",
        defs: {"name": {"type": "string", "maxLength": 10}},
        "properties": {
            "name": {"$ref": f"#/{defs}/name"},
            "age": {"type": "integer", "minimum": 0},
        },
        "required": ["name"],
    }
    document = import_json_schema(schema, title="People").document
    assert document["title"] == "People"
    assert document["properties"] == {
        "name": {"type": "string", "x-field": "text", "maxLength": 10},
        "age": {
            "type": "number",
            "x-field": "number",
            "minimum": 0,
            "multipleOf": 1,
            "x-decimals": 0,
        },
    }
    assert document["required"] == ["name"]


def test_draft_4_boolean_exclusive_bounds_become_numbers() -> None:
    result = imported(
        {
            "type": "number",
            "minimum": 1,
            "exclusiveMinimum": True,
            "maximum": 9,
            "exclusiveMaximum": False,
        },
        draft="4",
    )
    assert result.document["properties"]["value"] == {
        "type": "number",
        "x-field": "number",
        "exclusiveMinimum": 1,
        "maximum": 9,
    }


REF_CASES = [
    (
        "pointer into properties",
        {"$ref": "#/properties/other"},
        {"properties": {"other": {"type": "boolean"}}},
        "checkbox",
    ),
    (
        "anchor",
        {"$ref": "#flag"},
        {"$defs": {"f": {"$anchor": "flag", "type": "boolean"}}},
        "checkbox",
    ),
    (
        "$id-qualified",
        {"$ref": "https://example.com/s#/$defs/f"},
        {"$id": "https://example.com/s", "$defs": {"f": {"type": "boolean"}}},
        "checkbox",
    ),
    (
        "chained",
        {"$ref": "#/$defs/a"},
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"type": "boolean"}}},
        "checkbox",
    ),
    (
        "allOf",
        {"allOf": [{"type": "string"}, {"maxLength": 9}, {"$ref": "#/$defs/min"}]},
        {"$defs": {"min": {"minLength": 2}}},
        "text",
    ),
]


@pytest.mark.parametrize(
    ("prop", "extra", "x_field"), [c[1:] for c in REF_CASES], ids=[c[0] for c in REF_CASES]
)
def test_local_references_and_allof_are_resolved(
    prop: dict[str, Any], extra: dict[str, Any], x_field: str
) -> None:
    schema = {
        "type": "object",
        **extra,
        "properties": {**extra.get("properties", {}), "value": prop},
    }
    result = import_json_schema(schema)
    assert result.document["properties"]["value"]["x-field"] == x_field
    assert result.warnings == ()


def test_allof_constraints_combine_to_the_strictest() -> None:
    result = imported(
        {"allOf": [{"type": "number", "maximum": 9}, {"type": "integer", "maximum": 5}]}
    )
    assert result.document["properties"]["value"] == {
        "type": "number",
        "x-field": "number",
        "maximum": 5,
        "multipleOf": 1,
        "x-decimals": 0,
    }


def test_2019_ref_siblings_apply_but_draft_7_ignores_them() -> None:
    defs = {"$defs": {"s": {"type": "string"}}, "definitions": {"s": {"type": "string"}}}
    new = imported({"$ref": "#/$defs/s", "maxLength": 3, "title": "T"}, draft="2019-09", **defs)
    old = imported({"$ref": "#/definitions/s", "maxLength": 3, "title": "T"}, draft="7", **defs)
    assert new.document["properties"]["value"] == {
        "type": "string",
        "x-field": "text",
        "maxLength": 3,
        "title": "T",
    }
    assert old.document["properties"]["value"] == {
        "type": "string",
        "x-field": "text",
        "title": "T",
    }


def test_recursive_references_are_refused_after_one_level() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "node": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "parent": {"$ref": "#/$defs/node"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                },
            }
        },
        "properties": {"root": {"$ref": "#/$defs/node"}, "me": {"$ref": "#"}},
    }
    result = import_json_schema(schema)
    assert list(result.document["properties"]) == ["root_label"]
    assert [(w.pointer, w.code) for w in result.warnings] == [
        ("/properties/root/properties/parent", "interop_skip_ref_cycle"),
        ("/properties/root/properties/children/items", "interop_skip_ref_cycle"),
        ("/properties/me", "interop_skip_ref_cycle"),
    ]


SKIP_CASES = [
    ("mixed types", {"type": ["string", "number"]}, "interop_skip_mixed_types"),
    ("no type", {"title": "Anything"}, "interop_skip_no_type"),
    ("true schema", True, "interop_skip_no_type"),
    ("false schema", False, "interop_skip_nothing"),
    (
        "anyOf of types",
        {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "interop_skip_unsupported",
    ),
    ("number enum", {"enum": [1, 2]}, "interop_skip_enum"),
    ("free-form object", {"type": "object"}, "interop_skip_free_object"),
    ("array of numbers", {"type": "array", "items": {"type": "number"}}, "interop_skip_array"),
    ("tuple", {"type": "array", "prefixItems": [{"type": "string"}]}, "interop_skip_array"),
    ("remote ref", {"$ref": "https://example.com/other.json"}, "interop_skip_ref_unresolved"),
    ("missing ref", {"$ref": "#/$defs/nope"}, "interop_skip_ref_unresolved"),
    (
        "allOf conflict",
        {"allOf": [{"type": "string"}, {"type": "boolean"}]},
        "interop_skip_conflict",
    ),
    ("null only", {"type": "null"}, "interop_skip_unsupported"),
    ("enum of null", {"enum": [None]}, "interop_skip_enum"),
]


@pytest.mark.parametrize(
    ("prop", "code"), [c[1:] for c in SKIP_CASES], ids=[c[0] for c in SKIP_CASES]
)
def test_constructs_a_field_cannot_hold_are_skipped_with_a_warning(prop: Any, code: str) -> None:
    result = import_json_schema(
        {"type": "object", "properties": {"value": prop, "kept": {"type": "string"}}}
    )
    assert list(result.document["properties"]) == ["kept"]
    assert codes(result) == [code] or codes(result)[-1] == code
    assert result.warnings[-1].pointer.startswith("/properties/value")
    assert_sound(result.document)


KEPT_WITH_WARNING = [
    (
        "integer with a fractional step",
        {"type": "integer", "multipleOf": 1.5},
        "interop_keyword_ignored",
        {"type": "number", "x-field": "number", "multipleOf": 1, "x-decimals": 0},
    ),
    (
        "nullable",
        {"type": ["string", "null"]},
        "interop_null_dropped",
        {"type": "string", "x-field": "text"},
    ),
    (
        "anyOf null",
        {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
        "interop_null_dropped",
        {"type": "boolean", "x-field": "checkbox"},
    ),
    (
        "tags made unique",
        {"type": "array", "items": {"type": "string"}},
        "interop_items_made_unique",
        {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "x-field": "tags"},
    ),
    (
        "bad default",
        {"type": "integer", "default": "x"},
        "interop_default_dropped",
        {"type": "number", "x-field": "number", "multipleOf": 1, "x-decimals": 0},
    ),
    (
        "not",
        {"type": "string", "not": {"const": "x"}},
        "interop_keyword_ignored",
        {"type": "string", "x-field": "text"},
    ),
]


@pytest.mark.parametrize(
    ("prop", "code", "expected"),
    [c[1:] for c in KEPT_WITH_WARNING],
    ids=[c[0] for c in KEPT_WITH_WARNING],
)
def test_what_a_field_cannot_keep_is_dropped_with_a_warning(
    prop: Any, code: str, expected: dict[str, Any]
) -> None:
    result = imported(prop)
    assert codes(result) == [code]
    assert result.document["properties"]["value"] == expected


def test_warnings_speak_both_languages() -> None:
    result = imported({"type": ["string", "number"]})
    assert (
        result.warnings[0].message("en")
        == "“value” was not imported: it allows several types (string, number)"
    )
    assert result.warnings[0].message("zh-CN") == "“value”未导入：允许多种类型（string, number）"
    result = imported({"type": "array", "items": {"type": "string"}})
    assert result.warnings[0].message("zh-CN") == "“value”：不再接受重复的项"


@pytest.mark.parametrize(
    ("schema", "code"),
    [
        ("not a schema", "interop_not_a_schema"),
        ({"type": "string"}, "interop_root_not_object"),
        ({"type": "object"}, "interop_root_not_object"),
        ({"$ref": "#"}, "interop_root_not_object"),
        ({"type": "object", "properties": {"a": {"type": "strang"}}}, "interop_invalid_schema"),
        ({"type": "object", "properties": {"a": {"maxLength": -1}}}, "interop_invalid_schema"),
    ],
)
def test_a_schema_that_cannot_be_a_form_is_refused_with_a_code(schema: Any, code: str) -> None:
    with pytest.raises(InteropError) as caught:
        import_json_schema(schema)
    assert caught.value.code == code
    assert caught.value.localised("zh-CN") != caught.value.localised("en")


def test_the_invalid_spot_is_named() -> None:
    with pytest.raises(InteropError) as caught:
        import_json_schema({"type": "object", "properties": {"a": {"maxLength": -1}}})
    assert caught.value.pointer == "/properties/a/maxLength"


def test_a_schema_that_accepts_anything_gives_an_empty_form() -> None:
    result = import_json_schema(True, title="Empty")
    assert result.document["properties"] == {} and result.document["title"] == "Empty"
    assert codes(result) == ["interop_accepts_anything"]


# --- import never crashes -------------------------------------------------------------

NAMES = st.sampled_from(["a", "b", "Name", "名称", "x y", "$ref", "1"])
REFS = st.sampled_from(
    [
        "#",
        "#/$defs/a",
        "#/definitions/a",
        "#/properties/a",
        "#/$defs/a/properties/b",
        "http://x/y.json",
        "#nope",
        "#/examples/0",
        "#/$defs/a/type",
    ]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 600), st.text(max_size=3))
TYPES = st.sampled_from(["string", "number", "integer", "boolean", "array", "object", "null"])
LEAVES = st.one_of(
    st.booleans(),
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.one_of(TYPES, st.lists(TYPES, max_size=3)),
            "maxLength": st.integers(0, 600),
            "minimum": st.integers(-5, 5),
            "exclusiveMinimum": st.one_of(st.booleans(), st.integers(-5, 5)),
            "enum": st.lists(SCALARS, min_size=1, max_size=3),
            "const": SCALARS,
            "default": SCALARS,
            "format": st.sampled_from(["email", "date", "date-time", "uri", "ipv4"]),
            "pattern": st.sampled_from(["^a", "(?<=a)b", "[a-"]),
            "$ref": REFS,
            "$anchor": st.just("a"),
            "title": st.text(max_size=3),
            "examples": st.lists(SCALARS, max_size=1),
        },
    ),
)
SCHEMAS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        inner,
        st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["object", "array"]),
                "properties": st.dictionaries(NAMES, inner, max_size=3),
                "items": st.one_of(inner, st.lists(inner, max_size=2)),
                "prefixItems": st.lists(inner, max_size=1),
                "allOf": st.lists(inner, min_size=1, max_size=2),
                "anyOf": st.lists(inner, min_size=1, max_size=2),
                "oneOf": st.lists(inner, min_size=1, max_size=2),
                "not": inner,
                "additionalProperties": inner,
                "required": st.lists(NAMES, max_size=2, unique=True),
                "$defs": st.dictionaries(st.just("a"), inner),
                "definitions": st.dictionaries(st.just("a"), inner),
                "uniqueItems": st.booleans(),
            },
        ),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, dialect=st.sampled_from([None, *DRAFTS.values(), "urn:unknown"]))
def test_import_never_crashes_and_what_it_returns_is_a_sound_form(
    schema: Any, dialect: str | None
) -> None:
    if isinstance(schema, dict):
        schema = {"type": "object", **schema} if "type" not in schema else schema
        schema = {**schema, "$schema": dialect} if dialect else schema
    try:
        result = import_json_schema(schema)
    except InteropError as exc:
        assert exc.code in (
            "interop_not_a_schema",
            "interop_invalid_schema",
            "interop_root_not_object",
        )
        return
    assert_sound(result.document)
    for issue in result.warnings:
        assert issue.pointer.startswith("/") and issue.message("zh-CN") and issue.message("en")


# --- export ---------------------------------------------------------------------------

SUBFORM = {
    "type": "array",
    "x-field": "subform",
    "title": "Lines",
    "items": {
        "type": "object",
        "x-order": ["sku", "qty"],
        "properties": {
            "sku": {"type": "string", "maxLength": 20, "x-field": "text", "title": "SKU"},
            "qty": {
                "type": "number",
                "minimum": 1,
                "x-field": "number",
                "multipleOf": 1,
                "x-decimals": 0,
            },
        },
        "required": ["sku"],
        "additionalProperties": False,
    },
}
NATIVE: dict[str, dict[str, Any]] = {
    "name": {
        "type": "string",
        "maxLength": 100,
        "x-field": "text",
        "title": "Name",
        "x-titles": {"zh-CN": "客户名称"},
    },
    "notes": {
        "type": "string",
        "maxLength": 10000,
        "x-field": "textarea",
        "description": "Free text",
    },
    "spent": {"type": "number", "minimum": 0, "x-field": "number", "x-decimals": 2},
    "visits": {
        "type": "number",
        "minimum": 0,
        "x-field": "number",
        "default": 0,
        "multipleOf": 1,
        "x-decimals": 0,
    },
    "email": {"type": "string", "format": "email", "maxLength": 254, "x-field": "email"},
    "born": {"type": "string", "format": "date", "x-field": "date"},
    "seen_at": {"type": "string", "format": "date-time", "x-field": "datetime"},
    "site": {"type": "string", "format": "uri", "maxLength": 2000, "x-field": "url"},
    "industry": {
        "enum": ["retail", "saas"],
        "x-field": "select",
        "x-option-titles": {"retail": {"en": "Retail", "zh-CN": "零售"}},
    },
    "channels": {
        "type": "array",
        "items": {"enum": ["web", "shop"]},
        "uniqueItems": True,
        "x-field": "multiselect",
    },
    "vip": {"type": "boolean", "x-field": "checkbox"},
    "tags": {
        "type": "array",
        "items": {"type": "string", "maxLength": 50},
        "uniqueItems": True,
        "x-field": "tags",
    },
    "lines": SUBFORM,
}
OTHERS: dict[str, dict[str, Any]] = {
    "budget": {"type": "number", "x-field": "money", "x-currency": "CNY"},
    "rating": {"type": "integer", "minimum": 1, "maximum": 5, "x-field": "rating", "x-max": 5},
    "phone": {"type": "string", "x-field": "phone", "x-phone-region": "CN", "x-unique": True},
    "owner": {"type": "integer", "x-field": "member"},
    "company": {"type": "integer", "x-field": "link", "x-link": {"form": "companies"}},
    "contacts": {
        "type": "array",
        "items": {"type": "integer"},
        "x-field": "link",
        "x-multiple": True,
        "x-link": {"form": "contacts"},
    },
    "address": {
        "type": "object",
        "x-field": "address",
        "properties": {k: {"type": "string"} for k in ("province", "city", "district", "detail")},
    },
    "total": {
        "type": "number",
        "readOnly": True,
        "x-field": "rollup",
        "x-rollup": {"form": "orders", "link": "customer", "agg": "sum", "of": "amount"},
    },
    "grade": {
        "readOnly": True,
        "x-field": "formula",
        "x-formula": 'IF(total > 1000, "A", "B")',
        "x-result": "text",
    },
    "code": {  # no readOnly: export adds it for every computed type
        "x-field": "autonumber",
        "x-autonumber": {"prefix": "C-", "digits": 5},
    },
    "company_name": {
        "readOnly": True,
        "x-field": "lookup",
        "x-lookup": {"link": "company", "field": "name"},
    },
    "intro": {"readOnly": True, "x-layout": True, "x-field": "section", "title": "Details"},
    "reason": {"type": "string", "x-field": "text", "x-visible-if": {"==": [{"var": "vip"}, True]}},
}


def native_form(fields: Mapping[str, Mapping[str, Any]], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": DRAFTS["2020-12"],
        "x-format": 1,
        "type": "object",
        "title": "Customers",
        "x-titles": {"zh-CN": "客户档案"},
        "description": "Everyone we sell to",
        "x-order": list(fields),
        "properties": copy.deepcopy(dict(fields)),
        "required": required,
        "additionalProperties": False,
        "x-archived": {"old": {"type": "string", "x-field": "text", "x-archived-position": 1}},
    }


FULL = native_form({**NATIVE, **OTHERS}, ["name", "spent", "total", "reason", "address"])


def test_export_is_a_valid_plain_2020_12_schema_without_extensions() -> None:
    schema = export_json_schema(FULL)
    Draft202012Validator.check_schema(schema)
    assert not [key for key in _walk_keys(schema) if key.startswith("x-")]
    assert schema["title"] == "Customers" and schema["description"] == "Everyone we sell to"
    assert schema["properties"]["name"] == {"type": "string", "maxLength": 100, "title": "Name"}
    assert "old" not in schema["properties"] and "intro" not in schema["properties"]
    assert schema["required"] == [
        "name",
        "spent",
        "address",
    ]  # computed and conditional are optional
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("key", "stored"),
    [
        ("total", {"type": "number"}),
        ("grade", {"type": "string"}),
        ("code", {"type": "string"}),
        ("company_name", {}),
    ],
)
def test_computed_fields_export_as_read_only_with_their_stored_type(
    key: str, stored: dict[str, Any]
) -> None:
    exported = export_json_schema(FULL)["properties"][key]
    assert exported["readOnly"] is True
    assert {k: v for k, v in exported.items() if k in ("type", "format")} == stored


def test_exported_schema_accepts_records_of_the_form_and_rejects_bad_ones() -> None:
    validator = Draft202012Validator(export_json_schema(FULL))
    good = {
        "name": "Ann",
        "spent": 10,
        "lines": [{"sku": "A1", "qty": 2}],
        "address": {"city": "杭州"},
        "channels": ["web"],
        "total": 12.5,
        "grade": "A",
    }
    assert validator.is_valid(good)
    for bad in (
        {**good, "name": "x" * 101},
        {**good, "lines": [{"qty": 2}]},
        {**good, "old": "kept"},
        {**good, "industry": "gov"},
        {k: v for k, v in good.items() if k != "spent"},
    ):
        assert not validator.is_valid(bad), bad


def test_whole_numbers_export_as_integer() -> None:
    exported = export_json_schema(native_form({"visits": NATIVE["visits"]}, []))
    assert exported["properties"]["visits"] == {"type": "integer", "minimum": 0, "default": 0}


def test_import_of_an_export_keeps_keys_types_and_constraints() -> None:
    form = native_form(NATIVE, ["name", "email"])
    result = import_json_schema(export_json_schema(form))
    again = result.document
    assert result.warnings == ()
    assert again["x-order"] == form["x-order"] and again["required"] == form["required"]
    for key, fragment in form["properties"].items():
        assert again["properties"][key]["x-field"] == fragment["x-field"], key
        assert plain_schema(again["properties"][key]) == plain_schema(fragment), key
    assert again["properties"]["lines"]["items"]["x-order"] == ["sku", "qty"]


DEGRADED = [
    ("budget", ["budget"], "number"),
    ("rating", ["rating"], "number"),
    ("phone", ["phone"], "text"),
    ("owner", ["owner"], "number"),
    ("company", ["company"], "number"),
    ("contacts", [], None),
    ("address", ["address_province", "address_city", "address_district", "address_detail"], "text"),
    ("total", ["total"], "number"),
    ("grade", ["grade"], "text"),
    ("code", ["code"], "text"),
    ("company_name", [], None),
    ("intro", [], None),
    ("reason", ["reason"], "text"),
]


@pytest.mark.parametrize(("key", "keys", "x_field"), DEGRADED, ids=[c[0] for c in DEGRADED])
def test_field_types_without_a_plain_reading_come_back_as_their_stored_shape(
    key: str, keys: list[str], x_field: str | None
) -> None:
    document = import_json_schema(export_json_schema(native_form({key: OTHERS[key]}, []))).document
    assert list(document["properties"]) == keys
    assert {fragment["x-field"] for fragment in document["properties"].values()} <= {x_field}


# --- export(import(schema)) accepts and rejects the same instances ---------------------

ROUND_TRIPS: dict[str, dict[str, Any]] = {
    "flat": {
        "$schema": DRAFTS["2020-12"],
        "type": "object",
        "required": ["name", "age"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 5},
            "age": {"type": "integer", "minimum": 0, "maximum": 120},
            "score": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
            "vip": {"type": "boolean"},
            "level": {"enum": ["gold", "silver"]},
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 3},
                "uniqueItems": True,
                "maxItems": 2,
            },
            "colors": {"type": "array", "items": {"enum": ["r", "g"]}, "uniqueItems": True},
            "code": {"type": "string", "pattern": "^[A-Z]{2}$"},
        },
    },
    "draft 4": {
        "$schema": DRAFTS["4"],
        "type": "object",
        "required": ["名称"],
        "definitions": {
            "pct": {"type": "number", "minimum": 0, "maximum": 100, "exclusiveMaximum": True}
        },
        "properties": {
            "pct": {"$ref": "#/definitions/pct"},
            "名称": {"type": "string", "maxLength": 4},
        },
    },
    "nested": {
        "$schema": DRAFTS["7"],
        "type": "object",
        "required": ["address"],
        "properties": {
            "address": {
                "type": "object",
                "required": ["city"],
                "properties": {
                    "city": {"type": "string", "maxLength": 4},
                    "zip": {"type": "string", "pattern": "^[0-9]+$"},
                },
            },
            "contact": {
                "type": "object",
                "properties": {"phone": {"type": "string", "minLength": 2}},
            },
        },
    },
    "subform": {
        "$schema": DRAFTS["2019-09"],
        "type": "object",
        "properties": {
            "lines": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["sku"],
                    "properties": {
                        "sku": {"type": "string", "maxLength": 3},
                        "qty": {"type": "integer", "minimum": 1},
                        "meta": {
                            "type": "object",
                            "properties": {"note": {"type": "string", "maxLength": 2}},
                        },
                    },
                },
            }
        },
    },
    "composed": {
        "$schema": DRAFTS["2020-12"],
        "type": "object",
        "required": ["kind", "label"],
        "$defs": {"short": {"type": "string", "maxLength": 4}},
        "properties": {
            "kind": {"oneOf": [{"const": "p", "title": "Person"}, {"const": "c"}]},
            "size": {"allOf": [{"type": "integer", "maximum": 9}, {"minimum": 1}, {"maximum": 6}]},
            "label": {"$ref": "#/$defs/short", "minLength": 2},
            "firstName": {"type": "string", "maxLength": 2},
        },
    },
}
# deferred: one branch among the others, not five
JUNK: st.SearchStrategy[Any] = st.deferred(
    lambda: st.one_of(
        st.integers(-3, 3), st.text(max_size=2), st.booleans(), st.just([]), st.just({})
    )
)


def _resolve(schema: Any, root: Mapping[str, Any]) -> Any:
    while isinstance(schema, Mapping) and "$ref" in schema:
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(schema, Mapping) and "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged.update(_resolve(part, root))
        schema = merged
    return schema


def valid(schema: Any, root: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Instances that satisfy the (simple) ``schema``."""
    schema = _resolve(schema, root)
    if "oneOf" in schema or "enum" in schema:
        return st.sampled_from(schema.get("enum") or [b["const"] for b in schema["oneOf"]])
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 6)
        if "pattern" in schema:
            matching = st.from_regex(schema["pattern"], fullmatch=True)
            return matching.filter(lambda text: low <= len(text) <= high)
        return st.text(alphabet="AZaz09_", min_size=low, max_size=high)
    if kind in ("integer", "number"):
        low = schema.get("minimum", -5)
        high = schema.get("maximum", 10) - (schema.get("exclusiveMaximum") is True)
        low = schema["exclusiveMinimum"] + 1 if "exclusiveMinimum" in schema else low
        halves = st.integers(int(low * 2), int(high * 2)).map(lambda n: n / 2)
        return st.integers(low, high) if kind == "integer" else halves
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        unique = repr if schema.get("uniqueItems") else None
        low, high = schema.get("minItems", 0), schema.get("maxItems", 3)
        return st.lists(valid(schema["items"], root), min_size=low, max_size=high, unique_by=unique)
    return instances(schema, root)


def near(schema: Any, root: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values around ``schema``'s limits: valid, just outside, or of another shape."""
    schema = _resolve(schema, root)
    kind = schema.get("type")
    if kind == "object":
        wild = st.sampled_from(list(schema["properties"]))
        return wild.flatmap(lambda name: instances(schema, root, wild=name)) | JUNK
    if kind == "array":
        good, most = valid(schema["items"], root), schema.get("maxItems", 2)
        odd = st.lists(near(schema["items"], root), max_size=most + 1)
        shapes = [valid(schema, root), odd, good.map(lambda item: [item, item]), JUNK]
        if "maxItems" in schema:
            shapes.append(st.lists(good, min_size=most + 1, max_size=most + 1, unique_by=repr))
        return st.one_of(shapes)
    if kind in ("integer", "number"):
        bounds = [
            schema.get(k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
        ]
        edges = {
            0,
            0.3,
            *(b + d for b in bounds if type(b) in (int, float) for d in (-1, -0.3, 0, 0.5, 1)),
        }
        return valid(schema, root) | st.sampled_from(sorted(edges)) | JUNK
    if kind == "string":
        lengths = {schema.get("minLength", 0) - 1, schema.get("maxLength", 4) + 1} - {-1}
        edges = st.sampled_from(sorted(lengths)).map(lambda n: "A" * n)
        return valid(schema, root) | edges | st.text("AZaz09_", max_size=8) | JUNK
    return valid(schema, root) | st.text(max_size=2) | JUNK


@st.composite
def instances(
    draw: st.DrawFn, schema: Mapping[str, Any], root: Mapping[str, Any], *, wild: str | None = None
) -> Any:
    """A valid object, except that property ``wild`` is left out or drawn ``near`` its limits."""
    result = {}
    for name, sub in schema["properties"].items():
        if name == wild:
            if draw(st.integers(0, 3)):  # else left out
                result[name] = draw(near(sub, root))
        elif name in schema.get("required", ()) or draw(st.booleans()):
            result[name] = draw(valid(sub, root))
    return result


WILD = [(name, prop) for name, schema in ROUND_TRIPS.items() for prop in schema["properties"]]


@pytest.mark.parametrize(("name", "wild"), WILD)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_export_of_an_import_accepts_and_rejects_what_the_original_does(
    name: str, wild: str, data: st.DataObject
) -> None:
    original = ROUND_TRIPS[name]
    result = import_json_schema(original)
    assert result.warnings == ()
    exported = export_json_schema(result.document)
    instance = data.draw(instances(original, original, wild=wild))
    verdict = validator_for(original, default=Draft202012Validator)(original).is_valid(instance)
    assert Draft202012Validator(exported).is_valid(instance) == verdict, instance


AGREEMENT = [
    ("flat", {"name": "Ann", "age": 3, "tags": ["a", "b"], "code": "AB"}, True),
    ("flat", {"name": "Ann", "age": 3.5}, False),
    ("flat", {"name": "Ann", "age": 3, "score": 0}, False),
    ("flat", {"name": "Ann", "age": 3, "tags": ["a", "a"]}, False),
    ("draft 4", {"名称": "ab", "pct": 99.5}, True),
    ("draft 4", {"名称": "ab", "pct": 100}, False),
    ("nested", {"address": {"city": "杭州"}, "contact": {}}, True),
    ("nested", {"address": {"zip": "1"}}, False),
    ("nested", {}, False),
    ("subform", {"lines": [{"sku": "a", "meta": {"note": "x"}}]}, True),
    ("subform", {"lines": []}, False),
    ("subform", {"lines": [{"sku": "a", "meta": {"note": "xyz"}}]}, False),
    ("composed", {"kind": "p", "label": "abc", "firstName": "Al"}, True),
    ("composed", {"kind": "p", "label": "a"}, False),
    ("composed", {"kind": "x", "label": "abc"}, False),
    ("composed", {"kind": "c", "label": "abc", "size": 7}, False),
]


@pytest.mark.parametrize(("name", "instance", "valid"), AGREEMENT)
def test_both_schemas_give_the_expected_verdict(
    name: str, instance: dict[str, Any], valid: bool
) -> None:
    original = ROUND_TRIPS[name]
    exported = export_json_schema(import_json_schema(original).document)
    assert (
        validator_for(original, default=Draft202012Validator)(original).is_valid(instance) is valid
    )
    assert Draft202012Validator(exported).is_valid(instance) is valid


@pytest.mark.parametrize(
    ("prop", "instance", "why"),
    [
        (
            {"type": "string"},
            {"value": "a", "other": 1},
            "forms are closed: extra keys are refused",
        ),
        ({"type": ["string", "null"]}, {"value": None}, "forms store no null"),
        ({"type": "array", "items": {"type": "string"}}, {"value": ["a", "a"]}, "tags are unique"),
        (
            {"type": "object", "required": ["b"], "properties": {"b": {"type": "string"}}},
            {"value": {}},
            "an optional object's required field becomes optional",
        ),
    ],
)
def test_the_known_differences_after_a_round_trip(
    prop: dict[str, Any], instance: Any, why: str
) -> None:
    original = {"type": "object", "properties": {"value": prop}}
    exported = export_json_schema(import_json_schema(original).document)
    original_says = Draft202012Validator(original).is_valid(instance)
    assert original_says is not Draft202012Validator(exported).is_valid(instance), why


@pytest.mark.parametrize(
    ("steps", "expected"), [((2, 4), {"multipleOf": 4}), ((0.5, 2), {"multipleOf": 2})]
)
def test_allof_steps_combine_to_the_coarser_step(steps: tuple[float, float], expected: Any) -> None:
    parts = [{"type": "number", "multipleOf": step} for step in steps]
    field = imported({"allOf": parts}).document["properties"]["value"]
    assert {k: v for k, v in field.items() if k == "multipleOf"} == expected


def test_allof_steps_that_do_not_divide_each_other_are_a_conflict() -> None:
    result = imported({"allOf": [{"type": "number", "multipleOf": 2}, {"multipleOf": 3}]})
    assert codes(result) == ["interop_skip_conflict"]


def test_a_reference_into_data_rather_than_a_schema_is_not_followed() -> None:
    result = imported({"$ref": "#/examples/0"}, examples=[{"enum": 5}])
    assert codes(result) == ["interop_skip_ref_unresolved"]
