# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Record validation: the same table of cases on both backends (jsonschema-rs and the
jsonschema reference), cleaning of HTML/CSV/JSON input, conditions wired as predicates,
and the compile cache."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from form_engine import DocumentVersionError, FormEngineError
from form_engine import validation as validation_module
from form_engine.dialect import add_field, new_form
from form_engine.fields import field_type
from form_engine.messages import FieldError
from form_engine.validation import (
    BACKENDS,
    CompiledForm,
    InvalidFormError,
    clear_compile_cache,
    compile_cache_info,
    compile_form,
)

Doc = dict[str, Any]


def crm_form() -> Doc:
    """A customer form using every field type that stores a value."""
    doc = new_form("Customers", {"zh-CN": "客户档案"})
    fields: list[tuple[str, str, dict[str, Any]]] = [
        ("name", "text", {"required": True, "max_length": 100, "aliases": ["customer_name"],
                          "titles": {"zh-CN": "客户名称"}}),
        ("intro", "section", {"title": "Profile"}),
        ("bio", "textarea", {}),
        ("age", "number", {"minimum": 0, "maximum": 150}),
        ("spent", "money", {"default": 0}),
        ("share", "percent", {}),
        ("born", "date", {}),
        ("seen", "datetime", {}),
        ("tier", "select", {"options": ["A", {"value": "B", "titles": {"zh-CN": "乙级"}}]}),
        ("interests", "multiselect", {"options": ["x", "y"]}),
        ("vip", "checkbox", {}),
        ("stars", "rating", {}),
        ("nps", "nps", {}),
        ("email", "email", {}),
        ("phone", "phone", {}),
        ("phone_intl", "phone", {"region": "intl"}),
        ("site", "url", {}),
        ("addr", "address", {}),
        ("owner", "member", {}),
        ("orders", "link", {"form": "orders", "multiple": True}),
        ("lines", "subform", {"fields": {
            "qty": field_type("number").fragment(minimum=1),
            "tel": field_type("phone").fragment(),
        }, "required_fields": ["qty"]}),
        ("tags", "tags", {}),
        ("files", "attachment", {}),
        ("total", "rollup", {"form": "orders", "link": "customer", "agg": "sum", "of": "amount"}),
        ("code", "autonumber", {"prefix": "C-"}),
        ("score", "formula", {"formula": "spent * 2"}),
        ("reason", "text", {"visible_if": {"==": [{"var": "tier"}, "B"]},
                            "required_if": {"==": [{"var": "vip"}, True]}}),
    ]  # fmt: skip
    for key, kind, options in fields:
        required = options.pop("required", False)
        doc = add_field(doc, key, kind, required=required, **options)
    doc["x-archived"] = {"old": {"x-field": "text", "type": "string"}}
    return doc


FORM = crm_form()

VALID: Doc = {
    "name": "Acme 有限公司", "bio": "line 1\nline 2", "age": 42, "spent": 1234.5, "share": 12.5,
    "born": "1984-02-29", "seen": "2026-11-24T06:30:00Z", "tier": "B", "interests": ["x", "y"],
    "vip": True, "stars": 5, "nps": 0, "email": "li.lei@example.com.cn", "phone": "010-12345678",
    "phone_intl": "+442079460958", "site": "https://example.com/a?b=1", "owner": 3,
    "addr": {"province": "广东省", "city": "深圳市", "district": "南山区", "detail": "1号"},
    "orders": [1, 2], "lines": [{"qty": 2, "tel": "13800138000"}, {"qty": 1.5}],
    "tags": ["老客户"], "files": [{"id": "f1", "name": "a.pdf", "size": 10,
                                 "content_type": "application/pdf"}],
    "total": 99.5, "code": "C-00001", "score": 2469, "reason": "referral", "old": [1, 2, 3],
}  # fmt: skip

