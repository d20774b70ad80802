# ruff: noqa: RUF001 - Chinese punctuation in expected input and messages
"""The field catalogue: registry, fragments, coercion from HTML/CSV/JSON, formatting,
and the bilingual messages every code must have."""

from __future__ import annotations

import contextlib
import math
import string
from datetime import date, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from form_engine import FormEngineError
from form_engine.fields import FIELD_TYPES, SOURCES, CoercionError, field_type
from form_engine.fields import formats as formats_module
from form_engine.fields.formats import FORMAT_CHECKS
from form_engine.fields.messages import DOCUMENT_MESSAGES, RECORD_MESSAGES
from form_engine.fields.parsing import MAX_NUMBER, group_number, parse_number
from form_engine.messages import SUPPORTED_LOCALES, registered_codes, render

CONTRACT_TYPES = [
    "text", "textarea", "number", "money", "percent", "date", "datetime", "select",
    "multiselect", "checkbox", "rating", "nps", "email", "phone", "url", "address",
    "member", "link", "lookup", "rollup", "formula", "subform", "tags", "autonumber",
    "attachment", "section", "description",
]  # fmt: skip

# Options each type needs for a usable fragment (the rest have working defaults).
OPTIONS: dict[str, dict[str, Any]] = {
    "select": {"options": ["A", {"value": "B", "titles": {"en": "Bee", "zh-CN": "乙级"}}]},
    "multiselect": {"options": ["x", "y", {"value": "z", "titles": {"zh-CN": "丙"}}]},
    "link": {"form": "orders"},
    "lookup": {"link": "customer", "field": "name"},
    "rollup": {"form": "orders", "link": "customer", "agg": "sum", "of": "amount"},
    "formula": {"formula": "total * 2"},
    "subform": {
        "fields": {
            "qty": {"x-field": "number", "type": "number", "x-aliases": ["quantity"]},
            "sku": {"x-field": "text", "type": "string", "maxLength": 20},
            "gift": {"x-field": "checkbox", "type": "boolean"},
        }
    },
}


def schema_of(key: str, **options: Any) -> dict[str, Any]:
    return field_type(key).fragment(**{**OPTIONS.get(key, {}), **options})


# -- registry ------------------------------------------------------------------------


def test_the_catalogue_has_exactly_the_contract_types() -> None:
    assert sorted(FIELD_TYPES) == sorted(CONTRACT_TYPES)
    assert all(FIELD_TYPES[key].key == key for key in FIELD_TYPES)


@pytest.mark.parametrize(
    ("key", "computed", "layout", "stores", "sql_kind"),
    [
        ("text", False, False, True, "text"),
        ("textarea", False, False, True, "text"),
        ("number", False, False, True, "number"),
        ("money", False, False, True, "number"),
        ("percent", False, False, True, "number"),
        ("date", False, False, True, "date"),
        ("datetime", False, False, True, "datetime"),
        ("select", False, False, True, "text"),
        ("multiselect", False, False, True, "json"),
        ("checkbox", False, False, True, "boolean"),
        ("rating", False, False, True, "integer"),
        ("nps", False, False, True, "integer"),
        ("email", False, False, True, "text"),
        ("phone", False, False, True, "text"),
        ("url", False, False, True, "text"),
        ("address", False, False, True, "json"),
        ("member", False, False, True, "integer"),
        ("link", False, False, True, "integer"),
        ("lookup", True, False, True, "json"),
        ("rollup", True, False, True, "number"),
        ("formula", True, False, True, "number"),
        ("subform", False, False, True, "json"),
        ("tags", False, False, True, "json"),
        ("autonumber", True, False, True, "text"),
        ("attachment", False, False, True, "json"),
        ("section", False, True, False, None),
        ("description", False, True, False, None),
    ],
)
def test_each_type_declares_its_nature_and_sql_cast(
    key: str, computed: bool, layout: bool, stores: bool, sql_kind: str | None
) -> None:
    kind = field_type(key)
    assert (kind.computed, kind.layout, kind.stores, kind.sql_kind) == (
        computed, layout, stores, sql_kind,
    )  # fmt: skip
    assert kind.sql_kind_for(schema_of(key)) == sql_kind


