# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""The condition language: parsing, checks, bounds, truth tables, events, round trips."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from form_engine.conditions import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_STRING,
    ConditionError,
    EvalContext,
    Literal,
    Op,
    Var,
    evaluate,
    parse_condition,
    referenced_fields,
    to_json,
    uses_event_operators,
)
from form_engine.messages import registered_codes, render

TODAY = date(2026, 11, 15)
CONTEXT = EvalContext(today=TODAY)
FIELDS = {
    "name": "text",
    "tier": "text",
    "total": "number",
    "qty": "integer",
    "vip": "boolean",
    "born": "date",
    "seen_at": "datetime",
    "tags": "json",
}


def v(key: str) -> dict[str, str]:
    return {"var": key}


def check(doc: Any, record: dict[str, Any], *, fields: dict[str, str] | None = FIELDS) -> bool:
    return evaluate(parse_condition(doc, fields=fields), record, context=CONTEXT)


# -- truth tables ------------------------------------------------------------------------
# (condition, record, expected). Records cover right values, nulls, missing keys and
# wrong-typed values (which read as null).
TRUTH: list[tuple[Any, dict[str, Any], bool]] = [
    ({"==": [v("total"), 5]}, {"total": 5}, True),
    ({"==": [v("total"), 5]}, {"total": 5.0}, True),
    ({"==": [v("total"), 5]}, {"total": "5"}, False),
    ({"==": [v("total"), 1]}, {"total": True}, False),
    ({"==": [v("total"), 5]}, {"total": None}, False),
    ({"==": [v("total"), 5]}, {}, False),
    ({"!=": [v("total"), 5]}, {"total": 6}, True),
    ({"!=": [v("total"), 5]}, {"total": None}, False),
    ({"!=": [v("total"), 5]}, {}, False),
    ({"!=": [v("total"), 5]}, {"total": "abc"}, False),
    ({"!": {"==": [v("total"), 5]}}, {}, True),
    ({"!": {"==": [v("total"), 5]}}, {"total": "5"}, True),
    ({">": [v("total"), 0.1]}, {"total": 0.30000000000000004}, True),
    ({"<": [v("total"), 0.3]}, {"total": 0.30000000000000004}, False),
    ({"==": [v("total"), 0.3]}, {"total": 0.3}, True),
    ({">=": [v("total"), 50000]}, {"total": 50000}, True),
    ({">=": [v("total"), 50000]}, {"total": 49999.99}, False),
    ({"<": [v("total"), 10]}, {}, False),
    ({"!": {"<": [v("total"), 10]}}, {}, True),
    ({"<=": [1, v("qty"), 3]}, {"qty": 3}, True),
    ({"<=": [1, v("qty"), 3]}, {"qty": 4}, False),
    ({"<": [1, v("qty"), 3]}, {"qty": 1}, False),
    ({"<=": [1, v("qty"), 3]}, {}, False),
    ({"==": [v("name"), "Ann"]}, {"name": "Ann"}, True),
    ({"==": [v("name"), "Ann"]}, {"name": "ann"}, False),
    ({"==": [v("name"), "5"]}, {"name": 5}, False),
    ({"<": [v("name"), "a"]}, {"name": "Z"}, True),  # code point order: "Z" < "a"
    ({"<": [v("name"), "b"]}, {"name": "北京"}, False),
    ({"==": [v("vip"), True]}, {"vip": True}, True),
    ({"==": [v("vip"), True]}, {"vip": 1}, False),
    ({"==": [v("vip"), False]}, {}, False),
    (v("vip"), {"vip": True}, True),
    (v("vip"), {"vip": "true"}, False),
    ({"!": v("vip")}, {}, True),
    ({"in": [v("tier"), ["A", "B"]]}, {"tier": "A"}, True),
    ({"in": [v("tier"), ["A", "B"]]}, {"tier": "C"}, False),
    ({"in": [v("tier"), ["A", "B"]]}, {}, False),
    ({"in": [v("tier"), []]}, {"tier": "A"}, False),
    ({"in": [v("total"), [1, 2]]}, {"total": 2.0}, True),
    ({"in": [v("total"), [1, 2]]}, {"total": True}, False),
    ({"in": ["vip", v("name")]}, {"name": "a vip customer"}, True),
    ({"in": ["VIP", v("name")]}, {"name": "a vip customer"}, False),
    ({"in": ["", v("name")]}, {"name": ""}, True),
    ({"in": ["", v("name")]}, {}, False),
    ({"in": ["vip", v("tags")]}, {"tags": ["vip", "new"]}, True),
    ({"in": ["vip", v("tags")]}, {"tags": "vip"}, False),  # a string is not a list
    ({"in": [1, v("tags")]}, {"tags": [1.0]}, True),
    ({"in": [1, v("tags")]}, {"tags": [True, "1"]}, False),
    ({"contains_any": [v("tags"), ["a", "b"]]}, {"tags": ["x", "b"]}, True),
    ({"contains_any": [v("tags"), ["a", "b"]]}, {"tags": ["x"]}, False),
    ({"contains_any": [v("tags"), ["a"]]}, {"tags": [["a"]]}, False),
    ({"contains_any": [v("tags"), ["a"]]}, {"tags": {"a": 1}}, False),
    ({"contains_any": [v("tags"), ["a"]]}, {}, False),
    ({"contains_any": [v("tags"), []]}, {"tags": ["a"]}, False),
    ({"contains_any": [v("tags"), [True]]}, {"tags": [1]}, False),
    ({"is_empty": [v("name")]}, {}, True),
    ({"is_empty": [v("name")]}, {"name": None}, True),
    ({"is_empty": [v("name")]}, {"name": ""}, True),
    ({"is_empty": [v("name")]}, {"name": " "}, False),
    ({"is_empty": [v("name")]}, {"name": 0}, True),  # wrong type reads as null
    ({"is_empty": [v("tags")]}, {"tags": []}, True),
    ({"is_empty": [v("tags")]}, {"tags": {}}, False),
    ({"is_empty": [v("total")]}, {"total": 0}, False),
    ({"not_empty": [v("total")]}, {"total": 0}, True),
    ({"not_empty": [v("vip")]}, {"vip": False}, True),
    ({">=": [v("born"), "2000-01-01"]}, {"born": "2001-02-03"}, True),
    ({">=": [v("born"), "2000-01-01"]}, {"born": "soon"}, False),
    ({">=": [v("born"), "2000-01-01"]}, {"born": "2001-2-3"}, False),
    ({">=": [v("born"), "2000-01-01"]}, {"born": date(2001, 2, 3)}, True),
    ({"<": [v("born"), {"today": []}]}, {"born": "2026-11-14"}, True),
    ({"<": [v("born"), {"today": []}]}, {"born": "2026-11-15"}, False),
    ({">=": [v("seen_at"), "2026-11-15"]}, {"seen_at": "2026-11-15T00:00:00Z"}, True),
    ({">=": [v("seen_at"), "2026-11-15"]}, {"seen_at": "2026-11-15T00:00:00+08:00"}, False),
    (
        {">=": [v("seen_at"), "2026-11-15"]},
        {"seen_at": datetime(2026, 11, 15, 1, tzinfo=UTC)},
        True,
    ),
    ({">=": [{"days_since": [v("born")]}, 90]}, {"born": "2026-08-17"}, True),
    ({">=": [{"days_since": [v("born")]}, 90]}, {"born": "2026-08-18"}, False),
    ({">": [{"days_since": [v("born")]}, 90]}, {"born": "2026-08-17"}, False),
    ({"==": [{"days_since": [v("born")]}, 0]}, {"born": "2026-11-15"}, True),
    ({"==": [{"days_since": [v("born")]}, -1]}, {"born": "2026-11-16"}, True),
    ({"<": [{"days_since": [v("seen_at")]}, 1]}, {"seen_at": "2026-11-15T23:59:59Z"}, True),
    ({"<": [{"days_since": [v("seen_at")]}, 1]}, {"seen_at": "2026-11-14T23:59:59Z"}, False),
    ({"<=": [30, {"days_since": [v("born")]}, 60]}, {"born": "2026-10-01"}, True),
    ({">": [31, {"days_since": [v("born")]}]}, {"born": "2026-10-16"}, True),
    ({">": [31, {"days_since": [v("born")]}]}, {"born": "2026-10-15"}, False),
    ({">=": [{"days_since": [v("born")]}, 90]}, {}, False),
    ({"!": {">=": [{"days_since": [v("born")]}, 90]}}, {}, True),
    ({"==": [{"var": ["total", 0]}, 0]}, {}, True),
    ({"==": [{"var": ["total", 0]}, 0]}, {"total": "x"}, True),
    ({"==": [{"var": ["total", 0]}, 0]}, {"total": 3}, False),
    (
        {"and": [{">=": [v("total"), 50000]}, {"in": [v("tier"), ["A", "B"]]}]},
        {"total": 60000, "tier": "B"},
        True,
    ),
    (
        {"and": [{">=": [v("total"), 50000]}, {"in": [v("tier"), ["A", "B"]]}]},
        {"total": 60000},
        False,
    ),
    ({"or": [{">=": [v("total"), 50000]}, {"in": [v("tier"), ["A", "B"]]}]}, {"tier": "A"}, True),
    (True, {}, True),
    (False, {"total": 1}, False),
]


