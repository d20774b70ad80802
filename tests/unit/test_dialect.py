# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""The form-document dialect: meta-schema, semantic checks at the right pointer, and
the builder helpers."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from form_engine import DocumentVersionError, FormEngineError
from form_engine.dialect import (
    FORMAT_VERSION,
    META_SCHEMA,
    UPGRADER,
    add_field,
    check_form,
    field_key_for,
    fields_of,
    label,
    new_form,
)
from form_engine.fields import FIELD_TYPES, field_type

Doc = dict[str, Any]

OPTIONS: dict[str, dict[str, Any]] = {
    "select": {"options": ["retail", {"value": "saas", "titles": {"zh-CN": "软件"},
                                      "color": "#1a2b3c"}]},
    "multiselect": {"options": ["x", "y"]},
    "link": {"form": "orders"},
    "lookup": {"link": "customer", "field": "name"},
    "rollup": {"form": "orders", "link": "customer", "agg": "count"},
    "formula": {"formula": "IF(total > 1000, \"A\", \"B\")", "result": "text"},
    "subform": {"fields": {"qty": field_type("number").fragment(title="Qty"),
                           "note": field_type("text").fragment()},
                "required_fields": ["qty"]},
}  # fmt: skip


def form_with(key: str) -> Doc:
    doc = new_form("Test", {"zh-CN": "测试"})
    if key == "lookup":  # a lookup reads through a link field of the same form
        doc = add_field(doc, "customer", "link", form="customers")
    return add_field(doc, "the_field", key, **OPTIONS.get(key, {}))


@pytest.mark.parametrize("key", sorted(FIELD_TYPES))
def test_a_plain_document_of_every_field_type_is_valid(key: str) -> None:
    assert check_form(form_with(key)) == []


def test_the_meta_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(META_SCHEMA)


def test_a_document_with_every_type_passes_and_lists_fields_in_order() -> None:
    doc = add_field(new_form("Everything"), "customer", "link", form="customers")
    for key in sorted(FIELD_TYPES):
        doc = add_field(doc, key, key, **OPTIONS.get(key, {}))
    assert check_form(doc) == []
    assert [key for key, _schema, _kind in fields_of(doc)] == ["customer", *sorted(FIELD_TYPES)]


def test_the_design_example_document_is_valid() -> None:
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-format": 1, "type": "object", "title": "Customers", "x-titles": {"zh-CN": "客户档案"},
        "x-order": ["name", "phone", "industry", "owner", "total_spent"],
        "properties": {
            "name": {"type": "string", "title": "Name", "maxLength": 100, "x-field": "text",
                     "x-titles": {"zh-CN": "客户名称"}},
            "phone": {"type": "string", "x-field": "phone", "x-unique": True},
            "industry": {"enum": ["retail", "saas"], "x-field": "select",
                         "x-option-titles": {"retail": {"zh-CN": "零售"}}},
            "owner": {"type": "integer", "x-field": "member"},
            "total_spent": {"type": "number", "readOnly": True, "x-field": "rollup",
                            "x-rollup": {"form": "orders", "link": "customer", "agg": "sum",
                                         "of": "amount"}},
        },
        "required": ["name"], "additionalProperties": False,
    }  # fmt: skip
    assert check_form(doc) == []


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return change


_DELETE = object()
EVERYTHING = new_form("Everything")
for _key in ("text", "select", "rating", "subform", "link", "section", "formula", "money"):
    EVERYTHING = add_field(EVERYTHING, _key, _key, **OPTIONS.get(_key, {}))