CASES: list[tuple[str, Doc, list[tuple[str, str, dict[str, Any]]]]] = [
    ("a full record", VALID, []),
    ("nothing at all", {}, [("/name", "required", {})]),
    ("None counts as absent", {"name": "x", "age": None, "tier": None}, []),
    ("only spaces is not empty for storage", {"name": " "}, []),
    ("empty string is missing", {"name": ""}, [("/name", "required", {})]),
    ("too long", {"name": "x" * 101}, [("/name", "too_long", {"max": 100})]),
    ("a megabyte", {"name": "字" * 1_000_000}, [("/name", "too_long", {"max": 100})]),
    ("xss is just text", {"name": "<script>alert('x')</script>"}, []),
    ("text of the wrong type", {"name": 5}, [("/name", "not_text", {})]),
    ("below minimum", {"name": "x", "age": -1}, [("/age", "below_minimum", {"min": 0})]),
    ("above maximum", {"name": "x", "age": 151}, [("/age", "above_maximum", {"max": 150})]),
    ("number as text", {"name": "x", "age": "12"}, [("/age", "not_a_number", {})]),
    ("boolean is no number", {"name": "x", "age": True}, [("/age", "not_a_number", {})]),
    ("NaN", {"name": "x", "share": math.nan}, [("/share", "not_a_number", {})]),
    ("Infinity", {"name": "x", "share": math.inf}, [("/share", "not_a_number", {})]),
    ("huge number", {"name": "x", "share": 1e16}, [("/share", "number_too_large", {})]),
    ("Infinity above a maximum", {"name": "x", "age": math.inf}, [("/age", "not_a_number", {})]),
    ("-Infinity below a minimum", {"name": "x", "age": -math.inf},
     [("/age", "not_a_number", {})]),
    ("NaN in a row", {"name": "x", "lines": [{"qty": math.nan}]},
     [("/lines/0/qty", "not_a_number", {})]),
    ("NaN in a list", {"name": "x", "orders": [1, math.nan]}, [("/orders/1", "not_a_number", {})]),
    ("NaN beside a cell of the wrong type", {"name": "x", "lines": [{"qty": math.inf, "tel": []}]},
     [("/lines/0/qty", "not_a_number", {})]),
    ("an empty list is the wrong type, not a missing name", {"name": []},
     [("/name", "not_text", {})]),
    ("money decimals", {"name": "x", "spent": 1.234},
     [("/spent", "too_many_decimals", {"places": 2})]),
    ("impossible date", {"name": "x", "born": "2026-02-30"}, [("/born", "bad_date", {})]),
    ("slashed date", {"name": "x", "born": "2026/11/24"}, [("/born", "bad_date", {})]),
    ("date-time not in UTC", {"name": "x", "seen": "2026-11-24T14:30:00+08:00"},
     [("/seen", "bad_datetime", {})]),
    ("not an option", {"name": "x", "tier": "C"}, [("/tier", "not_an_option", {"value": "C"})]),
    ("option of the wrong type", {"name": "x", "tier": 1}, [("/tier", "not_an_option", {})]),
    ("an object quoted the same by both backends", {"name": "x", "tier": {"b": 1, "a": [2]}},
     [("/tier", "not_an_option", {"value": '{"a": [2], "b": 1}'})]),
    ("duplicate choices", {"name": "x", "interests": ["x", "x"]},
     [("/interests", "not_unique_items", {})]),
    ("unknown choice", {"name": "x", "interests": ["q"]},
     [("/interests/0", "not_an_option", {"value": "q"})]),
    ("choices not a list", {"name": "x", "interests": "x"}, [("/interests", "not_a_list", {})]),
    ("checkbox as text", {"name": "x", "vip": "yes"}, [("/vip", "not_a_boolean", {})]),
    ("rating too high", {"name": "x", "stars": 6}, [("/stars", "rating_out_of_range", {"max": 5})]),
    ("rating zero", {"name": "x", "stars": 0}, [("/stars", "rating_out_of_range", {"max": 5})]),
    ("half a star", {"name": "x", "stars": 4.5}, [("/stars", "not_an_integer", {})]),
    ("nps eleven", {"name": "x", "nps": 11}, [("/nps", "nps_out_of_range", {})]),
    ("e-mail with a display name", {"name": "x", "email": "Li <li@example.com>"},
     [("/email", "bad_email", {})]),
    ("e-mail without a domain", {"name": "x", "email": "li@localhost"},
     [("/email", "bad_email", {})]),
    ("e-mail with spaces", {"name": "x", "email": "li lei@example.com"},
     [("/email", "bad_email", {})]),
    ("short phone", {"name": "x", "phone": "12345"}, [("/phone", "bad_phone_cn", {})]),
    ("mobile starting 12", {"name": "x", "phone": "12800138000"}, [("/phone", "bad_phone_cn", {})]),
    ("international without +", {"name": "x", "phone_intl": "00442079460958"},
     [("/phone_intl", "bad_phone_intl", {})]),
    ("javascript url", {"name": "x", "site": "javascript:alert(1)"}, [("/site", "bad_url", {})]),
    ("ftp url", {"name": "x", "site": "ftp://example.com"}, [("/site", "bad_url", {})]),
    ("javascript url with a host", {"name": "x", "site": "javascript://example.com/%0Aalert(1)"},
     [("/site", "bad_url", {})]),
    ("url with spaces", {"name": "x", "site": "https://exa mple.com"}, [("/site", "bad_url", {})]),
    ("unicode host not encoded", {"name": "x", "site": "https://例子.cn"},
     [("/site", "bad_url", {})]),
    ("address without province", {"name": "x", "addr": {"city": "深圳市"}},
     [("/addr/province", "address_needs_province", {})]),
    ("address part not text", {"name": "x", "addr": {"province": 5}},
     [("/addr/province", "bad_address", {})]),
    ("address with a strange part", {"name": "x", "addr": {"province": "浙江省", "zip": "1"}},
     [("/addr/zip", "unknown_field", {"key": "zip"})]),
    ("member zero", {"name": "x", "owner": 0}, [("/owner", "bad_member", {})]),
    ("member as text", {"name": "x", "owner": "3"}, [("/owner", "bad_member", {})]),
    ("same record linked twice", {"name": "x", "orders": [1, 1]},
     [("/orders", "not_unique_items", {})]),
    ("record id zero", {"name": "x", "orders": [0]}, [("/orders/0", "bad_link", {})]),
    ("row without its required cell", {"name": "x", "lines": [{"tel": "1"}]},
     [("/lines/0/qty", "required", {}), ("/lines/0/tel", "bad_phone_cn", {})]),
    ("row below minimum", {"name": "x", "lines": [{"qty": 2}, {"qty": 0}]},
     [("/lines/1/qty", "below_minimum", {"min": 1})]),
    ("row not an object", {"name": "x", "lines": [5]}, [("/lines/0", "bad_rows", {})]),
    ("unknown cell", {"name": "x", "lines": [{"qty": 1, "qtty": 2}]},
     [("/lines/0/qtty", "unknown_field_suggestion", {"key": "qtty", "suggestion": "qty"})]),
    ("tag too long", {"name": "x", "tags": ["t" * 51]}, [("/tags/0", "too_long", {"max": 50})]),
    ("attachment without id", {"name": "x", "files": [{"name": "a.pdf"}]},
     [("/files/0/id", "bad_attachment", {})]),
    ("computed value of the wrong type", {"name": "x", "total": "lots"},
     [("/total", "not_a_number", {})]),
    ("formula result of the wrong type", {"name": "x", "score": "high"},
     [("/score", "not_a_number", {})]),
    ("unknown field", {"name": "x", "nmae": "y"},
     [("/nmae", "unknown_field_suggestion", {"key": "nmae", "suggestion": "name"})]),
    ("unknown field, nothing close", {"name": "x", "zzzzzz": 1},
     [("/zzzzzz", "unknown_field", {"key": "zzzzzz"})]),
    ("archived values are kept and ignored", {"name": "x", "old": {"any": "thing"}}, []),
    ("layout keys are ignored", {"name": "x", "intro": "whatever"}, []),
    ("several problems in display order", {"zz": 1, "stars": 9, "age": "x"},
     [("/name", "required", {}), ("/age", "not_a_number", {}),
      ("/stars", "rating_out_of_range", {"max": 5}), ("/zz", "unknown_field", {"key": "zz"})]),
]  # fmt: skip


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def found(errors: list[FieldError]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.as_dict()["path"], e.code, dict(e.params)) for e in errors]