@pytest.mark.parametrize(
    ("doc", "record", "expected"),
    TRUTH,
    ids=[f"{json.dumps(t[0], default=str)[:60]}~{t[1]}" for t in TRUTH],
)
def test_operator_truth_table(doc: Any, record: dict[str, Any], expected: bool) -> None:
    """Each operator, with nulls, missing keys and wrong-typed values, as documented."""
    assert check(doc, record) is expected


UNTYPED: list[tuple[Any, dict[str, Any], bool]] = [
    ({"==": [v("x"), 5]}, {"x": 5.0}, True),
    ({"==": [v("x"), 5]}, {"x": "5"}, False),
    ({"<": [v("x"), "b"]}, {"x": "a"}, True),
    ({"<": [v("x"), "b"]}, {"x": 1}, False),
    ({"==": [v("x"), False]}, {"x": 0}, False),
    ({"in": ["a", v("x")]}, {"x": ["a"]}, True),
    ({"in": ["a", v("x")]}, {"x": "cat"}, True),
    ({"in": ["a", v("x")]}, {"x": 7}, False),
    ({">=": [{"days_since": [v("x")]}, 1]}, {"x": "2026-11-14T10:00:00Z"}, True),
    ({">=": [{"days_since": [v("x")]}, 1]}, {"x": "yesterday"}, False),
    (v("x"), {"x": 1}, False),
]