PROBLEMS: list[tuple[str, Callable[[Doc], None], str, str]] = [
    ("unknown type", _set("properties/text/x-field", "txt"),
     "/properties/text/x-field", "doc_unknown_field_type_suggestion"),
    ("unknown type, nothing close", _set("properties/text/x-field", "zzzz"),
     "/properties/text/x-field", "doc_unknown_field_type"),
    ("bad key", lambda d: d["properties"].update({"Bad-Key": d["properties"]["text"]}),
     "/properties/Bad-Key", "doc_bad_key"),
    ("order misses a field", _set("x-order", ["select", "rating", "subform", "link", "section",
                                              "formula", "money"]),
     "/x-order", "doc_order_missing"),
    ("order lists an unknown key", lambda d: d["x-order"].append("ghost"),
     "/x-order/8", "doc_order_unknown"),
    ("order lists a key twice", lambda d: d["x-order"].append("text"),
     "/x-order/8", "doc_order_duplicate"),
    ("required names no field", _set("required", ["ghost"]), "/required/0", "doc_required_unknown"),
    ("required twice", _set("required", ["text", "text"]), "/required/1", "doc_required_duplicate"),
    ("layout required", _set("required", ["section"]), "/required/0", "doc_required_layout"),
    ("computed required", _set("required", ["formula"]), "/required/0", "doc_required_computed"),
    ("select without enum", _set("properties/select/enum", []),
     "/properties/select/enum", "doc_no_options"),
    ("select option twice", _set("properties/select/enum", ["a", "a"]),
     "/properties/select/enum/1", "doc_option_duplicate"),
    ("select option not text", _set("properties/select/enum", ["a", 1]),
     "/properties/select/enum/1", "doc_option_not_text"),
    ("colour of no option", _set("properties/select/x-option-colors", {"nope": "#000000"}),
     "/properties/select/x-option-colors/nope", "doc_option_unknown"),
    ("bad colour", _set("properties/select/x-option-colors", {"saas": "red"}),
     "/properties/select/x-option-colors/saas", "doc_bad_color"),
    ("rating max too high", _set("properties/rating/maximum", 11),
     "/properties/rating/maximum", "doc_rating_max"),
    ("rating max zero", _set("properties/rating/maximum", 0),
     "/properties/rating/maximum", "doc_rating_max"),
    ("rating of the wrong type", _set("properties/rating/type", "number"),
     "/properties/rating/type", "doc_keyword_mismatch"),
    ("nested subform", _set("properties/subform/items/properties/inner",
                            {"x-field": "subform", "type": "array",
                             "items": {"type": "object", "properties": {}}}),
     "/properties/subform/items/properties/inner", "doc_nested_subform"),
    ("nested field unknown type", _set("properties/subform/items/properties/qty/x-field", "numbr"),
     "/properties/subform/items/properties/qty/x-field", "doc_unknown_field_type_suggestion"),
    ("subform order misses a field", _set("properties/subform/items/x-order", ["qty"]),
     "/properties/subform/items/x-order", "doc_order_missing"),
    ("subform without items", _set("properties/subform/items", _DELETE),
     "/properties/subform/items", "doc_keyword_missing"),
    ("link without form", _set("properties/link/x-link", {}),
     "/properties/link/x-link/form", "doc_missing"),
    ("archived key reused", _set("x-archived", {"text": {"x-field": "text", "type": "string"}}),
     "/properties/text", "doc_archived_reused"),
    ("alias taken by a key", _set("properties/select/x-aliases", ["text"]),
     "/properties/select/x-aliases", "doc_alias_taken"),
    ("typo in a field keyword", _set("properties/text/x-titels", {"zh-CN": "名"}),
     "/properties/text/x-titels", "doc_unknown_keyword_suggestion"),
    ("typo in a form keyword", _set("x-ordr", []), "/x-ordr", "doc_unknown_keyword_suggestion"),
    ("min above max", _set("properties/text/minLength", 500),
     "/properties/text/minLength", "doc_min_above_max"),
    ("bad regular expression", _set("properties/text/pattern", "(unclosed"),
     "/properties/text/pattern", "doc_bad_regex"),
    ("default that does not fit", _set("properties/money/default", "lots"),
     "/properties/money/default", "doc_bad_default"),
    ("lookup through a field that is not a link",
     lambda d: d["properties"].update(
         {"copied": field_type("lookup").fragment(link="text", field="name")}) or d["x-order"]
     .append("copied"),
     "/properties/copied/x-lookup/link", "doc_lookup_not_a_link"),
    ("computed field not read-only", _set("properties/formula/readOnly", False),
     "/properties/formula/readOnly", "doc_keyword_mismatch"),
    ("formula result and type disagree", _set("properties/formula/type", "number"),
     "/properties/formula/type", "doc_keyword_mismatch"),
    ("no format version", _set("x-format", _DELETE), "/x-format", "doc_missing"),
    ("format version as text", _set("x-format", "1"), "/x-format", "doc_bad_value"),
    ("order not a list", _set("x-order", "text"), "/x-order", "doc_expected_array"),
    ("field not an object", _set("properties/text", "text"),
     "/properties/text", "doc_expected_object"),
    ("field without type", _set("properties/text/x-field", _DELETE),
     "/properties/text/x-field", "doc_missing"),
    ("currency in lower case", _set("properties/money/x-currency", "cny"),
     "/properties/money/x-currency", "doc_bad_value"),
    ("extra properties allowed", _set("additionalProperties", True),
     "/additionalProperties", "doc_bad_value"),
    ("titles not text", _set("x-titles", {"zh-CN": 5}), "/x-titles/zh-CN", "doc_expected_string"),
    ("unique not a boolean", _set("properties/text/x-unique", "yes"),
     "/properties/text/x-unique", "doc_expected_boolean"),
    ("condition not an object", _set("properties/text/x-visible-if", "tier == 'A'"),
     "/properties/text/x-visible-if", "doc_expected_object"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "pointer", "code"),
    [case[1:] for case in PROBLEMS],
    ids=[case[0] for case in PROBLEMS],
)
def test_each_problem_is_named_at_its_pointer(
    change: Callable[[Doc], None], pointer: str, code: str
) -> None:
    doc = copy.deepcopy(EVERYTHING)
    assert check_form(doc) == []
    change(doc)
    found = [(problem.pointer, problem.code) for problem in check_form(doc)]
    assert (pointer, code) in found, found
    for problem in check_form(doc):
        assert problem.message("en") and problem.message("zh-CN")