def _loose(expected: list[tuple[str, str, dict[str, Any]]], actual: Any) -> bool:
    return all(
        (path, code) == (a_path, a_code) and all(a_params.get(k) == v for k, v in params.items())
        for (path, code, params), (a_path, a_code, a_params) in zip(expected, actual, strict=True)
    )


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_cases_give_the_same_errors_on_every_backend(
    backend: Any, data: Doc, expected: list[tuple[str, str, dict[str, Any]]]
) -> None:
    errors = compile_form(FORM, backend).validate(data)
    actual = found(errors)
    assert len(actual) == len(expected), actual
    assert _loose(expected, actual), actual
    for error in errors:  # every error renders in both languages
        assert error.message("en") and error.message("zh-CN")


def test_validation_errors_read_well_in_both_languages(backend: Any) -> None:
    form = compile_form(FORM, backend)
    errors = form.validate({"name": "x" * 101, "phone": "123", "stars": 7, "tier": "C"})
    assert [(e.message("en"), e.message("zh-CN")) for e in errors] == [
        ("Use at most 100 characters.", "最多可输入 100 个字符。"),
        ("“C” is not one of the options.", "“C”不在可选项中。"),
        ("Choose a rating from 1 to 5.", "请选择 1 到 5 之间的评分。"),
        ("Enter a mainland China mobile number (11 digits starting with 1) or a landline like "
         "010-12345678.",
         "请输入中国大陆手机号（以 1 开头的 11 位数字）或固定电话，例如 010-12345678。"),
    ]  # fmt: skip
    assert errors[0].as_dict("zh-CN") == {
        "path": "/name", "code": "too_long", "message": "最多可输入 100 个字符。",
    }  # fmt: skip