@pytest.mark.parametrize(("doc", "record", "expected"), UNTYPED)
def test_without_fields_values_compare_by_their_json_type(
    doc: Any, record: dict[str, Any], expected: bool
) -> None:
    assert check(doc, record, fields=None) is expected


def test_a_condition_parsed_without_fields_is_untyped() -> None:
    assert parse_condition(v("vip")) == Var("vip")
    assert parse_condition(v("vip"), fields=FIELDS) == Var("vip", "boolean")
    assert parse_condition({"==": [v("tier"), 1]}) == Op("==", (Var("tier"), Literal(1)))


# -- events ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "previous", "record", "expected"),
    [
        ({"changed": "tier"}, {"tier": "A"}, {"tier": "B"}, True),
        ({"changed": "tier"}, {"tier": "A"}, {"tier": "A"}, False),
        ({"changed": "tier"}, {}, {"tier": None}, False),  # missing = null
        ({"changed": "total"}, {"total": 1}, {"total": 1.0}, False),
        ({"changed": "total"}, {"total": 1}, {"total": True}, True),
        ({"changed": "tags"}, {"tags": ["a", 1]}, {"tags": ["a", 1.0]}, False),
        ({"changed": "tags"}, {"tags": ["a"]}, {"tags": ["a", "b"]}, True),
        ({"changed": "tier"}, None, {"tier": "A"}, True),  # created: all was missing
        ({"changed": "tier"}, None, {}, False),
        ({"was": ["tier", "A"]}, {"tier": "A"}, {"tier": "B"}, True),
        ({"was": ["tier", "A"]}, {"tier": "B"}, {"tier": "A"}, False),
        ({"was": ["tier", "A"]}, None, {"tier": "A"}, False),
        ({"was": ["total", 5]}, {"total": 5.0}, {}, True),
        (
            {"and": [{"was": ["tier", "A"]}, {"==": [v("tier"), "B"]}]},
            {"tier": "A"},
            {"tier": "B"},
            True,
        ),
    ],
)
def test_event_operators_compare_previous_and_new_record(
    doc: Any, previous: dict[str, Any] | None, record: dict[str, Any], expected: bool
) -> None:
    condition = parse_condition(doc, fields=FIELDS)
    assert uses_event_operators(condition)
    context = EvalContext(today=TODAY, previous=previous)
    assert evaluate(condition, record, context=context) is expected