def test_an_unknown_field_type_is_explained_in_both_languages() -> None:
    doc = add_field(new_form("Customers"), "phone", "phone")
    doc["properties"]["phone"]["x-field"] = "fone"
    [problem] = check_form(doc)
    assert problem.as_dict("en") == {
        "path": "/properties/phone/x-field",
        "code": "doc_unknown_field_type_suggestion",
        "message": "Field “phone”: unknown field type “fone” — did you mean “phone”?",
    }
    assert problem.message("zh-CN") == "字段“phone”：未知的字段类型“fone”，您是不是要用“phone”？"


def test_a_taken_alias_names_both_the_field_and_the_alias() -> None:
    doc = copy.deepcopy(EVERYTHING)
    doc["properties"]["select"]["x-aliases"] = ["text"]
    [problem] = check_form(doc)
    assert (
        problem.message("en") == "Alias “text” of field “select” is already used by another field."
    )
    assert problem.message("zh-CN") == "字段“select”的别名“text”已被其他字段使用。"


def test_a_lookup_through_a_link_field_of_the_form_is_valid() -> None:
    doc = add_field(new_form("Orders"), "customer", "link", form="customers")
    doc = add_field(doc, "customer_tier", "lookup", link="customer", field="tier")
    assert check_form(doc) == []


def test_nested_fields_are_named_with_their_subform() -> None:
    doc = copy.deepcopy(EVERYTHING)
    doc["properties"]["subform"]["items"]["properties"]["qty"]["x-field"] = "zzzz"
    [problem] = check_form(doc)
    assert problem.message("en") == "Field “subform.qty”: unknown field type “zzzz”."


@pytest.mark.parametrize("doc", [None, [], "form", 5])
def test_something_that_is_not_an_object_is_one_problem(doc: Any) -> None:
    assert [(p.pointer, p.code) for p in check_form(doc)] == [("", "doc_expected_object")]


def test_problems_come_out_once_each_and_in_a_stable_order() -> None:
    doc = copy.deepcopy(EVERYTHING)
    doc["properties"]["text"]["x-field"] = "txt"
    doc["required"] = ["ghost", "section"]
    first, second = check_form(doc), check_form(copy.deepcopy(doc))
    assert first == second
    assert len({(p.pointer, p.code) for p in first}) == len(first)