def test_a_value_that_is_not_a_record_is_one_error(backend: Any) -> None:
    for data in (None, [], "record", 5):
        errors = compile_form(FORM, backend).validate(data)  # type: ignore[arg-type]
        assert [(e.path, e.code) for e in errors] == [((), "not_a_record")]


# -- requiredness and visibility, wired as predicates ----------------------------------


def test_required_if_makes_a_field_required_when_it_holds(backend: Any) -> None:
    form = compile_form(FORM, backend)
    assert form.validate({"name": "x", "vip": True}) == []  # no predicate: optional
    errors = form.validate({"name": "x", "vip": True}, required_if=lambda k, d: bool(d.get("vip")))
    assert [(e.path, e.code) for e in errors] == [(("reason",), "required")]
    assert form.validate({"name": "x"}, required_if=lambda k, d: bool(d.get("vip"))) == []


def test_hidden_fields_are_neither_required_nor_checked(backend: Any) -> None:
    form = compile_form(FORM, backend)
    asked: list[str] = []

    def visible(key: str, data: Mapping[str, Any]) -> bool:
        asked.append(key)
        return data.get("tier") == "B"

    def always(key: str, data: Mapping[str, Any]) -> bool:
        return True

    hidden = {"name": "x", "tier": "A", "reason": 5}
    assert form.validate(hidden, visible=visible, required_if=always) == []
    assert asked == ["reason"]  # only fields with x-visible-if are asked about
    shown = {"name": "x", "tier": "B"}
    errors = form.validate(shown, visible=visible, required_if=always)
    assert [(e.path, e.code) for e in errors] == [(("reason",), "required")]


def test_a_required_field_is_not_required_while_hidden(backend: Any) -> None:
    doc = add_field(new_form("T"), "kind", "select", options=["person", "company"])
    doc = add_field(doc, "company_name", "text", required=True,
                    visible_if={"==": [{"var": "kind"}, "company"]})  # fmt: skip
    form = compile_form(doc, backend)

    def visible(key: str, data: Mapping[str, Any]) -> bool:
        return data.get("kind") == "company"

    assert form.validate({"kind": "person"}, visible=visible) == []
    errors = form.validate({"kind": "company"}, visible=visible)
    assert [(e.path, e.code) for e in errors] == [(("company_name",), "required")]