def test_plain_conditions_do_not_use_event_operators() -> None:
    assert not uses_event_operators(parse_condition({"==": [v("tier"), "A"]}, fields=FIELDS))


def test_today_defaults_to_the_host_date_without_a_context() -> None:
    condition = parse_condition({"==": [v("born"), {"today": []}]}, fields=FIELDS)
    assert evaluate(condition, {"born": date.today().isoformat()})


# -- round trip --------------------------------------------------------------------------
CANONICAL = [
    {"and": [{">=": [v("total"), 50000]}, {"in": [v("tier"), ["A", "B"]]}]},
    {"or": [{"!": [v("vip")]}, {"<=": [1, v("qty"), 3]}]},
    {"==": [{"var": ["total", 0]}, 0.5]},
    {"contains_any": [v("tags"), ["a", 1, True]]},
    {"in": ["vip", v("tags")]},
    {"is_empty": [v("name")]},
    {"not_empty": [v("born")]},
    {">=": [{"days_since": [v("seen_at")]}, 90]},
    {"<": [v("born"), {"today": []}]},
    {"changed": "tier"},
    {"was": ["tier", "A"]},
    True,
]


@pytest.mark.parametrize("doc", CANONICAL, ids=[json.dumps(d)[:50] for d in CANONICAL])
def test_to_json_round_trips(doc: Any) -> None:
    condition = parse_condition(doc, fields=FIELDS)
    assert to_json(condition) == doc
    assert parse_condition(to_json(condition), fields=FIELDS) == condition
    assert json.loads(json.dumps(to_json(condition))) == doc


@pytest.mark.parametrize(
    ("doc", "canonical"),
    [
        ({"!": v("vip")}, {"!": [v("vip")]}),
        ({"var": ["tier"]}, None),
        ({"==": [{"var": ["tier", None]}, "A"]}, {"==": [v("tier"), "A"]}),
        ({"changed": ["tier"]}, {"changed": "tier"}),
        ({"<": [v("born"), {"today": None}]}, {"<": [v("born"), {"today": []}]}),
        ({"is_empty": v("name")}, {"is_empty": [v("name")]}),
    ],
)
def test_accepted_spellings_are_written_back_canonically(doc: Any, canonical: Any) -> None:
    if canonical is None:  # a bare text field is not a condition
        with pytest.raises(ConditionError):
            parse_condition(doc, fields=FIELDS)
        return
    assert to_json(parse_condition(doc, fields=FIELDS)) == canonical


def test_trees_keep_numbers_and_booleans_apart() -> None:
    """Python's 1 == 1.0 == True must not make different conditions equal (or cached alike)."""
    assert Literal(1) != Literal(True)
    assert Literal((1,)) != Literal((True,))
    assert Literal(1) != Literal(1.0)
    assert Var("x", None, 1) != Var("x", None, True)
    assert parse_condition({"in": [v("x"), [1]]}) != parse_condition({"in": [v("x"), [True]]})
    assert len({Literal(1), Literal(True), Literal(1.0)}) == 3


