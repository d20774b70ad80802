# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Schema evolution: typed diffs, key-preserving edits and migration plans never lose data."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from form_engine import evolution
from form_engine.evolution import (
    ArchivedFieldChanged,
    ConstraintChange,
    ConstraintsChanged,
    DroppedField,
    EvolutionError,
    FieldAdded,
    FieldArchived,
    FieldRelabelled,
    FieldRestored,
    FieldsReordered,
    FormRelabelled,
    SettingsChanged,
    TypeChanged,
    add_field,
    archive_field,
    change_field_type,
    diff_forms,
    is_empty,
    plain_schema,
    plan_migration,
    relabel_field,
    reorder_fields,
    restore_field,
    same_json,
)

TEXT = {"type": "string", "maxLength": 100, "x-field": "text"}
NUMBER = {"type": "number", "x-field": "number"}
SELECT = {"enum": ["retail", "saas", "other"], "x-field": "select"}
MULTI = {
    "type": "array",
    "items": {"enum": ["a", "b", "c"]},
    "uniqueItems": True,
    "x-field": "multiselect",
}


def form(*fields: tuple[str, Mapping[str, Any]], required: Iterable[str] = ()) -> dict[str, Any]:
    """A form document with ``fields`` in order."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "x-format": 1,
        "type": "object",
        "title": "Customers",
        "x-titles": {"zh-CN": "客户档案"},
        "x-order": [key for key, _ in fields],
        "properties": {key: dict(fragment) for key, fragment in fields},
        "required": list(required),
        "additionalProperties": False,
    }


BASE = form(
    ("name", {**TEXT, "title": "Name", "x-titles": {"zh-CN": "客户名称"}}),
    ("phone", {**TEXT, "title": "Phone", "x-titles": {"zh-CN": "电话"}}),
    ("industry", {**SELECT, "title": "Industry"}),
    ("spent", {**NUMBER, "title": "Spent", "minimum": 0}),
    ("labels", {**MULTI, "title": "Labels"}),
    required=["name"],
)


def _with(doc: Mapping[str, Any], key: str, **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(dict(doc))
    fragment = result["properties"][key]
    for kw, value in changes.items():
        if value is None:
            fragment.pop(kw, None)
        else:
            fragment[kw] = value
    return result


def _required(doc: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {**copy.deepcopy(dict(doc)), "required": list(keys)}


def _archived_then_restored() -> tuple[dict[str, Any], dict[str, Any]]:
    archived = archive_field(BASE, "phone")
    return archived, restore_field(archived, "phone")


def _rule(key: str, keyword: str, old: Any, new: Any, tightens: bool) -> ConstraintsChanged:
    return ConstraintsChanged(key, (ConstraintChange(keyword, old, new, tightens),))


PHONE_TITLES = {"en": "Phone", "zh-CN": "电话"}
DIFF_CASES = [
    ("added", BASE, add_field(BASE, "email", TEXT), [FieldAdded("email")]),
    ("archived", BASE, archive_field(BASE, "phone"), [FieldArchived("phone")]),
    ("restored", *_archived_then_restored(), [FieldRestored("phone")]),
    (
        "relabelled",
        BASE,
        relabel_field(BASE, "phone", titles={"zh-CN": "手机"}),
        [FieldRelabelled("phone", PHONE_TITLES, {"en": "Phone", "zh-CN": "手机"})],
    ),
    (
        "reordered",
        BASE,
        reorder_fields(BASE, ["phone", "name", "industry", "spent", "labels"]),
        [
            FieldsReordered(
                ("name", "phone", "industry", "spent", "labels"),
                ("phone", "name", "industry", "spent", "labels"),
            )
        ],
    ),
    (
        "type changed",
        BASE,
        change_field_type(BASE, "phone", NUMBER),
        [TypeChanged("phone", "text", "number"), _rule("phone", "maxLength", 100, None, False)],
    ),
    (
        "maxLength lowered",
        BASE,
        _with(BASE, "name", maxLength=20),
        [_rule("name", "maxLength", 100, 20, True)],
    ),
    (
        "maxLength raised",
        BASE,
        _with(BASE, "name", maxLength=500),
        [_rule("name", "maxLength", 100, 500, False)],
    ),
    (
        "minimum raised",
        BASE,
        _with(BASE, "spent", minimum=10),
        [_rule("spent", "minimum", 0, 10, True)],
    ),
    (
        "maximum added",
        BASE,
        _with(BASE, "spent", maximum=10),
        [_rule("spent", "maximum", None, 10, True)],
    ),
    (
        "enum option removed",
        BASE,
        _with(BASE, "industry", enum=["retail", "saas"]),
        [_rule("industry", "enum", ["retail", "saas", "other"], ["retail", "saas"], True)],
    ),
    (
        "enum option added",
        BASE,
        _with(BASE, "industry", enum=["retail", "saas", "other", "gov"]),
        [
            _rule(
                "industry",
                "enum",
                ["retail", "saas", "other"],
                ["retail", "saas", "other", "gov"],
                False,
            )
        ],
    ),
    (
        "multiselect option removed",
        BASE,
        _with(BASE, "labels", items={"enum": ["a", "b"]}),
        [_rule("labels", "items.enum", ["a", "b", "c"], ["a", "b"], True)],
    ),
    (
        "pattern added",
        BASE,
        _with(BASE, "phone", pattern="^1"),
        [_rule("phone", "pattern", None, "^1", True)],
    ),
    (
        "became required",
        BASE,
        _required(BASE, "name", "phone"),
        [_rule("phone", "required", False, True, True)],
    ),
    ("no longer required", BASE, _required(BASE), [_rule("name", "required", True, False, False)]),
    (
        "became unique",
        BASE,
        _with(BASE, "phone", **{"x-unique": True}),
        [_rule("phone", "unique", False, True, True)],
    ),
    (
        "help text changed",
        BASE,
        _with(BASE, "phone", description="Mobile", **{"x-option-colors": {}}),
        [SettingsChanged("phone", ("description", "x-option-colors"))],
    ),
    (
        "form relabelled",
        BASE,
        {**BASE, "title": "Clients"},
        [
            FormRelabelled(
                {"en": "Customers", "zh-CN": "客户档案"}, {"en": "Clients", "zh-CN": "客户档案"}
            )
        ],
    ),
    ("nothing", BASE, copy.deepcopy(BASE), []),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in DIFF_CASES], ids=[c[0] for c in DIFF_CASES]
)
def test_diff_lists_each_change_as_a_typed_value(
    old: dict[str, Any], new: dict[str, Any], expected: list[Any]
) -> None:
    diff = diff_forms(old, new)
    assert list(diff.changes) == expected
    assert diff.ok and not diff.problems


def test_a_field_that_vanishes_instead_of_being_archived_is_a_dropped_field() -> None:
    dropped = copy.deepcopy(BASE)
    del dropped["properties"]["phone"]
    dropped["x-order"].remove("phone")
    diff = diff_forms(BASE, dropped)
    assert not diff.ok
    assert diff.problems == (DroppedField("phone"),)
    assert diff.problems[0].message("en") == "Field “phone” would be deleted; archive it instead"
    assert diff.problems[0].message("zh-CN") == "字段“phone”将被删除；请改为归档"


def test_purging_an_archived_field_is_a_dropped_field_too() -> None:
    archived = archive_field(BASE, "phone")
    purged = {**archived, "x-archived": {}}
    assert diff_forms(archived, purged).problems == (DroppedField("phone"),)


def test_archived_fields_cannot_be_edited_or_archived_with_another_schema() -> None:
    archived = archive_field(BASE, "phone")
    edited = copy.deepcopy(archived)
    edited["x-archived"]["phone"]["type"] = "number"
    assert diff_forms(archived, edited).problems == (ArchivedFieldChanged("phone"),)
    retyped = copy.deepcopy(archived)
    retyped["x-archived"]["phone"]["maxLength"] = 5
    assert diff_forms(BASE, retyped).problems == (ArchivedFieldChanged("phone"),)


# --- operations ------------------------------------------------------------------------

OPERATIONS: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = [
    ("add", lambda d: add_field(d, "email", TEXT, position=1)),
    ("archive", lambda d: archive_field(d, "name")),
    ("restore", lambda d: restore_field(archive_field(d, "phone"), "phone")),
    ("relabel", lambda d: relabel_field(d, "name", title="Full name", titles={"zh-CN": "姓名"})),
    ("reorder", lambda d: reorder_fields(d, list(reversed(d["x-order"])))),
    ("change type", lambda d: change_field_type(d, "phone", NUMBER)),
]


def _keys(doc: Mapping[str, Any]) -> set[str]:
    return set(doc["properties"]) | set(doc.get("x-archived") or {})


@pytest.mark.parametrize(
    "operation", [op for _, op in OPERATIONS], ids=[name for name, _ in OPERATIONS]
)
def test_operations_never_mutate_their_input_and_never_change_a_key(
    operation: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    before = copy.deepcopy(BASE)
    result = operation(BASE)
    assert before == BASE
    assert _keys(BASE) <= _keys(result)
    assert _keys(result) - _keys(BASE) <= {"email"}
    assert sorted(result["x-order"]) == sorted(result["properties"])
    assert diff_forms(BASE, result).ok


def test_there_is_no_way_to_rename_a_key() -> None:
    assert not [name for name in dir(evolution) if "rename" in name.lower()]


def test_archive_then_restore_puts_the_field_back_where_it_was_and_required_again() -> None:
    archived = archive_field(BASE, "name")
    assert "name" not in archived["properties"] and "name" not in archived["x-order"]
    assert "name" not in archived["required"]
    assert archived["x-archived"]["name"]["x-archived-position"] == 0
    assert restore_field(archived, "name") == BASE


def test_restore_without_a_remembered_position_appends_the_field() -> None:
    archived = archive_field(BASE, "name")
    del archived["x-archived"]["name"]["x-archived-position"]
    assert restore_field(archived, "name")["x-order"][-1] == "name"


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        (lambda: archive_field(BASE, "nope"), "evolution_unknown_field"),
        (lambda: restore_field(BASE, "phone"), "evolution_not_archived"),
        (lambda: relabel_field(BASE, "nope", title="X"), "evolution_unknown_field"),
        (lambda: add_field(BASE, "phone", TEXT), "evolution_key_taken"),
        (lambda: add_field(archive_field(BASE, "phone"), "phone", TEXT), "evolution_key_taken"),
        (lambda: change_field_type(BASE, "phone", {"type": "number"}), "evolution_bad_fragment"),
    ],
)
def test_bad_operations_are_refused_with_a_code(operation: Callable[[], Any], code: str) -> None:
    with pytest.raises(EvolutionError) as caught:
        operation()
    assert caught.value.code == code


@pytest.mark.parametrize(
    ("order", "missing", "extra"),
    [
        (["name", "phone", "industry", "spent"], "labels", "-"),
        (["name", "phone", "industry", "spent", "labels", "ghost"], "-", "ghost"),
        (["name", "name", "industry", "spent", "labels"], "phone", "name"),
    ],
)
def test_reorder_must_be_a_permutation_of_the_active_fields(
    order: list[str], missing: str, extra: str
) -> None:
    with pytest.raises(EvolutionError) as caught:
        reorder_fields(BASE, order)
    assert caught.value.params == {"missing": missing, "extra": extra}
    assert caught.value.pointer == "/x-order"
    assert "缺少" in caught.value.localised("zh-CN")


def test_change_type_keeps_labels_unique_and_conditions_unless_the_fragment_sets_them() -> None:
    doc = _with(BASE, "phone", **{"x-unique": True, "description": "Mobile"})
    changed = change_field_type(doc, "phone", {**NUMBER, "description": "Digits"})
    assert changed["properties"]["phone"] == {
        "type": "number", "x-field": "number", "title": "Phone",
        "x-titles": {"zh-CN": "电话"}, "x-unique": True, "description": "Digits",
    }  # fmt: skip


# --- migration plans -------------------------------------------------------------------


def to_number(value: Any) -> float | int:
    """Test converter: numbers stay, numeric text parses, anything else is refused."""
    if isinstance(value, bool):
        raise ValueError("boolean")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        number = float(value.strip())
        if math.isfinite(number):
            return number
    raise ValueError(f"not a number: {value!r}")


def to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise ValueError(f"not text: {value!r}")


CONVERTERS = {"number": to_number, "text": to_text, "textarea": to_text}


def values_of(records: Mapping[int, Mapping[str, Any]]) -> Callable[[str], list[tuple[int, Any]]]:
    return lambda key: [(rid, record.get(key)) for rid, record in records.items()]


def _phones(bad: Iterable[int] = (17, 40, 99)) -> dict[int, dict[str, Any]]:
    records = {rid: {"name": f"C{rid}", "phone": f"1380000{rid:04d}"} for rid in range(1, 121)}
    for rid in bad:
        records[rid]["phone"] = "abc"
    return records


def test_a_type_change_is_refused_with_counts_and_examples_in_both_languages() -> None:
    plan = plan_migration(
        BASE, change_field_type(BASE, "phone", NUMBER), values_of(_phones()), CONVERTERS
    )
    assert not plan.ok
    impact = plan.field("phone")
    assert (impact.kind, impact.values, impact.failing) == ("convert", 120, 3)
    assert [(e.record_id, e.value, e.reason) for e in impact.examples] == [
        (17, "abc", "convert"), (40, "abc", "convert"), (99, "abc", "convert"),
    ]  # fmt: skip
    assert impact.converted == {} and plan.writes() == {}
    assert plan.summary("en")[0].startswith(
        "3 of 120 values of “Phone” would not convert, e.g. #17 “abc”"
    )
    assert plan.summary("zh-CN")[0].startswith("“电话”有 3/120 个值无法转换，例如 #17 “abc”")


def test_a_type_change_where_everything_converts_lists_the_values_to_write() -> None:
    records = _phones(bad=())
    records[5]["phone"] = None
    plan = plan_migration(
        BASE, change_field_type(BASE, "phone", NUMBER), values_of(records), CONVERTERS
    )
    assert plan.ok
    impact = plan.field("phone")
    assert impact.values == 119 and len(impact.converted) == 119
    assert plan.writes()[7] == {"phone": 13800000007.0}
    assert plan.summary() == ["All 119 values of “Phone” fit; 119 are rewritten"]
    assert plan.summary("zh-CN") == ["“电话”的 119 个值全部符合，其中 119 个将被改写"]


def test_examples_stop_at_five() -> None:
    plan = plan_migration(
        BASE, change_field_type(BASE, "phone", NUMBER), values_of(_phones(range(1, 21))), CONVERTERS
    )
    assert plan.field("phone").failing == 20 and len(plan.field("phone").examples) == 5


CONSTRAINT_CASES = [
    ("name", {"maxLength": 3}, ["Ann", "Bobby", "Carl"], 2, "maxLength", "too long"),
    ("spent", {"minimum": 10}, [5, 10, 50.5], 1, "minimum", "too small"),
    ("spent", {"maximum": 10}, [5, 10, 50.5], 1, "maximum", "too large"),
    (
        "industry",
        {"enum": ["retail", "saas"]},
        ["retail", "other", "saas"],
        1,
        "enum",
        "not an option",
    ),
    ("labels", {"items": {"enum": ["a"]}}, [["a"], ["a", "b"], []], 1, "enum", "not an option"),
    ("phone", {"pattern": "^1[3-9]"}, ["13800", "021-555", "15900"], 1, "pattern", "wrong format"),
]


@pytest.mark.parametrize(
    ("key", "change", "values", "failing", "reason", "words"), CONSTRAINT_CASES
)
def test_tightened_constraints_are_checked_against_stored_values(
    key: str, change: dict[str, Any], values: list[Any], failing: int, reason: str, words: str
) -> None:
    records = {rid: {key: value} for rid, value in enumerate(values, start=1)}
    plan = plan_migration(BASE, _with(BASE, key, **change), values_of(records), CONVERTERS)
    impact = plan.field(key)
    assert (plan.ok, impact.kind, impact.failing) == (False, "check", failing)
    assert {e.reason for e in impact.examples} == {reason}
    assert f"break the new rules ({words})" in plan.summary("en")[0]


def test_relaxed_constraints_and_relabels_do_not_read_stored_values() -> None:
    asked: list[str] = []

    def values(key: str) -> list[tuple[int, Any]]:
        asked.append(key)
        return [(1, "x" * 90)]

    new = relabel_field(_with(BASE, "name", maxLength=500), "phone", title="Mobile")
    plan = plan_migration(BASE, new, values, CONVERTERS)
    assert plan.ok and plan.fields == () and asked == []


def test_becoming_unique_is_refused_while_values_repeat() -> None:
    records = {1: {"phone": "1"}, 2: {"phone": "2"}, 3: {"phone": "1"}, 4: {"phone": None}}
    plan = plan_migration(
        BASE, _with(BASE, "phone", **{"x-unique": True}), values_of(records), CONVERTERS
    )
    assert not plan.ok
    assert plan.field("phone").examples[0].record_id == 3
    assert plan.summary("zh-CN") == ["“电话”有 1 个值与其他值重复，无法设为唯一，例如 #3 “1”"]


def test_an_archived_field_reports_the_values_it_keeps() -> None:
    records = {1: {"phone": "1"}, 2: {"phone": None}, 3: {"phone": "3"}}
    plan = plan_migration(BASE, archive_field(BASE, "phone"), values_of(records), CONVERTERS)
    assert plan.ok and plan.writes() == {}
    assert plan.summary("en") == ["“Phone” is archived: its 2 values are kept, hidden"]
    assert plan.summary("zh-CN") == ["“电话”将被归档：保留 2 个值（隐藏）"]


def test_a_new_required_field_needs_a_default_when_records_exist() -> None:
    records = {1: {"name": "A"}, 2: {"name": "B"}}
    without = add_field(BASE, "tier", {**TEXT, "title": "Tier"}, required=True)
    plan = plan_migration(BASE, without, values_of(records), CONVERTERS)
    assert not plan.ok and plan.field("tier").missing == 2
    assert plan.summary("en") == [
        "2 records have no value for “Tier”, which becomes required, e.g. #1, #2; "
        "give it a default value"
    ]
    existing = _required(_with(BASE, "phone", default="-"), "name", "phone")
    plan = plan_migration(BASE, existing, values_of({1: {"phone": "1"}, 2: {}}), CONVERTERS)
    assert plan.writes() == {2: {"phone": "-"}}
    with_default = add_field(BASE, "tier", {**TEXT, "title": "Tier", "default": "C"}, required=True)
    plan = plan_migration(BASE, with_default, values_of(records), CONVERTERS)
    assert plan.ok and plan.writes() == {1: {"tier": "C"}, 2: {"tier": "C"}}
    assert plan.summary("zh-CN")[0] == "有 2 条数据的“Tier”没有值，将填入默认值 “C”"


def test_an_optional_new_field_and_an_empty_form_need_nothing() -> None:
    assert plan_migration(BASE, add_field(BASE, "tier", TEXT), values_of({1: {}}), CONVERTERS).ok
    plan = plan_migration(
        BASE, add_field(BASE, "tier", TEXT, required=True), values_of({}), CONVERTERS
    )
    assert plan.ok


def test_a_missing_converter_is_a_programming_error() -> None:
    with pytest.raises(EvolutionError, match="No converter for field type “number”"):
        plan_migration(BASE, change_field_type(BASE, "phone", NUMBER), values_of({}), {})


class NotConvertible(Exception):
    pass


def test_the_caller_names_the_exception_that_means_does_not_convert() -> None:
    def strict(value: Any) -> Any:
        raise NotConvertible(value)

    new = change_field_type(BASE, "phone", NUMBER)
    plan = plan_migration(
        BASE,
        new,
        values_of({1: {"phone": "x"}}),
        {"number": strict},
        conversion_errors=(NotConvertible,),
    )
    assert plan.field("phone").failing == 1
    with pytest.raises(NotConvertible):
        plan_migration(BASE, new, values_of({1: {"phone": "x"}}), {"number": strict})


def test_a_dropped_field_makes_the_plan_fail() -> None:
    dropped = copy.deepcopy(BASE)
    del dropped["properties"]["phone"]
    plan = plan_migration(BASE, dropped, values_of({}), CONVERTERS)
    assert not plan.ok
    assert plan.summary("en") == ["Field “phone” would be deleted; archive it instead"]


# --- the property: no sequence of changes loses a stored value -------------------------

KINDS: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "maxLength": 200, "x-field": "text"},
    "short": {"type": "string", "maxLength": 4, "x-field": "text"},
    "textarea": {"type": "string", "maxLength": 10000, "x-field": "textarea"},
    "number": {"type": "number", "x-field": "number"},
}
DEFAULTS = {"text": "n/a", "short": "-", "textarea": "", "number": 0}
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32)
)
VALUES = {
    "text": st.one_of(st.text(max_size=12), NUMBERS.map(repr)),
    "short": st.one_of(st.text(max_size=4), st.integers(-99, 999).map(str)),
    "textarea": st.text(max_size=30),
    "number": NUMBERS,
}


def _step(data: st.DataObject, doc: dict[str, Any], fresh: str) -> dict[str, Any] | None:
    active, archived = list(doc["x-order"]), sorted(doc.get("x-archived") or {})
    ops = ["add", "archive", "restore", "relabel", "reorder", "change", "require"]
    op = data.draw(st.sampled_from(ops))
    if op == "add":
        kind = data.draw(st.sampled_from(sorted(KINDS)))
        fragment = dict(KINDS[kind])
        if data.draw(st.booleans()):
            fragment["default"] = DEFAULTS[kind]
        return add_field(doc, fresh, fragment, required=data.draw(st.booleans()))
    if op == "restore":
        return restore_field(doc, data.draw(st.sampled_from(archived))) if archived else None
    if not active:
        return None
    key = data.draw(st.sampled_from(active))
    if op == "archive":
        return archive_field(doc, key)
    if op == "relabel":
        return relabel_field(doc, key, titles={"zh-CN": data.draw(st.text(min_size=1, max_size=5))})
    if op == "reorder":
        return reorder_fields(doc, data.draw(st.permutations(active)))
    if op == "require":
        fragment = doc["properties"][key]
        default = DEFAULTS["number" if fragment["x-field"] == "number" else "short"]
        new = _with(doc, key, default=default if data.draw(st.booleans()) else None)
        return {**new, "required": sorted({*doc["required"], key})}
    return change_field_type(doc, key, KINDS[data.draw(st.sampled_from(sorted(KINDS)))])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_sequence_of_changes_loses_a_stored_value(data: st.DataObject) -> None:
    kinds = data.draw(st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=4))
    doc = form(*((f"f{i}", {**KINDS[kind], "title": f"F{i}"}) for i, kind in enumerate(kinds)))
    doc["required"] = [key for key in doc["x-order"] if data.draw(st.booleans())]
    records: dict[int, dict[str, Any]] = {}
    for rid in range(1, data.draw(st.integers(0, 6)) + 1):
        records[rid] = {
            f"f{i}": data.draw(VALUES[kind])
            for i, kind in enumerate(kinds)
            if data.draw(st.booleans())
        }
    # What each starting value must become: itself, converted by every applied type
    # change, or (only when it held nothing, like "") the default it was filled with.
    expected = {
        (rid, key): value for rid, record in records.items() for key, value in record.items()
    }
    for step in range(data.draw(st.integers(1, 10))):
        new = _step(data, doc, fresh=f"n{step}")
        if new is None:
            continue
        assert _keys(doc) <= _keys(new)
        plan = plan_migration(doc, new, values_of(records), CONVERTERS)
        assert plan.diff.ok
        if not plan.ok:
            event("refused")
            assert plan.writes() == {}
            continue
        writes = plan.writes()
        event("applied a type change" if plan.diff.of_type(TypeChanged) else "applied")
        retyped = {c.key: CONVERTERS[str(c.new_field)] for c in plan.diff.of_type(TypeChanged)}
        for (rid, key), value in expected.items():
            if is_empty(value) and key in writes.get(rid, {}):
                expected[rid, key] = writes[rid][key]
            elif not is_empty(value) and key in retyped:
                expected[rid, key] = retyped[key](value)
        for rid, changes in writes.items():
            assert set(changes) <= set(new["properties"])
            records[rid].update(changes)
        doc = new

    archived = doc.get("x-archived") or {}
    for (rid, key), value in expected.items():
        assert key in doc["properties"] or key in archived
        assert same_json(records[rid][key], value), (rid, key, value)
    for key, fragment in doc["properties"].items():
        validator = Draft202012Validator(plain_schema(fragment, labels=False))
        for record in records.values():
            if record.get(key) not in (None, ""):
                assert validator.is_valid(record[key]), (key, record[key])