def test_clean_drops_values_of_hidden_fields(backend: Any) -> None:
    form = compile_form(FORM, backend)
    raw = {"name": "x", "tier": "A", "reason": "  kept?  "}
    data, errors = form.clean(raw, "html", visible=lambda k, d: d.get("tier") == "B")
    assert errors == [] and "reason" not in data
    data, errors = form.clean({**raw, "tier": "B"}, "html", visible=lambda k, d: d["tier"] == "B")
    assert errors == [] and data["reason"] == "kept?"


def test_a_required_checkbox_must_be_ticked(backend: Any) -> None:
    doc = add_field(new_form("Terms"), "agree", "checkbox", required=True)
    form = compile_form(doc, backend)
    data, errors = form.clean({}, "html")
    assert data == {"agree": False}
    assert [(e.path, e.code, e.message("zh-CN")) for e in errors] == [
        (("agree",), "must_be_ticked", "请勾选此项。")
    ]
    assert form.clean({"agree": "y"}, "html") == ({"agree": True}, [])


# -- cleaning raw input ----------------------------------------------------------------


def test_an_html_form_post_becomes_typed_data(backend: Any) -> None:
    raw = {
        "customer_name": " Acme ", "bio": "a\r\nb", "age": "４２", "spent": "¥1,234.50",
        "share": "12.5%", "born": "1984-02-29", "seen": "2026-11-24T14:30", "tier": "B",
        "interests": ["x", "y"], "vip": "y", "stars": "5", "nps": "0",
        "email": " Li@Example.COM ", "phone": "+86 138 0013 8000", "site": "example.com",
        "addr": {"province": "广东省", "city": "深圳市", "district": "", "detail": ""},
        "owner": "3", "orders": ["1", "2"], "lines": [{"qty": "2", "tel": ""}, {"qty": ""}],
        "tags": "vip, 老客户", "total": "999", "code": "hack", "csrf_token": "t", "submit": "Save",
    }  # fmt: skip
    data, errors = compile_form(FORM, backend).clean(raw, "html", tz=timezone(timedelta(hours=8)))
    assert errors == []
    assert data == {
        "name": "Acme", "bio": "a\nb", "age": 42, "spent": 1234.5, "share": 12.5,
        "born": "1984-02-29", "seen": "2026-11-24T06:30:00Z", "tier": "B",
        "interests": ["x", "y"], "vip": True, "stars": 5, "nps": 0,
        "email": "Li@example.com", "phone": "13800138000", "site": "https://example.com",
        "addr": {"province": "广东省", "city": "深圳市"}, "owner": 3, "orders": [1, 2],
        "lines": [{"qty": 2}], "tags": ["vip", "老客户"],
    }  # fmt: skip


def test_a_spreadsheet_row_becomes_typed_data(backend: Any) -> None:
    raw = {"name": "张三", "born": "1984/2/29", "vip": "是", "tier": "乙级", "interests": "x；y",
           "addr": "广东省深圳市南山区科技园路1号", "orders": "3;4", "spent": "1,000"}  # fmt: skip
    data, errors = compile_form(FORM, backend).clean(raw, "csv")
    assert errors == []
    assert data == {
        "name": "张三", "born": "1984-02-29", "vip": True, "tier": "B", "interests": ["x", "y"],
        "addr": {"province": "广东省", "city": "深圳市", "district": "南山区",
                 "detail": "科技园路1号"},
        "orders": [3, 4], "spent": 1000,
    }  # fmt: skip


def test_json_input_is_strict_and_names_unknown_fields(backend: Any) -> None:
    form = compile_form(FORM, backend)
    raw = {"name": "x", "age": "12", "nmae": "y", "total": 5, "code": "C-1", "old": 1,
           "intro": "x", "seen": "2026-11-24T14:30:00+08:00"}  # fmt: skip
    data, errors = form.clean(raw, "json")
    assert data == {"name": "x", "seen": "2026-11-24T06:30:00Z"}
    assert [(e.path, e.code, dict(e.params)) for e in errors] == [
        (("age",), "not_a_number", {}),
        (("nmae",), "unknown_field_suggestion", {"key": "nmae", "suggestion": "name"}),
    ]