def test_referenced_fields_lists_every_field_read() -> None:
    condition = parse_condition(
        {
            "or": [
                {"changed": "tier"},
                {">=": [{"days_since": [v("born")]}, 3]},
                {"contains_any": [v("tags"), ["a"]]},
                {"==": [v("name"), v("tier")]},
            ]
        },
        fields=FIELDS,
    )
    assert referenced_fields(condition) == {"tier", "born", "tags", "name"}
    assert referenced_fields(Literal(True)) == frozenset()


def test_the_tree_is_small_and_typed() -> None:
    assert parse_condition({">=": [v("total"), 5]}, fields=FIELDS) == Op(
        ">=", (Var("total", "number"), Literal(5))
    )


# -- errors name the spot, in both languages ---------------------------------------------
ERRORS: list[tuple[Any, str, str]] = [
    (
        {"and": [{"==": [v("tier"), "A"]}, {">==": [v("total"), 1]}]},
        "condition_unknown_operator_hint",
        "/and/1",
    ),
    ({"frobnicate": []}, "condition_unknown_operator", ""),
    ({">=": [v("totl"), 1]}, "condition_unknown_field_hint", "/>=/0/var"),
    ({">=": [v("zzzzzz"), 1]}, "condition_unknown_field", "/>=/0/var"),
    ({">=": [v("Total Spent"), 1]}, "condition_bad_field_key", "/>=/0/var"),
    ({"==": [v("tier"), "A"], "!=": [v("tier"), "B"]}, "condition_one_operator", ""),
    ([{"==": [1, 1]}], "condition_not_condition", ""),
    ({"and": ["yes"]}, "condition_not_condition", "/and/0"),
    ({"and": []}, "condition_needs_conditions", ""),
    ({"!": [True, False]}, "condition_arity", ""),
    ({">": [v("total"), 1, 2]}, "condition_arity", ""),
    ({"==": [v("total"), None]}, "condition_null_comparison", "/==/1"),
    ({">": [v("vip"), True]}, "condition_not_orderable", ""),
    ({"==": [v("total"), "5"]}, "condition_type_mismatch", ""),
    ({"==": [v("tier"), v("total")]}, "condition_type_mismatch", ""),
    ({"==": [v("tags"), "a"]}, "condition_type_mismatch", ""),
    ({"in": [v("tier"), ["A", 1]]}, "condition_type_mismatch", ""),
    ({"in": [v("tier"), ["A", None]]}, "condition_null_comparison", "/in/1/1"),
    ({"in": [v("tier"), [["A"]]]}, "condition_bad_literal", "/in/1/0"),
    ({"in": [v("tags"), ["A"]]}, "condition_type_mismatch", ""),
    ({"in": [v("tier"), v("total")]}, "condition_type_mismatch", ""),
    ({">=": [v("born"), "last week"]}, "condition_bad_date", "/>=/1"),
    ({"==": [{"var": ["total", "none"]}, 1]}, "condition_bad_default", "/==/0/var/1"),
    ({"contains_any": [v("tier"), ["A"]]}, "condition_wrong_field_kind", ""),
    ({"contains_any": [v("tags"), "A"]}, "condition_expected_list", "/contains_any/1"),
    ({"contains_any": ["tags", ["A"]]}, "condition_expected_field", "/contains_any/0"),
    ({"days_since": [v("born")]}, "condition_expected_predicate", ""),
    ({">": [{"days_since": [v("tier")]}, 3]}, "condition_wrong_field_kind", "/>/0"),
    ({">": [{"days_since": [v("born")]}, 3.5]}, "condition_days_since", ""),
    ({">": [{"days_since": [v("born")]}, v("qty")]}, "condition_days_since", ""),
    ({">": [{"days_since": [v("born")]}, 10**6]}, "condition_days_since", ""),
    ({"in": [{"days_since": [v("born")]}, [1]]}, "condition_days_since", "/in/0"),
    ({"==": [{">": [v("total"), 1]}, True]}, "condition_expected_value", "/==/0"),
    ({"and": [v("total")]}, "condition_expected_predicate", "/and/0"),
    ({"==": [v("total"), 2**64]}, "condition_bad_literal", "/==/1"),
    ({"==": [v("total"), float("nan")]}, "condition_bad_literal", "/==/1"),
    ({"was": ["tier", None]}, "condition_null_comparison", "/was/1"),
    ({"changed": 5}, "condition_expected_field", "/changed"),
]