@pytest.mark.parametrize(
    ("key", "options", "sql_kind"),
    [
        ("link", {"multiple": True}, "json"),
        ("formula", {"result": "text"}, "text"),
        ("formula", {"result": "boolean"}, "boolean"),
        ("formula", {"result": "date"}, "date"),
    ],
)
def test_sql_cast_follows_the_field_settings(
    key: str, options: dict[str, Any], sql_kind: str
) -> None:
    assert field_type(key).sql_kind_for(schema_of(key, **options)) == sql_kind


def test_every_type_has_a_name_in_both_languages() -> None:
    for kind in FIELD_TYPES.values():
        assert set(kind.names) == set(SUPPORTED_LOCALES), kind.key


def test_an_unknown_type_suggests_the_closest_one() -> None:
    with pytest.raises(FormEngineError, match="did you mean 'phone'") as caught:
        field_type("fone")
    assert caught.value.suggestion == "phone"
    with pytest.raises(FormEngineError) as caught:
        field_type("zzzzzz")
    assert caught.value.suggestion is None


# -- fragments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "options", "expected"),
    [
        ("text", {}, {"x-field": "text", "type": "string", "maxLength": 200}),
        ("text", {"max_length": 50, "min_length": 2, "pattern": "^[A-Z]"},
         {"x-field": "text", "type": "string", "maxLength": 50, "minLength": 2,
          "pattern": "^[A-Z]"}),
        ("textarea", {}, {"x-field": "textarea", "type": "string", "maxLength": 10000}),
        ("number", {"minimum": 0, "decimals": 1},
         {"x-field": "number", "type": "number", "minimum": 0, "x-decimals": 1}),
        ("money", {}, {"x-field": "money", "type": "number", "x-currency": "CNY"}),
        ("percent", {}, {"x-field": "percent", "type": "number"}),
        ("date", {}, {"x-field": "date", "type": "string", "format": "date"}),
        ("datetime", {}, {"x-field": "datetime", "type": "string", "format": "date-time"}),
        ("checkbox", {}, {"x-field": "checkbox", "type": "boolean"}),
        ("rating", {}, {"x-field": "rating", "type": "integer", "minimum": 1, "maximum": 5}),
        ("nps", {}, {"x-field": "nps", "type": "integer", "minimum": 0, "maximum": 10}),
        ("email", {}, {"x-field": "email", "type": "string", "format": "email", "maxLength": 254}),
        ("phone", {}, {"x-field": "phone", "type": "string", "x-phone-region": "CN"}),
        ("url", {}, {"x-field": "url", "type": "string", "format": "uri", "maxLength": 2000}),
        ("member", {}, {"x-field": "member", "type": "integer", "minimum": 1}),
        ("section", {"title": "Contact"},
         {"x-field": "section", "readOnly": True, "x-layout": True, "title": "Contact"}),
        ("autonumber", {"prefix": "C-"},
         {"x-field": "autonumber", "type": "string", "readOnly": True,
          "x-autonumber": {"prefix": "C-", "digits": 5}}),
        ("tags", {}, {"x-field": "tags", "type": "array", "uniqueItems": True,
                      "items": {"type": "string", "maxLength": 50}}),
    ],
)  # fmt: skip
def test_fragments_carry_the_documented_defaults(
    key: str, options: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert field_type(key).fragment(**options) == expected


def test_select_fragment_holds_options_titles_and_colours() -> None:
    fragment = field_type("select").fragment(
        options=["retail", {"value": "saas", "titles": {"zh-CN": "软件"}, "color": "#112233"}],
        titles={"zh-CN": "行业"},
        title="Industry",
    )
    assert fragment == {
        "x-field": "select", "type": "string", "enum": ["retail", "saas"],
        "x-option-titles": {"saas": {"zh-CN": "软件"}},
        "x-option-colors": {"saas": "#112233"},
        "title": "Industry", "x-titles": {"zh-CN": "行业"},
    }  # fmt: skip


def test_an_unknown_fragment_option_is_refused_with_a_suggestion() -> None:
    with pytest.raises(FormEngineError, match="did you mean 'max_length'") as caught:
        field_type("text").fragment(max_lenght=5)
    assert caught.value.suggestion == "max_length"


@pytest.mark.parametrize(
    ("key", "options"),
    [("select", {"options": ["a", "a"]}), ("link", {}), ("lookup", {"link": "x"}),
     ("rollup", {"form": "o", "link": "c", "agg": "sum"}), ("formula", {}),
     ("phone", {"region": "US"})],
)  # fmt: skip
def test_fragment_options_that_make_no_sense_are_refused(key: str, options: dict[str, Any]) -> None:
    with pytest.raises(FormEngineError):
        field_type(key).fragment(**options)


def test_autonumber_values_are_prefixed_and_padded() -> None:
    schema = schema_of("autonumber", prefix="C-", digits=5)
    assert field_type("autonumber").next_value(schema, 42) == "C-00042"  # type: ignore[attr-defined]


# -- coercion ------------------------------------------------------------------------

PLUS_8 = timezone(timedelta(hours=8))

GOOD: list[tuple[str, dict[str, Any], str, Any, Any]] = [
    ("text", {}, "html", "  Alice  ", "Alice"),
    ("text", {}, "html", "", None),
    ("text", {}, "html", "   ", None),
    ("text", {}, "html", ["only one"], "only one"),
    ("text", {}, "csv", "张三", "张三"),
    ("text", {}, "csv", 12345, "12345"),
    ("text", {}, "json", " kept as sent ", " kept as sent "),
    ("text", {}, "json", "", None),
    ("text", {}, "json", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("textarea", {}, "html", "line 1\r\nline 2", "line 1\nline 2"),
    ("number", {}, "html", "1,234.5", 1234.5),
    ("number", {}, "html", "１２３", 123),
    ("number", {}, "html", "１，２３４．５", 1234.5),
    ("number", {}, "html", " -12 ", -12),
    ("number", {}, "html", "\u22125", -5),
    ("number", {}, "html", "1 234", 1234),
    ("number", {}, "html", "1e3", 1000.0),
    ("number", {}, "html", "", None),
    ("number", {}, "csv", "0.5", 0.5),
    ("number", {}, "csv", 3.5, 3.5),
    ("number", {}, "json", 12, 12),
    ("number", {}, "json", 12.5, 12.5),
    ("number", {}, "json", None, None),
    ("money", {}, "html", "¥1,234.50", 1234.5),
    ("money", {}, "html", "￥12.3", 12.3),
    ("money", {}, "html", "$99", 99),
    ("money", {}, "html", "1234元", 1234),
    ("money", {}, "html", "-¥5", -5),
    ("money", {}, "csv", "CNY 100", 100),
    ("money", {}, "json", 12.34, 12.34),
    ("percent", {}, "html", "12.5%", 12.5),
    ("percent", {}, "html", "１２％", 12),
    ("percent", {}, "csv", "12.5", 12.5),
    ("percent", {}, "json", 30, 30),
    ("rating", {}, "html", "4", 4),
    ("rating", {}, "csv", "★★★★", 4),
    ("rating", {}, "csv", "3星", 3),
    ("rating", {}, "json", 4.0, 4),
    ("nps", {}, "html", "9", 9),
    ("nps", {}, "json", 0, 0),
    ("date", {}, "html", "2026-11-24", "2026-11-24"),
    ("date", {}, "csv", "2026/11/24", "2026-11-24"),
    ("date", {}, "csv", "2026/1/5", "2026-01-05"),
    ("date", {}, "csv", "2026年11月24日", "2026-11-24"),
    ("date", {}, "csv", "2026.11.24", "2026-11-24"),
    ("date", {}, "csv", "20261124", "2026-11-24"),
    ("date", {}, "csv", "2026-11-24 00:00:00", "2026-11-24"),
    ("date", {}, "csv", "２０２６－１１－２４", "2026-11-24"),
    ("date", {}, "csv", date(2026, 11, 24), "2026-11-24"),
    ("date", {}, "json", "2026-11-24", "2026-11-24"),
    ("datetime", {}, "html", "2026-11-24T14:30", "2026-11-24T14:30:00Z"),
    ("datetime", {}, "csv", "2026/11/24 14:30:05", "2026-11-24T14:30:05Z"),
    ("datetime", {}, "csv", "2026-11-24 14:30+08:00", "2026-11-24T06:30:00Z"),
    ("datetime", {}, "csv", "2026年11月24日 14:30", "2026-11-24T14:30:00Z"),
    ("datetime", {}, "csv", "2026-11-24", "2026-11-24T00:00:00Z"),
    ("datetime", {}, "json", "2026-11-24T14:30:00+08:00", "2026-11-24T06:30:00Z"),
    ("datetime", {}, "json", "2026-11-24T14:30:00.123Z", "2026-11-24T14:30:00Z"),
    ("select", {}, "html", "A", "A"),
    ("select", {}, "html", "", None),
    ("select", {}, "csv", "乙级", "B"),
    ("select", {}, "csv", "bee", "B"),
    ("select", {}, "json", "A", "A"),
    ("multiselect", {}, "html", ["x", "y", "x"], ["x", "y"]),
    ("multiselect", {}, "html", "x", ["x"]),
    ("multiselect", {}, "html", [], None),
    ("multiselect", {}, "csv", "x; y；丙", ["x", "y", "z"]),
    ("multiselect", {}, "csv", "x,y、x", ["x", "y"]),
    ("multiselect", {}, "json", ["y", "x"], ["y", "x"]),
    ("multiselect", {}, "json", [], None),
    ("checkbox", {}, "html", "y", True),
    ("checkbox", {}, "html", "on", True),
    ("checkbox", {}, "html", None, False),
    ("checkbox", {}, "html", "", False),
    ("checkbox", {}, "csv", "是", True),
    ("checkbox", {}, "csv", "否", False),
    ("checkbox", {}, "csv", "TRUE", True),
    ("checkbox", {}, "csv", "no", False),
    ("checkbox", {}, "csv", "", None),
    ("checkbox", {}, "json", True, True),
    ("checkbox", {}, "json", None, None),
    ("email", {}, "html", " Name@Example.COM ", "Name@example.com"),
    ("email", {}, "html", "ａ＠ｂ.com", "a@b.com"),
    ("email", {}, "json", "x@y.cn", "x@y.cn"),
    ("phone", {}, "html", "+86 138 0013 8000", "13800138000"),
    ("phone", {}, "html", "138-0013-8000", "13800138000"),
    ("phone", {}, "html", "0086 13800138000", "13800138000"),
    ("phone", {}, "html", "(010) 1234 5678", "010-12345678"),
    ("phone", {}, "csv", "075512345678", "0755-12345678"),
    ("phone", {}, "csv", "12345", "12345"),  # kept for validation to refuse
    ("phone", {"region": "intl"}, "html", "+44 20 7946 0958", "+442079460958"),
    ("phone", {"region": "intl"}, "csv", "0044 20 7946 0958", "+442079460958"),
    ("url", {}, "html", "example.com/a", "https://example.com/a"),
    ("url", {}, "html", "https://例子.cn/路径", "https://xn--fsqu00a.cn/%E8%B7%AF%E5%BE%84"),
    ("url", {}, "json", "http://x.org/?q=1", "http://x.org/?q=1"),
    ("address", {}, "html",
     {"province": " 广东省 ", "city": "深圳市", "district": "", "detail": "科技园路1号"},
     {"province": "广东省", "city": "深圳市", "detail": "科技园路1号"}),
    ("address", {}, "csv", "广东省 深圳市 南山区 科技园路1号",
     {"province": "广东省", "city": "深圳市", "district": "南山区", "detail": "科技园路1号"}),
    ("address", {}, "csv", "广东省深圳市南山区科技园路1号",
     {"province": "广东省", "city": "深圳市", "district": "南山区", "detail": "科技园路1号"}),
    ("address", {}, "csv", "北京市朝阳区建国路1号",
     {"province": "北京市", "district": "朝阳区", "detail": "建国路1号"}),
    ("address", {}, "json", {"province": "浙江省"}, {"province": "浙江省"}),
    ("address", {}, "json", {}, None),
    ("member", {}, "html", "12", 12),
    ("member", {}, "csv", "#7", 7),
    ("member", {}, "json", 3, 3),
    ("link", {}, "html", "5", 5),
    ("link", {"multiple": True}, "csv", "1;2;2", [1, 2]),
    ("link", {"multiple": True}, "html", ["3", "4"], [3, 4]),
    ("link", {"multiple": True}, "json", [1, 2], [1, 2]),
    ("subform", {}, "html",
     [{"quantity": "2", "sku": " A "}, {"qty": "", "sku": ""}],
     [{"qty": 2, "sku": "A", "gift": False}]),
    ("subform", {}, "csv", '[{"qty": "3"}]', [{"qty": 3}]),
    ("subform", {}, "json", [{"qty": 1, "gift": True}], [{"qty": 1, "gift": True}]),
    ("tags", {}, "html", "vip, 老客户，vip", ["vip", "老客户"]),
    ("tags", {}, "csv", "a;b；c", ["a", "b", "c"]),
    ("tags", {}, "json", ["a"], ["a"]),
    ("attachment", {}, "json", [{"id": "f1", "name": "a.pdf", "size": 10}],
     [{"id": "f1", "name": "a.pdf", "size": 10}]),
    ("attachment", {}, "html", {"id": "f1", "name": "a.pdf"}, [{"id": "f1", "name": "a.pdf"}]),
    ("attachment", {}, "csv", "", None),
    ("autonumber", {}, "json", "C-00001", "C-00001"),
    ("lookup", {}, "json", {"any": ["thing"]}, {"any": ["thing"]}),
    ("rollup", {}, "csv", "1,234", 1234),
    ("formula", {"result": "text"}, "json", "A", "A"),
    ("formula", {"result": "date"}, "csv", "2026/11/24", "2026-11-24"),
    ("section", {}, "html", "anything", None),
    ("description", {}, "json", 5, None),
]  # fmt: skip


@pytest.mark.parametrize(("key", "options", "source", "raw", "expected"), GOOD)
def test_input_is_coerced_to_the_stored_value(
    key: str, options: dict[str, Any], source: Any, raw: Any, expected: Any
) -> None:
    assert field_type(key).coerce(raw, source, schema_of(key, **options)) == expected


def test_naive_date_times_are_read_in_the_persons_time_zone() -> None:
    kind = field_type("datetime")
    assert kind.coerce("2026-11-24T14:30", "html", tz=PLUS_8) == "2026-11-24T06:30:00Z"
    assert kind.coerce("2026-11-24 14:30Z", "csv", tz=PLUS_8) == "2026-11-24T14:30:00Z"


BAD: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("text", {}, "json", 5, "not_text"),
    ("text", {}, "json", ["a"], "not_text"),
    ("text", {}, "html", {"a": 1}, "not_text"),
    ("text", {}, "html", ["a", "b"], "one_value_only"),
    ("text", {}, "json", "a\x00b", "control_characters"),
    ("text", {}, "html", "bell\x07", "control_characters"),
    ("number", {}, "json", "12", "not_a_number"),
    ("number", {}, "json", True, "not_a_number"),
    ("number", {}, "json", math.nan, "not_a_number"),
    ("number", {}, "json", math.inf, "not_a_number"),
    ("number", {}, "json", -math.inf, "not_a_number"),
    ("number", {}, "json", 1e16, "number_too_large"),
    ("number", {}, "json", {"n": 1}, "not_a_number"),
    ("number", {}, "html", "12,5", "not_a_number"),
    ("number", {}, "html", "abc", "not_a_number"),
    ("number", {}, "html", "nan", "not_a_number"),
    ("number", {}, "html", "Infinity", "not_a_number"),
    ("number", {}, "html", "1e400", "not_a_number"),
    ("number", {}, "html", "9" * 5000, "number_too_large"),
    ("number", {}, "html", "1.2.3", "not_a_number"),
    ("money", {}, "html", "¥12.345", "too_many_decimals"),
    ("money", {}, "json", 0.1 + 0.2, "too_many_decimals"),
    ("rating", {}, "html", "4.5", "not_an_integer"),
    ("rating", {}, "json", 4.5, "not_an_integer"),
    ("rating", {}, "json", True, "not_an_integer"),
    ("rating", {}, "json", "4", "not_an_integer"),
    ("date", {}, "html", "2026-02-30", "bad_date"),
    ("date", {}, "csv", "11/24/2026", "bad_date"),
    ("date", {}, "json", "2026/11/24", "bad_date"),
    ("date", {}, "json", 20261124, "bad_date"),
    ("datetime", {}, "json", "2026-11-24T14:30:00", "bad_datetime"),
    ("datetime", {}, "json", "2026-11-24 14:30:00Z", "bad_datetime"),
    ("datetime", {}, "html", "2026-11-24 25:00", "bad_datetime"),
    ("select", {}, "json", 3, "not_an_option"),
    ("multiselect", {}, "json", "x", "not_a_list"),
    ("checkbox", {}, "json", "true", "not_a_boolean"),
    ("checkbox", {}, "json", 1, "not_a_boolean"),
    ("checkbox", {}, "csv", "maybe", "not_a_boolean"),
    ("email", {}, "json", 5, "bad_email"),
    ("phone", {}, "json", 13800138000, "bad_phone_cn"),
    ("phone", {"region": "intl"}, "json", 442079460958, "bad_phone_intl"),
    ("url", {}, "json", 5, "bad_url"),
    ("address", {}, "json", {"province": 5}, "bad_address"),
    ("address", {}, "json", {"street": "x"}, "bad_address"),
    ("address", {}, "json", "广东省", "bad_address"),
    ("address", {}, "html", 5, "bad_address"),
    ("member", {}, "html", "abc", "bad_member"),
    ("member", {}, "html", "-1", "bad_member"),
    ("member", {}, "json", "3", "bad_member"),
    ("member", {}, "json", True, "bad_member"),
    ("link", {"multiple": True}, "json", 5, "bad_link"),
    ("subform", {}, "json", {"qty": 1}, "bad_rows"),
    ("subform", {}, "csv", "not json", "bad_rows"),
    ("tags", {}, "json", "a", "not_a_list"),
    ("attachment", {}, "csv", "a.pdf", "not_importable"),
    ("attachment", {}, "json", {"id": 1}, "bad_attachment"),
    ("lookup", {}, "html", "x", "read_only"),
]  # fmt: skip


@pytest.mark.parametrize(("key", "options", "source", "raw", "code"), BAD)
def test_unreadable_input_raises_a_coercion_error_with_a_message_code(
    key: str, options: dict[str, Any], source: Any, raw: Any, code: str
) -> None:
    with pytest.raises(CoercionError) as caught:
        field_type(key).coerce(raw, source, schema_of(key, **options))
    assert caught.value.code == code
    assert isinstance(caught.value, FormEngineError)
    assert caught.value.message_in("zh-CN") != caught.value.message_in("en")


def test_subform_rows_report_each_bad_cell_at_its_place() -> None:
    with pytest.raises(CoercionError) as caught:
        field_type("subform").coerce(
            [{"qty": "x"}, {"sku": "a", "qtty": 1}], "json", schema_of("subform")
        )
    problems = [(p.path, p.code, p.params) for p in caught.value.problems]
    assert problems == [
        ((0, "qty"), "not_a_number", {}),
        ((1, "qtty"), "unknown_field_suggestion", {"key": "qtty", "suggestion": "qty"}),
    ]


@pytest.mark.parametrize("key", CONTRACT_TYPES)
@pytest.mark.parametrize("source", SOURCES)
def test_no_input_ever_escapes_as_anything_but_a_coercion_error(key: str, source: Any) -> None:
    schema = schema_of(key)
    nasty = ["", "x" * 1_000_000, "<img src=x onerror=alert(1)>", [], {}, [{}], 0, -1, 1e308,
             math.nan, True, None, [None], {"a": [1, {"b": None}]}, "１２", "\x00"]  # fmt: skip
    for raw in nasty:
        with contextlib.suppress(CoercionError):  # anything else fails the test
            field_type(key).coerce(raw, source, schema)


def test_a_megabyte_of_text_is_kept_for_validation_to_judge() -> None:
    huge = "字" * 1_000_000
    assert field_type("text").coerce(huge, "json") == huge


# -- formatting ----------------------------------------------------------------------

FORMATS: list[tuple[str, dict[str, Any], Any, str, str]] = [
    ("number", {}, 1234.5, "en", "1,234.5"),
    ("number", {}, 1234.5, "zh-CN", "1,234.5"),
    ("number", {}, 1234567, "en", "1,234,567"),
    ("number", {}, 0.1, "en", "0.1"),
    ("number", {}, -1234.5, "en", "-1,234.5"),
    ("number", {"decimals": 2}, 1234.5, "en", "1,234.50"),
    ("money", {}, 1234.5, "en", "¥1,234.50"),
    ("money", {}, 1234.5, "zh-CN", "¥1,234.50"),
    ("money", {"currency": "USD"}, 1234.5, "en", "$1,234.50"),
    ("money", {}, -5, "en", "-¥5.00"),
    ("money", {"currency": "JPY"}, 1234, "en", "JP¥1,234"),
    ("money", {"currency": "CHF"}, 1234.5, "en", "CHF 1,234.50"),
    ("percent", {}, 12.5, "en", "12.5%"),
    ("percent", {"decimals": 1}, 12, "zh-CN", "12.0%"),
    ("date", {}, "2026-11-24", "en", "2026-11-24"),
    ("date", {}, "2026-11-24", "zh-CN", "2026年11月24日"),
    ("datetime", {}, "2026-11-24T06:30:00Z", "en", "2026-11-24 06:30"),
    ("datetime", {}, "2026-11-24T06:30:00Z", "zh-CN", "2026年11月24日 06:30"),
    ("checkbox", {}, True, "en", "Yes"),
    ("checkbox", {}, False, "en", "No"),
    ("checkbox", {}, True, "zh-CN", "是"),
    ("checkbox", {}, False, "zh-CN", "否"),
    ("select", {}, "A", "zh-CN", "A"),
    ("select", {}, "B", "en", "Bee"),
    ("select", {}, "B", "zh-CN", "乙级"),
    ("select", {}, "gone", "en", "gone"),
    ("multiselect", {}, ["x", "z"], "en", "x, z"),
    ("multiselect", {}, ["x", "z"], "zh-CN", "x、丙"),
    ("rating", {}, 3, "en", "★★★☆☆"),
    ("nps", {}, 9, "zh-CN", "9"),
    ("address", {}, {"province": "广东省", "city": "深圳市", "district": "南山区",
                     "detail": "科技园路1号"}, "zh-CN", "广东省深圳市南山区科技园路1号"),
    ("address", {}, {"province": "广东省", "city": "深圳市"}, "en", "广东省 深圳市"),
    ("address", {}, {"province": "北京市", "city": "北京市", "district": "朝阳区"}, "zh-CN",
     "北京市朝阳区"),
    ("tags", {}, ["a", "b"], "en", "a, b"),
    ("tags", {}, ["a", "b"], "zh-CN", "a、b"),
    ("subform", {}, [{}, {}], "en", "2 rows"),
    ("subform", {}, [{}], "en", "1 row"),
    ("subform", {}, [{}, {}], "zh-CN", "2 行"),
    ("attachment", {}, [{"id": 1, "name": "a.pdf"}, {"id": 2, "name": "b.png"}], "zh-CN",
     "a.pdf、b.png"),
    ("link", {}, 5, "en", "#5"),
    ("link", {"multiple": True}, [1, 2], "en", "#1, #2"),
    ("member", {}, 12, "en", "12"),
    ("formula", {"result": "date"}, "2026-11-24", "zh-CN", "2026年11月24日"),
    ("formula", {"result": "boolean"}, True, "zh-CN", "是"),
    ("rollup", {}, 1234.5, "en", "1,234.5"),
    ("lookup", {}, ["a", "b"], "zh-CN", "a、b"),
    ("lookup", {}, True, "en", "Yes"),
    ("autonumber", {}, "C-00042", "en", "C-00042"),
    ("text", {}, "<script>alert(1)</script>", "en", "<script>alert(1)</script>"),
    ("section", {}, None, "en", ""),
]  # fmt: skip


@pytest.mark.parametrize(("key", "options", "value", "locale", "expected"), FORMATS)
def test_values_are_formatted_for_the_locale(
    key: str, options: dict[str, Any], value: Any, locale: str, expected: str
) -> None:
    assert field_type(key).format(value, locale, schema_of(key, **options)) == expected


def test_date_times_are_shown_in_the_persons_time_zone() -> None:
    shown = field_type("datetime").format("2026-11-24T06:30:00Z", "zh-CN", tz=PLUS_8)
    assert shown == "2026年11月24日 14:30"


@pytest.mark.parametrize("key", CONTRACT_TYPES)
def test_formatting_never_raises_on_empty_or_odd_stored_values(key: str) -> None:
    kind = field_type(key)
    assert kind.format(None, "en", schema_of(key)) == ""
    for odd in [{"weird": [1]}, "text", 3.5, True, [1, "a"], math.nan]:
        for locale in SUPPORTED_LOCALES:
            assert isinstance(kind.format(odd, locale, schema_of(key)), str)


FORMAT_CASES: list[tuple[str, str, bool]] = [
    ("email", "a@b.co", True),
    ("email", "A.B+tag@Example.COM", True),
    ("email", "li@例子.中国", True),
    ("email", "x" * 64 + "@b.com", True),
    ("email", "x" * 65 + "@b.com", False),
    ("email", "a@" + "b" * 250 + ".com", False),
    ("email", "a@b.c", False),
    ("email", "a@-b.com", False),
    ("email", "a..b@c.com", False),
    ("email", ".a@b.com", False),
    ("email", "a@b_c.com", False),
    ("email", "a@localhost", False),
    ("email", "a@[127.0.0.1]", False),
    ("email", "Li <li@example.com>", False),
    ("email", "a@b.com\n", False),
    ("uri", "https://example.com", True),
    ("uri", "http://127.0.0.1:8080/x?y=1#z", True),
    ("uri", "https://[::1]/", True),
    ("uri", "https://xn--fsqu00a.cn/%E8%B7%AF", True),
    ("uri", "https://例子.cn", False),
    ("uri", "javascript:alert(1)", False),
    ("uri", "javascript://example.com/%0Aalert(1)", False),
    ("uri", "mailto:a@b.cn", False),
    ("uri", "example.com", False),
    ("uri", "https://exa mple.com", False),
    ("uri", "https://example.com:99999", False),
    ("uri", "https://" + "a" * 2000 + ".com", False),
    ("date", "2026-11-24", True),
    ("date", "2024-02-29", True),
    ("date", "2026-02-29", False),
    ("date", "2026-11-24 ", False),
    ("date", "20261124", False),
    ("date", "２０２６-１１-２４", False),
    ("date", "0000-01-01", False),
    ("date-time", "2026-11-24T06:30:00Z", True),
    ("date-time", "2026-11-24T06:30:00z", False),
    ("date-time", "2026-11-24T06:30:00+08:00", False),
    ("date-time", "2026-11-24T24:00:00Z", False),
    ("date-time", "2026-11-24T06:30Z", False),
]


@pytest.mark.parametrize(("name", "text", "ok"), FORMAT_CASES)
def test_the_dialects_formats_accept_only_the_stored_shapes(name: str, text: str, ok: bool) -> None:
    assert FORMAT_CHECKS[name](text) is ok


def test_a_megabyte_url_is_refused_without_parsing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(text: str) -> None:
        raise AssertionError("a huge address must be refused before it is parsed")

    monkeypatch.setattr(formats_module, "urlsplit", parse)
    assert not FORMAT_CHECKS["uri"]("https://" + "a." * 500_000 + "com")


@given(st.integers(min_value=-MAX_NUMBER, max_value=MAX_NUMBER))
def test_grouped_integers_read_back_to_themselves(value: int) -> None:
    assert parse_number(group_number(value)) == value


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_grouped_decimals_read_back_to_themselves(value: float) -> None:
    assert parse_number(group_number(value)) == pytest.approx(value, rel=1e-15, abs=1e-300)


# -- messages ------------------------------------------------------------------------


def _fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted({**RECORD_MESSAGES, **DOCUMENT_MESSAGES}))
def test_every_message_exists_in_both_languages_with_the_same_placeholders(code: str) -> None:
    assert code in registered_codes()
    texts = {**RECORD_MESSAGES, **DOCUMENT_MESSAGES}[code]
    assert set(texts) == set(SUPPORTED_LOCALES)
    assert _fields_of(texts["en"]) == _fields_of(texts["zh-CN"])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts["zh-CN"]), "zh-CN must be Chinese"
    params = dict.fromkeys(_fields_of(texts["en"]), "x")
    for locale in SUPPORTED_LOCALES:
        assert render(code, locale, **params)


@pytest.mark.parametrize(
    ("code", "params", "en", "zh"),
    [
        ("too_long", {"max": 100}, "Use at most 100 characters.", "最多可输入 100 个字符。"),
        ("bad_phone_cn", {},
         "Enter a mainland China mobile number (11 digits starting with 1) or a landline "
         "like 010-12345678.",
         "请输入中国大陆手机号（以 1 开头的 11 位数字）或固定电话，例如 010-12345678。"),
        ("required", {}, "This field is required.", "此项为必填项。"),
        ("unknown_field_suggestion", {"key": "nmae", "suggestion": "name"},
         "There is no field “nmae” — did you mean “name”?",
         "不存在字段“nmae”，您是不是要填写“name”？"),
    ],
)  # fmt: skip
def test_messages_name_the_rule_in_the_users_terms(
    code: str, params: dict[str, Any], en: str, zh: str
) -> None:
    assert render(code, "en", **params) == en
    assert render(code, "zh-CN", **params) == zh