def test_html_and_csv_ignore_names_that_are_not_fields(backend: Any) -> None:
    form = compile_form(FORM, backend)
    assert form.clean({"name": "x", "nmae": "y"}, "csv") == ({"name": "x"}, [])
    # An HTML form always posts its checkboxes' state: absent means unticked.
    assert form.clean({"name": "x", "nmae": "y"}, "html") == ({"name": "x", "vip": False}, [])


def test_a_key_wins_over_an_alias_and_aliases_are_accepted(backend: Any) -> None:
    form = compile_form(FORM, backend)
    assert form.clean({"customer_name": "alias"}, "json") == ({"name": "alias"}, [])
    assert form.clean({"customer_name": "alias", "name": "key"}, "json")[0] == {"name": "key"}


def test_a_coercion_error_is_not_also_reported_as_missing(backend: Any) -> None:
    data, errors = compile_form(FORM, backend).clean({"name": 5}, "json")
    assert data == {}
    assert [(e.path, e.code) for e in errors] == [(("name",), "not_text")]


def test_bad_cells_in_rows_are_reported_at_their_place(backend: Any) -> None:
    raw = {"name": "x", "lines": [{"qty": "x"}, {"qty": "0", "tel": "1"}]}
    _data, errors = compile_form(FORM, backend).clean(raw, "html")
    assert [(e.as_dict()["path"], e.code) for e in errors] == [("/lines/0/qty", "not_a_number")]
    raw = {"name": "x", "lines": [{"qty": "0", "tel": "1"}]}
    _data, errors = compile_form(FORM, backend).clean(raw, "html")
    assert [(e.as_dict()["path"], e.code) for e in errors] == [
        ("/lines/0/qty", "below_minimum"), ("/lines/0/tel", "bad_phone_cn"),
    ]  # fmt: skip


BAD_INPUT: list[tuple[str, Any, str, str]] = [
    ("huge string", {"name": "x" * 1_000_000}, "/name", "too_long"),
    ("NaN from JSON", {"name": "x", "age": math.nan}, "/age", "not_a_number"),
    ("Infinity from JSON", {"name": "x", "age": -math.inf}, "/age", "not_a_number"),
    ("NaN typed in", {"name": "x", "age": "NaN"}, "/age", "not_a_number"),
    ("list for a number", {"name": "x", "age": [1]}, "/age", "not_a_number"),
    ("object for text", {"name": {"$gt": ""}}, "/name", "not_text"),
    ("NUL byte", {"name": "a\x00b"}, "/name", "control_characters"),
    ("unknown field", {"name": "x", "is_admin": True}, "/is_admin", "unknown_field"),
    ("prototype pollution key", {"name": "x", "__proto__": {}}, "/__proto__", "unknown_field"),
    ("deep junk", {"name": "x", "lines": [[[[[]]]]]}, "/lines/0", "bad_rows"),
]


@pytest.mark.parametrize(("raw", "pointer", "code"), [c[1:] for c in BAD_INPUT],
                         ids=[c[0] for c in BAD_INPUT])  # fmt: skip
def test_bad_json_input_gets_a_clear_error_and_no_value(
    backend: Any, raw: Doc, pointer: str, code: str
) -> None:
    data, errors = compile_form(FORM, backend).clean(raw, "json")
    assert [(e.as_dict()["path"], e.code) for e in errors] == [(pointer, code)]
    assert pointer.split("/")[1] not in data or code == "too_long"


def test_xss_strings_are_stored_and_shown_verbatim(backend: Any) -> None:
    xss = '"><img src=x onerror=alert(1)><script>alert("x")</script>'
    data, errors = compile_form(FORM, backend).clean({"name": xss, "tags": [xss[:50]]}, "json")
    assert errors == [] and data["name"] == xss
    assert field_type("text").format(data["name"], "en") == xss  # escaping is the page's job


def test_clean_refuses_what_is_not_a_record_or_an_unknown_source() -> None:
    form = compile_form(FORM)
    assert [(e.path, e.code) for e in form.clean([], "json")[1]] == [((), "not_a_record")]  # type: ignore[arg-type]
    with pytest.raises(FormEngineError, match="unknown input source"):
        form.clean({}, "xml")  # type: ignore[arg-type]