# -- the builder's helpers ----------------------------------------------------------


def test_a_new_form_is_valid_and_carries_the_format_version() -> None:
    doc = new_form("Customers", {"zh-CN": "客户档案"})
    assert doc["x-format"] == FORMAT_VERSION == 1
    assert doc["x-titles"] == {"zh-CN": "客户档案"}
    assert check_form(doc) == []


def test_add_field_returns_a_new_document_and_keeps_the_input() -> None:
    doc = new_form("Customers")
    added = add_field(doc, "name", "text", required=True, title="Name", max_length=100)
    added = add_field(added, "code", "text", after=None)
    added = add_field(added, "phone", "phone", after="name")
    assert doc["properties"] == {}
    assert added["x-order"] == ["name", "phone", "code"]
    assert added["required"] == ["name"]
    assert added["properties"]["name"] == {
        "x-field": "text", "type": "string", "maxLength": 100, "title": "Name",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("key", "kind", "options", "message"),
    [
        ("Name", "text", {}, "does not match"),
        ("name", "text", {}, "already used"),
        ("old", "text", {}, "already used"),
        ("alias", "text", {}, "already used"),
        ("intro", "section", {"required": True}, "cannot be required"),
        ("calc", "formula", {"required": True, "formula": "1"}, "cannot be required"),
        ("other", "txt", {}, "did you mean 'text'"),
        ("other", "text", {"after": "nmae"}, "no field 'nmae'"),
    ],
)
def test_add_field_refuses_what_check_form_would_refuse(
    key: str, kind: str, options: dict[str, Any], message: str
) -> None:
    doc = add_field(new_form("T"), "name", "text", aliases=["alias"])
    doc["x-archived"] = {"old": {"x-field": "text", "type": "string"}}
    with pytest.raises(FormEngineError, match=message):
        add_field(doc, key, kind, **options)


@pytest.mark.parametrize(
    ("label_text", "existing", "key"),
    [
        ("Total spent", [], "total_spent"),
        ("  Total   spent!! ", [], "total_spent"),
        ("Total spent", ["total_spent"], "total_spent_2"),
        ("Total spent", ["total_spent", "total_spent_2"], "total_spent_3"),
        ("客户名称", [], "field_1"),
        ("客户名称", ["field_1", "field_2"], "field_3"),
        ("VIP 客户", [], "vip"),
        ("2nd phone", [], "f_2nd_phone"),
        ("Café owner", [], "cafe_owner"),
        ("123", [], "field_1"),
        ("", [], "field_1"),
        ("x" * 100, [], "x" * 56),
    ],
)
def test_field_keys_are_ascii_slugs_or_generated(
    label_text: str, existing: list[str], key: str
) -> None:
    made = field_key_for(label_text, existing)
    assert made == key
    assert add_field(new_form("T"), made, "text")  # a key add_field accepts


@pytest.mark.parametrize(
    ("node", "locale", "expected"),
    [
        ({"title": "Name", "x-titles": {"zh-CN": "客户名称"}}, "zh-CN", "客户名称"),
        ({"title": "Name", "x-titles": {"zh-CN": "客户名称"}}, "zh_CN", "客户名称"),
        ({"title": "Name", "x-titles": {"zh-CN": "客户名称"}}, "en", "Name"),
        ({"title": "Name"}, "zh-CN", "Name"),
        ({"x-titles": {"zh-CN": "客户名称"}}, "en", "name"),
        ({"title": "", "x-titles": {"zh-CN": ""}}, "zh-CN", "name"),
        ({}, None, "name"),
    ],
)
def test_labels_fall_back_from_locale_to_title_to_key(
    node: dict[str, Any], locale: str | None, expected: str
) -> None:
    assert label(node, locale, "name") == expected


def test_documents_of_unknown_format_versions_are_refused() -> None:
    assert UPGRADER.upgrade(new_form("T"))["x-format"] == 1
    with pytest.raises(DocumentVersionError, match="newer"):
        UPGRADER.upgrade({**new_form("T"), "x-format": 2})
    with pytest.raises(DocumentVersionError, match="no integer 'x-format'"):
        UPGRADER.upgrade({"type": "object"})