@pytest.mark.parametrize(
    ("doc", "code", "pointer"),
    ERRORS,
    ids=[f"{e[1]}:{json.dumps(e[0], default=str)[:40]}" for e in ERRORS],
)
def test_bad_documents_are_refused_at_the_spot(doc: Any, code: str, pointer: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(doc, fields=FIELDS)
    assert caught.value.code == code
    assert caught.value.pointer == pointer
    for locale in ("en", "zh-CN"):
        assert (pointer or "/") in caught.value.message_in(locale)


def test_unknown_operator_message_suggests_the_closest_in_both_languages() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({"and": [{"==": [1, 1]}, {">==": [v("total"), 1]}]}, fields=FIELDS)
    error = caught.value
    assert error.path == ("and", 1)
    assert error.suggestion == ">="
    assert str(error) == "Unknown operator “>==” at /and/1 — did you mean “>=”?"
    assert error.message_in("zh-CN") == "/and/1 处的运算符“>==”无法识别，您是想用“>=”吗？"


def test_unknown_field_suggests_a_field_of_the_form() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({">=": [v("total_spnt"), 1]}, fields={"total_spent": "number"})
    assert caught.value.suggestion == "total_spent"
    assert caught.value.message_in("zh_CN") == (
        "/>=/0/var 处的字段“total_spnt”不存在，您是想用“total_spent”吗？"
    )


def test_type_errors_name_kinds_in_the_users_language() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({">": [v("vip"), True]}, fields=FIELDS)
    assert caught.value.message_in("en") == "“>” at / cannot order yes/no values; use == or !=."
    assert caught.value.message_in("zh-CN") == "/ 处的“>”不能比较是/否的大小，请使用 == 或 !=。"


def test_every_condition_message_exists_in_both_languages() -> None:
    codes = sorted(c for c in registered_codes() if c.startswith("condition_"))
    assert len(codes) > 20
    params = {
        "where": "/",
        "name": "x",
        "suggestion": "y",
        "count": 1,
        "expected": 2,
        "left_kind": "k",
        "right_kind": "k",
        "expected_kind": "k",
        "actual_kind": "k",
        "field": "f",
        "value": "v",
        "max": 3,
    }
    for code in codes:
        assert render(code, "en", **params) != render(code, "zh-CN", **params), code


# -- bounds ------------------------------------------------------------------------------
def _nested(levels: int) -> Any:
    """A tree ``levels`` nodes deep: ``!`` … ``!`` over ``==`` over its two operands."""
    doc: Any = {"==": [v("tier"), "A"]}
    for _ in range(levels - 2):
        doc = {"!": [doc]}
    return doc


def test_nesting_up_to_the_limit_is_accepted() -> None:
    assert parse_condition(_nested(MAX_DEPTH), fields=FIELDS)


def test_deeper_nesting_is_refused() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(_nested(MAX_DEPTH + 1), fields=FIELDS)
    assert caught.value.code == "condition_too_deep"
    assert caught.value.pointer.endswith("/==/0")


def test_too_many_parts_are_refused() -> None:
    many = {"in": [v("tier"), ["A"] * MAX_NODES]}
    with pytest.raises(ConditionError) as caught:
        parse_condition(many, fields=FIELDS)
    assert caught.value.code == "condition_too_large"
    assert parse_condition({"in": [v("tier"), ["A"] * (MAX_NODES - 10)]}, fields=FIELDS)


def test_long_strings_are_refused() -> None:
    ok = "x" * MAX_STRING
    assert parse_condition({"==": [v("tier"), ok]}, fields=FIELDS)
    with pytest.raises(ConditionError) as caught:
        parse_condition({"==": [v("tier"), ok + "x"]}, fields=FIELDS)
    assert caught.value.code == "condition_string_too_long"
    assert caught.value.pointer == "/==/1"
    with pytest.raises(ConditionError) as caught:
        parse_condition({ok + "x": []}, fields=FIELDS)
    assert caught.value.code == "condition_string_too_long"


def test_unknown_field_kinds_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown field kinds"):
        parse_condition(True, fields={"x": "money"})


# -- namespaced variables (metrics.<name>) -----------------------------------------------
METRIC_FIELDS = {**FIELDS, "metrics.total_spent": "number", "metrics.last_order_on": "date"}


def test_a_namespaced_variable_named_in_fields_is_typed_and_evaluated() -> None:
    doc = {"and": [{">=": [v("metrics.total_spent"), 500]}, {"==": [v("tier"), "A"]}]}
    condition = parse_condition(doc, fields=METRIC_FIELDS)
    assert referenced_fields(condition) == {"metrics.total_spent", "tier"}
    assert Var("metrics.total_spent", "number") in condition.args[0].args  # type: ignore[union-attr]
    assert to_json(parse_condition(to_json(condition), fields=METRIC_FIELDS)) == to_json(condition)
    record = {"tier": "A", "metrics.total_spent": 800.5}
    assert evaluate(condition, record, context=CONTEXT)
    assert not evaluate(condition, {**record, "metrics.total_spent": None}, context=CONTEXT)
    assert not evaluate(condition, {"tier": "A"}, context=CONTEXT)


def test_a_namespaced_date_variable_works_with_days_since() -> None:
    doc = {"<=": [{"days_since": [v("metrics.last_order_on")]}, 30]}
    assert check(doc, {"metrics.last_order_on": "2026-11-01"}, fields=METRIC_FIELDS)
    assert not check(doc, {"metrics.last_order_on": "2026-01-01"}, fields=METRIC_FIELDS)
    with pytest.raises(ConditionError) as caught:
        parse_condition({">": [v("metrics.last_order_on"), 5]}, fields=METRIC_FIELDS)
    assert caught.value.code == "condition_type_mismatch"


@pytest.mark.parametrize(
    ("name", "fields", "code"),
    [
        # Without fields there is no way to know the host offers it.
        ("metrics.total_spent", None, "condition_bad_field_key"),
        # Named like a host variable, but the host does not offer this one.
        ("metrics.total_spnt", METRIC_FIELDS, "condition_unknown_field_hint"),
        ("metrics.zzzzzzzz", METRIC_FIELDS, "condition_unknown_field"),
        ("metrics.total_spent", FIELDS, "condition_unknown_field"),
        # Only one namespace level, and both parts must be keys.
        ("a.b.c", {**FIELDS, "a.b.c": "number"}, "condition_bad_field_key"),
        ("Metrics.total", {**FIELDS, "Metrics.total": "number"}, "condition_bad_field_key"),
        ("metrics.", {**FIELDS, "metrics.": "number"}, "condition_bad_field_key"),
        (".total", {**FIELDS, ".total": "number"}, "condition_bad_field_key"),
    ],
)
def test_namespaced_variables_need_their_exact_name_in_fields(
    name: str, fields: dict[str, str] | None, code: str
) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({">=": [v(name), 1]}, fields=fields)
    assert caught.value.code == code
    assert caught.value.pointer == "/>=/0/var"


def test_an_unknown_metric_suggests_the_closest_metric_in_both_languages() -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition({">=": [v("metrics.total_spnt"), 1]}, fields=METRIC_FIELDS)
    assert caught.value.suggestion == "metrics.total_spent"
    assert caught.value.message_in("en") == (
        "Unknown field “metrics.total_spnt” at />=/0/var — did you mean “metrics.total_spent”?"
    )
    assert "您是想用“metrics.total_spent”吗" in caught.value.message_in("zh-CN")


def test_plain_field_keys_still_refuse_dots_without_fields() -> None:
    assert parse_condition({">=": [v("total"), 1]}) == Op(">=", (Var("total"), Literal(1)))
    with pytest.raises(ConditionError) as caught:
        parse_condition({"changed": "metrics.total_spent"})
    assert caught.value.code == "condition_bad_field_key"