# -- the compiled form -----------------------------------------------------------------


def test_the_compiled_form_lists_fields_kinds_and_defaults() -> None:
    form = compile_form(FORM)
    assert [f.key for f in form.fields][:3] == ["name", "intro", "bio"]
    key, schema, kind = form.field("tier")
    assert (key, kind.key, schema["enum"]) == ("tier", "select", ["A", "B"])
    assert form.sql_kinds["orders"] == "json" and form.sql_kinds["seen"] == "datetime"
    assert "intro" not in form.sql_kinds
    assert form.defaults() == {"spent": 0}
    with pytest.raises(FormEngineError, match="no field 'tierr'") as caught:
        form.field("tierr")
    assert caught.value.suggestion == "tier"


def test_validating_a_thousand_records_compiles_the_form_once() -> None:
    clear_compile_cache()
    records = [{**VALID, "age": n % 150, "name": f"customer {n}"} for n in range(1000)]
    for record in records:
        assert (
            compile_form(copy.deepcopy(FORM) if record is records[0] else FORM).validate(record)
            == []
        )
    info = compile_cache_info()
    assert (info.misses, info.hits, info.size) == (1, 999, 1)
    changed = add_field(FORM, "extra", "text")
    assert compile_form(changed) is not compile_form(FORM)
    assert compile_cache_info().misses == 2


def test_each_backend_is_cached_apart_and_cache_false_builds_afresh() -> None:
    assert compile_form(FORM, "rs") is compile_form(FORM, "rs")
    assert compile_form(FORM, "rs") is not compile_form(FORM, "reference")
    assert compile_form(FORM, cache=False) is not compile_form(FORM, cache=False)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation_module, "CACHE_SIZE", 3)
    clear_compile_cache()
    for n in range(5):
        compile_form(add_field(new_form(f"Form {n}"), "name", "text"))
    assert compile_cache_info().size == 3


def test_an_invalid_document_is_refused_with_its_problems() -> None:
    doc = copy.deepcopy(FORM)
    doc["properties"]["phone"]["x-field"] = "fone"
    with pytest.raises(InvalidFormError) as caught:
        compile_form(doc)
    assert [p.pointer for p in caught.value.problems] == ["/properties/phone/x-field"]
    assert caught.value.pointer == "/properties/phone/x-field"


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        ({**FORM, "x-format": 2}, DocumentVersionError),
        ({k: v for k, v in FORM.items() if k != "x-format"}, DocumentVersionError),
        ({**FORM, "title": {1, 2}}, FormEngineError),
    ],
)
def test_documents_that_cannot_be_compiled_raise_engine_errors(doc: Doc, error: type) -> None:
    with pytest.raises(error):
        compile_form(doc)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(FormEngineError, match="unknown validation backend"):
        CompiledForm(FORM, "fast")  # type: ignore[arg-type]


# -- the backends agree on anything -------------------------------------------------------

_KEYS = [f.key for f in compile_form(FORM).fields] + ["zz", "old"]
_SCALARS = (
    st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=True, width=32)
    | st.sampled_from(["", "A", "x", "q", "2026-11-24", "2026-02-30", "2026-11-24T06:30:00Z",
                       "a@b.cn", "https://x.cn", "13800138000", "C-1", "广东省", "t" * 60,
                       "t" * 101, "https://x.cn/" + "p" * 2000, "u" * 250 + "@x.cn", "0.125"])
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["qty", "tel", "province", "city", "id", "name", "q"]),
                      inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(_KEYS), _JSON, max_size=6))
def test_both_backends_report_the_same_errors_for_any_record(record: Doc) -> None:
    fast = compile_form(FORM, "rs").validate(record)
    reference = compile_form(FORM, "reference").validate(record)
    assert fast == reference


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_backends_agree_exactly_on_the_case_table(data: Doc, expected: Any) -> None:
    assert compile_form(FORM, "rs").validate(data) == compile_form(FORM, "reference").validate(data)
